"""An article's Markdown: what it renders to, what it refuses, and at what cost."""

from __future__ import annotations

import time

import pytest
from bs4 import BeautifulSoup
from flask import Flask

from benchmarks.hostile_comments import ARTICLE_MARKDOWN_MAX, hostile_markdown
from blog import messages
from blog.articles.markdown import (
    DEFAULT_MAX_LENGTH,
    MARKUP_LIMIT,
    MarkdownRefused,
    render_markdown,
)
from blog.comments.sanitize import (
    ARTICLE_MARKUP_LIMIT,
    ARTICLE_NESTING_LIMIT,
    MARKDOWN_TAGS,
    clean_article_html,
)
from blog.config import DEFAULTS

SITE = "https://blog.example.it"

ARTICLE = """\
# Il titolo dentro il testo

## Perché l'Alfa

Un paragrafo con **grassetto**, *corsivo*, ~~barrato~~, `codice` e un
[link esterno](https://www.alfaromeo.it/ "Alfa Romeo") accanto a un
[link interno](/chi-siamo/).

- primo
- secondo
  1. annidato

3. tre
4. quattro

| Modello | Anno | Cavalli |
|:--------|:----:|--------:|
| Giulia  | 1962 | 92      |

> Una citazione
> su due righe.

```python
print("a < b")
```

---

<figure><img src="/media/giulia.jpg" alt="Una Giulia rossa" width="640" height="480" \
loading="lazy"><figcaption>La Giulia del <em>1962</em></figcaption></figure>

Scrivi a <redazione@blog.example.it> o a [noi](mailto:redazione@blog.example.it).
H<sub>2</sub>O e x<sup>2</sup>.
"""


