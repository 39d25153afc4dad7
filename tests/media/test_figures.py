"""``render_image``: the figure pages show; an article's Markdown and its
sanitizer keep it as it is, and nothing else through ``srcset``."""

from __future__ import annotations

from bs4 import BeautifulSoup

from blog.articles.markdown import render_markdown
from blog.comments.sanitize import clean_article_html
from blog.media.figures import first_image_eager, open_graph_image, render_image
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


SITE = "https://blog.example.it"


def test_the_article_sanitizer_keeps_the_figure_as_it_is():
    html = str(render_image(media(480, 960, 1600), 'Il "passo" & <la> strada', "In cima & oltre"))
    assert clean_article_html(html, SITE) == html


def test_a_figure_placed_in_markdown_reaches_the_page_whole():
    figure = str(render_image(media(480, 960, 1600), "Il passo dello Stelvio", "In cima"))
    source = f"Il primo tornante.\n\n{figure}\n\nPoi la discesa."
    html = render_markdown(source, site_url=SITE)
    assert figure in html
    assert html.index("<p>Il primo tornante.</p>") < html.index(figure)


def test_the_sanitizer_keeps_srcset_to_the_sites_own_files():
    hostile = (
        '<img src="/a.jpg" srcset="https://evil.example/x.jpg 480w" sizes="100vw" '
        'loading="lazy" decoding="javascript:x" onerror="alert(1)">'
        '<picture><source type="text/html" srcset="javascript:alert(1) 1w"></picture>'
        f'<picture><source type="image/webp" srcset="/media/{STEM}-480.webp 480w, '
        '//evil.example/x.webp 960w"></picture>'
    )
    cleaned = clean_article_html(hostile, SITE)
    assert "evil.example" not in cleaned and "javascript" not in cleaned
    assert "onerror" not in cleaned and "text/html" not in cleaned and "decoding" not in cleaned
    assert 'loading="lazy"' in cleaned and 'sizes="100vw"' in cleaned
    assert 'src="/a.jpg"' in cleaned


def test_open_graph_names_the_widest_classic_file_by_its_absolute_address(app):
    with app.test_request_context():
        tags = open_graph_image(media(480, 960, 1600))
    assert tags["url"] == f"{app.config['SITE_URL']}/media/{STEM}-1600.jpg"
    assert (tags["width"], tags["height"], tags["type"]) == (1600, 1066, "image/jpeg")


def test_only_an_articles_first_image_loads_at_once():
    body = render_markdown(
        "\n\n".join(
            [
                str(render_image(media(480, 960), "Prima")),
                "Un paragrafo.",
                str(render_image(media(480, 960), "Seconda")),
            ]
        )
    )
    images = BeautifulSoup(str(first_image_eager(body)), "html.parser").find_all("img")
    assert [img.get("loading") for img in images] == [None, "lazy"]
    assert [img["alt"] for img in images] == ["Prima", "Seconda"]
    assert str(first_image_eager("<p>Nessuna immagine.</p>")) == "<p>Nessuna immagine.</p>"
