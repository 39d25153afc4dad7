"""``make audit``: Lighthouse and the Nu Html Checker on the running blog.

Serves the demo blog (tools/demo_site.py) with gunicorn on 127.0.0.1, then

1. fetches every page kind as a reader, a moderator and a mail's recipient
   would get it (the index, an article, the article with form errors, the
   privacy note, "Segui la discussione", the login, the queue, settings,
   profile, the privacy tools, the edit page, each mail-link page, a 404)
   and checks them all with the Nu Html Checker (npm ``vnu-jar``, run by
   the system's Java): any error fails;
2. runs Lighthouse (npm ``lighthouse``, with Debian's chromium headless) on
   the index, the article and the login: accessibility, best practices and
   SEO must each score 100.

The login page says ``noindex`` on purpose (blog/reader/seo.py), which is what
Lighthouse's "is-crawlable" audit marks down; that one audit is left out
for that page, and the script checks instead that the page does say it.

Prints a report and exits 1 when anything fails.

    python tools/audit.py [--keep DIR]   # DIR keeps the pages and reports
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

from tests.support.browser import CHROMIUM  # noqa: E402
from tests.support.live_server import Browser  # noqa: E402
from tools.demo_site import ARTICLE_URL, MODERATOR, PASSWORD, SLUG, DemoSite, demo_site  # noqa: E402

NODE_MODULES = PROJECT / "node_modules"
LIGHTHOUSE = NODE_MODULES / "lighthouse" / "cli" / "index.js"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
CATEGORIES = ("accessibility", "best-practices", "seo")
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --no-first-run --disable-sync"
#: Pages Lighthouse scores, and the audits each leaves out (with the reason above).
LIGHTHOUSE_PAGES = {
    "index": ("/", ()),
    "article": (ARTICLE_URL, ()),
    "login": ("/moderation/login", ("is-crawlable",)),
}
CANARY = '<!doctype html><html lang="it"><head><title>x</title></head><body><p><div></p>'


@dataclass
class Page:
    name: str
    path: str
    status: int
    html: bytes


class Failure(Exception):
    """What the audit found wrong, already worded for the report."""


def require_tools() -> str:
    """The java to run the checker with; stop with a clear message if a tool is missing."""
    missing = []
    java = shutil.which("java")
    if java is None:
        missing.append("java (apt-get install default-jre-headless)")
    if not VNU_JAR.exists():
        missing.append(f"{VNU_JAR.relative_to(PROJECT)} (npm ci)")
    if not LIGHTHOUSE.exists():
        missing.append(f"{LIGHTHOUSE.relative_to(PROJECT)} (npm ci)")
    if shutil.which("node") is None:
        missing.append("node (apt-get install nodejs)")
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    if missing:
        raise SystemExit("make audit needs: " + "; ".join(missing))
    return str(java)


def hidden_field(html: bytes, name: str) -> str:
    match = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html.decode())
    if not match:
        raise Failure(f"no hidden field {name!r} on the page")
    return match.group(1)


def collect_pages(site: DemoSite) -> list[Page]:
    """Every page kind, fetched as the person who sees it would."""
    pages: list[Page] = []

    def keep(name: str, path: str, response: tuple) -> None:
        status, _, html = response
        pages.append(Page(name, path, status, html))

    reader = Browser(site.port)
    keep("index", "/", reader.get("/"))
    keep("article", ARTICLE_URL, reader.get(ARTICLE_URL))
    tokens = reader.form_tokens(ARTICLE_URL)
    keep(
        "article-form-errors",
        f"{ARTICLE_URL}comment",
        reader.post_form(f"/{SLUG}/comment", {**tokens, "comment": "", "author": "", "email": ""}),
    )
    keep("privacy-note", "/privacy/", reader.get("/privacy/"))
    keep(
        "follow-errors",
        f"/{SLUG}/segui",
        reader.post_form(f"/{SLUG}/segui", {"follow-email": "non è un indirizzo"}),
    )
    keep("not-found", "/non-esiste/", reader.get("/non-esiste/"))
    for name, path in site.mail_links.items():
        keep(f"mail-{name}", path, Browser(site.port).get(path))

    moderator = Browser(site.port)
    login = moderator.get("/moderation/login")
    keep("login", "/moderation/login", login)
    fields = {
        "csrf_token": hidden_field(login[2], "csrf_token"),
        "username": MODERATOR,
        "password": PASSWORD,
        "next": "",
    }
    status, headers, _ = moderator.post_form("/moderation/login", fields)
    if status != 303:
        raise Failure(f"the demo moderator could not log in (status {status})")
    for name, path in [
        ("queue", "/moderation/"),
        ("queue-approved", "/moderation/?status=approved"),
        ("settings", "/moderation/settings"),
        ("profile", "/moderation/profile"),
        ("privacy-tools", "/moderation/privacy?email=giulia@example.it"),
        ("edit", "/moderation/comments/1/edit"),
    ]:
        keep(name, path, moderator.get(path))
    return pages


def check_statuses(pages: list[Page]) -> list[str]:
    expected = {"article-form-errors": 422, "follow-errors": 422, "not-found": 404}
    expected["mail-invalid"] = 400
    return [
        f"{page.name} ({page.path}): status {page.status}, expected {expected.get(page.name, 200)}"
        for page in pages
        if page.status != expected.get(page.name, 200)
    ]


def run_vnu(java: str, pages: list[Page], workdir: Path) -> tuple[list[str], Counter[str]]:
    """Check every page with the Nu Html Checker; return its errors, and its warnings counted."""
    folder = workdir / "pages"
    folder.mkdir(parents=True, exist_ok=True)
    # A page with one known error: the checker must find it, or it checked nothing.
    canary = folder / "canary.html"
    canary.write_text(CANARY)
    files = {canary.name: Page("canary", "", 200, b"")}
    for page in pages:
        path = folder / f"{page.name}.html"
        path.write_bytes(page.html)
        files[path.name] = page
    result = subprocess.run(
        [java, "-jar", str(VNU_JAR), "--format", "json", "--exit-zero-always", *files],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    try:
        messages = json.loads(result.stderr or result.stdout)["messages"]
    except (ValueError, KeyError) as error:
        raise Failure(f"the Nu Html Checker answered: {result.stderr[:500]}") from error
    (workdir / "vnu.json").write_text(json.dumps(messages, indent=1, ensure_ascii=False))
    errors: list[str] = []
    warnings: Counter[str] = Counter()
    canary_seen = False
    for message in messages:
        page = files.get(message.get("url", "").rsplit("/", 1)[-1])
        where = f"{page.name} ({page.path})" if page else message.get("url", "?")
        if page is not None and page.name == "canary":
            canary_seen = True
        elif message["type"] == "error" or message.get("subType") == "fatal":
            line = message.get("lastLine", "?")
            errors.append(f"{where}, line {line}: {message['message']}")
        else:
            warnings[message.get("message", "?")] += 1
    if not canary_seen:
        raise Failure(f"the Nu Html Checker found nothing in a broken page: {result.stderr[:500]}")
    return errors, warnings


def run_lighthouse(site: DemoSite, workdir: Path) -> tuple[dict[str, dict[str, int]], list[str]]:
    """Score each page; return the scores and what kept any below 100."""
    scores: dict[str, dict[str, int]] = {}
    problems: list[str] = []
    env = {**os.environ, "CHROME_PATH": str(CHROMIUM)}
    for name, (path, skipped) in LIGHTHOUSE_PAGES.items():
        report_path = workdir / f"lighthouse-{name}.json"
        command = [
            "node",
            str(LIGHTHOUSE),
            site.url(path),
            "--quiet",
            "--output=json",
            f"--output-path={report_path}",
            f"--only-categories={','.join(CATEGORIES)}",
            f"--chrome-flags={CHROME_FLAGS}",
            "--form-factor=mobile",
        ]
        if skipped:
            command.append(f"--skip-audits={','.join(skipped)}")
        run = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=300, check=False
        )
        if run.returncode != 0 or not report_path.exists():
            problems.append(f"{name}: Lighthouse failed: {run.stderr.strip()[-800:]}")
            continue
        report = json.loads(report_path.read_text())
        if report.get("runtimeError"):
            problems.append(f"{name}: {report['runtimeError'].get('message')}")
        scores[name] = {}
        for category in CATEGORIES:
            data = report["categories"][category]
            score = round((data["score"] or 0) * 100)
            scores[name][category] = score
            if score == 100:
                continue
            for ref in data["auditRefs"]:
                audit = report["audits"][ref["id"]]
                if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
                    problems.append(f"{name} / {category}: {ref['id']}: {audit['title']}")
    return scores, problems


def check_noindex(pages: list[Page]) -> list[str]:
    """The audit Lighthouse leaves out on the login page: it must say noindex."""
    login = next(page for page in pages if page.name == "login")
    if b'<meta name="robots" content="noindex, nofollow">' not in login.html:
        return ["login: no <meta name=robots content=noindex>, the reason is-crawlable is skipped"]
    return []


def audit(workdir: Path) -> int:
    java = require_tools()
    failures: list[str] = []
    with demo_site(workdir) as site:
        pages = collect_pages(site)
        failures += check_statuses(pages)
        failures += check_noindex(pages)
        print(f"Nu Html Checker: {len(pages)} pages…", flush=True)
        vnu_errors, vnu_warnings = run_vnu(java, pages, workdir)
        failures += vnu_errors
        print(f"  {len(vnu_errors)} errors, {vnu_warnings.total()} warnings on {len(pages)} pages")
        for message, count in vnu_warnings.most_common():
            print(f"    warning ×{count}: {message}")
        print("Lighthouse (accessibility, best practices, SEO)…", flush=True)
        scores, problems = run_lighthouse(site, workdir)
        failures += problems
    for name, by_category in scores.items():
        line = ", ".join(f"{category} {score}" for category, score in by_category.items())
        print(f"  {name:8} {line}")
    if failures:
        print(f"\nmake audit FAILED ({len(failures)}):")
        for failure in failures:
            print(f"  - {failure}")
        print(f"Reports: {workdir}")
        return 1
    print("make audit: every page valid, every score 100.")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="keep the pages and reports in this folder")
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        sys.exit(audit(args.keep.resolve()))
    with tempfile.TemporaryDirectory(prefix="audit-") as workdir:
        try:
            sys.exit(audit(Path(workdir)))
        except Failure as failure:
            sys.exit(f"make audit FAILED: {failure}")


if __name__ == "__main__":
    main()
