"""Calibration: a monotone map from the ranker's raw score to the probability a row is causal.

Fit by weighted isotonic regression (pool-adjacent-violators) on out-of-fold predictions,
stored as a small lookup table (``calibration.json``: increasing ``x``, non-decreasing ``y``)
and applied by linear interpolation, clipped at both ends.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from varprio.errors import ModelError

#: The data are pre-binned into this many bins of equal row counts before PAV (small table).
N_BINS = 400


@dataclass(frozen=True)
class Calibration:
    """Monotone map raw score -> probability (isotonic regression as a lookup table)."""

    x: np.ndarray
    y: np.ndarray

    def apply(self, raw: np.ndarray) -> np.ndarray:
        """Probabilities, interpolated between the table's points and clipped at its ends."""
        return np.interp(raw, self.x, self.y)

    def to_json(self) -> str:
        """Stable JSON text."""
        doc = {"x": [round(float(v), 6) for v in self.x], "y": [round(float(v), 6) for v in self.y]}
        return json.dumps(doc) + "\n"

    @classmethod
    def read(cls, path: Path) -> Calibration:
        """Read ``calibration.json``."""
        try:
            return cls.read_text(path.read_text(), str(path))
        except FileNotFoundError:
            raise ModelError(f"{path}: missing (the model's calibration)") from None
        except OSError as exc:
            raise ModelError(f"{path}: unreadable ({exc.strerror})") from exc

    @classmethod
    def read_text(cls, text: str, where: str = "calibration") -> Calibration:
        """Parse the JSON text of a calibration table."""
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise ModelError(f"{where}: not JSON ({exc})") from exc
        x = np.asarray(doc.get("x", []) if isinstance(doc, dict) else [], float)
        y = np.asarray(doc.get("y", []) if isinstance(doc, dict) else [], float)
        if len(x) == 0 or len(x) != len(y) or np.any(np.diff(x) < 0):
            raise ModelError(f"{where}: expected increasing 'x' and 'y' lists of equal length")
        return cls(x, y)


def _bins(x: np.ndarray, y: np.ndarray, w: np.ndarray, n_bins: int) -> tuple:
    """Weighted means of x and y, and total weight, in bins of equally many sorted rows."""
    order = np.argsort(x, kind="stable")
    x, y, w = x[order], y[order], w[order]
    parts = [p for p in np.array_split(np.arange(len(x)), min(n_bins, len(x))) if len(p)]
    wt = np.array([w[p].sum() for p in parts])
    bx = np.array([(x[p] * w[p]).sum() for p in parts]) / wt
    by = np.array([(y[p] * w[p]).sum() for p in parts]) / wt
    return bx, by, wt


def fit_isotonic(x: np.ndarray, y: np.ndarray, w: np.ndarray, n_bins: int = N_BINS) -> Calibration:
    """Weighted isotonic regression of labels ``y`` (0/1) on scores ``x``."""
    bx, by, bw = _bins(np.asarray(x, float), np.asarray(y, float), np.asarray(w, float), n_bins)
    blocks: list[list[float]] = []  # [sum w*y, sum w, sum w*x]
    for xi, yi, wi in zip(bx, by, bw, strict=True):
        blocks.append([yi * wi, wi, xi * wi])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] >= blocks[-1][0] / blocks[-1][1]:
            last = blocks.pop()
            blocks[-1] = [a + b for a, b in zip(blocks[-1], last, strict=True)]
    cx = np.array([b[2] / b[1] for b in blocks])
    cy = np.array([b[0] / b[1] for b in blocks])
    return Calibration(cx, cy)
