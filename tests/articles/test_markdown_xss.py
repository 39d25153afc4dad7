"""No XSS vector in an article's Markdown reaches the page as markup that runs.

An author (or whoever holds an author's session) attacks the editors and
readers who open the article or its preview: both show what
``render_markdown`` returns. Every comment vector is tried as HTML inside
Markdown, and Markdown's own ways in (links, images, autolinks, reference
definitions, code info strings) in every disguise.
"""

from __future__ import annotations

import html as html_text
import re
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup

from blog.articles.markdown import render_markdown
from blog.comments.sanitize import ALIGN_CLASSES, MARKDOWN_TAGS, clean_article_html
from tests.xss_vectors import XSS_VECTORS

SITE = "https://blog.example.it"
SAFE_SCHEMES = {"http", "https", "mailto", ""}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "cite", "data", "poster", "srcset"}

MARKDOWN_VECTORS: list[str] = [
    # Links
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x]( javascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x](java&#x09;script:alert(1))",
    "[x](java%09script:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1))",
    "[x](javascript&#58;alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](<java\tscript:alert(1)>)",
    "[x](\\javascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](VBScript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](data:image/svg+xml,<svg onload=alert(1)>)",
    "[x](file:///etc/passwd)",
    '[x](/a "\\" onmouseover=alert(1) x=\\"")',
    "[x](/a 'onmouseover=alert(1)')",
    '[x](https://ok.example/"onmouseover="alert(1))',
    # Images
    "![x](javascript:alert(1))",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](https://evil.example/track.png)",
    "![x](//evil.example/track.png)",
    '![" onerror="alert(1)](/a.png)',
    '![x](/a.png "\\" onerror=\\"alert(1)")',
    "![<img src=x onerror=alert(1)>](/a.png)",
    "[![x](/a.png)](javascript:alert(1))",
    # Autolinks
    "<javascript:alert(1)>",
    "<JAVASCRIPT:alert(1)>",
    "<vbscript:msgbox(1)>",
    "<data:text/html,<script>alert(1)</script>>",
    '<https://ok.example/"onmouseover="alert(1)>',
    '<a@b.it"onmouseover="alert(1)>',
    "https://ok.example/ javascript:alert(1) www.ok.example",
    # Reference links and definitions
    "[x][a]\n\n[a]: javascript:alert(1)",
    '[x][a]\n\n[a]: <javascript:alert(1)> "t"',
    "[x][a]\n\n[a]: &#106;avascript:alert(1)",
    "[x][a]\n\n[a]: JaVaScRiPt:alert(1)",
    "[a]\n\n[a]: vbscript:msgbox(1)",
    "![x][a]\n\n[a]: data:image/svg+xml,<svg/onload=alert(1)>",
    '[x][a]\n\n[a]: /ok "\\" onmouseover=\\"alert(1)"',
    # Code: text, never markup
    "`<script>alert(1)</script>`",
    '```"><script>alert(1)</script>\n<img src=x onerror=alert(1)>\n```',
    "    <script>alert(1)</script>",
    # Raw HTML inside Markdown
    "<script>\nalert(1)\n</script>",
    '<iframe src="javascript:alert(1)"></iframe>',
    "<svg onload=alert(1)>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    '<math><a xlink:href="javascript:alert(1)">x</a></math>',
    "<img src=x onerror=alert(1)>",
    '<img src="/a.png" onerror="alert(1)" onload=alert(1)>',
    '<img src="/a.png" srcset="https://evil.example/a.png 2x">',
    '<p style="background:url(javascript:alert(1))">x</p>',
    "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
    '| <a href="javascript:alert(1)">a</a> |\n|---|\n| b |',
    '<figure><img src="/a.png" onerror=alert(1)><figcaption onclick=alert(1)>c</figcaption>'
    "</figure>",
    "<h1 onclick=alert(1)>t</h1>",
    '<a href="https://ok.example/" target="_blank" rel="opener">x</a>',
    '<form action="javascript:alert(1)"><button formaction="javascript:alert(1)">x</button></form>',
    '<object data="javascript:alert(1)"></object>',
    '<base href="javascript:alert(1)//">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<style>*{background:url(javascript:alert(1))}</style>",
    # Comments, CDATA, declarations, processing instructions
    "<!-- <script>alert(1)</script> -->",
    "a <!-- --><img src=x onerror=alert(1)> b",
    "<!--><img src=x onerror=alert(1)>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "a <![CDATA[><img src=x onerror=alert(1)>]]> b",
    "<!DOCTYPE html><script>alert(1)</script>",
    "<?php echo '<script>alert(1)</script>'; ?>",
    # Nested emphasis around hostile pieces
    "***<img src=x onerror=alert(1)>***",
    "**[x](javascript:alert(1))**",
    "*a **b <svg onload=alert(1)> c** d*",
    '_<a href="javascript:alert(1)">x_</a>',
    "~~<script>alert(1)</script>~~",
    "> <iframe src=javascript:alert(1)>\n> - <img src=x onerror=alert(1)>",
    # HTML blocks split by blank lines: each piece cleaned on its own
    "<div>\n\n<script>alert(1)</script>\n\n</div>",
    "<table><tr><td>\n\n[x](javascript:alert(1))\n\n</td></tr></table>",
]


