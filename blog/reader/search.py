"""A reader's search: what was asked, the articles found, their highlighted excerpts.

The cost of a search is bounded before the database sees it: at most
``SEARCH_MAX_CHARS`` characters and ``SEARCH_MAX_WORDS`` words, only letters
and digits (no operator, quote, prefix or column filter of FTS5 and no
``LIKE`` pattern ever comes from the reader), a page of ``SEARCH_PAGE_SIZE``
among the first ``SEARCH_MAX_PAGES``, and a count that stops there. Every
word must be found (in its stemmed form); the title weighs most.

Only what :meth:`Article.public` allows is found: the index is joined to
the article table and filtered when the reader asks (see
``blog/articles/search_index.py`` for the index itself).
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from markupsafe import Markup, escape
from sqlalchemy.dialects.postgresql import REGCONFIG

from blog import messages
from blog.articles import search_index
from blog.extensions import db
from blog.models import Article, ArticleKind

#: Title, summary, body: FTS5's bm25 weights (PostgreSQL's are ts_rank's A, B, C).
BM25_WEIGHTS = (10.0, 4.0, 1.0)
#: How many words an excerpt shows around the first word found.
WORDS_BEFORE = 8
WORDS_AFTER = 24
#: How much of an article's text is looked through for its excerpt.
EXCERPT_SCAN_MAX = 20_000
#: Never inside an article's text (control characters): where ts_headline
#: marks a word found, before the rest is escaped.
START_MARK, STOP_MARK = "\x02", "\x03"
HEADLINE_OPTIONS = (
    f"StartSel={START_MARK}, StopSel={STOP_MARK}, MaxWords={WORDS_BEFORE + WORDS_AFTER}, "
    'MinWords=15, ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "'
)
TITLE_OPTIONS = f"StartSel={START_MARK}, StopSel={STOP_MARK}, HighlightAll=true"
ELLIPSIS = "…"


@dataclass(frozen=True)
class Question:
    """What a reader asked, as far as it can be searched."""

    #: What the reader typed, trimmed (shown back in the box and the heading).
    text: str
    #: The words searched for, folded, without repeats, at most SEARCH_MAX_WORDS.
    words: tuple[str, ...] = ()
    #: Words past SEARCH_MAX_WORDS, left out.
    left_out: int = 0
    #: Why nothing is searched, when nothing is.
    problem: str | None = None


def read_question(raw: str | None, max_chars: int, max_words: int) -> Question:
    """Read the ``q`` a reader sent: its words, or why there is nothing to search."""
    if raw is None or not raw.strip():
        return Question("", problem=messages.SEARCH_EMPTY)
    if len(raw) > max_chars:
        # Nothing of it is read: its start is shown back, to be shortened.
        return Question(
            raw[:max_chars].strip(), problem=messages.SEARCH_TOO_LONG.format(count=max_chars)
        )
    text = " ".join(raw.split())
    found: list[str] = []
    for match in search_index.words(unicodedata.normalize("NFC", text)):
        word = match.group().casefold()
        if len(word) <= search_index.WORD_MAX and word not in found:
            found.append(word)
    if not found:
        return Question(text, problem=messages.SEARCH_NO_WORDS)
    return Question(text, tuple(found[:max_words]), max(0, len(found) - max_words))


@dataclass(frozen=True)
class Found:
    """An article found, with its title and excerpt, the words found marked."""

    article: Article
    title: Markup
    excerpt: Markup


@dataclass(frozen=True)
class Results:
    found: list[Found]
    #: How many articles were found, counted up to the last page that can be shown.
    total: int
    #: True when there are more than ``total``.
    more: bool
    page: int
    pages: int


def search_articles(question: Question, page: int, config: Mapping[str, Any]) -> Results:
    """Find the public articles and pages holding every word of ``question``, best first.

    The newest ``SEARCH_CANDIDATES`` articles holding the words are ranked
    (a word in every article costs no more than one in a thousand); one
    query gives the page's ids and how many there are, one more reads those
    articles.
    """
    page_size = int(config["SEARCH_PAGE_SIZE"])
    max_pages = int(config["SEARCH_MAX_PAGES"])
    language = search_index.language_name(config["SITE_LANGUAGE"])
    candidates = _candidates(question, language, int(config["SEARCH_CANDIDATES"]))
    rows = db.session.execute(
        sa.select(candidates.c.id, sa.func.count().over().label("total"))
        .order_by(candidates.c.rank, candidates.c.published_at.desc(), candidates.c.id)
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    if not rows and page > 1:  # past the last page: count them anyway
        counted = db.session.scalar(sa.select(sa.func.count()).select_from(candidates)) or 0
    else:
        counted = rows[0].total if rows else 0
    by_id = {
        article.id: article
        for article in db.session.scalars(
            sa.select(Article).where(Article.id.in_([row.id for row in rows]))
        )
    }
    articles = [by_id[row.id] for row in rows if row.id in by_id]
    cap = page_size * max_pages
    pages = max(1, min(max_pages, -(-min(counted, cap) // page_size)))
    if db.engine.dialect.name == "postgresql":
        found = _headlines_postgresql(articles, question, language)
    else:
        stems = tuple(dict.fromkeys(search_index.stems(question.words, language)))
        found = [
            Found(
                article,
                marked(article.title, stems, language),
                excerpt(_excerpt_source(article), stems, language),
            )
            for article in articles
        ]
    more = counted > cap or counted >= int(config["SEARCH_CANDIDATES"])
    return Results(found, min(counted, cap), more, page, pages)


def _candidates(question: Question, language: str, limit: int) -> sa.CTE:
    """The newest ``limit`` public articles and pages holding every word, with
    their rank (lower is better): ``id``, ``published_at``, ``rank``."""
    public = (Article.public(), Article.kind.in_([ArticleKind.POST, ArticleKind.PAGE]))
    if db.engine.dialect.name == "postgresql":
        tsquery = sa.func.plainto_tsquery(_config(language), " ".join(question.words))
        vector: sa.ColumnElement[Any] = sa.literal_column("article.search_vector")
        query = (
            sa.select(
                Article.id,
                Article.published_at,
                (-sa.func.ts_rank(vector, tsquery)).label("rank"),
            )
            .where(vector.op("@@")(tsquery), *public)
            .order_by(Article.published_at.desc())
        )
    else:
        stems = dict.fromkeys(search_index.stems(question.words, language))
        # Each word a quoted string: FTS5 reads no operator, prefix or column in it.
        phrase = " ".join('"' + stem.replace('"', '""') + '"' for stem in stems)
        fts = sa.table(search_index.FTS_TABLE, sa.column("rowid"))
        fts_name: sa.ColumnElement[Any] = sa.literal_column(search_index.FTS_TABLE)
        query = (
            sa.select(
                Article.id,
                Article.published_at,
                sa.func.bm25(fts_name, *BM25_WEIGHTS).label("rank"),
            )
            .select_from(fts)
            .join(Article, Article.id == fts.c.rowid)
            .where(fts_name.op("MATCH")(phrase), *public)
            # FTS5 gives its rows in this order: no sort, and bm25 is worked
            # out for the rows kept only.
            .order_by(fts.c.rowid.desc())
        )
    return query.limit(limit).cte("candidates").prefix_with("MATERIALIZED")


def _config(language: str) -> sa.ColumnElement[Any]:
    return sa.cast(sa.literal(language), REGCONFIG)


def _excerpt_source(article: Article) -> str:
    """The text an excerpt is taken from: the summary, then the body's text."""
    body = search_index.body_text(article.body_html[: EXCERPT_SCAN_MAX * 4])
    return f"{article.standfirst}\n{body}"[:EXCERPT_SCAN_MAX].strip()


