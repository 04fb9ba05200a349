# Agora — local development and tests.
#
#   make test    run every test against a real RabbitMQ and MongoDB (started if needed)
#   make up      start the whole platform locally (broker, database, services, gateway, demo data)
#   make down    stop what `make up` / `make infra` started
#
# Everything the targets need is installed on demand (Debian packages, PyPI, Maven Central); state,
# logs and caches live in the git-ignored .state/. `make help` lists all targets.

SHELL       := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON      ?= python3
VENV        := .venv
VENV_STAMP  := $(VENV)/.agora-installed
STACK       := dev/stack.sh
PLATFORM    := dev/platform.sh
STACK_ENV   := .state/stack.env
PYTEST_ARGS ?=
BENCH       ?=
# checkov (k8s security-scan tests) conflicts with our pins (packaging<24): it gets a venv of its own
CHECKOV_VERSION := 3.3.30
CHECKOV_VENV    := .state/tools/checkov-$(CHECKOV_VERSION)
CHECKOV_STAMP   := $(CHECKOV_VENV)/.installed
# promtool (PromQL checks of the alerts and dashboard), taken out of Debian's `prometheus` package
# without installing it: no Prometheus daemon is set up or started on the machine.
PROMTOOL_DIR    := .state/tools/prometheus
PROMTOOL        := $(PROMTOOL_DIR)/usr/bin/promtool
# The k8s tests render with `kubectl kustomize`; a machine without kubectl gets a standalone
# kustomize built from the Go module proxy (Debian's kubectl 1.20 embeds one too old for components).
KUSTOMIZE_VERSION := v5.5.0
KUSTOMIZE       := .state/tools/bin/kustomize
ifeq ($(shell command -v kubectl),)
KUSTOMIZE_TOOL  := $(KUSTOMIZE)
endif

# Load the URIs written by `dev/stack.sh up` into a recipe's shell.
with_stack_env := set -a; source $(STACK_ENV); set +a;

# The site's front-end packages (package.json + package-lock.json; `npm ci`), the files the
# gateway serves from them (gateway/web/static/vendor/), and Debian's chromium + chromedriver
# for the browser tests (tests/browser; never a browser downloaded at test time).
NODE_STAMP      := node_modules/.agora-installed
VENDOR_STAMP    := gateway/web/static/vendor/.agora-copied
BROWSER         := /usr/bin/chromium
CHROMEDRIVER    := /usr/bin/chromedriver

.PHONY: help venv tools assets browser infra status test up down bench lint clean-venv

help: ## list the targets
	@echo "Agora — make targets:"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  \1\t\2/' | expand -t 14

venv: $(VENV_STAMP) ## create/update .venv (python3 >= 3.11, pinned by constraints.txt)
	@true

# One shell, under a lock: several `make test` may run at once in one work tree.
$(VENV_STAMP): pyproject.toml constraints.txt
	@mkdir -p .state; exec 8>.state/venv.lock; flock 8; \
	if [ -f $@ ] && [ $@ -nt pyproject.toml ] && [ $@ -nt constraints.txt ]; then exit 0; fi; \
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || { \
	  echo "make venv: '$(PYTHON)' is $$($(PYTHON) --version 2>&1); Agora needs Python 3.11+ (set PYTHON=...)" >&2; exit 1; }; \
	if [ ! -x $(VENV)/bin/python ] || ! $(VENV)/bin/python -c 'import sys' 2>/dev/null; then \
	  echo "make venv: creating $(VENV) with $$(command -v $(PYTHON)) ($$($(PYTHON) --version 2>&1))"; \
	  rm -rf $(VENV); \
	  $(PYTHON) -m venv $(VENV) || { \
	    echo "make venv: '$(PYTHON) -m venv' failed; on Debian: apt-get install python3-venv" >&2; exit 1; }; \
	fi; \
	echo "make venv: pip install -c constraints.txt -e '.[dev]'"; \
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'; \
	touch $@

tools: $(CHECKOV_STAMP) $(PROMTOOL) $(KUSTOMIZE_TOOL) ## test tools kept out of .venv (.state/tools/)
	@true

