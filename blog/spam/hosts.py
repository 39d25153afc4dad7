"""Blocked sites: hosts whose comments go to Spam, by their site or their links.

A blocked host is a name a moderator chose (from a comment's site, through
"Blocca", or typed on the settings page). It matches that host and its
subdomains, label by label (``spam.example.com`` blocks
``a.spam.example.com``, never ``notspam.example.com``), compared in IDNA's
ASCII form whatever the case. Only the comment's site (its url field) and
the links in its text are looked at: never its name, email, browser or
address, which a spammer chooses and which innocent comments share (a
"site" of ``http://www.mozilla`` must not catch every Firefox user).

A host that would block what nobody owns is refused: one without a dot,
an IP address, one whose top-level domain is not on the Public Suffix
List, and a public suffix itself (``co.uk``, ``github.io``). The list is
the one bundled in the ``publicsuffixlist`` package, read from its wheel;
nothing is fetched at run time.
"""

from __future__ import annotations

import functools
import html
import ipaddress
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import unquote, urlsplit

import idna
from publicsuffixlist import PublicSuffixList

from blog import messages
from blog.moderation import site_settings

#: The site setting (and configuration key) holding the blocked hosts.
BLOCKED_HOSTS_KEY = "COMMENT_BLOCKED_HOSTS"
#: The longest name DNS allows.
MAX_HOST_LENGTH = 253
# Labels of letters, digits, hyphens (and underscores, which DNS names
# carry), dot-separated: each repetition starts with a dot, so the match
# is linear.
_HOST_NAME = re.compile(r"[a-z0-9_-]{1,63}(?:\.[a-z0-9_-]{1,63})*")
# Sanitized HTML: a "<" in text is always "&lt;", so this finds real tags,
# and an attribute value never holds a bare '"' (as blog/spam/bayes.py reads links).
_LINK_HREF = re.compile(r'<a\s[^>]*?href="([^"]*)"')


class HostRefused(ValueError):
    """The host cannot be blocked; ``message`` says why, in the site's language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@functools.cache
def _suffixes() -> PublicSuffixList:
    """The Public Suffix List bundled in the package (read once, about 80 ms)."""
    return PublicSuffixList(accept_unknown=False)


def normalise_host(text: str) -> str:
    """A host name as compared: lower case, IDNA's ASCII form, no final dot;
    empty when it is not a host name."""
    text = text.strip().rstrip(".")
    if not text.isascii():
        try:
            text = idna.encode(text, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError):
            return ""
    text = text.lower()
    if len(text) > MAX_HOST_LENGTH or not _HOST_NAME.fullmatch(text):
        return ""
    return text


def blockable_host(text: str) -> str:
    """``text`` as a host that can be blocked, normalised; raises HostRefused
    (with the reason) for a name, an address or a suffix nobody owns."""
    shown = text.strip()[:MAX_HOST_LENGTH]
    if _is_address(shown):
        raise HostRefused(str(messages.HOST_IS_ADDRESS.format(host=shown)))
    host = normalise_host(shown)
    if not host:
        raise HostRefused(str(messages.HOST_INVALID.format(host=shown)))
    if "." not in host:
        raise HostRefused(str(messages.HOST_WITHOUT_DOT.format(host=shown)))
    suffixes = _suffixes()
    if suffixes.publicsuffix(host) is None:
        raise HostRefused(str(messages.HOST_UNKNOWN_SUFFIX.format(host=shown)))
    if suffixes.is_public(host):
        raise HostRefused(str(messages.HOST_PUBLIC_SUFFIX.format(host=shown)))
    return host


def _is_address(text: str) -> bool:
    """Whether ``text`` is an IP address (IPv6 with or without brackets)."""
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


def registrable_domain(host: str) -> str | None:
    """The domain one owner registered (``example.co.uk`` for
    ``www.example.co.uk``), or None when the host has none."""
    return _suffixes().privatesuffix(host)


def site_host(url: str) -> str:
    """The host "Blocca" offers for a comment's site: without a leading
    ``www.`` when what is left can be blocked, else as given."""
    host = host_of(url if "//" in url else "//" + url)
    if host.startswith("www."):
        try:
            return blockable_host(host.removeprefix("www."))
        except HostRefused:
            pass
    return host


def host_of(address: str) -> str:
    """The host of a URL, normalised (percent-escapes decoded, as browsers
    do); empty if it has none. A host that is no valid name is kept in
    lower case, so that it is still compared."""
    try:
        host = urlsplit(address.strip()).hostname or ""
    except ValueError:
        return ""
    host = unquote(host)[: MAX_HOST_LENGTH + 1]
    return normalise_host(host) or host.casefold().rstrip(".")


def comment_hosts(url: str, body_html: str) -> Iterator[str]:
    """The hosts a comment points at: its site's, and its links'."""
    if url:
        yield host_of(url if "//" in url else "//" + url)
    for href in _LINK_HREF.findall(body_html):
        yield host_of(html.unescape(href))


@functools.lru_cache(maxsize=16)
def _host_set(hosts: tuple[str, ...]) -> frozenset[str]:
    return frozenset(filter(None, (normalise_host(host) for host in hosts)))


def blocked_host_of(hosts: Iterable[str], blocked: Sequence[str]) -> str | None:
    """The blocked host that one of ``hosts`` is, or is under, if any."""
    blocked_set = _host_set(tuple(blocked))
    if not blocked_set:
        return None
    for host in hosts:
        # The host itself, then each suffix that starts after a dot.
        start = 0
        while start >= 0:
            if host[start:] in blocked_set:
                return host[start:]
            dot = host.find(".", start)
            start = dot + 1 if dot >= 0 else -1
    return None


def matching_host(url: str, body_html: str, blocked: Sequence[str]) -> str | None:
    """The blocked host a comment's site or one of its links is on, if any."""
    if not blocked:
        return None
    return blocked_host_of(comment_hosts(url, body_html), blocked)


def blocked_hosts(settings: Mapping[str, Any]) -> list[str]:
    """The blocked hosts in ``settings`` (``site_settings.in_force``)."""
    return list(settings.get(BLOCKED_HOSTS_KEY) or [])


def save_blocked_hosts(hosts: Iterable[str]) -> list[str]:
    """Store the blocked hosts a moderator typed, normalised, sorted and once
    each; raises HostRefused for one that cannot be blocked. The caller commits."""
    return store_blocked_hosts([blockable_host(host) for host in hosts if host.strip()])


def store_blocked_hosts(hosts: Iterable[str]) -> list[str]:
    """Store hosts already checked, sorted and once each. The caller commits."""
    cleaned = sorted({host for host in hosts if host})
    site_settings.save(BLOCKED_HOSTS_KEY, cleaned)
    return cleaned