def marked(text: str, stems: Sequence[str], language: str) -> Markup:
    """``text`` escaped, each word whose stem was searched for in ``<mark>``."""
    text = unicodedata.normalize("NFC", text)
    spans, found = _words_found(text, stems, language)
    marks = [span for span, is_found in zip(spans, found, strict=True) if is_found]
    return _render(text, 0, len(text), marks)


def excerpt(text: str, stems: Sequence[str], language: str) -> Markup:
    """About thirty words of ``text`` around the first word found, those found marked."""
    text = unicodedata.normalize("NFC", text)
    spans, found = _words_found(text, stems, language)
    if not spans:
        return escape(text)
    first = next((number for number, is_found in enumerate(found) if is_found), 0)
    start_word = max(0, first - WORDS_BEFORE)
    end_word = min(len(spans), start_word + WORDS_BEFORE + WORDS_AFTER)
    start, end = spans[start_word][0], spans[end_word - 1][1]
    marks = [
        (span_start - start, span_end - start)
        for (span_start, span_end), is_found in zip(
            spans[start_word:end_word], found[start_word:end_word], strict=True
        )
        if is_found
    ]
    shown = _render(text[start:end], 0, end - start, marks)
    before = ELLIPSIS + " " if start > 0 else ""
    after = " " + ELLIPSIS if search_index.WORD.search(text, end) else ""
    return escape(before) + shown + escape(after)


