# The commands the README names. The interpreter: the newest Python 3.13/3.12 on PATH or in pyenv.
PYTHON ?= $(shell for c in $$(ls -d $$HOME/.pyenv/versions/3.13*/bin/python $$HOME/.pyenv/versions/3.12*/bin/python 2>/dev/null | sort -rV) python3.13 python3.12; do \
	$$c -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null && echo $$c && break; done)
VENV := .venv
PY := $(VENV)/bin/python
SERVICES := $(PY) -m crm.devservices

.PHONY: run test lint format install messages bench clean

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.12 or 3.13 is needed (python3.13 on PATH or in pyenv)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed messages

messages: $(VENV)/.installed
	$(PY) manage.py compilemessages --ignore=.venv --verbosity 0

## make run: the CRM with demo data at http://localhost:8000 (embedded PostgreSQL unless DATABASE_URL)
run: install
	$(SERVICES) -- $(PY) manage.py migrate --no-input
	$(SERVICES) -- $(PY) manage.py load_reference_data
	$(SERVICES) -- $(PY) manage.py seed_demo
	$(SERVICES) -- $(PY) manage.py seed_referrals
	$(SERVICES) -- $(PY) manage.py seed_contracts
	$(SERVICES) --broker -- bin/serve

## make test: linter and the whole test suite against real PostgreSQL and Redis
# Two test processes (pytest-xdist), each with its own database and cache keys; a test file
# stays in one process, so its module fixtures are built once. TEST_PROCESSES=0 runs one.
TEST_PROCESSES ?= 2
test: install lint
	$(SERVICES) --prefer-local -- $(PY) -m pytest --numprocesses=$(TEST_PROCESSES) --dist=loadfile $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	$(SERVICES) --prefer-local -- $(PY) -m bench

clean:
	rm -rf $(VENV) .data tests/artifacts/*.png
