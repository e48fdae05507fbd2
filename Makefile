# Two commands: `make lab` (set up, then open the course) and `make test` (set up, then every test).
SHELL := /bin/bash
PYTHON ?= python3
TEST_JOBS ?= 2
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

# Quiet, deterministic TensorFlow for every kernel started from here.
export KERAS_BACKEND := tensorflow
export TF_CPP_MIN_LOG_LEVEL := 3
export TF_ENABLE_ONEDNN_OPTS := 0
export PYTHONHASHSEED := 0

.PHONY: lab lab-instructor test test-other-order notebooks setup exercises check-exercises grade bench clean help slides browser-setup sandbox-setup

# "Another machine" in CI: other thread counts than the ones the outputs were stored with sum in
# another order. TensorFlow runs one thread per operation by default (course_utils sets
# TF_NUM_INTRAOP_THREADS=1), NumPy's BLAS and scikit-learn's OpenMP use every core: here it is
# the other way round.
OTHER_ORDER := TF_NUM_INTRAOP_THREADS=2 TF_NUM_INTEROP_THREADS=1 OMP_NUM_THREADS=1 \
               OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

help:
	@echo "make lab        set up .venv and open the course in JupyterLab (127.0.0.1), for students"
	@echo "make lab-instructor  the same lab with nbgrader's instructor tools (Create Assignment, Formgrader)"
	@echo "make test       set up .venv and run every test: tests/ (unit, exercises, grading, browser),"
	@echo "                then the lectures and masters with nbval on other thread counts (make test-other-order)"
	@echo "make test-other-order  re-run lectures and masters with other thread counts (TensorFlow 2, the rest 1):"
	@echo "                every checked output must still match (a stand-in for another CPU)"
	@echo "make notebooks  re-store the lecture notebooks' outputs from one clean run each"
	@echo "make exercises  regenerate exercises/ from solutions/"
	@echo "make grade SUBMISSIONS=dir [OUT=grades.csv]   grade a folder of student notebooks"
	@echo "make bench      run the speed comparisons in benchmarks/"
	@echo "make slides     build offline reveal.js decks of the lectures into build/slides/"

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is needed (found %s)" % sys.version.split()[0])'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (course)" >/dev/null
	@echo "Compiling lecture 07's k-means loops once (Numba caches them on disk)"
	$(PY) -c "import numpy as np; from course_utils.estimators.kmeans import Lloyd, MacQueen, HartiganWong; \
	  X = np.random.default_rng(0).normal(size=(60, 2)); [c(3, random_state=0, max_iter=100).fit(X) for c in (Lloyd, MacQueen, HartiganWong)]"
	@touch $@

lab: setup
	JUPYTER_CONFIG_PATH="$(CURDIR)/jupyter/student$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}" \
	$(VENV)/bin/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir="$(CURDIR)" $$([ "$$(id -u)" = 0 ] && echo --allow-root) $(LAB_ARGS)

lab-instructor: setup
	$(VENV)/bin/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir="$(CURDIR)" $$([ "$$(id -u)" = 0 ] && echo --allow-root) $(LAB_ARGS)

# The notebooks run once, on other thread counts: their outputs were stored with the default ones,
# so matching them from another summation order is the "another machine" check (issue 12).
test: setup browser-setup sandbox-setup
	COURSE_UTILS_QUIET=1 $(PY) -m pytest -n $(TEST_JOBS) --dist loadscope tests $(PYTEST_ARGS)
	@$(MAKE) --no-print-directory test-other-order

test-other-order: setup
	$(OTHER_ORDER) COURSE_UTILS_QUIET=1 $(PY) -m pytest -n $(TEST_JOBS) --dist loadscope notebooks solutions $(PYTEST_ARGS)

notebooks: setup
	$(PY) -m course_utils.instructor.execute $(or $(NOTEBOOKS),notebooks/*.ipynb)

# The browser tests (decks, JupyterLab) need Chromium: Debian's package where we may install it
# (root and apt-get); otherwise they are skipped. COURSE_SKIP_BROWSER=1 skips them on purpose.
browser-setup:
	@if [ -n "$$COURSE_SKIP_BROWSER" ] && [ "$$COURSE_SKIP_BROWSER" != 0 ]; then exit 0; fi; \
	if [ -n "$$COURSE_CHROMIUM" ] || command -v chromium >/dev/null; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian's chromium for the browser tests (COURSE_SKIP_BROWSER=1 skips them)"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  { apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }; } \
	    || echo "Could not install chromium: the browser tests will be skipped."; \
	else \
	  echo "No Chromium here: the browser tests will be skipped. Install it (sudo apt-get install chromium)," \
	       "point COURSE_CHROMIUM at a Chrome/Chromium binary, or set COURSE_SKIP_BROWSER=1."; \
	fi

# Grading runs each submission in a bubblewrap sandbox: Debian's package where we may install it
# (root and apt-get); otherwise `make grade` refuses (GRADE_ARGS=--no-sandbox for trusted notebooks only).
sandbox-setup:
	@if command -v bwrap >/dev/null; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian's bubblewrap for sandboxed grading"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  { apt-get install -y -q bubblewrap >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q bubblewrap >/dev/null; }; } \
	    || echo "Could not install bubblewrap: sandboxed grading and its tests will be skipped."; \
	else \
	  echo "No bubblewrap here: install it (sudo apt-get install bubblewrap) to grade; its tests will be skipped."; \
	fi

slides: setup
	$(PY) -m course_utils.instructor.slides

exercises: setup
	$(PY) -m course_utils.instructor.grading exercises

check-exercises: setup
	$(PY) -m course_utils.instructor.grading exercises --check

grade: setup sandbox-setup
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=dir [OUT=grades.csv]"; exit 2; }
	$(PY) -m course_utils.instructor.autograde "$(SUBMISSIONS)" --out "$(or $(OUT),grades.csv)" $(GRADE_ARGS)

bench: setup
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) build .pytest_cache
