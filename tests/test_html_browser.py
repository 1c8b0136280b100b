"""The HTML report rendered by headless Chromium: the script runs, nothing is fetched.

Skipped when no Chromium is installed (Debian: ``apt-get install -y chromium``).  The
screenshot is kept under pytest's tmp dir as a test artefact.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import TEST_DATA

from varprio.cli import main

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
)  # fmt: skip


def browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no Chromium installed (apt-get install -y chromium)")


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "profile"
    cmd = [browser(), *FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)


@pytest.fixture(scope="module")
def page(tiny_kb: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    prefix = tmp_path_factory.mktemp("html") / "case"
    r = CliRunner().invoke(main, ["prioritize", str(TEST_DATA / "report" / "xss_sample.vcf"),
                                  "--hpo", "HP:0002123,HP:0001256", "--exclude", "HP:0000505",
                                  "--format", "html", "--out-prefix", str(prefix),
                                  "--kb", str(tiny_kb)])  # fmt: skip
    assert r.exit_code == 0, r.output
    return Path(f"{prefix}.html")


def test_rendered_dom(page: Path, tmp_path: Path) -> None:
    r = chromium(tmp_path, "--dump-dom", page.as_uri())
    assert r.returncode == 0, r.stderr[-2000:]
    dom = r.stdout
    assert '<a href="#g1">GENEC</a>' in dom  # the top gene, linked to its evidence
    assert 'tabindex="0"' in dom  # the inline script ran (sortable headers)
    assert "<script src" not in dom and "http" not in dom
    assert "<script>alert(1)</script>" not in dom  # the sample name stayed text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom


def test_screenshot(page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    r = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", page.as_uri())
    assert r.returncode == 0, r.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


PROBE = """<script>
var f = document.getElementById("filter");
f.value = "geneb"; f.dispatchEvent(new Event("input"));
var rows = document.querySelectorAll("#candidates tbody tr");
var shown = [].filter.call(rows, function (r) { return !r.hidden; });
var th = document.querySelectorAll("#candidates thead th")[1];
th.click(); th.click();
var order = [].map.call(document.querySelectorAll("#candidates tbody tr"),
                        function (r) { return r.cells[1].textContent; });
document.body.setAttribute("data-probe", shown.length + "|" + order.join(",") + "|" +
                           th.getAttribute("aria-sort"));
</script></body>"""


def test_filter_and_sort_work(page: Path, tmp_path: Path) -> None:
    probed = tmp_path / "probed.html"
    probed.write_text(page.read_text().replace("</body>", PROBE))
    r = chromium(tmp_path, "--dump-dom", probed.as_uri())
    assert r.returncode == 0, r.stderr[-2000:]
    assert 'data-probe="1|GENEC,GENEB,GENEA|descending"' in r.stdout
