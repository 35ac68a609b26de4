"""Cursor pagination shared by every list: opaque cursors over a stable sort key.

A cursor is the sort key of the last item served, URL-safe base64 of JSON. Keyset pagination
(`WHERE key < $cursor ORDER BY key DESC LIMIT n`) stays fast on deep pages and never skips or
repeats an item when new ones arrive meanwhile, unlike OFFSET.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import msgspec

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    next_cursor: str | None = None
    """Pass as `cursor` to get the next page; null on the last page."""


class BadCursor(ValueError):
    """A cursor that this server did not make (or that belongs to another list)."""


def encode_cursor(*key: Any) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(list(key))).decode().rstrip("=")


def decode_cursor(cursor: str, *types: type) -> tuple[Any, ...]:
    """The key a cursor holds, converted to `types` (one per key part)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        parts = msgspec.json.decode(raw)
        if not isinstance(parts, list) or len(parts) != len(types):
            raise BadCursor("this cursor does not belong to this list")
        return tuple(msgspec.convert(p, t) for p, t in zip(parts, types, strict=True))
    except (binascii.Error, msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
        raise BadCursor("malformed cursor") from exc


def page(
    rows: Sequence[R], limit: int, build: Callable[[R], T], key: Callable[[R], tuple[Any, ...]]
) -> Page[T]:
    """A page from `limit + 1` fetched rows (the extra row only says there is more): each row
    made an item by `build`, the cursor made from the last served row's `key`."""
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = encode_cursor(*key(rows[-1])) if more else None
    return Page([build(r) for r in rows], cursor)


def after(cursor: str | None, *types: type, first: tuple[Any, ...]) -> tuple[Any, ...]:
    """The key to continue after: the cursor's, or `first` (before everything) without one."""
    return decode_cursor(cursor, *types) if cursor else first


NEWEST = (2**63 - 1,)
"""`first` for lists keyed by log position, newest first."""
