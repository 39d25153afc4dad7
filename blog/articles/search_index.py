"""The readers' search index: each article's words, stemmed in the site's language.

What an article says is indexed when it is written, in the same transaction:
its title (weighted most), its summary, then the text of its body (the HTML
stripped). Who may find it is decided when a reader searches, by
:meth:`Article.public`, so a draft, a scheduled article and the bin are never
found, and a scheduled article is found from its time on with no job.

* On SQLite, an FTS5 table, ``article_search``, keyed by the article's id,
  holding the words already stemmed here (Snowball's stemmer for the
  language, through PyStemmer), so that "fabbriche" and "fabbrica" are one
  word; a reader's words are stemmed the same way.
* On PostgreSQL, a ``tsvector`` column, ``article.search_vector``, with a GIN
  index, made by PostgreSQL's own text search configuration for the language
  ("italian", "english"), which stems with the same Snowball algorithms.

The index is written by SQLAlchemy's mapper events on every insert, update
of the title, summary or body, and delete of an article: every writer (the
editor, the shipped articles, the imports) goes through them. Changing
``SITE_LANGUAGE`` needs ``flask search-reindex``. Neither the table nor the
column is a model: they are created with the article table (``create_all``)
and by the migration, from the statements below.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator

import sqlalchemy as sa
import Stemmer
from flask import current_app, has_app_context
from sqlalchemy.engine import Connection

from blog.models import Article
from blog.moderation import search as comment_search
from blog.spam.rules import plain_text

FTS_TABLE = "article_search"
VECTOR_COLUMN = "search_vector"
VECTOR_INDEX = "ix_article_search_vector"
#: The SITE_LANGUAGE codes with a stemmer here and a configuration in PostgreSQL.
LANGUAGES = {
    "it": "italian",
    "en": "english",
    "de": "german",
    "fr": "french",
    "es": "spanish",
    "pt": "portuguese",
    "nl": "dutch",
}
#: A language with neither: words are only folded, not stemmed.
NO_STEMMING = "simple"
#: How much of an article's body is indexed (characters of its text): a
#: tsvector holds at most 1 MB, and no reader searches past this.
INDEXED_TEXT_MAX = 200_000
#: A word: letters and digits (FTS5's unicode61 splits at anything else too).
WORD = re.compile(r"[^\W_]+")
#: Longer "words" are not words a reader types (PostgreSQL skips them too).
WORD_MAX = 64

# Written out in full: constants, no string building.
SQLITE_CREATE = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS article_search USING fts5(
        title, summary, body, tokenize='unicode61 remove_diacritics 2'
    )""",
]
SQLITE_DROP = ["DROP TABLE IF EXISTS article_search"]
POSTGRESQL_CREATE = [
    "ALTER TABLE article ADD COLUMN IF NOT EXISTS search_vector tsvector",
    "CREATE INDEX IF NOT EXISTS ix_article_search_vector ON article USING gin (search_vector)",
]
POSTGRESQL_DROP = [
    "DROP INDEX IF EXISTS ix_article_search_vector",
    "ALTER TABLE article DROP COLUMN IF EXISTS search_vector",
]

_SQLITE_DELETE = sa.text("DELETE FROM article_search WHERE rowid = :id")
_SQLITE_INSERT = sa.text(
    "INSERT INTO article_search(rowid, title, summary, body) VALUES (:id, :title, :summary, :body)"
)
_POSTGRESQL_UPDATE = sa.text(
    "UPDATE article SET search_vector ="
    " setweight(to_tsvector(CAST(:config AS regconfig), :title), 'A')"
    " || setweight(to_tsvector(CAST(:config AS regconfig), :summary), 'B')"
    " || setweight(to_tsvector(CAST(:config AS regconfig), :body), 'C')"
    " WHERE id = :id"
)


def language_name(code: str | None = None) -> str:
    """Snowball's and PostgreSQL's name of the site's language ("italian")."""
    if code is None:
        code = current_app.config["SITE_LANGUAGE"] if has_app_context() else "it"
    return LANGUAGES.get(str(code).split("-")[0].split("_")[0].lower(), NO_STEMMING)


class _Stemmers(threading.local):
    """Each thread's stemmers: a PyStemmer object is not to be shared between threads."""

    def __init__(self) -> None:
        self.by_language: dict[str, Stemmer.Stemmer] = {}


_stemmers = _Stemmers()


def _stemmer(language: str) -> Stemmer.Stemmer | None:
    if language == NO_STEMMING:
        return None
    if language not in _stemmers.by_language:
        _stemmers.by_language[language] = Stemmer.Stemmer(language)
    return _stemmers.by_language[language]


def words(text: str) -> Iterator[re.Match[str]]:
    """The words of ``text``, where they are (NFC: "è" is one letter)."""
    return WORD.finditer(text)


