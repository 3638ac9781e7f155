# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CONSTRAINTS := requirements/constraints.txt
# The peer tool of the benchmarks lives in its own venv: checkdmarc needs a newer
# cryptography than SSLyze allows (docs/decisions/0002-peer-tool-venv.md).
PEER := .venv-peer
PEER_CONSTRAINTS := requirements/peer-constraints.txt
PEER_PACKAGES := checkdmarc pytest pytest-asyncio pytest-timeout

.PHONY: install run lab test lint fmt bench clean lock chromium messages

# The web interface's translations: .po files in git, compiled .mo files built here.
MESSAGES := $(patsubst %.po,%.mo,$(wildcard src/cyberbasics/web/locale/*/LC_MESSAGES/django.po))

install: $(STAMP) $(MESSAGES)

%.mo: %.po
	command -v msgfmt >/dev/null || (apt-get update -qq && apt-get install -y -qq gettext)
	msgfmt --check -o $@ $<

# After changing interface strings: update every language's catalogue, then translate.
messages: install
	cd src/cyberbasics/web && CYBERBASICS_DEBUG=1 ../../../$(BIN)/python -m cyberbasics.web \
		makemessages -l pl -l es -l it -l ro --no-obsolete --ignore 'migrations/*'

$(STAMP): pyproject.toml $(CONSTRAINTS) package.json package-lock.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[dev]'
	# The web pages' libraries (htmx) and the accessibility checker (axe-core), from npm.
	npm ci --no-audit --no-fund --silent
	touch $(STAMP)

# Browser tests drive Debian's chromium; no tool downloads a browser of its own.
chromium:
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

# PostgreSQL for the suite: CYBERBASICS_TEST_DATABASE_URL when set; otherwise a throwaway
# server of this checkout in var/pg (127.0.0.1:54329, its socket in var/pg, trust auth),
# started once and left running (stop: pg_ctl -D var/pg/data stop). initdb refuses root,
# so as root the server runs as the `postgres` system user (or `nobody`).
PG_DIR  := $(CURDIR)/var/pg
PG_PORT := 54329
PG_URL  := postgres://cyberbasics@127.0.0.1:$(PG_PORT)/cyberbasics
TEST_DATABASE_URL = $(or $(CYBERBASICS_TEST_DATABASE_URL),$(PG_URL))

.PHONY: postgres test-postgres

postgres:
ifeq ($(CYBERBASICS_TEST_DATABASE_URL),)
	@set -e; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
		|| (apt-get update -qq && apt-get install -y -qq postgresql); \
	bin=$$(dirname "$$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)"); \
	as=""; \
	if [ "$$(id -u)" = 0 ]; then \
		user=nobody; if id -u postgres >/dev/null 2>&1; then user=postgres; fi; \
		as="runuser -u $$user --"; \
	fi; \
	mkdir -p "$(PG_DIR)"; \
	if [ -n "$$as" ]; then chown "$$user" "$(PG_DIR)"; fi; \
	chmod 700 "$(PG_DIR)"; \
	if $$as "$$bin/pg_ctl" -D "$(PG_DIR)/data" status >/dev/null 2>&1; then exit 0; fi; \
	if [ ! -f "$(PG_DIR)/data/PG_VERSION" ]; then \
		$$as "$$bin/initdb" -D "$(PG_DIR)/data" -U cyberbasics --auth=trust -E UTF8 \
			--no-locale >/dev/null; \
	fi; \
	$$as "$$bin/pg_ctl" -D "$(PG_DIR)/data" -l "$(PG_DIR)/server.log" -w -t 60 \
		-o "-h 127.0.0.1 -p $(PG_PORT) -k $(PG_DIR)" start >/dev/null; \
	if ! $$as "$$bin/psql" -h 127.0.0.1 -p $(PG_PORT) -U cyberbasics -d postgres -tAc \
		"SELECT 1 FROM pg_database WHERE datname = 'cyberbasics'" | grep -q 1; then \
		$$as "$$bin/createdb" -h 127.0.0.1 -p $(PG_PORT) -U cyberbasics cyberbasics; \
	fi; \
	echo "PostgreSQL running: $(PG_URL) (log: $(PG_DIR)/server.log)"
endif

# The core web tests against PostgreSQL (pytest-django creates and drops test_<name>).
test-postgres: install postgres
	CYBERBASICS_DATABASE_URL='$(TEST_DATABASE_URL)' $(BIN)/python -m pytest -q \
		-p no:cacheprovider -m "not browser" tests/web

# The web platform on this machine: the offline lab, a SQLite database under ./var with
# demo data, the web server and the task worker; prints the address and the demo accounts.
# Ctrl-C stops all of it.
run: install
	$(BIN)/cyberbasics serve

lab: install
	$(BIN)/cyberbasics lab

lint: install
	$(BIN)/ruff check src tests bench

fmt: install
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

test: install lint chromium postgres
	$(BIN)/cyberbasics catalogue check
	$(BIN)/python -m pytest -q
	$(MAKE) --no-print-directory test-postgres

bench: install $(PEER)/.installed
	$(BIN)/python -m pytest -q -p no:cacheprovider bench --ignore=bench/test_peer_checkdmarc.py
	$(PEER)/bin/python -m pytest -q -p no:cacheprovider bench/test_peer_checkdmarc.py
	cd bench && PEER_PYTHON=$(CURDIR)/$(PEER)/bin/python ../$(BIN)/python run.py

$(PEER)/.installed: pyproject.toml $(PEER_CONSTRAINTS)
	test -x $(PEER)/bin/python || $(PYTHON) -m venv $(PEER)
	$(PEER)/bin/python -m pip install --quiet -c $(PEER_CONSTRAINTS) -e '.[lab]' $(PEER_PACKAGES)
	touch $@

# Re-pin every dependency (the constraints file is what `make install` uses).
lock:
	rm -rf /tmp/cyberbasics-lock && $(PYTHON) -m venv /tmp/cyberbasics-lock
	/tmp/cyberbasics-lock/bin/pip install --quiet -e '.[dev]'
	/tmp/cyberbasics-lock/bin/pip freeze --exclude-editable | grep -v '^-e' > $(CONSTRAINTS)
	rm -rf /tmp/cyberbasics-lock && $(PYTHON) -m venv /tmp/cyberbasics-lock
	/tmp/cyberbasics-lock/bin/pip install --quiet -e '.[lab]' $(PEER_PACKAGES)
	/tmp/cyberbasics-lock/bin/pip freeze --exclude-editable | grep -v '^-e' > $(PEER_CONSTRAINTS)

clean:
	rm -rf $(VENV) $(PEER) node_modules var .pytest_cache .ruff_cache .hypothesis
