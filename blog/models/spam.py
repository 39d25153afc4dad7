"""The learning filter's counts, and the settings moderators save over the
configuration (word lists, moderation policy, the filter's thresholds)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from blog.extensions import Model


class SpamToken(Model):
    """A token of the learning filter: in how many spam and ham messages it was seen.

    One row, ``.MSG_COUNT``, holds the totals: messages trained as spam and
    as ham (blog/spam/bayes_store.py).
    """

    token: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    spam_count: Mapped[int] = mapped_column(default=0)
    ham_count: Mapped[int] = mapped_column(default=0)


class SiteSetting(Model):
    """A setting saved by moderators, overriding the configuration (JSON value)."""

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text)
