"""``flask backup`` and ``flask restore``: one sealed file, taken while the blog
takes comments, restored whole into an empty database, or refused whole.

Each test runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL names one
(with pg_dump and pg_restore of the server's version installed).
"""

from __future__ import annotations

import hashlib
import io
import os
import sqlite3
import stat
import tarfile
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from blog.extensions import db
from blog.media.uploads import upload_image
from blog.ops import archive
from blog.ops.backup import backups_in
from blog.ops.restore import script_directory
from tests.helpers import Commenter
from tests.media.images import photo_bytes
from tests.ops.conftest import SECRET

WRITERS = 4


def run_backup(app: Flask) -> Path:
    result = app.test_cli_runner().invoke(args=["backup"])
    assert result.exit_code == 0, result.output
    return backups_in(Path(app.config["BACKUP_DIR"]))[-1]


def restore(app: Flask, path: Path, *options: str):
    return app.test_cli_runner().invoke(args=["restore", str(path), *options])


def comment_bodies(app: Flask) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(sa.text("SELECT body FROM comment")))


def row_counts(app: Flask) -> dict[str, int]:
    with app.app_context(), db.engine.connect() as connection:
        names = sa.inspect(connection).get_table_names()
        quote = connection.dialect.identifier_preparer.quote
        return {
            name: connection.exec_driver_sql(f"SELECT count(*) FROM {quote(name)}").scalar()
            for name in names
            if not name.startswith("comment_search")  # SQLite's search index, kept by triggers
        }


def database_fingerprint(app: Flask) -> tuple:
    """What a refused restore must leave as it was: the file's bytes, or the tables."""
    url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        return ("sqlite", hashlib.sha256(Path(url.database).read_bytes()).hexdigest())
    with app.app_context(), db.engine.connect() as connection:
        return ("postgresql", tuple(sorted(sa.inspect(connection).get_table_names())))


def assert_database_is_sound(app: Flask) -> None:
    url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        with closing(sqlite3.connect(url.database)) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


