"""How many threads varprio's in-process parallel steps use (Arrow kernels, the CSV writer,
zlib and LightGBM release the GIL): the cores, at most four; and an ordered, bounded map."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

#: Threads for parallel Arrow/numpy work, TSV formatting and model prediction.
THREADS = max(1, min(4, os.cpu_count() or 1))

T = TypeVar("T")
R = TypeVar("R")


def ordered_map(func: Callable[[T], R], items: Iterable[T], ahead: int) -> Iterator[R]:
    """``func`` of each item on :data:`THREADS` threads, yielded in the items' order, with at
    most ``ahead`` items submitted and not yet yielded (bounds the memory in flight)."""
    with ThreadPoolExecutor(THREADS) as pool:
        pending: deque[Future[R]] = deque()
        for item in items:
            pending.append(pool.submit(func, item))
            if len(pending) >= ahead:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
