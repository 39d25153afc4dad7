"""The container image: built from the Containerfile, started, used as a reader would.

Marked ``container``: ``make test`` leaves it out, ``make container`` runs it
(and installs podman, runc and mmdebstrap first). No image registry is
reachable here, so the base image is made from Debian's packages with
mmdebstrap (cached under .cache/container/) and passed as BASE_IMAGE; pip
inside the build gets the host's index settings and certificate
authorities (see ``pip_build_options``). The container shares the host's
network and binds gunicorn to a free loopback port.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup

from tests.helpers import ARTICLE_URL, POST_URL, form_fields, text_of
from tests.support.live_server import Browser, free_port

pytestmark = pytest.mark.container

PROJECT = Path(__file__).resolve().parents[2]
CACHE = PROJECT / ".cache" / "container"
SUITE = "bookworm"
#: What the base needs: Python 3.11 with venv and pip, and the CA bundle.
BASE_PACKAGES = ("python3", "python3-venv", "python3-pip", "ca-certificates")
#: podman as this machine runs it: runc, and no default ulimits (the
#: sandbox refuses to raise them).
CONTAINERS_CONF = '[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\n'
#: pip settings whose values may name files or folders on this machine.
PIP_PATH_OPTIONS = {"index-url", "extra-index-url", "find-links", "constraint"}
#: Settings as behind nginx on a public name (docs/deploying.md).
PRODUCTION = {
    "SITE_URL": "https://blog.example.it",
    "FLASK_PREFERRED_URL_SCHEME": "https",
    "FLASK_PROXY_FIX_X_FOR": "1",
    "FLASK_PROXY_FIX_X_PROTO": "1",
}
READER_ADDRESS = "203.0.113.7"
COMMENT = {
    "comment": "Un commento scritto dentro il container.",
    "author": "Lettrice del container",
    "email": f"container-{uuid.uuid4().hex[:8]}@example.it",
    "url": "",
}


def tool_missing() -> str | None:
    for tool in ("podman", "runc", "mmdebstrap"):
        if shutil.which(tool) is None:
            return tool
    return None


if missing := tool_missing():
    pytest.skip(f"{missing} is not installed (make container installs it)", allow_module_level=True)


def run(
    *args: str, timeout: float = 120, check: bool = True, input: str | None = None
) -> subprocess.CompletedProcess:
    """Run a command; on failure, fail the test with its output."""
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, input=input)
    if check and result.returncode != 0:
        pytest.fail(
            f"{' '.join(args[:4])} … exited {result.returncode}\n"
            f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    return result


@pytest.fixture(scope="module", autouse=True)
def containers_conf(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Point podman at this test's own containers.conf."""
    conf = tmp_path_factory.mktemp("podman") / "containers.conf"
    conf.write_text(CONTAINERS_CONF)
    previous = os.environ.get("CONTAINERS_CONF")
    os.environ["CONTAINERS_CONF"] = str(conf)
    yield
    if previous is None:
        del os.environ["CONTAINERS_CONF"]
    else:
        os.environ["CONTAINERS_CONF"] = previous


def base_tarball() -> Path:
    """Debian with Python, from mmdebstrap: made once, then kept in the cache."""
    key = hashlib.sha256(" ".join((SUITE, *BASE_PACKAGES)).encode()).hexdigest()[:12]
    tarball = CACHE / f"{SUITE}-python-{key}.tar"
    if not tarball.is_file():
        CACHE.mkdir(parents=True, exist_ok=True)
        # mmdebstrap writes a tarball when the name ends in .tar.
        partial = tarball.with_suffix(f".{uuid.uuid4().hex}.partial.tar")
        try:
            run(
                "mmdebstrap",
                "--variant=minbase",
                "--include=" + ",".join(BASE_PACKAGES),
                SUITE,
                str(partial),
                timeout=900,
            )
            partial.rename(tarball)
        finally:
            shutil.rmtree(partial, ignore_errors=True) if partial.is_dir() else partial.unlink(
                missing_ok=True
            )
    return tarball


@pytest.fixture(scope="module")
def base_image(containers_conf: None) -> str:
    """The cached tarball, imported into podman once."""
    tarball = base_tarball()
    name = f"localhost/blog-test-base:{tarball.stem.rsplit('-', 1)[-1]}"
    if run("podman", "image", "exists", name, check=False).returncode != 0:
        run("podman", "import", str(tarball), name, timeout=300)
    return name


