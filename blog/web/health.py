"""``/healthz``: is this worker able to reach its database?"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, current_app
from sqlalchemy.exc import SQLAlchemyError

from blog.extensions import db, limiter

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz() -> tuple[Response | str, int, dict[str, str]]:
    """Answer 200 when the database answers, 503 otherwise."""
    headers = {"Cache-Control": "no-store", "Content-Type": "text/plain; charset=utf-8"}
    try:
        db.session.execute(sa.text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.warning("Health check: the database does not answer")
        return "database unavailable\n", 503, headers
    return "ok\n", 200, headers
