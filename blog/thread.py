"""Arrange comments into the nested thread that readers see."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from blog.models import Comment


@dataclass
class ThreadNode:
    """One comment in the thread, with the replies nested under it."""

    comment: Comment
    children: list[ThreadNode] = field(default_factory=list)
    depth: int = 1


def build_thread(comments: Iterable[Comment], max_depth: int) -> list[ThreadNode]:
    """Nest comments under their parents, oldest first.

    As in WordPress, replies deeper than ``max_depth`` are shown at the last
    level, right after the comment they answer. A reply whose parent is not
    shown starts a thread of its own.
    """
    ordered = sorted(comments, key=lambda comment: (comment.created_at, comment.id))
    nodes = {comment.id: ThreadNode(comment) for comment in ordered}
    roots: list[ThreadNode] = []
    for comment in ordered:
        parent = nodes.get(comment.parent_id) if comment.parent_id else None
        (parent.children if parent else roots).append(nodes[comment.id])
    return _layout(roots, 1, max(1, max_depth))


def _layout(nodes: list[ThreadNode], depth: int, max_depth: int) -> list[ThreadNode]:
    placed: list[ThreadNode] = []
    for node in nodes:
        node.depth = depth
        if depth < max_depth:
            node.children = _layout(node.children, depth + 1, max_depth)
            placed.append(node)
        else:
            replies, node.children = node.children, []
            placed.append(node)
            placed.extend(_layout(replies, depth, max_depth))
    return placed