def pip_settings() -> dict[tuple[str, str], str]:
    """This machine's pip settings, files and environment, as ``pip config list`` shows them.

    Later lines override earlier ones, as in pip; a ``PIP_*`` variable
    counts as a global setting.
    """
    listing = run(sys.executable, "-m", "pip", "config", "list").stdout
    settings: dict[tuple[str, str], str] = {}
    for line in listing.splitlines():
        name, _, value = line.partition("=")
        section, _, option = name.rpartition(".")
        section = "global" if section in (":env:", "") else section
        settings[(section, option)] = ast.literal_eval(value)
    return settings


def pip_build_options(workdir: Path) -> list[str]:
    """``podman build`` options giving pip in the build what pip has here.

    The settings go in as the build secret ``pip.conf``; the files and
    folders they name (a local index, wheels, constraints) are mounted
    read-only at the same paths; the certificate authorities pip trusts
    here go in as the secret ``ca.crt``, so a proxy that re-signs HTTPS is
    trusted too.
    """
    mounts: set[str] = set()
    lines: dict[str, list[str]] = {}
    ca_bundle = "/etc/ssl/certs/ca-certificates.crt"
    for (section, option), value in pip_settings().items():
        if option == "cert":
            ca_bundle = value
            continue
        if option in PIP_PATH_OPTIONS:
            mounts.update(local_folder(option, token) for token in value.split())
        lines.setdefault(section, []).append(f"{option} = {value}")
    pip_conf = workdir / "pip.conf"
    pip_conf.write_text(
        "".join(f"[{section}]\n" + "\n".join(body) + "\n" for section, body in lines.items())
    )
    options = ["--secret", f"id=pip.conf,src={pip_conf}"]
    if Path(ca_bundle).is_file():
        options += ["--secret", f"id=ca.crt,src={ca_bundle}"]
    for path in sorted(mounts - {""}):
        options += ["--volume", f"{path}:{path}:ro"]
    return options


def local_folder(option: str, location: str) -> str:
    """What to mount for a pip location on this machine ("" for one elsewhere).

    A local index (``file:///srv/pypi/simple``) links to its files beside
    the ``simple`` folder, so its parent is mounted.
    """
    path = urlsplit(location).path if location.startswith("file://") else location
    if not path.startswith("/") or not Path(path).exists():
        return ""
    if option.endswith("index-url"):
        return str(Path(path).parent)
    return path


