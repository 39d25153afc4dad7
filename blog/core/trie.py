"""A regular expression that finds any of many words, in one linear pass."""

from __future__ import annotations

import re
from collections.abc import Iterable


def alternation(words: Iterable[str]) -> str:
    """A regex matching any of ``words``, written as a trie.

    A flat alternation of many words is tried word by word at every position
    of the text; the trie fails at the first character that fits none, so a
    scan costs about the same whatever the number of words. Longer words are
    tried first, as in a longest-first alternation.
    """
    trie: dict[str, dict] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def pattern(node: dict[str, dict]) -> str:
        branches = [
            re.escape(char) + pattern(child) for char, child in sorted(node.items()) if char
        ]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:
            return f"(?:{body})?"
        return body

    return pattern(trie)
