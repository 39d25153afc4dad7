"""Images: the upload use case (checked, re-encoded, sized), their files and
how they are served, the media page, and the ``<figure>`` pages show."""

from __future__ import annotations

from flask import Flask

from blog.media import serving, views
from blog.media.figures import first_image_eager, open_graph_image, render_image


def init_app(app: Flask) -> None:
    # The featured image on the index, the article and its Open Graph tags.
    app.jinja_env.globals.update(render_image=render_image, open_graph_image=open_graph_image)
    # The staff menu's "Media" shows for can_write_articles (blog/articles/views.py).
    app.register_blueprint(views.bp)
    app.register_blueprint(serving.bp)
    app.add_template_filter(first_image_eager)
