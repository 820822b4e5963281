# scorelab: `make book` builds the website, `make test` runs every test and notebook.
# Both set everything up from nothing: a virtual environment in .venv, the system packages
# they need (espeak-ng) and the data (FSDD, synthetic digits) under ./data.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip

export SCORELAB_DATA  ?= $(CURDIR)/data
export SCORELAB_FSDD  ?= $(SCORELAB_DATA)/fsdd/recordings
export SCORELAB_SYNTH ?= $(SCORELAB_DATA)/synth
export PYTHONHASHSEED := 0

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
NOTEBOOKS := $(sort $(wildcard book/[0-9]*.ipynb))

.PHONY: all setup system venv data fsdd test test-fast book lab outputs clean clean-data

all: test

setup: system venv data

system:
	@command -v espeak-ng >/dev/null || { \
	  echo "installing espeak-ng (for the synthetic digits)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq espeak-ng >/dev/null; }

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -c constraints.txt -e ".[book,pretrained]"
	touch $@

data: venv fsdd $(SCORELAB_SYNTH)/synth_config.json

# checked every time (cheap): SCORELAB_FSDD may point somewhere else on the next run
fsdd: venv
	@if ls "$(SCORELAB_FSDD)"/*.wav >/dev/null 2>&1; then \
	  echo "FSDD recordings found at $(SCORELAB_FSDD)"; \
	else $(PY) -m scorelab data fsdd --download --root "$(SCORELAB_FSDD)"; fi

$(SCORELAB_SYNTH)/synth_config.json: | system venv
	$(PY) -m scorelab data synth --out "$(SCORELAB_SYNTH)"

test: setup
	$(PY) -m pytest -p no:cacheprovider --nbval --nbval-current-env \
	  --nbval-sanitize-with book/nbval_sanitize.cfg --durations=10 tests $(NOTEBOOKS)

test-fast: setup
	$(PY) -m pytest -p no:cacheprovider -m "not slow" tests

book: setup
	$(VENV)/bin/jupyter-book build . --all -W --keep-going
	@grep -q "<audio controls" _build/html/book/01_speech_as_log_mel.html && \
	  grep -q "<table" _build/html/book/10_reproducing_the_paper.html && \
	  echo "website: _build/html/index.html (audio players and rendered tables present)"

# Read and run the chapters interactively, with the data set-up `make` made.
lab: setup
	$(VENV)/bin/jupyter lab book/

# Re-execute the notebooks and store the outputs nbval compares (no images, no audio data).
outputs: setup
	$(PY) book/_tools/store_outputs.py $(NOTEBOOKS)

clean:
	rm -rf _build .pytest_cache

clean-data:
	rm -rf $(SCORELAB_DATA)/synth $(SCORELAB_DATA)/cache
