"""Faces without third parties: the author's initials on a colour of their own.

Each comment's avatar is a small inline SVG made here: no request leaves
the page (no Gravatar, whose URL is a hash of the email that anyone can
look up). The colour comes from a keyed hash of the email (HMAC-SHA256
under a key derived from ``SECRET_KEY``), so the same person keeps the same
colour, and the colour, one of a dozen, says nothing another site could
match. It is decoration: ``aria-hidden``, the name beside it says who.
"""

from __future__ import annotations

import unicodedata

from markupsafe import Markup, escape

from blog.core.signing import keyed_digest

#: Background colours, each with at least 6:1 contrast against the white
#: initials (WCAG AA asks 4.5:1).
PALETTE = (
    "#1f5f8b",
    "#8b1f4a",
    "#2e6b30",
    "#6b3fa0",
    "#a0401f",
    "#1f6b68",
    "#5f5b1a",
    "#3f51b5",
    "#9c2f6e",
    "#385170",
    "#7a4b0f",
    "#4a5d23",
)
#: What the colour key is derived from SECRET_KEY for: no other use shares it.
AVATAR_KEY_PURPOSE = b"blog avatar colours v1"
SIZE = 40


def colour(email: str, secret_key: str) -> str:
    """The colour of the person with this email (case and spaces ignored)."""
    address = email.strip().lower().encode("utf-8", "surrogatepass")
    digest = keyed_digest(secret_key, AVATAR_KEY_PURPOSE, address)
    return PALETTE[int.from_bytes(digest[:4], "big") % len(PALETTE)]


def _first_letter(word: str) -> str | None:
    for char in word:
        if unicodedata.category(char)[0] in "LN":
            upper = char.upper()
            return upper if len(upper) == 1 else char
    return None


def initials(name: str) -> str:
    """Up to two letters: the first of the first word and of the last ("?" for none)."""
    letters = [letter for word in name.split() if (letter := _first_letter(word))]
    if not letters:
        return "?"
    return letters[0] + letters[-1] if len(letters) > 1 else letters[0]


def avatar_svg(name: str, email: str, secret_key: str) -> Markup:
    """The avatar's inline SVG: decorative, so hidden from screen readers."""
    fill = colour(email, secret_key)
    text = escape(initials(name))
    half = SIZE // 2
    # The name is escaped; the rest is ours.
    return Markup(  # nosec B704
        f'<svg class="avatar" width="{SIZE}" height="{SIZE}" viewBox="0 0 {SIZE} {SIZE}" '
        f'aria-hidden="true"><circle cx="{half}" cy="{half}" r="{half}" fill="{fill}"/>'
        f'<text x="{half}" y="{half}" dy=".35em" text-anchor="middle" fill="#fff" '
        f'font-family="sans-serif" font-size="16">{text}</text></svg>'
    )
