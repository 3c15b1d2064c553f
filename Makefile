# The two commands of the README: `make run` and `make test`.
# Both work on a fresh Debian/Ubuntu machine with Python 3.11+ and nothing else.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
PYTEST_ARGS ?=
# The SQLite smoke set: every service layer and the core pages on the embedded default
# (the whole suite has already run on PostgreSQL just before).
SMOKE ?= tests/portal tests/website tests/projects/test_services.py tests/projects/test_board_services.py \
	tests/projects/test_calculations.py tests/projects/test_api.py tests/risks/test_services.py \
	tests/risks/test_scoring.py tests/metrics/test_services.py tests/metrics/test_calculations.py \
	tests/metrics_dash/test_snapshots.py tests/metrics_dash/test_reports.py \
	tests/requirements/test_scoring.py tests/requirements/test_services.py \
	tests/requirements/test_selectors.py tests/requirements/test_csv.py tests/metrics/test_engineering.py
# Type-checked with mypy + django-stubs: the layers that hold the rules, and the HTML views
# and forms that call them.
MYPY_PATHS ?= $(wildcard */services.py */services/*.py */selectors.py */selectors/*.py \
	*/selectors_*.py delivery/month_grid.py */templatetags/*.py \
	*/permissions.py */tasks.py portal/notifications/services.py portal/notifications/tasks.py \
	portal/notifications/selectors.py \
	*/views.py */views_*.py */forms.py */forms_*.py website/home.py \
	portal/notifications/views.py portal/notifications/forms.py)
# Example secrets for the production deploy check only.
DEPLOY_CHECK_ENV := DJANGO_SETTINGS_MODULE=portal.settings.production \
	SECRET_KEY=deploy-check-example-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz \
	ALLOWED_HOSTS=portal.example.com DATABASE_URL=sqlite:///$(CURDIR)/.deploy-check.sqlite3

.PHONY: run test lint bench messages demo clean api-fuzz lock

# Installs print only on failure (the build backend's banners help no newcomer).
$(BIN)/python:
	@echo "Creating $(VENV) ..."
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip >$(VENV)/install.log 2>&1 || { cat $(VENV)/install.log; exit 1; }

# constraints.txt is the lock file: every version, direct or not, as `make lock` resolved it.
$(VENV)/.installed-run: pyproject.toml constraints.txt | $(BIN)/python
	@echo "Installing the portal's dependencies (the first time takes a minute) ..."
	@$(BIN)/pip install --quiet -c constraints.txt -e . >$(VENV)/install.log 2>&1 || { cat $(VENV)/install.log; exit 1; }
	@touch $@

$(VENV)/.installed-test: pyproject.toml constraints.txt | $(BIN)/python
	@echo "Installing the portal's test dependencies ..."
	@$(BIN)/pip install --quiet -c constraints.txt -e ".[test]" >$(VENV)/install.log 2>&1 || { cat $(VENV)/install.log; exit 1; }
	@touch $@ $(VENV)/.installed-run

## run: install, migrate, seed the demo, serve at http://127.0.0.1:$(PORT) with the periodic jobs
run: $(VENV)/.installed-run
	@$(BIN)/python scripts/compile_messages.py
	@echo "Preparing the database ..."
	@$(BIN)/python manage.py migrate --noinput --verbosity 0
	@$(BIN)/python manage.py seed_demo
	@scripts/run_local.sh $(PORT)

## test: lint, migration and deploy checks, then the suite on PostgreSQL, Redis, Celery and Chromium
test: $(VENV)/.installed-test
	scripts/ensure_chromium.sh
	$(BIN)/python scripts/compile_messages.py
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy $(MYPY_PATHS)
	DJANGO_SETTINGS_MODULE=portal.settings.test $(BIN)/python manage.py makemigrations --check --dry-run
	$(DEPLOY_CHECK_ENV) $(BIN)/python manage.py check --deploy --fail-level WARNING
	rm -f .deploy-check.sqlite3
	DJANGO_SETTINGS_MODULE=portal.settings.test $(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null
	$(BIN)/python scripts/with_services.py -- $(BIN)/pytest $(PYTEST_ARGS)
	@echo "--- schemathesis: the live API on PostgreSQL + Redis, every check and phase ---"
	$(BIN)/python scripts/with_services.py -- $(BIN)/python scripts/api_fuzz.py
	@echo "--- SQLite smoke set (the embedded default) ---"
	env -u TEST_DATABASE_URL -u TEST_REDIS_URL $(BIN)/pytest -m "not integration and not e2e" -q $(SMOKE)

## api-fuzz: only the schemathesis step of `make test` (API_FUZZ_EXAMPLES, API_FUZZ_SEED)
api-fuzz: $(VENV)/.installed-test
	$(BIN)/python scripts/with_services.py -- $(BIN)/python scripts/api_fuzz.py

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy $(MYPY_PATHS)

## bench: median/p95 and query counts at two data sizes (PostgreSQL)
bench: $(VENV)/.installed-test
	$(BIN)/python scripts/with_services.py -- $(BIN)/python tests/bench/run.py

## lock: re-resolve constraints.txt from pyproject.toml (uv; commit the result)
lock: | $(BIN)/python
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra test --python-version 3.11 --universal \
		--quiet --custom-compile-command "make lock" -o constraints.txt

## messages: refresh locale/zh_Hans/LC_MESSAGES/django.po (needs GNU gettext)
messages: $(VENV)/.installed-test
	$(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete --ignore=.venv --ignore=staticfiles --ignore=tests
	$(BIN)/python scripts/compile_messages.py

demo: $(VENV)/.installed-run
	$(BIN)/python manage.py seed_demo

clean:
	rm -rf $(VENV) staticfiles .pytest_cache db.sqlite3 test.sqlite3 .deploy-check.sqlite3 celerybeat-schedule* .api-fuzz .schemathesis
