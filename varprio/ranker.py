"""Rankers behind ``prioritize``: the learned LightGBM model (default) and the transparent one.

A model directory holds ``model.txt`` (LightGBM text model), ``model_card.json`` (feature list,
parameters, training data and knowledge-base checksums, cross-validation metrics, varprio
version, knowledge-base ``SCHEMA_VERSION``, sha256 of model.txt) and ``calibration.json``
(isotonic map from raw score to the probability that a row is causal, fit on out-of-fold
predictions).  A model whose feature list or schema version differs from the running code is
refused with :class:`~varprio.errors.ModelError`.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from varprio import model as transparent
from varprio.calibration import Calibration
from varprio.errors import ModelError
from varprio.features import FEATURE_COLUMNS, featurize
from varprio.io.ped import Family
from varprio.kb.manifest import sha256sum
from varprio.lgbm import Booster, LightGBMError
from varprio.parallel import THREADS
from varprio.reasons import reasons
from varprio.schemas import SCHEMA_VERSION

log = logging.getLogger(__name__)

MODEL_FILE, CARD_FILE, CALIBRATION_FILE = "model.txt", "model_card.json", "calibration.json"
#: Rows whose reasons are written (best scores first); the others get none (pred_contrib is
#: the costly part of scoring).
REASON_ROWS = 300
#: ACMG BA1: an allele above 5 % in a population is benign for a rare disease; score 0.
BA1_AF = 0.05


def default_model_dir() -> Path:
    """The model shipped inside the package."""
    return Path(__file__).resolve().parent / "models" / "default"


class Ranker(Protocol):
    """Adds ``score`` (higher is better), ``probability`` and ``reasons`` to a case table."""

    label: str

    def score_variants(
        self, candidates: pa.Table, sex: str | None, family: Family | None = None
    ) -> pa.Table: ...


def _with_outputs(
    table: pa.Table, score: np.ndarray, prob: pa.Array, why: pa.Array
) -> pa.Table:  # fmt: skip
    table = table.append_column("transparent_score", table["score"]).drop_columns(["score"])
    return (
        table.append_column("score", pa.array(score, pa.float64()))
        .append_column("probability", prob)
        .append_column("reasons", why)
    )


#: Common rows are left out of prediction when more than one in COMMON_SKIP rows is common.
COMMON_SKIP = 4


def ba1_common(scored: pa.Table) -> np.ndarray:
    """Rows that are BA1-common: highest population AF of the knowledge base (``max_pop_af``,
    else 1000 Genomes) at least :data:`BA1_AF`."""
    af = "max_pop_af" if "max_pop_af" in scored.column_names else "kgp_af_grpmax"
    return pc.fill_null(pc.greater_equal(scored[af], BA1_AF), False).to_numpy(zero_copy_only=False)


def learned_scores(scored: pa.Table, raw: np.ndarray) -> np.ndarray:
    """``score`` of the learned ranker: logistic of the raw score, 0 for BA1-common variants."""
    return np.where(ba1_common(scored), 0.0, 1.0 / (1.0 + np.exp(-raw)))


class TransparentRanker:
    """The transparent ranker of :mod:`varprio.model` (``--model transparent``)."""

    label = f"name={transparent.NAME};version={transparent.VERSION}"

    def score_variants(
        self, candidates: pa.Table, sex: str | None, family: Family | None = None
    ) -> pa.Table:
        """Transparent score; no probability and no reasons (its factors are the columns)."""
        scored = transparent.score_variants(candidates, sex, family)
        n = scored.num_rows
        return _with_outputs(
            scored, scored["score"].to_numpy(), pa.nulls(n, pa.float64()), pa.nulls(n, pa.string())
        )


def _read_json(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        raise ModelError(f"{path}: missing; a model directory needs {MODEL_FILE}, "
                         f"{CARD_FILE} and {CALIBRATION_FILE}") from None  # fmt: skip
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path}: unreadable ({exc})") from exc
    if not isinstance(doc, dict):
        raise ModelError(f"{path}: expected a JSON object")
    return doc


def check_card(card: dict[str, Any], where: Path) -> None:
    """Refuse a model trained on other features or for another knowledge-base schema."""
    features = card.get("features")
    if features != list(FEATURE_COLUMNS):
        got = list(features) if isinstance(features, list) else []
        missing = [f for f in FEATURE_COLUMNS if f not in got]
        extra = [f for f in got if f not in FEATURE_COLUMNS]
        detail = "; ".join(
            part
            for part in (
                f"missing {', '.join(missing)}" if missing else "",
                f"unknown {', '.join(extra)}" if extra else "",
            )
            if part
        )
        raise ModelError(
            f"{where}: the model's feature list differs from this varprio's "
            f"({detail or 'same features, other order'}); retrain it with 'varprio train'"
        )
    if card.get("kb_schema_version") != SCHEMA_VERSION:
        raise ModelError(
            f"{where}: model made for knowledge-base schema version "
            f"{card.get('kb_schema_version')}, this varprio uses {SCHEMA_VERSION}; retrain it"
        )


class LearnedRanker:
    """A LightGBM ranking model with its card and calibration."""

    def __init__(
        self, path: Path, booster: Booster, card: dict[str, Any], cal: Calibration
    ) -> None:
        self.path, self.booster, self.card, self.calibration = path, booster, card, cal
        self.label = (
            f"name={card.get('name')};version={card.get('version')};sha256={card['model_sha256']}"
        )

    @classmethod
    def load(cls, path: Path) -> LearnedRanker:
        """Load and check a model directory."""
        start = time.perf_counter()
        card = _read_json(path / CARD_FILE)
        check_card(card, path / CARD_FILE)
        text_path = path / MODEL_FILE
        if not text_path.is_file():
            raise ModelError(f"{text_path}: missing")
        digest = sha256sum(text_path)
        if digest != card.get("model_sha256"):
            raise ModelError(f"{text_path}: sha256 {digest[:12]}... differs from {CARD_FILE}")
        try:
            booster = Booster(text_path.read_text())
        except LightGBMError as exc:
            raise ModelError(f"{text_path}: not a LightGBM model ({exc})") from exc
        if booster.num_feature() != len(FEATURE_COLUMNS):
            raise ModelError(f"{text_path}: {booster.num_feature()} features, "
                             f"expected {len(FEATURE_COLUMNS)}")  # fmt: skip
        ranker = cls(path, booster, card, Calibration.read(path / CALIBRATION_FILE))
        log.info("loaded model %s in %.2f s", ranker.label, time.perf_counter() - start)
        return ranker

    def raw_scores(self, matrix: np.ndarray) -> np.ndarray:
        """Raw LightGBM scores (float64); rows are scored independently, so the thread count
        does not change them (tests/test_ranker.py)."""
        if len(matrix) == 0:
            return np.zeros(0)
        return self.booster.predict(matrix, num_threads=THREADS)

    def contributions(self, matrix: np.ndarray) -> np.ndarray:
        """Per-feature contributions (SHAP values) to the raw score; last column: the bias."""
        if len(matrix) == 0:
            return np.zeros((0, len(FEATURE_COLUMNS) + 1))
        return self.booster.predict(matrix, contrib=True, num_threads=1)

    def score_variants(
        self, candidates: pa.Table, sex: str | None, family: Family | None = None
    ) -> pa.Table:
        """Add transparent columns, ``score``, ``probability`` and ``reasons``."""
        scored, matrix = featurize(candidates, sex, family)
        common = ba1_common(scored)  # common variants score 0 whatever the model says
        # Selecting rows copies the matrix: worth it when many are common (a real exome's
        # calls mostly are), not for a few (the copy took longer than predicting them).
        if common.sum() * COMMON_SKIP > len(common):
            raw = np.zeros(scored.num_rows)
            raw[~common] = self.raw_scores(matrix[~common])
        else:
            raw = np.where(common, 0.0, self.raw_scores(matrix))
        return _with_outputs(scored, *self._finish(scored, matrix, raw))

    def _finish(
        self, scored: pa.Table, matrix: np.ndarray, raw: np.ndarray
    ) -> tuple[np.ndarray, pa.Array, pa.Array]:
        score = learned_scores(scored, raw)
        prob = np.where(score > 0, self.calibration.apply(raw), 0.0)
        top = np.argsort(-score, kind="stable")[:REASON_ROWS]
        why: list[str | None] = [None] * scored.num_rows
        texts = reasons(scored.take(pa.array(top)), matrix[top], self.contributions(matrix[top]))
        for i, text in zip(top.tolist(), texts, strict=True):
            why[i] = text
        return score, pa.array(prob, pa.float64()), pa.array(why, pa.string())


def load_ranker(spec: str | Path | None) -> Ranker:
    """``None``: the shipped default model; ``"transparent"``; or a model directory."""
    if spec is not None and str(spec) == "transparent":
        return TransparentRanker()
    path = default_model_dir() if spec is None else Path(spec)
    if not path.is_dir():
        raise ModelError(f"{path}: no model directory here (or use --model transparent)")
    return LearnedRanker.load(path)
