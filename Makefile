# mmhpse: `make quickstart` (install + the embedded study), `make test` (install + tests).
VENV ?= .venv
PY := $(VENV)/bin/python
export MMHPSE_VENV := $(abspath $(VENV))

.PHONY: install test quickstart clean-quickstart

install:
	bash tools/install.sh

test: install
	$(PY) -m pytest tests

quickstart: install
	$(PY) tools/run_study.py configs/studies/quickstart.py

clean-quickstart:
	rm -rf work_dirs/studies/quickstart
