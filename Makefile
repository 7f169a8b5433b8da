# citycheckup — the two front doors are `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed-stamp
export MPLCONFIGDIR ?= $(CURDIR)/.cache/matplotlib

.PHONY: demo test install lint typecheck typecheck-sync bench clean serve coverage mutation mutation-sample

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Re-install when the project metadata changes.
$(STAMP): pyproject.toml | $(PY)
	$(PIP) install --quiet -e '.[all,test]'
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/citycheckup demo --out out/demo

test: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

# mypy with pandas-stubs. The errors that existed when pandas-stubs came in are listed in
# .ci/mypy-baseline.txt (mypy-baseline); any other error fails. Fix one, then
# `make typecheck-sync` to shrink the list.
typecheck: $(STAMP)
	$(VENV)/bin/mypy src/citycheckup | $(VENV)/bin/mypy-baseline filter --baseline-path .ci/mypy-baseline.txt --allow-unsynced --no-colors

typecheck-sync: $(STAMP)
	$(VENV)/bin/mypy src/citycheckup | $(VENV)/bin/mypy-baseline sync --baseline-path .ci/mypy-baseline.txt --sort-baseline

COVERAGE_WATCH := */api/_geo.py,*/cli/hotline.py,*/citycheckup/_io.py,*/cli/checkup.py,*/spatial/_gtfs.py,*/composite/screen.py,*/composite/stats.py,*/composite/weights.py,*/composite/analysis.py
# Line coverage of the whole suite (pytest-cov); the table lists every module, worst first.
coverage: $(STAMP)
	@mkdir -p .cache/coverage
	$(PY) -m pytest -q -p no:cacheprovider --cov=citycheckup --cov-report= $(PYTEST_ARGS)
	$(VENV)/bin/coverage report --sort=cover > .cache/coverage/report.txt
	@echo "== the modules issue 18 asks >= 90 % for"
	@$(VENV)/bin/coverage report --sort=cover --include='$(COVERAGE_WATCH)'
	@echo "== overall (every module: .cache/coverage/report.txt)"
	@tail -n 1 .cache/coverage/report.txt

# Mutation testing (mutmut) of the core packages, each in a scratch copy (docs/testing.md).
# Full run: hours. MUTATION_PACKAGES narrows it, e.g. make mutation MUTATION_PACKAGES=composite,io
MUTATION_PACKAGES ?= composite,diagnosis,data,indicators,spatial,hotline,io,checkup,inventory
MUTATION_SAMPLE   ?= 12
MUTATION_SAMPLE_PACKAGES ?= indicators,io,hotline
mutation: $(STAMP)
	$(PY) .ci/mutation.py --packages $(MUTATION_PACKAGES) --report .cache/mutation/full.json

# A seeded sample of mutants per package, for CI (a few minutes).
mutation-sample: $(STAMP)
	$(PY) .ci/mutation.py --packages $(MUTATION_SAMPLE_PACKAGES) --sample $(MUTATION_SAMPLE) \
		--seed 1 --report .cache/mutation/sample.json

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf out .cache build dist *.egg-info
