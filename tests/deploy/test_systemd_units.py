"""The systemd units of deploy/systemd/: valid, complete and hardened.

``systemd-analyze verify`` reads each unit as systemd would and checks that
the programs it runs exist. The units name the server's paths (/opt/blog),
so it runs on a root of the test's own (``--root``): systemd's own units,
the units under test, and the programs a server set up as in
docs/deploying.md has, as stubs. verify only warns about a value it cannot
parse, and exits 0: here any word from it is a failure.

deploy/systemd/blog-flask runs a flask command as blog.service runs the
blog: with a stand-in systemd-run, the test reads what it would ask for.
"""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
UNIT_DIR = PROJECT / "deploy" / "systemd"
UNITS = sorted(UNIT_DIR.glob("*.service")) + sorted(UNIT_DIR.glob("*.timer"))
SERVICES = [unit for unit in UNITS if unit.suffix == ".service"]
TIMERS = [unit for unit in UNITS if unit.suffix == ".timer"]
SYSTEM_UNITS = Path("/usr/lib/systemd/system")
#: The programs the units may run on a server installed as the guide says:
#: the venv's console scripts (from requirements.txt) and procps's kill.
INSTALLED = ("/opt/blog/.venv/bin/gunicorn", "/opt/blog/.venv/bin/flask", "/bin/kill")
#: Highest exposure `systemd-analyze security` may give a service (0-10).
MAX_EXPOSURE = 2.0

pytestmark = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None or not SYSTEM_UNITS.is_dir(),
    reason="systemd-analyze is not installed (.ci/run installs the systemd package)",
)


def make_root(root: Path, units: dict[str, str]) -> Path:
    """A file system root holding systemd's units, ``units`` and the installed programs."""
    shutil.copytree(SYSTEM_UNITS, root / SYSTEM_UNITS.relative_to("/"), symlinks=True)
    unit_dir = root / "etc/systemd/system"
    unit_dir.mkdir(parents=True)
    for name, text in units.items():
        (unit_dir / name).write_text(text)
    for program in INSTALLED:
        stub = root / program.lstrip("/")
        stub.parent.mkdir(parents=True, exist_ok=True)
        stub.write_text("#!/bin/sh\n")
        stub.chmod(0o755)
    return unit_dir


def verify(root: Path, units: dict[str, str]) -> tuple[int, str]:
    """``systemd-analyze verify`` of ``units`` in a root of their own: exit status and output."""
    make_root(root, units)
    result = subprocess.run(
        [
            "systemd-analyze",
            "verify",
            f"--root={root}",
            *(f"/etc/systemd/system/{name}" for name in sorted(units)),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.returncode, (result.stdout + result.stderr).strip()


def shipped_units() -> dict[str, str]:
    return {unit.name: unit.read_text() for unit in UNITS}


class UnitFile(configparser.RawConfigParser):
    """A unit's sections and keys, in their own case; a key given twice keeps its last value."""

    def __init__(self, text: str) -> None:
        super().__init__(strict=False, interpolation=None)
        self.read_string(text)

    def optionxform(self, optionstr: str) -> str:
        return optionstr


def test_the_expected_units_are_shipped():
    assert [unit.name for unit in UNITS] == [
        "blog-backup.service",
        "blog-mail.service",
        "blog-purge.service",
        "blog.service",
        "blog-backup.timer",
        "blog-mail.timer",
        "blog-purge.timer",
    ]


def test_every_unit_passes_systemd_analyze_verify(tmp_path):
    assert verify(tmp_path, shipped_units()) == (0, "")


BREAKAGES = {
    "a value systemd cannot parse": ("blog.service", "Type=notify", "Type=notifyy"),
    "a misspelt key": ("blog-mail.service", "ExecStart=", "ExecStrat="),
    "a program the server does not have": (
        "blog-purge.service",
        "/opt/blog/.venv/bin/flask",
        "/opt/blog/venv/bin/flask",
    ),
    "a calendar systemd cannot read": ("blog-backup.timer", "OnCalendar=", "OnCalendar=nightly "),
    "a hardening option misspelt": ("blog.service", "ProtectSystem=strict", "ProtectSystem=stric"),
}


@pytest.mark.parametrize("broken", BREAKAGES.values(), ids=BREAKAGES.keys())
def test_a_broken_unit_fails_verification(tmp_path, broken):
    name, good, bad = broken
    units = shipped_units()
    assert good in units[name]
    units[name] = units[name].replace(good, bad, 1)
    status, output = verify(tmp_path, units)
    assert status != 0 or output
    assert name in output


def test_every_timer_starts_a_shipped_service():
    # verify says nothing about a timer whose service does not exist.
    for timer in TIMERS:
        service = UnitFile(timer.read_text())["Timer"].get("Unit", f"{timer.stem}.service")
        assert (UNIT_DIR / service).is_file(), timer.name
        assert "ExecStart" in UnitFile((UNIT_DIR / service).read_text())["Service"]
        assert UnitFile(timer.read_text())["Install"]["WantedBy"] == "timers.target"


@pytest.mark.parametrize("service", SERVICES, ids=lambda path: path.name)
def test_every_service_runs_as_blog_with_the_production_settings(service):
    section = UnitFile(service.read_text())["Service"]
    assert section["User"] == section["Group"] == "blog"
    assert section["EnvironmentFile"] == "/etc/blog/blog.env"
    assert section["WorkingDirectory"] == "/opt/blog"
    assert section["ProtectSystem"] == "strict"
    assert "/opt/blog/instance" in section["ReadWritePaths"].split()
    assert section["NoNewPrivileges"] == "yes"
    assert section["UMask"] == "0077"


def exposure(service: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            "systemd-analyze",
            "security",
            "--offline=true",
            f"--threshold={round(MAX_EXPOSURE * 10)}",
            str(service),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("service", SERVICES, ids=lambda path: path.name)
def test_every_service_is_hardened(service):
    result = exposure(service)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr


def test_a_service_without_its_hardening_is_refused(tmp_path):
    text = (UNIT_DIR / "blog-mail.service").read_text()
    bare = tmp_path / "blog-mail.service"
    bare.write_text(text[: text.index("NoNewPrivileges=")])
    result = exposure(bare)
    assert result.returncode != 0
    assert "UNSAFE" in result.stdout or "EXPOSED" in result.stdout


def test_blog_flask_runs_commands_as_the_service_does(tmp_path):
    fake = tmp_path / "systemd-run"
    fake.write_text('#!/bin/sh\nfor arg in "$@"; do printf "%s\\n" "$arg"; done\n')
    fake.chmod(0o755)
    result = subprocess.run(
        [str(UNIT_DIR / "blog-flask"), "create-moderator", "anna", "--display-name", "Anna B."],
        capture_output=True,
        text=True,
        env={"PATH": f"{tmp_path}:/usr/bin:/bin"},
        timeout=10,
    )
    assert result.returncode == 0, result.stderr
    args = result.stdout.splitlines()
    service = UnitFile((UNIT_DIR / "blog.service").read_text())["Service"]
    assert f"--uid={service['User']}" in args
    assert f"--gid={service['Group']}" in args
    assert f"--working-directory={service['WorkingDirectory']}" in args
    assert f"--property=EnvironmentFile={service['EnvironmentFile']}" in args
    assert f"--setenv={service['Environment'].split()[0]}" in args
    venv_bin = Path(service["ExecStart"].split()[0]).parent
    command = args.index(str(venv_bin / "flask"))
    assert args[command + 1 :] == ["create-moderator", "anna", "--display-name", "Anna B."]
