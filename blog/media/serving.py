"""``GET /media/<name>``: the image files, as nginx serves them in production.

In development (and wherever no web server stands in front) Flask answers
with the same headers nginx's location in ``deploy/nginx/`` sends: a name
never changes content, so a year's ``immutable`` cache; and a policy that
lets nothing in the file run, should a browser ever read it as a page.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, send_from_directory
from flask.typing import ResponseReturnValue

from blog.media.storage import FILE_NAME, media_folder

bp = Blueprint("media_files", __name__)

CACHE_CONTROL = "public, max-age=31536000, immutable"
#: Nothing in an image file may run, load, or be framed as a page.
FILE_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
CONTENT_TYPES = {"webp": "image/webp", "jpg": "image/jpeg", "png": "image/png"}


@bp.get("/media/<name>")
def file(name: str) -> ResponseReturnValue:
    """Serve one stored image file; any other name is a 404."""
    match = FILE_NAME.fullmatch(name)
    if match is None:
        abort(404)
    folder = media_folder(current_app.config, current_app.instance_path)
    response = send_from_directory(
        folder, name, mimetype=CONTENT_TYPES[match.group(3)], max_age=31536000, etag=True
    )
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["Content-Security-Policy"] = FILE_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
