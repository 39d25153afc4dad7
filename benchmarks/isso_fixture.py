"""Write ``tests/fixtures/isso.db``: a database Isso 0.14 itself wrote.

    python benchmarks/isso_fixture.py

Installs Isso 0.14 in the benchmarks' temporary venv (as ``make bench``
does), runs its own server on 127.0.0.1, and posts comments through its own
HTTP API, as its JavaScript client would: threaded replies (Isso itself
files a reply to a reply under the top-level comment), Markdown, HTML it
keeps for its sanitizer, a name with ``&`` and ``<`` (which Isso stores
escaped), a site, a comment deleted while it had a reply (mode 4), a page
with no article here, and, with moderation switched on, comments waiting
for it (mode 2). ``tests/porting/test_import_isso.py`` imports the result.

A real Isso in every test run would need its install (a C extension among
its dependencies) on every machine: the small database it writes is
committed instead, and this script makes it again.
"""

from __future__ import annotations

import http.client
import json
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from benchmarks.run import WORK, free_port, isso_venv  # noqa: E402

TARGET = PROJECT / "tests" / "fixtures" / "isso.db"
#: The seed article's address, and one no article here has.
ARTICLE = "/jean-philippe-imparato-ha-visitato-il-cassino-plant-e-pomigliano-darco/"
ELSEWHERE = "/una-pagina-che-non-esiste-qui/"


@contextmanager
def isso_server(database: Path, moderated: bool) -> Iterator[int]:
    """Isso's own server on 127.0.0.1, writing ``database``."""
    port = free_port()
    config = WORK / "isso-fixture.cfg"
    config.write_text(
        "[general]\n"
        f"dbpath = {database}\n"
        "host = http://127.0.0.1/\n"
        f"[moderation]\nenabled = {'true' if moderated else 'false'}\n"
        "[guard]\nenabled = false\n"
        f"[server]\nlisten = http://127.0.0.1:{port}/\n"
    )
    process = subprocess.Popen(
        [str(isso_venv() / "bin" / "isso"), "-c", str(config), "run"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/info")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise TimeoutError("Isso did not start")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


class Client:
    """Isso's HTTP API, as its JavaScript client calls it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[int, str] = {}

    def request(self, method: str, path: str, body: dict | None = None, cookie: str = "") -> dict:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Content-Type": "application/json"}
        if cookie:
            headers["Cookie"] = cookie
        connection.request(method, path, json.dumps(body) if body else None, headers)
        response = connection.getresponse()
        data = response.read()
        if response.status not in (200, 201, 202):
            raise RuntimeError(f"{method} {path}: {response.status} {data[:200]!r}")
        reply = json.loads(data)
        if method == "POST":
            # The cookie that lets the author edit or delete it for a while.
            self.cookies[reply["id"]] = response.getheader("Set-Cookie").split(";")[0]
        return reply

    def post(self, uri: str, text: str, author: str, parent: int | None = None, **more) -> int:
        body = {"text": text, "author": author, "title": "Articolo", "parent": parent, **more}
        return self.request("POST", f"/new?uri={quote(uri, safe='')}", body)["id"]

    def delete(self, comment_id: int) -> None:
        self.request("DELETE", f"/id/{comment_id}", cookie=self.cookies[comment_id])


def main() -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    database = WORK / "isso-fixture.db"
    database.unlink(missing_ok=True)
    with isso_server(database, moderated=False) as port:
        isso = Client(port)
        first = isso.post(
            ARTICLE,
            "Primo commento, con **grassetto**, *corsivo* e un "
            "[link](https://example.it/pagina).\n\nUn secondo paragrafo.",
            "Giulia",
            email="giulia@example.it",
            website="https://giulia.example.it",
        )
        reply = isso.post(ARTICLE, "Rispondo a Giulia.", "Marco", parent=first)
        isso.post(ARTICLE, "E io rispondo a Marco.", "Tom & Jerry <tj>", parent=reply)
        isso.post(
            ARTICLE,
            "<script>alert(1)</script>Testo con [un link](javascript:alert(1)) "
            '<img src=x onerror="alert(2)"> e `codice`.',
            "Ospite",
        )
        doomed = isso.post(ARTICLE, "Questo verrà cancellato.", "Pentito")
        isso.post(ARTICLE, "Rispondo a un commento poi cancellato.", "Testimone", parent=doomed)
        isso.delete(doomed)  # it has a reply: Isso keeps it as mode 4
        isso.post(ELSEWHERE, "Su una pagina che qui non c'è.", "Altrove")
    with isso_server(database, moderated=True) as port:
        isso = Client(port)
        isso.post(ARTICLE, "In attesa di moderazione.", "Nuovo")
        isso.post(ARTICLE, "Una risposta in attesa.", "Nuova", parent=first)
    with sqlite3.connect(database) as connection:
        connection.execute("VACUUM")
    shutil.copyfile(database, TARGET)
    print(f"wrote {TARGET.relative_to(PROJECT)}")


if __name__ == "__main__":
    main()
