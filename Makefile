# make demo: set up .venv (torch CPU first) and train + route on real data. make test: the whole suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
DATA_DIR ?= ../shared/data
STAMP := $(VENV)/.installed

export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: demo test setup clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first: 2.13.0 is a local CPU wheel; any other torch requirement pulls GBs of CUDA packages
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -c constraints.txt -e ".[all,dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m hybrid_router.demo --data-dir $(DATA_DIR)

test: $(STAMP)
	SHARED_DATA_DIR=$(abspath $(DATA_DIR)) $(PY) -m pytest -q

clean:
	rm -rf $(VENV) models
