"""Prediction with a LightGBM model through LightGBM's C API (ctypes).

Importing the ``lightgbm`` Python package also imports pandas and scipy: about 0.4 s of a
2 s exome run.  Prediction needs only the shared library that package ships, so this module
loads ``lib_lightgbm`` directly and calls ``LGBM_BoosterPredictForMat`` with the same
arguments as ``lightgbm.Booster.predict`` (same results, bit for bit: tests/test_ranker.py).
Training (varprio/train.py) still uses the Python package.
"""

from __future__ import annotations

import ctypes
import importlib.util
import logging
import os
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np

#: C API constants (LightGBM's c_api.h).
_FLOAT32, _FLOAT64 = 0, 1
_PREDICT_NORMAL, _PREDICT_CONTRIB = 0, 3


log = logging.getLogger(__name__)


#: False in a forked child: OpenMP's thread pool does not survive fork(), and a child that
#: starts a parallel region its parent had used hangs (batch workers are forked).
_threads_usable = True


def _forked() -> None:
    global _threads_usable
    _threads_usable = False


os.register_at_fork(after_in_child=_forked)


class LightGBMError(RuntimeError):
    """The C library refused a model or a prediction (its own message)."""


def _library_path() -> Path:
    spec = importlib.util.find_spec("lightgbm")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise LightGBMError("the lightgbm package is not installed (pip install lightgbm)")
    name = {"win32": "lib_lightgbm.dll", "darwin": "lib_lightgbm.dylib"}.get(
        sys.platform, "lib_lightgbm.so"
    )
    for base in spec.submodule_search_locations:
        for path in (Path(base) / "lib" / name, Path(base) / name):
            if path.is_file():
                return path
    raise LightGBMError(f"{name} not found in the lightgbm package")


@ctypes.CFUNCTYPE(None, ctypes.c_char_p)
def _log_line(message: bytes) -> None:  # the library would print to stdout: keep it clean
    text = message.decode(errors="replace").strip()
    if text:
        log.debug("%s", text)


@lru_cache(maxsize=1)
def _lib() -> ctypes.CDLL:
    lib = ctypes.cdll.LoadLibrary(str(_library_path()))
    lib.LGBM_GetLastError.restype = ctypes.c_char_p
    _check_code(lib, lib.LGBM_RegisterLogCallback(_log_line))
    return lib


def _check_code(lib: ctypes.CDLL, code: int) -> None:
    if code != 0:
        raise LightGBMError(lib.LGBM_GetLastError().decode(errors="replace"))


def _check(code: int) -> None:
    _check_code(_lib(), code)


class Booster:
    """A model loaded from LightGBM's text format, for prediction only."""

    def __init__(self, model_str: str) -> None:
        lib, self._handle = _lib(), ctypes.c_void_p()
        iterations = ctypes.c_int()
        _check(lib.LGBM_BoosterLoadModelFromString(
            ctypes.c_char_p(model_str.encode()), ctypes.byref(iterations),
            ctypes.byref(self._handle),
        ))  # fmt: skip
        n = ctypes.c_int()
        _check(lib.LGBM_BoosterGetNumFeature(self._handle, ctypes.byref(n)))
        self._n_features = n.value

    def __del__(self) -> None:
        if getattr(self, "_handle", None) and self._handle.value:
            _lib().LGBM_BoosterFree(self._handle)

    def num_feature(self) -> int:
        """Number of features the model was trained on."""
        return self._n_features

    def predict(
        self, matrix: np.ndarray, contrib: bool = False, num_threads: int = 1
    ) -> np.ndarray:
        """Scores (n,) or, with ``contrib``, feature contributions plus bias (n, features + 1).

        ``matrix`` may be row- or column-major (a feature matrix built column by column)."""
        num_threads = num_threads if _threads_usable else 1
        dtype = np.float32 if matrix.dtype == np.float32 else np.float64
        row_major = not matrix.flags["F_CONTIGUOUS"] or matrix.flags["C_CONTIGUOUS"]
        data = (np.ascontiguousarray if row_major else np.asfortranarray)(matrix, dtype=dtype)
        rows, cols = data.shape
        width = cols + 1 if contrib else 1
        out = np.empty(rows * width, dtype=np.float64)
        out_len = ctypes.c_int64()
        _check(_lib().LGBM_BoosterPredictForMat(
            self._handle, data.ctypes.data_as(ctypes.c_void_p),
            ctypes.c_int(_FLOAT32 if data.dtype == np.float32 else _FLOAT64),
            ctypes.c_int32(rows), ctypes.c_int32(cols), ctypes.c_int(int(row_major)),
            ctypes.c_int(_PREDICT_CONTRIB if contrib else _PREDICT_NORMAL),
            ctypes.c_int(0), ctypes.c_int(-1),
            ctypes.c_char_p(f"num_threads={num_threads}".encode()),
            ctypes.byref(out_len), out.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
        ))  # fmt: skip
        if out_len.value != out.size:
            raise LightGBMError(f"prediction returned {out_len.value} values, expected {out.size}")
        return out.reshape(rows, width) if contrib else out
