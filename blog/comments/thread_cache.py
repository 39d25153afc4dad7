"""A per-process cache of rendered comment threads (the page server keeps whole pages).

Keys carry the article's ``comment_version``, read from the database with
the article on every view: any change readers can see bumps it, so every
worker, on every host, stops using an old entry at its next page view,
with no cache server to share. Old versions simply age out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from markupsafe import Markup


class ThreadCache:
    """A small thread-safe LRU of rendered HTML fragments."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, Markup] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_render(self, key: Hashable, render: Callable[[], str]) -> Markup:
        """Return the fragment cached under ``key``, rendering it on a miss."""
        with self._lock:
            cached = self._entries.get(key)
            if cached is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return cached
            self.misses += 1
        # Rendered outside the lock: two workers' threads may both render a
        # fresh entry at once, which is harmless; blocking every reader is not.
        # ``render`` returns our own autoescaped template's output: safe markup.
        rendered = render()
        fragment = Markup(rendered)  # nosec B704
        if self.max_entries:
            with self._lock:
                self._entries[key] = fragment
                self._entries.move_to_end(key)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
        return fragment

    @property
    def size(self) -> int:
        """How many comment pages are kept."""
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
