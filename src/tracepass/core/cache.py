"""One bounded in-process LRU, for every per-worker cache of rendered bodies."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

from starlette.applications import Starlette

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LruCache(Generic[K, V]):
    """A dict that forgets its least recently used entry beyond `max_entries`."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


def app_cache(app: Starlette, name: str, max_entries: int) -> LruCache[K, V]:
    """The app's cache called `name`, made on first use (one per app, per worker)."""
    state = app.state
    cache: LruCache[K, V] | None = getattr(state, name, None)
    if cache is None:
        cache = LruCache(max_entries)
        setattr(state, name, cache)
    return cache
