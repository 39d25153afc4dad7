"""``render_image``: the figure pages show, and the article sanitizer keeps it as it is."""

from __future__ import annotations

from bs4 import BeautifulSoup

from blog.comments.sanitize import article_to_html
from blog.media.figures import open_graph_image, render_image
from blog.models import MediaFile

STEM = "Ab3_-Ab3_-Ab3_-Ab3_-Ab"


def media(*widths: int) -> MediaFile:
    sizes = [{"width": width, "height": width * 2 // 3} for width in widths]
    return MediaFile(
        stem=STEM, fallback="jpeg", mime="image/jpeg", sizes=sizes,
        width=sizes[-1]["width"], height=sizes[-1]["height"],
    )  # fmt: skip


def img_of(html: str):
    return BeautifulSoup(html, "html.parser").find("img")


def test_the_figure_names_every_size_and_its_dimensions():
    html = str(render_image(media(480, 960, 1600), "Un'auto rossa", "Foto di Anna"))
    img = img_of(html)
    assert img["src"] == f"/media/{STEM}-960.jpg"
    assert (img["width"], img["height"]) == ("960", "640")
    assert img["srcset"] == ", ".join(
        f"/media/{STEM}-{width}.jpg {width}w" for width in (480, 960, 1600)
    )
    assert img["loading"] == "lazy" and img["decoding"] == "async"
    assert "<figcaption>Foto di Anna</figcaption>" in html


def test_above_the_fold_an_image_is_not_lazy_and_a_small_one_names_itself():
    img = img_of(str(render_image(media(300), "Logo", lazy=False)))
    assert not img.has_attr("loading")
    assert img["src"] == f"/media/{STEM}-300.jpg" and img["width"] == "300"


def test_alt_and_caption_are_escaped():
    html = str(render_image(media(480), '"><script>alert(1)</script>', "<b>x</b>"))
    assert "<script>" not in html and "<b>" not in html
    assert img_of(html)["alt"] == '"><script>alert(1)</script>'


def test_the_article_sanitizer_keeps_the_figure_as_it_is():
    html = str(render_image(media(480, 960, 1600), 'Il "passo" & <la> strada', "In cima & oltre"))
    assert article_to_html(html) == html


def test_the_sanitizer_keeps_srcset_to_the_sites_own_files():
    hostile = (
        '<img src="/a.jpg" srcset="https://evil.example/x.jpg 480w" sizes="100vw" '
        'loading="lazy" onerror="alert(1)">'
        '<picture><source type="text/html" srcset="javascript:alert(1) 1w"></picture>'
    )
    cleaned = article_to_html(hostile)
    assert "evil.example" not in cleaned and "javascript" not in cleaned
    assert "onerror" not in cleaned and "text/html" not in cleaned
    assert 'loading="lazy"' in cleaned and 'sizes="100vw"' in cleaned


def test_open_graph_names_the_widest_classic_file_by_its_absolute_address(app):
    with app.test_request_context():
        tags = open_graph_image(media(480, 960, 1600))
    assert tags["url"] == f"{app.config['SITE_URL']}/media/{STEM}-1600.jpg"
    assert (tags["width"], tags["height"], tags["type"]) == (1600, 1066, "image/jpeg")
