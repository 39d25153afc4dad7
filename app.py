"""Entry point for ``flask run`` and ``gunicorn app:app``."""

from blog import create_app

app = create_app()
