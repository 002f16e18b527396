"""Bounded concurrent fan-out of upstream requests (one per project, page or issue)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import anyio

from stacklens.errors import StacklensError

T = TypeVar("T")

FANOUT = 8  # concurrent upstream requests of one fan-out


async def gather(jobs: Sequence[Callable[[], Awaitable[T]]], limit: int = FANOUT) -> list[T]:
    """Run jobs concurrently (bounded); the first StacklensError cancels the rest and is raised as is."""
    results: list[Any] = [None] * len(jobs)
    errors: list[StacklensError] = []
    limiter = anyio.CapacityLimiter(limit)

    async with anyio.create_task_group() as tg:

        async def run(n: int, job: Callable[[], Awaitable[T]]) -> None:
            async with limiter:
                try:
                    results[n] = await job()
                except StacklensError as exc:
                    errors.append(exc)
                    tg.cancel_scope.cancel()

        for n, job in enumerate(jobs):
            tg.start_soon(run, n, job)
    if errors:
        raise errors[0]
    return results
