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

.PHONY: install run lab test lint fmt bench clean lock chromium

install: $(STAMP)

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

# Until the web app exists: start the offline lab and scan its demo businesses.
run: install
	$(BIN)/cyberbasics demo

lab: install
	$(BIN)/cyberbasics lab

lint: install
	$(BIN)/ruff check src tests bench

fmt: install
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

test: install lint chromium
	$(BIN)/cyberbasics catalogue check
	$(BIN)/python -m pytest -q

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
