"""Comments built to make the sanitizer slow: one per known worst case.

Shared by the cost test (tests/comments/test_sanitize_cost.py) and the ``hostile``
benchmark step, so that both measure the same inputs.
"""

from __future__ import annotations

#: The comment field's limit (WordPress's, ``COMMENT_MAX`` in blog/core/forms.py).
COMMENT_MAX = 65525

#: Each case: a name and the unit repeated to fill the comment.
UNITS: dict[str, str] = {
    "a-a. run": "a-a.",
    "a-a- run": "a-a-",
    "a. run": "a.",
    "long word": "a",
    "scheme and a-a. run": "http://a-a.",
    "trailing parentheses": ")",
    "open tags": "<b>",
    "open tags with attributes": '<b title="x">',
    "mixed open tags": "<b><i><em><strong><cite><code><q><s><del><abbr>x",
    "misnested tags": "<i><b></i></b>",
    "lone <": "<",
    "end tags": "</b>",
    "comments": "<!---->",
    "bare links": "http://a.it ",
    "scheme-less links": "www.a.it ",
    "typed links": '<a href="http://a.it/">a</a> ',
    "deep blockquotes": "<blockquote>",
    "quotes and paragraphs": "<blockquote>x\n\n",
    "open tags and paragraphs": "<b>x\n\n",
    "line breaks": "x\n",
    "RTL overrides": "\u202e\u202d",
    "combining marks": "a\u0301\u0301\u0301",
    "entities": "&amp;",
    "bare ampersands": "&",
    "long tag name": "<" + "a" * 64,
    "long attribute": '<a title="' + "a" * 64,
    "bold then a-a-": "<b>x</b> a-a-a-a-a-a-a-a-a-a-a-a-",
    # U+FDFA, 18 characters under NFKC: what the word lists and the learning
    # filter read grows eighteenfold (196 KB of UTF-8, under the request limit
    # as multipart).
    "growing under NFKC": "\ufdfa",
}


def fill(unit: str, size: int = COMMENT_MAX) -> str:
    """Repeat ``unit`` up to ``size`` characters."""
    return (unit * (size // len(unit) + 1))[:size]


def hostile_comments(size: int = COMMENT_MAX) -> dict[str, str]:
    """Every worst case, each ``size`` characters long."""
    comments = {name: fill(unit, size) for name, unit in UNITS.items()}
    # One tag or attribute as long as the comment.
    comments["long tag name"] = "<" + fill("a", size - 1)
    comments["long attribute"] = '<a title="' + fill("a", size - 10)
    # A run of ``a-a-`` behind a little markup: the full cleaner, not the
    # plain-text shortcut, has to link it.
    comments["bold then a-a-"] = "<b>x</b> " * 7 + fill("a-", size - 63)
    # Thousands of distinct attributes on one tag: html5lib compares each
    # name with every earlier one (quadratic); separated by spaces, slashes,
    # or none at all after quoted values; on an end tag too.
    names = [a + b for a in _CJK for b in _CJK]
    comments["many attributes"] = ("<b " + " ".join(names) + ">x</b>")[:size]
    comments["many attributes, slashes"] = ("<b " + "/".join(names) + ">x</b>")[:size]
    comments["many attributes, quoted"] = ("<b " + "".join(f'{n}=""' for n in names))[:size]
    comments["many attributes on an end tag"] = ("<b>x</b " + " ".join(names) + ">")[:size]
    # Formatting elements left open inside blocks, each with its own title
    # (so html5lib's three-copy limit does not apply): html5lib opens them
    # all again in every later block.
    reopened = "".join(f"<blockquote><b title={i}></blockquote>" for i in range(300))
    comments["reopened formatting"] = (reopened + fill("<blockquote>x</blockquote>", size))[:size]
    return comments


#: 200 letters for attribute names that are all different.
_CJK = [chr(code) for code in range(0x4E00, 0x4E00 + 200)]


#: Articles: WordPress imports are files from elsewhere.
ARTICLE_UNITS: dict[str, str] = {
    "open tags": "<b>",
    "deep divs": "<div>",
    "misnested tags": "<i><b></i></b>",
    "lone <": "<",
    "bare ampersands": "&",
    "table cells": "<td>x",
    "line breaks": "x\n",
    "many attributes": "<b a b c d e f g h i j k l m n o p q r s t u v w x y z>",
}


def hostile_articles(size: int = COMMENT_MAX) -> dict[str, str]:
    """Every article worst case, each ``size`` characters long."""
    return {name: fill(unit, size) for name, unit in ARTICLE_UNITS.items()}


#: An article's Markdown (blog/articles/markdown.py): written by staff, but
#: a stolen author session or a careless paste is a stranger's text.
ARTICLE_MARKDOWN_MAX = 100_000  # ARTICLE_MAX_LENGTH's default
MARKDOWN_UNITS: dict[str, str] = {
    "stars": "*",
    "underscores": "_",
    "brackets": "[",
    "image brackets": "![",
    "backticks": "`",
    "tildes": "~~a",
    "emphasis runs": "*a",
    "unclosed emphasis": "a**",
    "nested emphasis": "*a **b _c ",
    "open links": "[a](",
    "link in link": "[[a](b)",
    "link titles": '[a](b "',
    "angle destinations": "[a](<",
    "links": "[a](https://a.it/) ",
    "reference links": "[a][b] ",
    "autolinks": "<https://a.it> ",
    "images": "![a](/x.png) ",
    "quotations": ">",
    "quotations and lists": "> - ",
    "lists": "- ",
    "ordered lists": "1. ",
    "paragraphs with emphasis": "*a*\n\n",
    "headings": "# a\n",
    "underlined headings": "a\n=\n",
    "fences": "```\n",
    "lines": "a\n",
    "backslashes": "\\",
    "entities": "&amp;",
    "numeric entities": "&#x6A;",
    "lone <": "<",
    "quotes": '"',
    "html comments": "<!--",
    "cdata": "<![CDATA[",
    "raw open tags": "<b>",
    "raw open tags in paragraphs": "<b>x\n\n",
    "raw tags in text": "a <em>b</em> ",
    "everything": "*_[`~<&!>",
}


def hostile_markdown(size: int = ARTICLE_MARKDOWN_MAX) -> dict[str, str]:
    """Every Markdown worst case, each ``size`` characters long."""
    cases = {name: fill(unit, size) for name, unit in MARKDOWN_UNITS.items()}
    cases["reference links"] = fill("[a][b] ", size - 30) + "\n\n[b]: https://a.it/\n"
    cases["table rows"] = "|a|b|\n|-|-|\n" + fill("|x|y|\n", size - 12)
    cases["table pipes"] = "a|b\n-|-\n" + fill("|", size - 8)
    # A header of 3,000 columns: every short row below is padded to it.
    header = "|" + "a|" * 3000 + "\n|" + "-|" * 3000 + "\n"
    cases["wide table"] = header + fill("x\n", size - len(header))
    # Lists nested as deep as Markdown allows, then many items with children.
    deep = "".join("  " * level + "- x\n" for level in range(9))
    cases["deep list, long"] = deep + fill("- *a*\n  - b\n", size - len(deep))
    # Raw HTML just inside its own limit, in many paragraphs: each is
    # cleaned on its own.
    cases["raw HTML at its limit"] = "<b>x</b>\n\n" * 1200
    return cases
