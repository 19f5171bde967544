# Two commands on a fresh machine: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export TOKENIZERS_PARALLELISM := false

.PHONY: run test setup models index system-deps lint unit eval eval-gates eval-retrieval bench load clean

run: setup models index
	$(BIN)/assistant serve

test: setup models system-deps index
	$(BIN)/ruff check .
	$(BIN)/pytest
	$(MAKE) eval-gates

setup: $(STAMP)

# CPU torch first (a wheel on this machine's disk), then llama-cpp-python (compiled once per machine
# and CPU, see scripts/llama-wheel.sh), then the project and its pinned dependencies.
$(STAMP): pyproject.toml scripts/llama-wheel.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	bash scripts/llama-wheel.sh $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[llm,dev]'
	touch $(STAMP)

models: setup
	$(BIN)/assistant models fetch

# Incremental: unchanged documents are skipped, so this is cheap when the index is up to date.
index: setup models
	$(BIN)/assistant ingest

# Debian packages the integration tests use (Chromium for the browser tests, PostgreSQL).
system-deps:
	bash scripts/system-deps.sh

lint: setup
	$(BIN)/ruff check .

unit: setup
	$(BIN)/pytest -m "not slow"

# All suites on the extractive backend, with the thresholds of evals/thresholds.yaml; the suites
# of evals/suites/new-docs/ run apart, on a throwaway corpus with their documents (evals/documents.py).
eval-gates: setup
	ASSISTANT_LLM_BACKEND=extractive $(BIN)/assistant eval evals/suites/*.yaml --report var/eval-extractive.json
	ASSISTANT_LLM_BACKEND=extractive $(BIN)/assistant eval evals/suites/new-docs/*.yaml --report var/eval-new-docs-extractive.json

# All suites on the embedded model (llamacpp; slow: about a minute per five questions on 2 cores).
# The default backend is extractive, which eval-gates runs.
eval: setup models index
	ASSISTANT_LLM_BACKEND=llamacpp $(BIN)/assistant eval evals/suites/*.yaml --report var/eval-llamacpp.json --markdown var/eval-llamacpp.md --html var/eval-llamacpp.html
	ASSISTANT_LLM_BACKEND=llamacpp $(BIN)/assistant eval evals/suites/new-docs/*.yaml --report var/eval-new-docs-llamacpp.json --markdown var/eval-new-docs-llamacpp.md

# Dense / BM25 / hybrid side by side on the retrieval development suite.
eval-retrieval: setup models index
	$(BIN)/assistant eval evals/suites/retrieval-dev.yaml --retrieval --report var/eval-retrieval.json --html var/eval-retrieval.html

bench: setup models index
	$(BIN)/python -m bench.run

load: setup models index
	$(BIN)/python -m bench.load

clean:
	rm -rf var .pytest_cache .ruff_cache
