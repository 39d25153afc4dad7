"""Engine settings that make SQLite safe for several workers."""

from __future__ import annotations

import sqlite3
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import Engine


def engine_options(app: Flask) -> dict[str, Any]:
    """Return the SQLAlchemy engine options for the configured database."""
    options: dict[str, Any] = {"pool_pre_ping": True}
    url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        timeout_seconds = app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000
        options["connect_args"] = {"timeout": timeout_seconds}
    return {**options, **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})}


@sa.event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers and one writer work at once.

    The busy timeout itself comes from the driver's ``timeout`` argument.
    """
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()