class Writers:
    """Four readers posting comments through the app until told to stop."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.acknowledged: list[tuple[float, str]] = []
        self.attempted: set[str] = set()
        self.failures: list[str] = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.write, args=(n,)) for n in range(WRITERS)]

    def write(self, writer: int) -> None:
        commenter = Commenter(self.app.test_client())
        number = 0
        while not self.stop.is_set():
            number += 1
            body = f"Commento {number} dello scrittore {writer}, durante il backup."
            with self.lock:
                self.attempted.add(body)
            response = commenter.post(comment=body)
            with self.lock:
                if response.status_code == 303:
                    self.acknowledged.append((time.monotonic(), body))
                else:
                    self.failures.append(f"{response.status_code} {body}")

    def count(self) -> int:
        with self.lock:
            return len(self.acknowledged)

    def wait_for(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.count() < count:
            assert time.monotonic() < deadline, f"only {self.count()} comments acknowledged"
            time.sleep(0.01)

    def acknowledged_before(self, moment: float) -> set[str]:
        with self.lock:
            return {body for at, body in self.acknowledged if at < moment}


def test_a_backup_taken_while_comments_arrive_restores_every_acknowledged_one(make_blog):
    source = make_blog("source")
    writers = Writers(source)
    for thread in writers.threads:
        thread.start()
    try:
        writers.wait_for(12)
        started = time.monotonic()
        path = run_backup(source)
        finished = writers.count()
        writers.wait_for(finished + 8)  # the blog went on taking comments
    finally:
        writers.stop.set()
        for thread in writers.threads:
            thread.join()
    assert writers.failures == []
    before = writers.acknowledged_before(started)
    assert len(before) >= 12

    target = make_blog("target", migrated=False)
    result = restore(target, path)
    assert result.exit_code == 0, result.output
    assert "Ripristinato il backup del" in result.output

    restored = comment_bodies(target)
    assert before <= restored, "a comment acknowledged before the backup is missing"
    assert restored <= writers.attempted, "the restore holds a comment nobody posted"
    assert_database_is_sound(target)
    counts, source_counts = row_counts(target), row_counts(source)
    assert counts["comment"] == len(restored)
    assert counts.pop("comment") < source_counts.pop("comment")
    assert counts == source_counts  # every other table whole
    # The restored blog serves its comments.
    with target.app_context():
        assert db.session.scalar(sa.text("SELECT count(*) FROM article")) >= 1


def test_the_backup_file_is_private_and_holds_a_manifest_with_checksums(make_blog):
    source = make_blog("source")
    path = run_backup(source)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    with archive.open_backup(path, archive.seal_key(SECRET)) as backup:
        manifest = backup.manifest
        names = backup.tar.getnames()
    assert names[0] == "manifest.json" and names[-1] == "seal.json"
    with source.app_context():
        assert manifest["schema_version"] == script_directory().get_current_head()
    url = sa.make_url(source.config["SQLALCHEMY_DATABASE_URI"])
    assert manifest["dialect"] == url.get_backend_name()
    (part,) = manifest["parts"]
    assert part["name"].startswith("database.") and len(part["sha256"]) == 64
    assert sorted(path.parent.iterdir()) == [path], "no staging or partial file left"


@pytest.fixture
def backup_and_target(make_blog):
    """A backup of a blog with a comment, and an empty blog to restore it into."""
    source = make_blog("source")
    Commenter(source.test_client()).post(comment="Un commento da salvare.")
    return run_backup(source), make_blog("target", migrated=False)


def damaged_copies(path: Path, folder: Path) -> dict[str, Path]:
    """The backup truncated in several places, and with one byte changed in every region."""
    data = path.read_bytes()
    with tarfile.open(path) as tar:
        members = {info.name: info for info in tar.getmembers()}
    database = next(info for name, info in members.items() if name.startswith("database."))
    seal = members["seal.json"]
    places = {
        "truncated to half": len(data) // 2,
        "truncated by one byte": len(data) - 1,
        "truncated by a record": len(data) - tarfile.RECORDSIZE,
        "truncated after the seal": seal.offset_data + 512,
    }
    copies = {}
    for name, length in places.items():
        copies[name] = folder / f"{name}.tar"
        copies[name].write_bytes(data[:length])
    flips = {
        "a byte of the first header": 20,
        "a byte of the manifest": members["manifest.json"].offset_data + 5,
        "a byte of the database": database.offset_data + database.size // 2,
        "a byte of tar's padding": members["manifest.json"].offset_data
        + members["manifest.json"].size
        + 3,
        "a byte of the seal's header": seal.offset + 1,
        "a byte of the seal": seal.offset_data + 30,
        "a byte of the seal's padding": seal.offset_data + 400,
        "a byte of the end": len(data) - 100,
    }
    for name, offset in flips.items():
        changed = bytearray(data)
        changed[offset] ^= 0x20
        copies[name] = folder / f"{name}.tar"
        copies[name].write_bytes(bytes(changed))
    return copies


def test_a_truncated_or_altered_backup_is_refused_and_nothing_is_written(
    backup_and_target, tmp_path
):
    path, target = backup_and_target
    untouched = database_fingerprint(target)
    for name, copy in damaged_copies(path, tmp_path).items():
        result = restore(target, copy)
        assert result.exit_code == 1, (name, result.output)
        assert "Errore:" in result.output and "non è stato ripristinato nulla" in result.output, (
            name,
            result.output,
        )
        assert "Traceback" not in result.output
        assert database_fingerprint(target) == untouched, name
    # The file itself was good all along.
    assert restore(target, path).exit_code == 0
    assert comment_bodies(target) == {"Un commento da salvare."}


def test_a_backup_sealed_with_another_key_needs_any_key(backup_and_target, make_blog):
    path, _target = backup_and_target
    elsewhere = make_blog("elsewhere", migrated=False, SECRET_KEY="another blog's secret key, long")
    untouched = database_fingerprint(elsewhere)
    result = restore(elsewhere, path)
    assert result.exit_code == 1
    assert "--any-key" in result.output and "chiave segreta" in result.output
    assert database_fingerprint(elsewhere) == untouched
    result = restore(elsewhere, path, "--any-key")
    assert result.exit_code == 0, result.output
    assert comment_bodies(elsewhere) == {"Un commento da salvare."}


def test_a_database_that_is_not_empty_is_refused_unless_forced(backup_and_target, make_blog):
    path, _target = backup_and_target
    occupied = make_blog("occupied")
    Commenter(occupied.test_client()).post(comment="Un commento che c'era già.")
    result = restore(occupied, path)
    assert result.exit_code == 1
    assert "non è vuoto" in result.output and "--force" in result.output
    assert comment_bodies(occupied) == {"Un commento che c'era già."}
    result = restore(occupied, path, "--force")
    assert result.exit_code == 0, result.output
    assert comment_bodies(occupied) == {"Un commento da salvare."}


def test_a_backup_from_an_older_schema_is_upgraded(make_blog):
    source = make_blog("source", migrated=False)
    with source.app_context():
        head = script_directory().get_current_head()
        older = script_directory().get_revision(head).down_revision
        upgrade(revision=older)
        with db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO article (slug, title, standfirst, body_html, published_at, "
                    "comments_open, approved_comment_count, comment_version) VALUES "
                    "('vecchio', 'Un articolo di prima', '', '<p>Testo.</p>', "
                    "'2024-03-01 09:30:00', true, 0, 0)"
                )
            )
    path = run_backup(source)
    with archive.open_backup(path, archive.seal_key(SECRET)) as backup:
        assert backup.manifest["schema_version"] == older

    target = make_blog("target", migrated=False)
    result = restore(target, path)
    assert result.exit_code == 0, result.output
    assert f"Schema aggiornato da {older} a {head}." in result.output
    with target.app_context():
        assert db.session.scalar(sa.text("SELECT version_num FROM alembic_version")) == head
        assert db.session.scalar(sa.text("SELECT title FROM article")) == "Un articolo di prima"


def test_a_backup_from_newer_code_is_refused_before_anything_is_written(make_blog, tmp_path):
    source = make_blog("source")
    with archive.open_backup(run_backup(source), archive.seal_key(SECRET)) as backup:
        manifest = {key: backup.manifest[key] for key in ("created", "created_at", "dialect")}
        name = backup.part_names()[0]
        backup.extract(name, tmp_path / name)
    forged = tmp_path / "newer.tar"
    manifest["schema_version"] = "ffffffffffff"
    archive.write_archive(
        forged, manifest, [archive.Part(name, tmp_path / name)], archive.seal_key(SECRET)
    )
    target = make_blog("target", migrated=False)
    untouched = database_fingerprint(target)
    result = restore(target, forged)
    assert result.exit_code == 1
    assert "versione più recente" in result.output and "ffffffffffff" in result.output
    assert database_fingerprint(target) == untouched


def test_pruning_keeps_the_newest_backup_keep(make_blog):
    source = make_blog("source", BACKUP_KEEP=2)
    written = [run_backup(source) for _ in range(4)]
    assert backups_in(Path(source.config["BACKUP_DIR"])) == written[-2:]
    result = source.test_cli_runner().invoke(args=["backup"])
    assert f"Backup vecchio eliminato: {written[-2]}" in result.output
    # A file of someone else's in the folder is never pruned.
    other = Path(source.config["BACKUP_DIR"]) / "note.txt"
    other.write_text("mio")
    run_backup(source)
    assert other.exists()


def test_uploaded_images_are_backed_up_and_restored(make_blog, tmp_path):
    media = tmp_path / "media-source"
    source = make_blog("source", MEDIA_DIR=str(media))
    with source.app_context():
        image = upload_image(
            io.BytesIO(photo_bytes()), "foto.jpg", None, source.config, media, alt="Una foto"
        )
        stored = {name: (media / name).read_bytes() for name in image.file_names()}
    (media / "note.txt").write_text("ciao")
    os.symlink("/etc/passwd", media / "link")
    path = run_backup(source)

    restored = tmp_path / "media-target"
    target = make_blog("target", migrated=False, MEDIA_DIR=str(restored))
    result = restore(target, path)
    assert result.exit_code == 0, result.output
    assert {name: (restored / name).read_bytes() for name in stored} == stored
    assert (restored / "note.txt").read_text() == "ciao"
    assert not (restored / "link").exists() and not (restored / "link").is_symlink()
    # The restored blog serves the restored image.
    with target.app_context():
        alt = db.session.scalar(sa.text("SELECT alt FROM media_file"))
    assert alt == "Una foto"
    name = next(iter(stored))
    response = target.test_client().get(f"/media/{name}")
    assert response.status_code == 200 and response.data == stored[name]


def test_backup_says_when_pg_dump_is_missing(make_blog, monkeypatch):
    source = make_blog("source")
    if source.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite needs no pg_dump")
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr("blog.ops.databases.DEBIAN_BIN", "/nonexistent/{major}")
    result = source.test_cli_runner().invoke(args=["backup"])
    assert result.exit_code == 1
    assert "pg_dump" in result.output and "POSTGRES_BIN_DIR" in result.output
