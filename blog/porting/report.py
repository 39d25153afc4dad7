"""What an import did: the same summary table whatever the source."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from flask_babel import format_decimal

from blog.core.i18n import lazy_gettext as _l
from blog.core.i18n import lazy_pgettext as _lp
from blog.models import CommentStatus

#: Names, sites and links listed one by one in the report; the rest are counted.
REPORT_EXAMPLES = 100

#: What an imported article is now, as the report counts it.
ARTICLE_STATES = {
    "publish": _lp("imported articles", "published"),
    "future": _lp("imported articles", "scheduled"),
    "draft": _lp("imported articles", "drafts"),
    "trash": _lp("imported articles", "in the bin"),
}


def whole_number(number: int) -> str:
    """A whole number as today's language writes it: 65.525 in Italian, 65,525 in English."""
    return format_decimal(number, format="#,##0")


@dataclass
class Examples:
    """A count, with the first few cases kept to be listed."""

    count: int = 0
    listed: list[tuple[str, ...]] = field(default_factory=list)

    def add(self, *case: str) -> None:
        self.count += 1
        if len(self.listed) < REPORT_EXAMPLES:
            self.listed.append(case)

    @property
    def unlisted(self) -> int:
        return self.count - len(self.listed)


@dataclass
class ImportReport:
    """What an import did: the same table whatever the source."""

    articles_added: int = 0
    articles_present: int = 0
    #: Articles imported, by what they are now (ARTICLE_STATES' keys).
    article_states: Counter[str] = field(default_factory=Counter)
    #: Staff accounts made for the source's authors, and those found by their username.
    authors_added: int = 0
    authors_present: int = 0
    #: Categories and tags made.
    terms_added: int = 0
    comments_added: int = 0
    comments_present: int = 0
    comment_statuses: Counter[str] = field(default_factory=Counter)
    #: Comments not imported, by why (a sentence, translated when shown).
    comments_skipped: Counter[str] = field(default_factory=Counter)
    parent_loops_cut: int = 0
    #: (title, why) for each post that was not public; why is translated when shown.
    skipped_posts: Examples = field(default_factory=Examples)
    other_items: Counter[str] = field(default_factory=Counter)
    #: (title, slug in the file, slug given) for each article added under a new slug.
    slugs_replaced: Examples = field(default_factory=Examples)
    #: (author, site) for each comment imported without its site.
    urls_dropped: Examples = field(default_factory=Examples)
    #: (link,) of each discussion that matched no article.
    threads_unmatched: Examples = field(default_factory=Examples)

    def rows(self) -> list[tuple[str, str]]:
        """(label, count) for each line of the summary, in today's language."""
        rows = [
            (_l("Articles imported"), self.articles_added),
        ]
        if self.articles_added:
            rows += [
                (f"  {label}", self.article_states[state])
                for state, label in ARTICLE_STATES.items()
            ]
        rows += [
            (_l("Articles already present"), self.articles_present),
            (_l("Discussions with no matching article"), self.threads_unmatched.count),
            (_l("Comments imported"), self.comments_added),
            (_l("Comments already present"), self.comments_present),
        ]
        rows += [
            (
                "  " + _l("{status} comments").format(status=status.value),
                self.comment_statuses[status.value],
            )
            for status in CommentStatus
        ]
        rows += sorted((str(label), n) for label, n in self.comments_skipped.items())
        rows += [
            (_l("Circular replies, made top-level comments"), self.parent_loops_cut),
            (_l("Invalid article addresses, replaced"), self.slugs_replaced.count),
            (_l("Invalid websites, removed from comments"), self.urls_dropped.count),
            (_l("Unpublished articles, skipped"), self.skipped_posts.count),
        ]
        if self.authors_added or self.authors_present or self.terms_added:
            rows += [
                (_l("Authors imported, who cannot sign in yet"), self.authors_added),
                (_l("Authors already present"), self.authors_present),
                (_l("Categories and tags imported"), self.terms_added),
            ]
        rows += [
            (_l("Other items ({kind}), skipped").format(kind=kind), n)
            for kind, n in sorted(self.other_items.items())
        ]
        return [(str(label), str(count)) for label, count in rows]
