# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CONSTRAINTS := requirements/constraints.txt

.PHONY: install run lab test lint fmt bench clean lock

install: $(STAMP)

$(STAMP): pyproject.toml $(CONSTRAINTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[dev]'
	touch $(STAMP)

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

test: install lint
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[dev,bench]'
	$(BIN)/python -m pytest -q -p no:cacheprovider bench
	cd bench && ../$(BIN)/python run.py

# Re-pin every dependency (the constraints file is what `make install` uses).
lock:
	rm -rf /tmp/cyberbasics-lock && $(PYTHON) -m venv /tmp/cyberbasics-lock
	/tmp/cyberbasics-lock/bin/pip install --quiet -e '.[dev,bench]'
	/tmp/cyberbasics-lock/bin/pip freeze --exclude-editable | grep -v '^-e' > $(CONSTRAINTS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
