"""How many threads varprio's in-process parallel steps use (Arrow kernels, the CSV writer,
zlib and LightGBM release the GIL): the cores, at most four."""

from __future__ import annotations

import os

#: Threads for parallel Arrow/numpy work, TSV formatting and model prediction.
THREADS = max(1, min(4, os.cpu_count() or 1))
