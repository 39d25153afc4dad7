"""Faces without third parties: initials on a colour from a keyed hash of the email."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from blog.comments.avatars import PALETTE, avatar_svg, colour, initials
from tests.helpers import ARTICLE_URL, add_comment, soup


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Mario Rossi", "MR"),
        ("mario", "M"),
        ("Anna Maria de' Medici", "AM"),
        ("  Ève   Œuvre ", "ÈŒ"),
        ("ß straße", "ßS"),
        ("李 小龙", "李小"),
        ("42 Bruno", "4B"),
        ("🙂 🙃", "?"),
        ("", "?"),
        ("<script>", "S"),
    ],
)
def test_initials(name, expected):
    assert initials(name) == expected


def test_the_colour_is_the_persons_own_and_depends_on_the_key():
    assert colour("Maria@Example.it ", "chiave") == colour("maria@example.it", "chiave")
    assert colour("maria@example.it", "chiave") in PALETTE
    spread = {colour(f"persona{n}@example.it", "chiave") for n in range(200)}
    assert len(spread) == len(PALETTE)
    keyed = [colour(f"persona{n}@example.it", "altra chiave") for n in range(50)]
    assert keyed != [colour(f"persona{n}@example.it", "chiave") for n in range(50)]


def test_a_persons_colour_never_changes():
    """Readers know each other by these colours: the same key keeps them."""
    assert colour("maria@example.it", "chiave") == "#2e6b30"
    assert [colour(f"persona{n}@example.it", "chiave") for n in range(12)] == [
        "#8b1f4a", "#7a4b0f", "#4a5d23", "#1f5f8b", "#7a4b0f", "#385170",
        "#3f51b5", "#4a5d23", "#a0401f", "#6b3fa0", "#8b1f4a", "#8b1f4a",
    ]  # fmt: skip


def test_a_name_is_escaped_in_the_svg():
    svg = str(avatar_svg('<b>"x</b> & <i>', "x@example.it", "k"))
    assert "<b>" not in svg and "<i>" not in svg
    page = BeautifulSoup(svg, "html.parser")
    assert [tag.name for tag in page.find_all(True)] == ["svg", "circle", "text"]
    assert page.find("text").get_text() == "BI"


def test_every_comment_has_a_decorative_face_made_here(client, app):
    with app.app_context():
        first = add_comment(author="Giulia Bianchi", email="giulia@example.it").id
        second = add_comment(author="Giulia B.", email="GIULIA@example.it", comment="Ancora").id
        other = add_comment(author="Bruno", email="bruno@example.it", comment="Io").id
    page = soup(client.get(ARTICLE_URL))
    faces = {}
    for comment_id in (first, second, other):
        svg = page.find("li", id=f"comment-{comment_id}").find(class_="comment-meta").find("svg")
        assert svg["aria-hidden"] == "true"
        assert "avatar" in svg["class"]
        assert not svg.find(attrs={"href": True}) and not svg.find("image")
        faces[comment_id] = (svg.find("text").get_text(), svg.find("circle")["fill"])
    assert faces[first] == ("GB", colour("giulia@example.it", app.config["SECRET_KEY"]))
    assert faces[second][1] == faces[first][1], "one person, one colour"
    assert faces[other][0] == "B"


def test_faces_make_no_request_and_carry_no_inline_style(client, app):
    with app.app_context():
        add_comment(author="Giulia", email="giulia@example.it")
    html = client.get(ARTICLE_URL).get_data(as_text=True)
    page = soup(client.get(ARTICLE_URL))
    assert "gravatar" not in html.lower()
    for tag in page.find_all(True):
        for attribute in ("src", "href", "srcset", "xlink:href", "data"):
            value = tag.get(attribute)
            # Links to pages are not requests; the canonical link names SITE_URL.
            if (
                value
                and tag.name != "a"
                and not (tag.name == "link" and "canonical" in tag.get("rel", []))
            ):
                assert value.startswith("/") and not value.startswith("//"), (tag.name, value)
    assert not page.find_all(attrs={"style": True}), "the CSP allows no inline style"
    assert page.find("img") is None