def stem_each(folded_words: list[str], language: str) -> list[str]:
    """Each folded word's stem in ``language`` ("fabbriche" -> "fabbric"), in
    order; a word longer than ``WORD_MAX`` gives ""."""
    kept = [word if len(word) <= WORD_MAX else "" for word in folded_words]
    stemmer = _stemmer(language)
    return stemmer.stemWords(kept) if stemmer else kept


def stems(folded_words: Iterable[str], language: str) -> list[str]:
    """The stems of the words that are not too long."""
    return [stem for stem in stem_each(list(folded_words), language) if stem]


def stemmed_text(text: str, language: str) -> str:
    """``text`` as the SQLite index holds it: its words' stems, space-separated."""
    text = unicodedata.normalize("NFC", text)
    return " ".join(stems((match.group().casefold() for match in words(text)), language))


def body_text(body_html: str) -> str:
    """What is indexed of an article's body: its visible text, bounded."""
    return plain_text(body_html[: INDEXED_TEXT_MAX * 4])[:INDEXED_TEXT_MAX]


def index_article(
    connection: Connection, article_id: int, title: str, summary: str, body_html: str
) -> None:
    """Write one article's entry in the index, replacing the one it had."""
    language = language_name()
    body = body_text(body_html)
    if connection.dialect.name == "sqlite":
        connection.execute(_SQLITE_DELETE, {"id": article_id})
        connection.execute(
            _SQLITE_INSERT,
            {
                "id": article_id,
                "title": stemmed_text(title, language),
                "summary": stemmed_text(summary or "", language),
                "body": stemmed_text(body, language),
            },
        )
    elif connection.dialect.name == "postgresql":
        connection.execute(
            _POSTGRESQL_UPDATE,
            {
                "id": article_id,
                "config": language,
                "title": title,
                "summary": summary or "",
                "body": body,
            },
        )


def unindex_article(connection: Connection, article_id: int) -> None:
    """Take a deleted article out of the index (PostgreSQL's goes with the row)."""
    if connection.dialect.name == "sqlite":
        connection.execute(_SQLITE_DELETE, {"id": article_id})


def reindex_all(connection: Connection, batch: int = 500) -> int:
    """Index every article again (after a change of language); return how many."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("DELETE FROM article_search")
    article = sa.table(
        "article",
        sa.column("id"),
        sa.column("title"),
        sa.column("standfirst"),
        sa.column("body_html"),
    )
    count = 0
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(article.c.id, article.c.title, article.c.standfirst, article.c.body_html)
            .where(article.c.id > last_id)
            .order_by(article.c.id)
            .limit(batch)
        ).all()
        if not rows:
            return count
        for row in rows:
            index_article(connection, row.id, row.title, row.standfirst, row.body_html)
        count += len(rows)
        last_id = rows[-1].id


def create_index(connection: Connection) -> None:
    """Create the search index for this database, if it is not there."""
    statements = {"sqlite": SQLITE_CREATE, "postgresql": POSTGRESQL_CREATE}
    for statement in statements.get(connection.dialect.name, []):
        connection.exec_driver_sql(statement)


def drop_index(connection: Connection) -> None:
    statements = {"sqlite": SQLITE_DROP, "postgresql": POSTGRESQL_DROP}
    for statement in statements.get(connection.dialect.name, []):
        connection.exec_driver_sql(statement)


def managed_here(name: str | None) -> bool:
    """Objects this module keeps, which the models do not declare."""
    return bool(name) and (str(name).startswith(FTS_TABLE) or name in {VECTOR_COLUMN, VECTOR_INDEX})


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's filter: leave both search indexes (comments', articles') out of comparisons."""
    return comment_search.include_object(
        obj, name, type_, reflected, compare_to
    ) and not managed_here(name)


#: What an article's entry is made of.
INDEXED = ("title", "standfirst", "body_html")


@sa.event.listens_for(Article, "after_insert")
def _index_new_article(_mapper: object, connection: Connection, article: Article) -> None:
    index_article(connection, article.id, article.title, article.standfirst, article.body_html)


@sa.event.listens_for(Article, "after_update")
def _index_changed_article(_mapper: object, connection: Connection, article: Article) -> None:
    state = sa.inspect(article)
    if any(state.attrs[key].history.has_changes() for key in INDEXED):
        index_article(connection, article.id, article.title, article.standfirst, article.body_html)


@sa.event.listens_for(Article, "after_delete")
def _unindex_deleted_article(_mapper: object, connection: Connection, article: Article) -> None:
    unindex_article(connection, article.id)


@sa.event.listens_for(Article.__table__, "after_create")
def _create_with_table(_table: sa.Table, connection: Connection, **_: object) -> None:
    create_index(connection)


@sa.event.listens_for(Article.__table__, "before_drop")
def _drop_with_table(_table: sa.Table, connection: Connection, **_: object) -> None:
    drop_index(connection)
