PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test bench once sources clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(PY) bot.py run

test: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	@$(PY) -m bench || echo "(some figures missed their targets: see MISS above)"

once: $(STAMP)
	$(PY) bot.py once

sources: $(STAMP)
	$(PY) bot.py sources

clean:
	rm -rf $(VENV) .pytest_cache
