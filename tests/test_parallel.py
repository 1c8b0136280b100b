"""varprio.parallel: the ordered, bounded map the reader and the TSV writer share."""

from __future__ import annotations

import threading
import time

from varprio.parallel import ordered_map


def test_ordered_map_keeps_order_and_bounds_work_in_flight() -> None:
    """Results come in the items' order; no more than ``ahead`` items wait at once."""
    lock, state = threading.Lock(), {"now": 0, "most": 0}

    def slow(i: int) -> int:
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        time.sleep(0.002 * (i % 3))
        with lock:
            state["now"] -= 1
        return i * i

    assert list(ordered_map(slow, range(40), ahead=3)) == [i * i for i in range(40)]
    assert state["most"] <= 3
