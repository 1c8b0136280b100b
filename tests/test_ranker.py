"""Loading, checking and explaining learned models; the transparent ranker stays available."""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result
from conftest import TEST_DATA

from varprio.calibration import Calibration, fit_isotonic
from varprio.cli import main
from varprio.errors import ModelError
from varprio.features import FEATURE_COLUMNS
from varprio.kb.fetch import sha256sum
from varprio.lgbm import Booster
from varprio.ranker import CARD_FILE, MODEL_FILE, LearnedRanker, default_model_dir, load_ranker
from varprio.reasons import ordinal
from varprio.report.pheval import max_ranks

CASE = TEST_DATA / "kb" / "case.vcf"
HPO = "HP:0002123,HP:0001256"


def run(kb: Path, *args: str) -> Result:
    return CliRunner().invoke(main, [*args, "--kb", str(kb)])


def rows(text: str) -> list[dict[str, str]]:
    lines = [ln.split("\t") for ln in text.splitlines() if not ln.startswith("##")]
    return [dict(zip(lines[0], r, strict=True)) for r in lines[1:]]


@pytest.fixture()
def model_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped model."""
    out = tmp_path / "model"
    shutil.copytree(default_model_dir(), out)
    return out


def _edit_card(model: Path, **changes: object) -> None:
    card = json.loads((model / CARD_FILE).read_text())
    card.update(changes)
    (model / CARD_FILE).write_text(json.dumps(card))


def test_shipped_model_loads_and_names_itself() -> None:
    ranker = LearnedRanker.load(default_model_dir())
    digest = sha256sum(default_model_dir() / MODEL_FILE)
    assert ranker.card["features"] == list(FEATURE_COLUMNS)
    assert ranker.label.startswith("name=varprio-default;version=")
    assert ranker.label.endswith(f";sha256={digest}")
    assert (default_model_dir() / MODEL_FILE).stat().st_size < 2_000_000


def test_c_api_predictions_equal_the_python_package_bit_for_bit() -> None:
    lightgbm = pytest.importorskip("lightgbm")
    text = (default_model_dir() / MODEL_FILE).read_text()
    rng = np.random.default_rng(7)
    matrix = (rng.random((2000, len(FEATURE_COLUMNS))) * 20).astype(np.float32)
    matrix[rng.random(matrix.shape) < 0.2] = np.nan
    ours, theirs = Booster(text), lightgbm.Booster(model_str=text)
    assert np.array_equal(ours.predict(matrix), theirs.predict(matrix, num_threads=1))
    assert np.array_equal(ours.predict(matrix, num_threads=2), ours.predict(matrix))
    assert np.array_equal(
        ours.predict(matrix[:50], contrib=True),
        theirs.predict(matrix[:50], pred_contrib=True, num_threads=1),
    )


def test_prediction_in_a_forked_child_after_threaded_prediction() -> None:
    """batch forks its workers: OpenMP's pool does not survive fork(), so a child must not
    start a parallel region (it would hang); it predicts the same scores on one thread."""
    booster = Booster((default_model_dir() / MODEL_FILE).read_text())
    matrix = np.random.default_rng(3).random((5000, len(FEATURE_COLUMNS))).astype(np.float32)
    expected = booster.predict(matrix, num_threads=2)
    pid = os.fork()
    if pid == 0:  # the child: exit code 0 when its scores are the parent's
        os._exit(0 if np.array_equal(booster.predict(matrix, num_threads=2), expected) else 1)
    for _ in range(600):  # a hang guard (60 s), not a speed assertion
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    pytest.fail("prediction in a forked child hung")


def test_model_text_the_library_refuses_is_a_model_error(model_copy: Path) -> None:
    (model_copy / MODEL_FILE).write_text("not a model\n")
    _edit_card(model_copy, model_sha256=sha256sum(model_copy / MODEL_FILE))
    with pytest.raises(ModelError, match="not a LightGBM model"):
        LearnedRanker.load(model_copy)


def test_model_with_another_feature_list_is_refused(model_copy: Path, tiny_kb: Path) -> None:
    _edit_card(model_copy, features=[f for f in FEATURE_COLUMNS if f != "dp"] + ["cadd"])
    with pytest.raises(ModelError, match="missing dp; unknown cadd"):
        load_ranker(model_copy)
    r = run(tiny_kb, "prioritize", str(CASE), "--hpo", HPO, "--model", str(model_copy))
    assert r.exit_code == 3
    assert r.stderr.startswith("varprio: error: ") and "feature list" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_model_of_another_schema_or_changed_file_is_refused(model_copy: Path) -> None:
    _edit_card(model_copy, kb_schema_version=-1)
    with pytest.raises(ModelError, match="schema version -1"):
        load_ranker(model_copy)
    _edit_card(model_copy, kb_schema_version=json.loads(
        (default_model_dir() / CARD_FILE).read_text())["kb_schema_version"])  # fmt: skip
    with (model_copy / MODEL_FILE).open("a") as fh:
        fh.write("\n")
    with pytest.raises(ModelError, match="sha256"):
        load_ranker(model_copy)


def test_missing_model_directory_exits_3(tiny_kb: Path, tmp_path: Path) -> None:
    r = run(tiny_kb, "prioritize", str(CASE), "--hpo", HPO, "--model", str(tmp_path / "none"))
    assert r.exit_code == 3 and "none" in r.stderr


def test_transparent_ranker_still_available(tiny_kb: Path) -> None:
    r = run(tiny_kb, "prioritize", str(CASE), "--hpo", HPO, "--model", "transparent")
    assert r.exit_code == 0, r.output
    assert "##model=name=transparent;version=1\n" in r.stdout
    top = rows(r.stdout)[0]
    assert (top["gene"], top["consequence"]) == ("GENEC", "frameshift_variant")
    assert top["score"] == top["transparent_score"]
    assert top["probability"] == "." and top["reasons"] == "."


def test_learned_ranker_adds_probability_and_reasons(tiny_kb: Path, tmp_path: Path) -> None:
    prefix = tmp_path / "case"
    r = run(tiny_kb, "prioritize", str(CASE), "--hpo", HPO, "--out-prefix", str(prefix))
    assert r.exit_code == 0, r.output
    text = Path(f"{prefix}.variants.tsv").read_text()
    assert f";sha256={sha256sum(default_model_dir() / MODEL_FILE)}" in text.splitlines()[3]
    variants = rows(text)
    assert all(0.0 <= float(v["probability"]) <= 1.0 for v in variants)
    assert all(v["reasons"].count(";") == 2 for v in variants)  # three reasons each
    assert any("phenotype" in v["reasons"] for v in variants)
    common = [v for v in variants if v["pos"] == "2050"][0]  # kgp AF 0.5: BA1
    assert float(common["score"]) == 0.0 and float(common["probability"]) == 0.0
    genes = rows(Path(f"{prefix}.genes.tsv").read_text())
    assert {"probability", "reasons"} <= set(genes[0])


def test_isotonic_calibration_is_monotone_and_calibrated() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=5000)
    y = (rng.random(5000) < 1 / (1 + np.exp(-2 * x))).astype(float)
    cal = fit_isotonic(x, y, np.ones_like(x))
    assert np.all(np.diff(cal.x) > 0) and np.all(np.diff(cal.y) >= 0)
    p = cal.apply(np.array([-3.0, 0.0, 3.0]))
    assert p[0] < 0.1 and abs(p[1] - 0.5) < 0.1 and p[2] > 0.9
    back = Calibration.read_text(cal.to_json())
    np.testing.assert_allclose(back.apply(x), cal.apply(x), atol=1e-5)


def test_reason_words_and_pheval_ties() -> None:
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 1002)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "1,002nd"]  # fmt: skip
    assert max_ranks(np.array([0.9, 0.5, 0.5, 0.1])).tolist() == [1, 3, 3, 4]


def test_common_rows_left_out_of_prediction_or_not_give_the_same_table(
    tiny_kb: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whether BA1-common rows are left out of prediction (many common) or predicted and then
    zeroed (few common), the ranked table is the same."""
    from varprio import pipeline, ranker

    res = pipeline.load_resources(tiny_kb, "pytest")
    req = pipeline.CaseRequest(str(CASE), HPO.split(","), None, [], None, None, None, None)
    tables = []
    for skip in (10**9, 0):  # any common row left out; never left out
        monkeypatch.setattr(ranker, "COMMON_SKIP", skip)
        tables.append(pipeline.run_case(res, req).variants)
    assert tables[0].equals(tables[1])
    assert 0.0 in tables[0]["score"].to_pylist()  # the case has a common row