def url_as_browsers_read(value: str) -> str:
    """A URL attribute as a browser follows it (the parser already decoded entities)."""
    return re.sub(r"[\t\n\r]", "", value).strip("".join(chr(c) for c in range(0x21)))


def assert_inert(html: str) -> None:
    """No element, attribute or address that could run script or load from elsewhere."""
    result = BeautifulSoup(html, "html.parser")
    for tag in result.find_all(True):
        assert tag.name in MARKDOWN_TAGS, tag.name
        for attribute, value in tag.attrs.items():
            assert not attribute.lower().startswith("on"), (tag.name, attribute)
            assert attribute not in {"style", "id", "srcset", "target", "xlink:href"}, attribute
            if attribute == "class":
                assert set(value) <= ALIGN_CLASSES, value
            if attribute == "rel":
                assert value == ["noopener"], value
            if attribute in URL_ATTRIBUTES:
                url = url_as_browsers_read(value)
                # "javascript&amp;colon;…" is kept as a path: no scheme, no script.
                assert urlsplit(url).scheme.lower() in SAFE_SCHEMES, (tag.name, url)
        if tag.name == "img":
            src = url_as_browsers_read(tag["src"])
            assert (src.startswith("/") and src[1:2] not in ("/", "\\")) or src.startswith(
                SITE + "/"
            ), src
    # Nothing left that a later parser could read as markup.
    assert "<script" not in html.lower()
    assert "<!--" not in html and "<![cdata[" not in html.lower()
    assert clean_article_html(html, SITE) == html


@pytest.mark.parametrize("vector", MARKDOWN_VECTORS + XSS_VECTORS)
def test_vector_is_inert(vector):
    assert_inert(render_markdown(vector, site_url=SITE))


@pytest.mark.parametrize("vector", MARKDOWN_VECTORS + XSS_VECTORS)
def test_vector_inside_an_article_is_inert(vector):
    """The same vector among headings, lists and quotes, in emphasis and a table cell."""
    one_line = vector.replace("\n", " ")
    source = (
        f"## Titolo\n\n{vector}\n\n- *{one_line}*\n\n> **{one_line}**\n\n"
        f"| a |\n|---|\n| {one_line.replace('|', ' ')} |\n\nFine."
    )
    html = render_markdown(source, site_url=SITE)
    assert_inert(html)
    assert "Fine." in html


def test_a_link_that_is_refused_stays_as_its_text():
    """What the reader sees of a dangerous link: its words, no link."""
    html = render_markdown('<a href="java&#x09;script:alert(1)">leggi</a>', site_url=SITE)
    assert html == "<p>leggi</p>\n"
    assert "<a" not in render_markdown("[leggi](javascript:alert(1))", site_url=SITE)


def test_text_that_looks_like_markup_stays_text():
    html = render_markdown("`<script>alert(1)</script>`", site_url=SITE)
    code = BeautifulSoup(html, "html.parser").code
    assert code.get_text() == "<script>alert(1)</script>"
    assert html_text.escape("<script>", quote=False) in html


def test_there_are_enough_vectors():
    assert len(set(MARKDOWN_VECTORS)) >= 80
