"""What an import did: the same summary table whatever the source."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from blog.models import CommentStatus

#: Names, sites and links listed one by one in the report; the rest are counted.
REPORT_EXAMPLES = 100


def italian(number: int) -> str:
    """A whole number as Italian writes it: 65.525."""
    return f"{number:_}".replace("_", ".")


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
    comments_added: int = 0
    comments_present: int = 0
    comment_statuses: Counter[str] = field(default_factory=Counter)
    #: Comments not imported, by why.
    comments_skipped: Counter[str] = field(default_factory=Counter)
    parent_loops_cut: int = 0
    #: (title, why) for each post that was not public.
    skipped_posts: Examples = field(default_factory=Examples)
    other_items: Counter[str] = field(default_factory=Counter)
    #: (title, slug in the file, slug given) for each article added under a new slug.
    slugs_replaced: Examples = field(default_factory=Examples)
    #: (author, site) for each comment imported without its site.
    urls_dropped: Examples = field(default_factory=Examples)
    #: (link,) of each discussion that matched no article.
    threads_unmatched: Examples = field(default_factory=Examples)

    def rows(self) -> list[tuple[str, str]]:
        rows = [
            ("Articoli importati", str(self.articles_added)),
            ("Articoli già presenti", str(self.articles_present)),
            ("Discussioni senza un articolo corrispondente", str(self.threads_unmatched.count)),
            ("Commenti importati", str(self.comments_added)),
            ("Commenti già presenti", str(self.comments_present)),
        ]
        rows += [
            (f"  commenti {status.value}", str(self.comment_statuses[status.value]))
            for status in CommentStatus
        ]
        rows += [(label, str(n)) for label, n in sorted(self.comments_skipped.items())]
        rows += [
            ("Risposte circolari, rese commenti di primo livello", str(self.parent_loops_cut)),
            ("Indirizzi di articoli non validi, sostituiti", str(self.slugs_replaced.count)),
            ("Siti web non validi, tolti dai commenti", str(self.urls_dropped.count)),
            ("Articoli non pubblicati, saltati", str(self.skipped_posts.count)),
        ]
        rows += [
            (f"Altri elementi ({kind}), saltati", str(n))
            for kind, n in sorted(self.other_items.items())
        ]
        return rows
