"""The featured image: chosen in the editor among the uploads (radio buttons,
no script), removed; shown small and lazy on the index, at the top of the
article (not lazy, sized) and in its Open Graph tags. And "Aggiungi
immagine": the media page's snippets without a script, the editor's
fields for static/js/editor.js with one."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from flask import Flask

from blog.extensions import db
from blog.media.uploads import upload_image
from blog.models import Article, MediaFile, Moderator
from tests.articles.test_editor_views import ROLES, article_by, editor_fields, sign_in, stored
from tests.helpers import add_moderator, soup, text_of
from tests.media.images import png_bytes


@pytest.fixture
def staff(app: Flask) -> dict[str, int]:
    """One account per role (two authors), by username: their ids."""
    ids = {}
    with app.app_context():
        for username, role in ROLES.items():
            account = add_moderator(username, display_name=username.title())
            account.role = role
            ids[username] = account.id
        db.session.commit()
    return ids


@pytest.fixture
def image(app: Flask, staff) -> int:
    """A 1600 × 1000 upload described "Il Cassino Plant": its id."""
    with app.app_context():
        uploader = db.session.get(Moderator, staff["editor"])
        media = upload_image(
            io.BytesIO(png_bytes(1600, 1000)),
            "cassino.png",
            uploader,
            app.config,
            Path(app.config["MEDIA_DIR"]),
            alt="Il Cassino Plant",
        )
        return media.id


def choose(client, article_id: int, value: str, action: str = "publish"):
    fields = editor_fields(client, f"/admin/articles/{article_id}/edit")
    fields.update(featured_image=value, action=action)
    return client.post(f"/admin/articles/{article_id}/edit", data=fields)


def test_the_editor_offers_the_uploads_with_thumbnails(app, client, staff, image):
    article_id = article_by(app, "author", "Con foto")
    sign_in(client, "author")
    fieldset = soup(client.get(f"/admin/articles/{article_id}/edit")).find(id="featured_image")
    assert text_of(fieldset.find("legend")) == "Immagine in evidenza"
    radios = fieldset.find_all("input", type="radio")
    assert [radio["value"] for radio in radios] == ["", str(image)]
    assert radios[0].has_attr("checked")
    label = fieldset.find("label", attrs={"for": f"featured-{image}"})
    assert label.find("img")["src"].endswith("-480.webp")
    assert "Il Cassino Plant" in text_of(label)


def test_an_author_chooses_then_removes_the_featured_image(
    app,
    client,
    staff,
    image,
):
    article_id = article_by(app, "author", "Con foto")
    sign_in(client, "author")
    assert choose(client, article_id, str(image)).status_code == 303
    assert stored(app, article_id).featured_image_id == image
    page = soup(client.get(f"/admin/articles/{article_id}/edit"))
    assert page.find(id=f"featured-{image}").has_attr("checked")

    assert choose(client, article_id, "", action="update").status_code == 303
    assert stored(app, article_id).featured_image_id is None


def test_an_image_gone_meanwhile_is_said_and_nothing_is_lost(app, client, staff):
    article_id = article_by(app, "author", "Con foto")
    sign_in(client, "author")
    fields = editor_fields(client, f"/admin/articles/{article_id}/edit")
    fields.update(featured_image="999", title="Titolo nuovo", action="draft")
    response = client.post(f"/admin/articles/{article_id}/edit", data=fields)
    assert response.status_code == 422
    page = soup(response)
    assert "L’immagine in evidenza scelta non esiste più" in text_of(page.find(id="featured_image"))
    assert page.find(id="title")["value"] == "Titolo nuovo"
    assert stored(app, article_id).title == "Con foto"


def test_readers_see_it_at_the_top_on_the_index_and_in_link_previews(
    app,
    client,
    staff,
    image,
):
    article_id = article_by(app, "author", "Con foto", publish=True)
    sign_in(client, "author")
    choose(client, article_id, str(image), action="update")
    reader = app.test_client()
    slug = stored(app, article_id).slug

    page = soup(reader.get(f"/{slug}/"))
    top = page.find("article", class_="post").find(class_="featured-image").find("img")
    assert top["alt"] == "Il Cassino Plant"
    assert (top["width"], top["height"]) == ("960", "600")
    assert not top.has_attr("loading"), "the first image of the page is not lazy"
    assert "-480.png 480w" in top["srcset"]
    og = {tag["property"]: tag["content"] for tag in page.find_all("meta", property=True)}
    assert og["og:image"].startswith("http://") and og["og:image"].endswith("-1600.png")
    assert (og["og:image:width"], og["og:image:height"]) == ("1600", "1000")
    assert og["og:image:alt"] == "Il Cassino Plant"

    summary = soup(reader.get("/")).find("article", class_="post-summary")
    small = summary.find(class_="summary-image").find("img")
    assert small["loading"] == "lazy"
    assert small.has_attr("width") and small.has_attr("height")


def test_without_one_no_image_and_no_og_image(app, client, staff):
    article_id = article_by(app, "author", "Senza foto", publish=True)
    page = soup(client.get(f"/{stored(app, article_id).slug}/"))
    assert page.find(class_="featured-image") is None
    assert page.find("meta", property="og:image") is None


def test_deleting_the_image_leaves_the_article_without_one(app, client, staff, image):
    article_id = article_by(app, "author", "Con foto", publish=True)
    sign_in(client, "editor")
    choose(client, article_id, str(image), action="update")
    with app.app_context():
        db.session.execute(sa.delete(MediaFile).where(MediaFile.id == image))
        db.session.commit()
        assert db.session.get(Article, article_id).featured_image_id is None


def test_add_image_links_to_the_media_page_and_carries_the_scripts_fields(
    app,
    client,
    staff,
    image,
):
    sign_in(client, "author")
    page = soup(client.get("/admin/articles/new"))
    link = page.find(id="add-image-link")
    assert text_of(link) == "Aggiungi immagine" and link["href"] == "/admin/media/"
    fields = page.find(id="add-image-form")
    assert fields.has_attr("hidden"), "shown by the script only"
    assert fields["data-place-url"] == "/admin/media/place"
    assert "testo alternativo" in fields["data-alt-required"]
    assert all(not node.has_attr("name") for node in fields.find_all("input"))

    media = soup(client.get("/admin/media/"))
    snippet = media.find(id=f"snippet-{image}")
    figure = BeautifulSoup(snippet.get_text(), "html.parser")
    assert figure.find("img")["alt"] == "Il Cassino Plant"
    assert figure.find("img").has_attr("width")
