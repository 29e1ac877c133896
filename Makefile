# Every target is a thin call of the `osaa` CLI or of pytest inside the project's own environment.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OSAA := $(BIN)/osaa

.DEFAULT_GOAL := help
.PHONY: help install run-pipeline quality test test-fast test-s3 test-reliability test-docker lint bench sample-data clean-lake system-deps

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the pinned packages

run-pipeline: $(STAMP) ## Run the whole pipeline on the shipped sample data and write reports/
	$(OSAA) run-pipeline

system-deps: ## Install the Debian packages the tests need (headless Chromium; Docker's engine and debootstrap)
	@missing=""; docker_missing=""; \
	  command -v chromium >/dev/null 2>&1 || missing="chromium"; \
	  [ -x /usr/sbin/dockerd ] || docker_missing="docker.io"; \
	  [ -x /usr/sbin/debootstrap ] || docker_missing="$$docker_missing debootstrap"; \
	  if [ -n "$$missing$$docker_missing" ]; then \
	    if [ "$$(id -u)" = 0 ]; then \
	      apt-get update -qq \
	      && { [ -z "$$missing" ] || apt-get install -y -qq $$missing >/dev/null; } \
	      && { [ -z "$$docker_missing" ] || DEBIAN_FRONTEND=noninteractive \
	        apt-get install -y -qq --no-install-recommends $$docker_missing >/dev/null; }; \
	    else echo "missing: $$missing $$docker_missing: run 'sudo apt-get install' for them"; fi; fi

test: $(STAMP) system-deps ## Run the whole test suite (what CI runs)
	$(BIN)/ruff check .
	$(BIN)/pytest -q

test-fast: $(STAMP) ## Tests without the slow, S3, browser, reliability and docker ones
	$(BIN)/pytest -q -m "not slow and not s3 and not browser and not reliability and not docker"

test-s3: $(STAMP) ## The S3 suite alone, against a SeaweedFS server started by the tests
	$(BIN)/pytest -q -m s3

test-reliability: $(STAMP) system-deps ## The reliability and security suite alone
	$(BIN)/pytest -q -m reliability tests/reliability

test-docker: $(STAMP) system-deps ## The docker tier alone: builds the image, runs the runbook's compose commands (root)
	$(BIN)/pytest -q tests/docker

reliability-report: $(STAMP) system-deps ## Run the reliability suite and rewrite RELIABILITY.md from its results
	OSAA_RELIABILITY_JSON=/tmp/reliability.json $(BIN)/pytest -q -m reliability tests/reliability
	$(BIN)/python -m tests.reliability.make_report /tmp/reliability.json

lint: $(STAMP) ## ruff, hadolint and shellcheck
	$(BIN)/ruff check .
	$(BIN)/hadolint Dockerfile
	$(BIN)/shellcheck --shell=sh docker/*.sh

bench: $(STAMP) ## Full-scale benchmarks; writes benchmarks/RESULTS.md
	$(BIN)/python -m benchmarks

sample-data: $(STAMP) ## Regenerate the small committed sample under data/raw
	$(OSAA) sample-data --scale small --out data/raw

quality: $(STAMP) ## Data-quality checks of the published tables (exit 7 when the gate fails)
	$(OSAA) quality

health: $(STAMP) ## Morning health check: last run of every command (exit 1 if one failed)
	$(OSAA) status

.PHONY: etl transform
etl: $(STAMP) ## Ingest, transform and publish to your staging zone (osaa etl)
	$(OSAA) etl

transform: $(STAMP) ## Plan and apply the SQLMesh models in your environment (osaa transform)
	$(OSAA) transform