def _words_found(
    text: str, stems: Sequence[str], language: str
) -> tuple[list[tuple[int, int]], list[bool]]:
    """Where the words of ``text`` are, and which of them were searched for
    (their stem is one of ``stems``): every word stemmed in one call."""
    matches = list(search_index.words(text))
    stemmed = search_index.stem_each([match.group().casefold() for match in matches], language)
    wanted = set(stems)
    return [match.span() for match in matches], [stem in wanted for stem in stemmed]


def _render(text: str, start: int, end: int, found: list[tuple[int, int]]) -> Markup:
    """Escape ``text[start:end]``, with ``<mark>`` around each span in ``found``."""
    pieces: list[str] = []
    at = start
    for span_start, span_end in found:
        pieces.append(html.escape(text[at:span_start]))
        pieces.append(f"<mark>{html.escape(text[span_start:span_end])}</mark>")
        at = span_end
    pieces.append(html.escape(text[at:end]))
    return Markup("".join(pieces))  # nosec B704: every piece of text escaped above


def _headlines_postgresql(
    articles: list[Article], question: Question, language: str
) -> list[Found]:
    """Titles and excerpts marked by PostgreSQL's ts_headline, in one query."""
    if not articles:
        return []
    texts: list[str] = []
    options: list[str] = []
    for article in articles:
        texts += [_unmarked(article.title), _unmarked(_excerpt_source(article))]
        options += [TITLE_OPTIONS, HEADLINE_OPTIONS]
    given = sa.text(
        "SELECT ts_headline(CAST(:config AS regconfig), given.text,"
        " plainto_tsquery(CAST(:config AS regconfig), :words), given.options)"
        " FROM unnest(CAST(:texts AS text[]), CAST(:options AS text[]))"
        " WITH ORDINALITY AS given(text, options, number) ORDER BY given.number"
    )
    headlines = db.session.scalars(
        given,
        {"config": language, "words": " ".join(question.words), "texts": texts, "options": options},
    ).all()
    found = []
    for number, article in enumerate(articles):
        title, text = headlines[2 * number], headlines[2 * number + 1]
        found.append(Found(article, _from_headline(title), _from_headline(text)))
    return found


def _unmarked(text: str) -> str:
    return text.replace(START_MARK, "").replace(STOP_MARK, "")


def _from_headline(headline: str) -> Markup:
    """ts_headline's text, escaped, its marks made ``<mark>``."""
    pieces = []
    for piece in headline.split(START_MARK):
        marked_part, stop, rest = piece.partition(STOP_MARK)
        if stop:
            pieces.append(f"<mark>{html.escape(marked_part)}</mark>{html.escape(rest)}")
        else:
            pieces.append(html.escape(piece))
    return Markup("".join(pieces))  # nosec B704: every piece of text escaped above
