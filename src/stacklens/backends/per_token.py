"""What a backend learns under one token, kept for that token only.

In a team deployment (`--token-from-request`) each MCP client brings its own upstream token, with its own
permissions: a projects list, a region or a refusal seen under one token must never answer another. Every
cache a backend keeps lives in a `PerToken` holder, keyed by a hash of the token (never the token), with a
bound on how many tokens are remembered.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from stacklens.http import Upstream

T = TypeVar("T")
MAX_TOKENS = 64  # the least recently used token's caches are dropped past this


def token_identity(token: str | None) -> str:
    return hashlib.sha256((token or "").encode()).hexdigest()[:32]


class PerToken(Generic[T]):
    def __init__(self, upstream: Upstream, factory: Callable[[], T], size: int = MAX_TOKENS) -> None:
        self._up = upstream
        self._factory = factory
        self._size = size
        self._entries: OrderedDict[str, T] = OrderedDict()

    def get(self) -> T:
        """The caches of the token the current request is made with (created on first use)."""
        key = token_identity(self._up.current_token())
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = self._factory()
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        else:
            self._entries.move_to_end(key)
        return entry

    def __len__(self) -> int:
        return len(self._entries)
