"""The media page and the editor's JSON: who may upload and delete, and the
``<figure>`` an image is placed with (its alternative text required)."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from blog.extensions import db
from blog.models import Article, MediaFile, Role
from tests.helpers import ARTICLE_URL, soup, text_of
from tests.media.conftest import page_token, sign_in, upload
from tests.media.images import photo_bytes, png_bytes


def images_in_db(app) -> list[MediaFile]:
    with app.app_context():
        return list(db.session.scalars(sa.select(MediaFile).order_by(MediaFile.id)))


def place(client, data: bytes | None, token: str, **fields: str):
    form = {"csrf_token": token, **fields}
    if data is not None:
        form["file"] = (io.BytesIO(data), "foto.jpg")
    return client.post("/admin/media/place", data=form, content_type="multipart/form-data")


def test_strangers_are_sent_to_log_in_and_moderators_are_refused(app, client):
    response = client.get("/admin/media/")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/moderation/login")
    moderator = sign_in(app, "mod", Role.MODERATOR)
    assert moderator.get("/admin/media/").status_code == 403
    token = soup(moderator.get("/moderation/")).find("input", attrs={"name": "csrf_token"})
    response = moderator.post(
        "/admin/media/",
        data={"csrf_token": token["value"], "file": (io.BytesIO(png_bytes(40, 30)), "a.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    assert images_in_db(app) == []


def test_an_upload_without_its_token_is_refused(app, author):
    response = author.post(
        "/admin/media/",
        data={"file": (io.BytesIO(png_bytes(40, 30)), "a.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert images_in_db(app) == []


def test_the_page_lists_thumbnails_with_their_sizes(app, author):
    upload(author, photo_bytes(2000, 1500), "stelvio.jpg", alt="Il passo dello Stelvio")
    page = soup(author.get("/admin/media/"))
    item = page.find("li", class_="media-item")
    thumbnail = item.find("img")
    assert (thumbnail["width"], thumbnail["height"]) == ("480", "360")
    assert thumbnail["alt"] == "Il passo dello Stelvio"
    assert thumbnail["src"].startswith("/media/") and thumbnail["src"].endswith("-480.webp")
    assert "stelvio.jpg" in text_of(item) and "1600 × 1200 pixel" in text_of(item)
    assert page.find("a", href="/admin/media/") is not None  # in the staff menu


@pytest.mark.parametrize(
    ("deleter", "own", "allowed"),
    [("author", True, True), ("author", False, False), ("editor", False, True)],
)
def test_an_author_deletes_their_own_images_an_editor_any(
    app, author, editor, media_dir, deleter, own, allowed
):
    uploader = author if own or deleter == "editor" else sign_in(app, "altra", Role.AUTHOR)
    upload(uploader, png_bytes(600, 400), "foto.png")
    media = images_in_db(app)[0]
    names = media.file_names()
    client = author if deleter == "author" else editor
    page = soup(client.get("/admin/media/"))
    assert (page.find("form", action=f"/admin/media/{media.id}/delete") is not None) is allowed
    response = client.post(
        f"/admin/media/{media.id}/delete", data={"csrf_token": page_token(client)}
    )
    if allowed:
        assert response.status_code == 303
        assert "Immagine eliminata: foto.png" in text_of(soup(client.get("/admin/media/")))
        assert images_in_db(app) == []
        assert not any((media_dir / name).exists() for name in names)
    else:
        assert response.status_code == 403
        assert len(images_in_db(app)) == 1
        assert all((media_dir / name).exists() for name in names)


def test_deleting_a_featured_image_leaves_the_article_without_one(app, editor):
    upload(editor, png_bytes(600, 400), "copertina.png")
    media = images_in_db(app)[0]
    with app.app_context():
        article = db.session.scalars(sa.select(Article)).first()
        article.featured_image_id = media.id
        db.session.commit()
        article_id, version = article.id, article.comment_version
    editor.post(f"/admin/media/{media.id}/delete", data={"csrf_token": page_token(editor)})
    with app.app_context():
        article = db.session.get(Article, article_id)
        assert article.featured_image_id is None
        assert article.comment_version > version
    assert editor.get(ARTICLE_URL).status_code == 200


def test_placing_an_image_without_alternative_text_is_refused_in_italian(app, author):
    token = page_token(author)
    response = place(author, photo_bytes(), token, alt="  ", caption="Una didascalia")
    assert response.status_code == 422
    assert response.json["errors"]["alt"] == [
        "Descrivi l'immagine nel testo alternativo: "
        "chi non può vederla ascolta questo al suo posto."
    ]
    assert response.json["error"].startswith("Descrivi l'immagine")
    assert images_in_db(app) == []


def test_placing_an_image_gives_its_figure(app, author):
    token = page_token(author)
    response = place(author, photo_bytes(2000, 1500), token, alt="Il passo", caption="In cima")
    assert response.status_code == 201
    media = images_in_db(app)[0]
    assert response.json["id"] == media.id and media.alt == "Il passo"
    figure = soup_of(response.json["html"])
    img = figure.find("img")
    assert img["alt"] == "Il passo" and img["loading"] == "lazy"
    assert (img["width"], img["height"]) == ("960", "720")
    assert img["src"] == f"/media/{media.stem}-960.jpg"
    assert img["srcset"].split(", ") == [
        f"/media/{media.stem}-{width}.jpg {width}w" for width in (480, 960, 1600)
    ]
    assert img["sizes"]
    source = figure.find("source")
    assert source["type"] == "image/webp"
    assert source["srcset"].endswith(f"/media/{media.stem}-1600.webp 1600w")
    assert text_of(figure.find("figcaption")) == "In cima"


def test_an_uploaded_image_is_placed_again_with_new_words(app, author):
    upload(author, png_bytes(600, 400), "foto.png")
    media = images_in_db(app)[0]
    response = author.get(f"/admin/media/{media.id}/figure?alt=Un+logo&caption=")
    assert response.status_code == 200
    figure = soup_of(response.json["html"])
    assert figure.find("img")["alt"] == "Un logo" and figure.find("figcaption") is None
    refused = author.get(f"/admin/media/{media.id}/figure?alt=")
    assert refused.status_code == 422 and "Descrivi" in refused.json["error"]


def test_a_refused_placement_says_why_in_json(app, author, media_dir):
    response = place(
        author, b"<svg xmlns='http://www.w3.org/2000/svg'/>", page_token(author), alt="x"
    )
    assert response.status_code == 422
    assert response.json["errors"]["file"][0].startswith("Questo file non è un'immagine")
    app.config["MEDIA_MAX_BYTES"] = 1000
    response = place(author, bytes(100_000), page_token(author), alt="x")
    assert response.status_code == 413
    assert response.json["error"] == "Il file è troppo grande: al massimo 0 MB."
    assert images_in_db(app) == []


def soup_of(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def test_the_editors_script_may_send_its_token_as_a_header(app, author):
    token = page_token(author)
    response = author.post(
        "/admin/media/place",
        data={"file": (io.BytesIO(png_bytes(600, 400)), "foto.png"), "alt": "Un logo"},
        content_type="multipart/form-data",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 201 and len(images_in_db(app)) == 1
    refused = author.post(
        "/admin/media/place",
        data={"file": (io.BytesIO(png_bytes(600, 400)), "foto.png"), "alt": "Un logo"},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400 and len(images_in_db(app)) == 1