@pytest.fixture(scope="module")
def image(base_image: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The project's image, built from the Containerfile on the Debian base."""
    name = f"localhost/blog-test:{uuid.uuid4().hex[:12]}"
    workdir = tmp_path_factory.mktemp("build")
    run(
        "podman",
        "build",
        # Docker's format: OCI images have no HEALTHCHECK.
        "--format=docker",
        "--network=host",
        "--build-arg",
        f"BASE_IMAGE={base_image}",
        *pip_build_options(workdir),
        "--tag",
        name,
        "--file",
        str(PROJECT / "Containerfile"),
        str(PROJECT),
        timeout=900,
    )
    yield name
    run("podman", "rmi", "--force", name, check=False)


class Container:
    """One running container of the image, on a loopback port of the host's network."""

    def __init__(self, image: str, volume: str) -> None:
        self.name = f"blog-test-{uuid.uuid4().hex[:12]}"
        self.port = free_port()
        run(
            "podman",
            "run",
            "--detach",
            "--name",
            self.name,
            "--network=host",
            # No systemd here to run the checks on a timer: the test runs them.
            "--health-interval=disable",
            "--env",
            f"GUNICORN_BIND=127.0.0.1:{self.port}",
            "--env",
            "WEB_CONCURRENCY=2",
            *(f"--env={name}={value}" for name, value in PRODUCTION.items()),
            "--volume",
            f"{volume}:/opt/blog/instance",
            image,
        )

    def wait_until_healthy(self, seconds: float = 90) -> None:
        """Run the image's HEALTHCHECK until it passes (bounded)."""
        deadline = time.monotonic() + seconds
        while run("podman", "healthcheck", "run", self.name, check=False).returncode != 0:
            state = self.inspect("{{.State.Status}}")
            if state != "running" or time.monotonic() > deadline:
                pytest.fail(f"container {state}, not healthy:\n{self.logs()}")
            time.sleep(1)

    def inspect(self, template: str) -> str:
        return run("podman", "inspect", "--format", template, self.name).stdout.strip()

    def logs(self) -> str:
        result = run("podman", "logs", self.name, check=False)
        return (result.stdout + result.stderr)[-6000:]

    def browser(self) -> Browser:
        """A reader's browser, through the proxy the settings trust."""
        return Browser(
            self.port,
            headers={
                "Host": "blog.example.it",
                "X-Forwarded-Proto": "https",
                "X-Forwarded-For": READER_ADDRESS,
            },
        )

    def exec(self, *command: str, input: str | None = None) -> subprocess.CompletedProcess:
        interactive = ("--interactive",) if input is not None else ()
        return run("podman", "exec", *interactive, self.name, *command, input=input)

    def remove(self) -> None:
        run("podman", "rm", "--force", "--time", "10", self.name, check=False)


@pytest.fixture(scope="module")
def volume(image: str) -> Iterator[str]:
    name = f"blog-test-instance-{uuid.uuid4().hex[:12]}"
    run("podman", "volume", "create", name)
    yield name
    run("podman", "volume", "rm", "--force", name, check=False)


@pytest.fixture(scope="module")
def container(image: str, volume: str) -> Iterator[Container]:
    started = Container(image, volume)
    try:
        started.wait_until_healthy()
        yield started
    finally:
        started.remove()


def exported_comments(container: Container, email: str) -> list[dict]:
    """The comments the container's database holds for ``email`` (``flask privacy-export``)."""
    return json.loads(container.exec("flask", "privacy-export", email).stdout)["comments"]


def test_health_check_reports_healthy(container):
    assert container.inspect("{{.State.Health.Status}}") == "healthy"
    assert container.exec("python", "deploy/container/healthcheck.py").stdout == "healthz: 200\n"


def test_answers_its_site_name_only(container):
    # The health check passes only because it names SITE_URL's host.
    assert Browser(container.port).get("/healthz")[0] == 400
    assert container.browser().get("/healthz")[0] == 200


def test_starts_cleanly(container):
    logs = container.logs()
    assert "Database pronto." in logs  # flask init-db, run by the entrypoint
    assert "Booting worker" in logs
    assert "[ERROR]" not in logs


def test_runs_as_an_unprivileged_user_with_a_private_instance_folder(container):
    assert container.exec("id", "-un").stdout.strip() == "blog"
    # The gunicorn master is the container's first process.
    assert container.exec("stat", "-c", "%U", "/proc/1").stdout.strip() == "blog"
    listing = container.exec("stat", "-c", "%n %U %a", "instance", "instance/secret_key").stdout
    assert listing.splitlines() == ["instance blog 700", "instance/secret_key blog 600"]


def test_reader_posts_a_comment_that_waits_for_moderation(container):
    reader = container.browser()
    status, _, html = reader.get(ARTICLE_URL)
    assert status == 200
    fields = form_fields(BeautifulSoup(html, "html.parser"))
    fields.pop("wp-comment-cookies-consent", None)
    fields.update(COMMENT)
    # Production settings: a form sent sooner than COMMENT_MIN_SECONDS (3)
    # after it was served would go to Spam.
    time.sleep(3.2)
    status, headers, _ = reader.post_form(POST_URL, fields)
    assert status == 303, container.logs()
    location = urlsplit(headers["Location"])
    assert location.path == ARTICLE_URL

    (stored,) = exported_comments(container, COMMENT["email"])
    assert stored["status"] == "pending"
    assert stored["text"] == COMMENT["comment"]
    assert stored["author"] == COMMENT["author"]
    assert stored["ip_address"] == READER_ADDRESS

    status, _, html = reader.get(f"{location.path}?{location.query}")
    item = BeautifulSoup(html, "html.parser").find("li", id=f"comment-{stored['id']}")
    assert item is not None
    assert "Il tuo commento è in attesa di moderazione." in text_of(item)
    # A stranger does not see it.
    _, _, other_page = container.browser().get(ARTICLE_URL)
    assert COMMENT["comment"] not in other_page.decode()


def test_a_new_container_on_the_same_volume_keeps_data_and_key(container, image, volume):
    password = "una password sicura"
    container.exec("flask", "create-moderator", "anna", input=f"{password}\n{password}\n")
    key = container.exec("cat", "instance/secret_key").stdout
    comments = exported_comments(container, COMMENT["email"])
    container.remove()

    successor = Container(image, volume)
    try:
        successor.wait_until_healthy()
        assert successor.exec("cat", "instance/secret_key").stdout == key
        assert "anna" in successor.exec("flask", "moderators").stdout
        assert exported_comments(successor, COMMENT["email"]) == comments
        assert successor.browser().get(ARTICLE_URL)[0] == 200
    finally:
        successor.remove()