def page(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def text(node) -> str:
    return " ".join(node.get_text(" ").split())


@pytest.fixture(scope="module")
def article() -> BeautifulSoup:
    return page(render_markdown(ARTICLE, site_url=SITE))


def test_headings_start_at_h2(article):
    """The page's title is its only h1: an h1 in the body becomes an h2."""
    assert article.find("h1") is None
    assert [text(h) for h in article.find_all("h2")] == [
        "Il titolo dentro il testo",
        "Perché l'Alfa",
    ]


def test_inline_formatting(article):
    paragraph = article.find("p")
    assert text(paragraph.find("strong")) == "grassetto"
    assert text(paragraph.find("em")) == "corsivo"
    assert text(paragraph.find("s")) == "barrato"
    assert text(paragraph.find("code")) == "codice"
    assert text(article.find("sub")) == "2"
    assert text(article.find("sup")) == "2"


def test_links_to_other_sites_get_rel_and_links_here_do_not(article):
    outside = article.find("a", string="link esterno")
    assert outside.attrs == {
        "href": "https://www.alfaromeo.it/",
        "title": "Alfa Romeo",
        "rel": ["noopener"],
    }
    inside = article.find("a", string="link interno")
    assert inside.attrs == {"href": "/chi-siamo/"}
    mail = [a["href"] for a in article.find_all("a") if a["href"].startswith("mailto:")]
    assert mail == ["mailto:redazione@blog.example.it"] * 2


def test_lists(article):
    bullets = article.find("ul")
    assert [text(li.contents[0]) for li in bullets.find_all("li", recursive=False)] == [
        "primo",
        "secondo",
    ]
    assert text(bullets.find("ol")) == "annidato"
    numbered = [ol for ol in article.find_all("ol") if ol.get("start")]
    assert [(ol["start"], text(ol)) for ol in numbered] == [("3", "tre quattro")]


def test_table_with_alignment_as_classes(article):
    table = article.find("table")
    assert [text(th) for th in table.thead.find_all("th")] == ["Modello", "Anno", "Cavalli"]
    assert [th.get("class") for th in table.thead.find_all("th")] == [
        ["align-left"],
        ["align-center"],
        ["align-right"],
    ]
    assert [text(td) for td in table.tbody.find_all("td")] == ["Giulia", "1962", "92"]
    assert "style" not in str(table)


def test_quote_code_and_rule(article):
    assert text(article.find("blockquote")) == "Una citazione su due righe."
    code = article.find("pre").find("code")
    assert code.get_text() == 'print("a < b")\n'
    assert code.attrs == {}  # the language class is the author's: dropped
    assert article.find("hr") is not None


def test_a_figure_with_its_caption(article):
    figure = article.find("figure")
    assert figure.img.attrs == {
        "src": "/media/giulia.jpg",
        "alt": "Una Giulia rossa",
        "width": "640",
        "height": "480",
        "loading": "lazy",
    }
    assert text(figure.figcaption) == "La Giulia del 1962"
    assert text(figure.figcaption.em) == "1962"


def test_only_allowed_tags(article):
    assert {tag.name for tag in article.find_all(True)} <= MARKDOWN_TAGS


def test_the_result_is_a_sanitizer_fixed_point():
    html = render_markdown(ARTICLE, site_url=SITE)
    assert clean_article_html(html, SITE) == html


IMAGES = [
    ("/media/a.png", True),
    ("media/a.png", False),
    ("https://blog.example.it/media/a.png", True),
    ("HTTPS://BLOG.EXAMPLE.IT/media/a.png", True),
    ("https://blog.example.it.evil.example/a.png", False),
    ("https://blog.example.it@evil.example/a.png", False),
    ("http://blog.example.it/media/a.png", False),
    ("https://evil.example/a.png", False),
    ("//evil.example/a.png", False),
    ("/\\evil.example/a.png", False),
    ("\\\\evil.example/a.png", False),
    ("/&#x2F;evil.example/a.png", False),
    ("/&#9;/evil.example/a.png", False),
    (" //evil.example/a.png", False),
    ("data:image/png;base64,iVBORw0KGgo=", False),
    ("javascript:alert(1)", False),
]


@pytest.mark.parametrize(("src", "kept"), IMAGES)
def test_images_only_from_the_site(src, kept):
    """Other images are dropped, their alt text kept as text."""
    html = render_markdown(f'<img src="{src}" alt="Una foto">', site_url=SITE)
    images = page(html).find_all("img")
    if kept:
        assert [image["src"] for image in images] == [src]
    else:
        assert images == []
        assert text(page(html)) == "Una foto"


def test_markdown_images_follow_the_same_rule():
    html = render_markdown(
        "![qui](/media/a.png) ![altrove](https://evil.example/a.png)", site_url=SITE
    )
    assert [image["alt"] for image in page(html).find_all("img")] == ["qui"]
    assert "altrove" in text(page(html))


def test_without_a_site_url_only_paths_are_images():
    html = render_markdown("![a](/a.png) ![b](https://blog.example.it/b.png)", site_url="")
    assert [image["src"] for image in page(html).find_all("img")] == ["/a.png"]


def test_the_authors_attributes_are_dropped():
    html = render_markdown(
        '<h2 id="x" class="y" style="color:red">T</h2>\n\n'
        '<p><a href="https://a.it/" target="_blank" rel="opener" class="z">a</a></p>\n\n'
        '<table><tr><td class="evil" align="right">c</td><td class="align-center">d</td>'
        "</tr></table>",
        site_url=SITE,
    )
    result = page(html)
    assert result.h2.attrs == {}
    assert result.a.attrs == {"href": "https://a.it/", "rel": ["noopener"]}
    assert [td.attrs for td in result.find_all("td")] == [{}, {"class": ["align-center"]}]


def test_an_unclosed_tag_ends_with_its_paragraph():
    html = render_markdown("Uno <strong>forte\n\nDue, non forte.", site_url=SITE)
    paragraphs = page(html).find_all("p")
    assert text(paragraphs[0].strong) == "forte"
    assert paragraphs[1].find("strong") is None


def test_the_same_function_reads_the_settings_in_the_application():
    app = Flask(__name__)
    app.config.update(SITE_URL=SITE, ARTICLE_MAX_LENGTH=50)
    with app.app_context():
        html = render_markdown(f"![a]({SITE}/a.png)")
        assert page(html).img["src"] == f"{SITE}/a.png"
        with pytest.raises(MarkdownRefused):
            render_markdown("a" * 51)


def test_the_length_limit_is_a_setting():
    assert DEFAULTS["ARTICLE_MAX_LENGTH"] == DEFAULT_MAX_LENGTH == ARTICLE_MARKDOWN_MAX
    render_markdown("a" * DEFAULT_MAX_LENGTH)
    with pytest.raises(MarkdownRefused) as refused:
        render_markdown("a" * (DEFAULT_MAX_LENGTH + 1))
    assert str(refused.value) == str(messages.TOO_LONG.format(max=DEFAULT_MAX_LENGTH))


@pytest.mark.parametrize("depth", [1, 19])
def test_quotations_nest_up_to_the_limit(depth):
    html = render_markdown(">" * depth + " in fondo\n\ndopo")
    assert len(page(html).find_all("blockquote")) == depth
    assert "in fondo" in html and "dopo" in html


def test_lists_nest_up_to_the_limit():
    source = "".join("  " * level + f"- livello {level}\n" for level in range(9))
    html = render_markdown(source + "\ndopo")
    assert len(page(html).find_all("ul")) == 9
    assert "livello 8" in html and "dopo" in html


@pytest.mark.parametrize(
    "source",
    [
        ">" * 20 + " perso",
        "".join("  " * level + f"- livello {level}\n" for level in range(10)),
        "> - " * 10 + "perso",
    ],
    ids=["20 quotations", "10 lists", "quotations and lists"],
)
def test_deeper_nesting_is_refused_not_cut(source):
    """markdown-it drops what lies past its nesting limit: refused instead."""
    with pytest.raises(MarkdownRefused) as refused:
        render_markdown(source)
    assert str(refused.value) == str(messages.ARTICLE_TOO_DEEP)


def test_too_much_html_is_refused():
    render_markdown("<b>x</b>\n\n" * 1000)
    with pytest.raises(MarkdownRefused) as refused:
        render_markdown("<b>x</b>\n\n" * (ARTICLE_MARKUP_LIMIT // 2 + 1))
    expected = messages.ARTICLE_TOO_MUCH_HTML.format(
        limit=ARTICLE_MARKUP_LIMIT, depth=ARTICLE_NESTING_LIMIT
    )
    assert str(refused.value) == str(expected)


def test_html_nested_too_deeply_is_refused():
    render_markdown("<blockquote>" * ARTICLE_NESTING_LIMIT)
    with pytest.raises(MarkdownRefused):
        render_markdown("<blockquote>" * (ARTICLE_NESTING_LIMIT + 1))


def test_too_much_formatting_is_refused():
    """Tags and character references, once rendered, Markdown's included."""
    render_markdown("*a* " * (MARKUP_LIMIT // 2 - 10))
    with pytest.raises(MarkdownRefused) as refused:
        render_markdown("*a* " * (MARKUP_LIMIT // 2 + 1))
    assert str(refused.value) == str(
        messages.ARTICLE_TOO_MUCH_FORMATTING.format(limit=MARKUP_LIMIT)
    )
    with pytest.raises(MarkdownRefused):
        render_markdown('"' * (MARKUP_LIMIT + 1))


#: Seconds of this process's CPU (wall time on a shared 2-core machine
#: tripled it). The worst measured case is about 2.5 s: markdown-it-py's
#: own parse of 100,000 characters of "![" or of a 3,000-column table; an
#: ordinary article of that length takes 1 s. Generous, so that it never flakes.
SECONDS = 10.0
HOSTILE = hostile_markdown()


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_markdown_is_bounded(name):
    source = HOSTILE[name]
    start = time.process_time()
    try:
        html = render_markdown(source, site_url=SITE)
    except MarkdownRefused:
        html = None
    seconds = time.process_time() - start
    assert seconds < SECONDS, f"{seconds:.1f} s"
    if html is not None:
        assert {tag.name for tag in page(html).find_all(True)} <= MARKDOWN_TAGS
        assert "<script" not in html


def test_cleaning_is_linear_in_an_elements_children():
    """16,000 table rows: html5lib's own tree walker took 14 s a pass, quadratic."""
    rows = "<tr><td>x</td></tr>" * 16_000
    start = time.process_time()
    html = clean_article_html(f"<table><tbody>{rows}</tbody></table>")
    seconds = time.process_time() - start
    assert seconds < SECONDS, f"{seconds:.1f} s"
    assert html.count("<td>x</td>") == 16_000
