"""``make audit``: Lighthouse and the Nu Html Checker on the running blog.

Serves the demo blog (tools/demo_site.py) with gunicorn on 127.0.0.1, once
for each language the blog speaks (``SITE_LANGUAGE``: the default, Italian,
first; ``--language`` picks), then

1. fetches every page kind as a reader, a moderator and a mail's recipient
   would get it (the index, an article, an article with images, search
   results, the article with form errors, the
   privacy note, "Segui la discussione", the login, the queue, settings,
   profile, the privacy tools, the edit page, each mail-link page, a 404),
   checks that each says its language in ``<html lang>``, and checks them
   all, every language at once, with the Nu Html Checker (npm ``vnu-jar``,
   run by the system's Java): any error fails;
2. runs Lighthouse (npm ``lighthouse``, with Debian's chromium headless) on
   the index, the article, the article with images, the search results and
   the login in each language, every run in one process and one browser
   (tools/lighthouse.mjs): performance must score at least 95, accessibility,
   best practices and SEO 100 each;
3. runs axe-core (npm ``axe-core``, as the browser tests do) in chromium on
   the index, both articles and the search results, at 390 and 1280 px, in
   the light and the dark scheme: no serious or critical violation.

The login page says ``noindex`` on purpose (blog/reader/seo.py), which is what
Lighthouse's "is-crawlable" audit marks down; that one audit is left out
for that page, and the script checks instead that the page does say it.

Prints a report and exits 1 when anything fails.

    python tools/audit.py [--keep DIR] [--language it ...]   # DIR keeps the pages and reports
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
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

from blog.core.i18n import available_languages, language_tag  # noqa: E402
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.support.live_server import Browser  # noqa: E402
from tools.demo_site import (  # noqa: E402
    ARTICLE_URL,
    DEFAULT_LANGUAGE,
    IMAGES_URL,
    MODERATOR,
    PASSWORD,
    SEARCH_URL,
    SLUG,
    DemoSite,
    DemoSites,
)

NODE_MODULES = PROJECT / "node_modules"
LIGHTHOUSE = NODE_MODULES / "lighthouse" / "core" / "index.js"
LIGHTHOUSE_RUNNER = PROJECT / "tools" / "lighthouse.mjs"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
#: The readers' pages axe checks, at each width and in each scheme.
AXE_PAGES = {
    "index": "/",
    "article": ARTICLE_URL,
    "images": IMAGES_URL,
    "search": SEARCH_URL,
}
AXE_WIDTHS = (390, 1280)
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
#: Each Lighthouse category and the least score it must reach. Performance is
#: measured on a simulated slow phone, whose figures move by a point or two
#: between runs: 95 leaves room for that, the other three never move.
CATEGORIES = {"performance": 95, "accessibility": 100, "best-practices": 100, "seo": 100}
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --no-first-run --disable-sync"
#: Pages Lighthouse scores, and the audits each leaves out (with the reason above).
LIGHTHOUSE_PAGES = {
    "index": ("/", ()),
    "article": (ARTICLE_URL, ()),
    "images": (IMAGES_URL, ()),
    "search": (SEARCH_URL, ()),
    "login": ("/moderation/login", ("is-crawlable",)),
}
CANARY = '<!doctype html><html lang="it"><head><title>x</title></head><body><p><div></p>'


@dataclass
class Page:
    language: str
    name: str
    path: str
    status: int
    html: bytes

    @property
    def file_name(self) -> str:
        return f"{self.language}-{self.name}.html"

    def __str__(self) -> str:
        return f"[{self.language}] {self.name} ({self.path})"


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
    if not AXE.exists():
        missing.append(f"{AXE.relative_to(PROJECT)} (npm ci)")
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
        pages.append(Page(site.language, name, path, status, html))

    reader = Browser(site.port)
    keep("index", "/", reader.get("/"))
    keep("article", ARTICLE_URL, reader.get(ARTICLE_URL))
    keep("images", IMAGES_URL, reader.get(IMAGES_URL))
    keep("search", SEARCH_URL, reader.get(SEARCH_URL))
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
        f"{page}: status {page.status}, expected {expected.get(page.name, 200)}"
        for page in pages
        if page.status != expected.get(page.name, 200)
    ]


def check_languages(pages: list[Page]) -> list[str]:
    """Each page says, in ``<html lang>``, the language its site was asked to speak."""
    wrong = []
    for page in pages:
        found = re.search(rb"<html[^>]* lang=\"([^\"]*)\"", page.html)
        said = found.group(1).decode() if found else None
        if said != language_tag(page.language):
            wrong.append(f"{page}: <html lang> is {said!r}, expected {page.language!r}")
    return wrong


def run_vnu(
    java: str, pages: list[Page], workdir: Path
) -> tuple[list[str], Counter[tuple[str, str]]]:
    """Check every page with the Nu Html Checker; return its errors, and its warnings
    counted by language."""
    folder = workdir / "pages"
    folder.mkdir(parents=True, exist_ok=True)
    # A page with one known error: the checker must find it, or it checked nothing.
    canary = folder / "canary.html"
    canary.write_text(CANARY)
    files = {canary.name: Page("", "canary", "", 200, b"")}
    for page in pages:
        (folder / page.file_name).write_bytes(page.html)
        files[page.file_name] = page
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
    warnings: Counter[tuple[str, str]] = Counter()
    canary_seen = False
    for message in messages:
        checked = files.get(message.get("url", "").rsplit("/", 1)[-1])
        where = str(checked) if checked else message.get("url", "?")
        if checked is not None and checked.name == "canary":
            canary_seen = True
        elif message["type"] == "error" or message.get("subType") == "fatal":
            line = message.get("lastLine", "?")
            errors.append(f"{where}, line {line}: {message['message']}")
        else:
            language = checked.language if checked else "?"
            warnings[language, message.get("message", "?")] += 1
    if not canary_seen:
        raise Failure(f"the Nu Html Checker found nothing in a broken page: {result.stderr[:500]}")
    return errors, warnings


def run_lighthouse(
    sites: Sequence[DemoSite], workdir: Path
) -> tuple[dict[tuple[str, str], dict[str, int]], list[str]]:
    """Score each page of each site; return the scores and what kept any below its least."""
    reports = {
        (site.language, name): workdir / f"lighthouse-{site.language}-{name}.json"
        for site in sites
        for name in LIGHTHOUSE_PAGES
    }
    for stale in reports.values():  # from an earlier run kept in the same folder
        stale.unlink(missing_ok=True)
    jobs = [
        {
            "url": site.url(path),
            "output": str(reports[site.language, name]),
            "skipAudits": list(skipped),
        }
        for site in sites
        for name, (path, skipped) in LIGHTHOUSE_PAGES.items()
    ]
    plan = workdir / "lighthouse-jobs.json"
    plan.write_text(
        json.dumps(
            {
                "chromeFlags": CHROME_FLAGS.split(),
                "categories": list(CATEGORIES),
                "jobs": jobs,
            },
            indent=1,
        )
    )
    run = subprocess.run(
        ["node", str(LIGHTHOUSE_RUNNER), str(plan)],
        env={**os.environ, "CHROME_PATH": str(CHROMIUM)},
        capture_output=True,
        text=True,
        timeout=120 * len(jobs),
        check=False,
    )
    scores: dict[tuple[str, str], dict[str, int]] = {}
    problems: list[str] = []
    for (language, name), report_path in reports.items():
        where = f"[{language}] {name}"
        if not report_path.exists():
            problems.append(f"{where}: Lighthouse failed: {run.stderr.strip()[-800:]}")
            continue
        scores[language, name], found = read_lighthouse_report(report_path)
        problems += [f"{where} / {problem}" for problem in found]
    return scores, problems


def read_lighthouse_report(path: Path) -> tuple[dict[str, int], list[str]]:
    """A report's score in each category, and the audits that kept any below its least."""
    report = json.loads(path.read_text())
    problems = []
    if report.get("runtimeError"):
        problems.append(str(report["runtimeError"].get("message")))
    scores = {}
    for category, least in CATEGORIES.items():
        data = report["categories"][category]
        score = round((data["score"] or 0) * 100)
        scores[category] = score
        if score >= least:
            continue
        problems.append(f"{category} {score}, below {least}")
        for ref in data["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
                shown = audit.get("displayValue")
                problems.append(
                    f"{category}: {ref['id']}: {audit['title']}" + (f" ({shown})" if shown else "")
                )
    return scores, problems


def run_axe(sites: Sequence[DemoSite]) -> tuple[int, list[str]]:
    """axe-core on the readers' pages at each width, light and dark; return how
    many runs were made and each serious or critical violation."""
    from playwright.sync_api import sync_playwright

    runs, problems = 0, []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for site in sites:
                for width in AXE_WIDTHS:
                    for scheme in ("light", "dark"):
                        # axe goes in as a script tag, which the pages' CSP rightly forbids.
                        context = browser.new_context(
                            base_url=site.base,
                            viewport={"width": width, "height": 900},
                            color_scheme=scheme,
                            bypass_csp=True,
                        )
                        page = context.new_page()
                        for name, path in AXE_PAGES.items():
                            page.goto(path)
                            page.add_script_tag(path=str(AXE))
                            result = page.evaluate("async () => await axe.run(document)")
                            runs += 1
                            if len(result["passes"]) < 10:
                                problems.append(f"[{site.language}] {name}: axe ran no rules")
                            problems += [
                                f"[{site.language}] {name} at {width} px, {scheme}: axe "
                                f"{violation['impact']}: {violation['id']}: {violation['help']} "
                                f"{[node['target'] for node in violation['nodes']][:3]}"
                                for violation in result["violations"]
                                if violation["impact"] in ("serious", "critical")
                            ]
                        context.close()
        finally:
            browser.close()
    return runs, problems


def check_noindex(pages: list[Page]) -> list[str]:
    """The audit Lighthouse leaves out on the login page: it must say noindex."""
    return [
        f"{page}: no <meta name=robots content=noindex>, the reason is-crawlable is skipped"
        for page in pages
        if page.name == "login"
        and b'<meta name="robots" content="noindex, nofollow">' not in page.html
    ]


def check_html(java: str, pages: list[Page], workdir: Path) -> list[str]:
    """The Nu Html Checker on every page, with its findings printed; return its errors."""
    print(f"Nu Html Checker: {len(pages)} pages…", flush=True)
    errors, warnings = run_vnu(java, pages, workdir)
    for language in dict.fromkeys(page.language for page in pages):
        checked = sum(page.language == language for page in pages)
        failed = sum(error.startswith(f"[{language}]") for error in errors)
        warned = sum(count for (code, _), count in warnings.items() if code == language)
        print(f"  {language}: {failed} errors, {warned} warnings on {checked} pages")
    for (language, message), count in sorted(warnings.items(), key=lambda item: -item[1]):
        print(f"    {language} warning ×{count}: {message}")
    return errors


def audit(workdir: Path, languages: Sequence[str]) -> int:
    """Check the demo blog in each language; print the report, return the exit status."""
    java = require_tools()
    started = time.monotonic()
    failures: list[str] = []
    with DemoSites(workdir) as demo:
        sites = [demo.site(language) for language in languages]
        pages = [page for site in sites for page in collect_pages(site)]
        failures += check_statuses(pages) + check_languages(pages) + check_noindex(pages)
        failures += check_html(java, pages, workdir)
        print("Lighthouse (performance, accessibility, best practices, SEO)…", flush=True)
        scores, problems = run_lighthouse(sites, workdir)
        failures += problems
        print("axe-core (390 and 1280 px, light and dark)…", flush=True)
        runs, violations = run_axe(sites)
        print(f"  {runs} pages checked, {len(violations)} serious or critical violations")
        failures += violations
    for (language, name), by_category in scores.items():
        line = ", ".join(f"{category} {score}" for category, score in by_category.items())
        print(f"  {language:3}{name:8} {line}")
    seconds = round(time.monotonic() - started)
    if failures:
        print(f"\nmake audit FAILED ({len(failures)}), in {seconds} s:")
        for failure in failures:
            print(f"  - {failure}")
        print(f"Reports: {workdir}")
        return 1
    print(
        f"make audit ({', '.join(languages)}): every page valid, every score reached, "
        f"in {seconds} s."
    )
    return 0


def every_language() -> list[str]:
    """The languages the blog speaks, its default first."""
    return sorted(available_languages(), key=lambda code: code != DEFAULT_LANGUAGE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="keep the pages and reports in this folder")
    parser.add_argument(
        "--language",
        action="append",
        choices=available_languages(),
        help="a language to serve the blog in (SITE_LANGUAGE; repeat it for several); "
        "every language the blog speaks by default",
    )
    args = parser.parse_args()
    languages = args.language or every_language()
    with tempfile.TemporaryDirectory(prefix="audit-") as temporary:
        workdir = args.keep.resolve() if args.keep else Path(temporary)
        workdir.mkdir(parents=True, exist_ok=True)
        try:
            sys.exit(audit(workdir, languages))
        except Failure as failure:
            sys.exit(f"make audit FAILED: {failure}")


if __name__ == "__main__":
    main()
