"""Arrange comments into the nested thread that readers see.

Reply chains come from strangers and from imports, so they can be any
length, and an import can even hold a loop of parents: nothing here
recurses or walks a chain without remembering where it has been.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from blog.models import Comment

#: The deepest nesting shown, whatever COMMENT_THREAD_DEPTH says: WordPress's
#: own limit, and what keeps the template's nesting (one macro call per level)
#: shallow.
MAX_THREAD_DEPTH = 10


@dataclass
class ThreadNode:
    """One comment in the thread, with the replies nested under it."""

    comment: Comment
    children: list[ThreadNode] = field(default_factory=list)
    depth: int = 1


def loop_closers(parents: Mapping[int, int | None]) -> set[int]:
    """Find the comments whose parent link closes a loop of parents.

    ``parents`` maps each comment id to its parent's id (None, or an id not
    in the mapping, for a comment that starts a thread). Cutting the
    returned links leaves every chain ending at a thread's start. Chains
    are walked in the mapping's order, so the cut is deterministic.
    """
    done: set[int] = set()
    closers: set[int] = set()
    for start in parents:
        path: list[int] = []
        on_path: set[int] = set()
        current: int | None = start
        while current is not None and current in parents and current not in done:
            if current in on_path:
                closers.add(path[-1])  # its parent is already on this path
                break
            path.append(current)
            on_path.add(current)
            current = parents[current]
        done.update(path)
    return closers


def thread_roots(parents: Mapping[int, int | None]) -> dict[int, int]:
    """Map each comment id to the id of the comment that starts its thread.

    A parent outside ``parents`` ends the chain; a loop of parents is cut
    where ``loop_closers`` cuts it.
    """
    closers = loop_closers(parents)
    roots: dict[int, int] = {}
    for start in parents:
        path: list[int] = []
        current = start
        while current not in roots:
            path.append(current)
            parent = parents[current]
            if current in closers or parent is None or parent not in parents:
                roots[current] = current
                break
            current = parent
        root = roots[current]
        for member in path:
            roots[member] = root
    return roots


def shown_depth(max_depth: int) -> int:
    """The deepest level shown: ``COMMENT_THREAD_DEPTH`` within 1 and ``MAX_THREAD_DEPTH``."""
    return max(1, min(max_depth, MAX_THREAD_DEPTH))


def build_thread(
    comments: Iterable[Comment], max_depth: int, thread_order: Sequence[int] = ()
) -> list[ThreadNode]:
    """Nest comments under their parents, oldest first.

    As in WordPress, replies deeper than ``max_depth`` (at most
    ``MAX_THREAD_DEPTH``) are shown at the last level, right after the
    comment they answer. A reply whose parent is not shown, or whose
    parents loop, starts a thread of its own. ``thread_order`` lists thread
    ids in the order their threads are shown (a thread not in it comes
    last); inside a thread, replies stay in reading order.
    """
    ordered = sorted(comments, key=lambda comment: (comment.created_at, comment.id))
    nodes = {comment.id: ThreadNode(comment) for comment in ordered}
    closers = loop_closers({comment.id: comment.parent_id for comment in ordered})
    roots: list[ThreadNode] = []
    for comment in ordered:
        parent = None
        if comment.parent_id and comment.id not in closers:
            parent = nodes.get(comment.parent_id)
        (parent.children if parent else roots).append(nodes[comment.id])
    if thread_order:
        rank = {thread_id: place for place, thread_id in enumerate(thread_order)}
        roots.sort(key=lambda node: rank.get(node.comment.thread_id or 0, len(rank)))
    return _layout(roots, shown_depth(max_depth))


def _layout(roots: list[ThreadNode], max_depth: int) -> list[ThreadNode]:
    """Give each node its depth; flatten what is deeper than ``max_depth``.

    A node at the last level is followed, in its own list, by all its
    replies and theirs, in reading order. An explicit stack, not recursion:
    a chain of replies can be thousands long.
    """
    placed: list[ThreadNode] = []
    # (node, its depth, the list it goes into), the next to place on top.
    stack = [(node, 1, placed) for node in reversed(roots)]
    while stack:
        node, depth, siblings = stack.pop()
        node.depth = depth
        siblings.append(node)
        replies, node.children = node.children, []
        if depth < max_depth:
            stack.extend((reply, depth + 1, node.children) for reply in reversed(replies))
        else:
            stack.extend((reply, depth, siblings) for reply in reversed(replies))
    return placed