$(KUSTOMIZE):
	@mkdir -p $(dir $@); exec 8>.state/tools.lock; flock 8; \
	if [ -x $@ ]; then exit 0; fi; \
	echo "make tools: kubectl is missing; building kustomize $(KUSTOMIZE_VERSION) into $(dir $@)"; \
	GOBIN=$(CURDIR)/$(dir $@) go install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)

$(PROMTOOL):
	@mkdir -p $(PROMTOOL_DIR); exec 8>.state/tools.lock; flock 8; \
	if [ -x $@ ]; then exit 0; fi; \
	echo "make tools: promtool from Debian's prometheus package into $(PROMTOOL_DIR)"; \
	cd $(PROMTOOL_DIR); \
	apt-get download prometheus >/dev/null 2>&1 || { apt-get update -qq && apt-get download prometheus; }; \
	dpkg-deb -x prometheus_*.deb . && rm -f prometheus_*.deb usr/bin/prometheus; \
	test -x usr/bin/promtool

$(CHECKOV_STAMP):
	@mkdir -p .state/tools; exec 8>.state/tools.lock; flock 8; \
	if [ -f $@ ]; then exit 0; fi; \
	echo "make tools: checkov $(CHECKOV_VERSION) into $(CHECKOV_VENV)"; \
	rm -rf $(CHECKOV_VENV); \
	$(PYTHON) -m venv $(CHECKOV_VENV); \
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check 'checkov==$(CHECKOV_VERSION)'; \
	touch $@

assets: $(VENDOR_STAMP) ## the site's npm packages (npm ci) and the files it serves from them
	@true

$(NODE_STAMP): package.json package-lock.json
	@mkdir -p .state; exec 8>.state/assets.lock; flock 8; \
	if [ -f $@ ] && [ $@ -nt package.json ] && [ $@ -nt package-lock.json ]; then exit 0; fi; \
	command -v npm >/dev/null || { echo "make assets: installing Debian's npm"; \
	  apt-get install -y -qq npm >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq npm; }; }; \
	echo "make assets: npm ci"; npm ci --ignore-scripts --no-audit --no-fund --loglevel=error; \
	touch $@

$(VENDOR_STAMP): $(NODE_STAMP) venv
	@$(VENV)/bin/python -m gateway.web.assets node_modules >/dev/null && touch $@

browser: ## Debian's chromium and chromedriver for the browser tests (tests/browser)
	@if [ ! -x $(BROWSER) ] || [ ! -x $(CHROMEDRIVER) ]; then \
	  echo "make browser: apt-get install chromium chromium-driver"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1 || { \
	    apt-get update -qq && apt-get install -y -qq chromium chromium-driver; }; \
	fi

infra: venv ## start RabbitMQ + MongoDB (or use AMQP_URI / MONGO_URI when they answer)
	@$(STACK) up

status: ## show what the local stack runs
	@$(STACK) status

test: infra tools assets browser ## run every test (unit, integration, e2e, k8s) against the local stack
	@$(with_stack_env) \
	export CHECKOV=$${CHECKOV:-$(CURDIR)/$(CHECKOV_VENV)/bin/checkov}; \
	export PROMTOOL=$${PROMTOOL:-$(CURDIR)/$(PROMTOOL)}; \
	if [ -z "$$(command -v kubectl)" ]; then export KUSTOMIZE=$${KUSTOMIZE:-$(CURDIR)/$(KUSTOMIZE)}; fi; \
	rc=0; $(VENV)/bin/pytest $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests (exit 5) — counted as a failure" >&2; fi; \
	exit $$rc

up: infra assets ## start the whole platform (infra, services, gateway, demo data)
	@$(with_stack_env) bash $(PLATFORM) up

down: ## stop the platform and the local stack (leaves external AMQP_URI / MONGO_URI alone)
	@bash $(PLATFORM) down
	@$(STACK) down

bench: infra ## run the benchmarks (bench/; not part of the tests); BENCH="load --quick" picks one
	@$(with_stack_env) $(VENV)/bin/python -m bench $(BENCH)

lint: venv ## ruff, if installed in the venv
	@if [ -x $(VENV)/bin/ruff ]; then $(VENV)/bin/ruff check .; \
	else echo "make lint: ruff is not installed in $(VENV) (pip install ruff) — skipped"; fi

clean-venv: ## remove .venv (the next target recreates it)
	rm -rf $(VENV)
