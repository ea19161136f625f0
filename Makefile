# The two commands of the README:
#   make demo   installs everything, then releases mnist_conv, hands in the reference
#               solution as a demo student, autogrades it and prints the score table;
#   make test   installs everything, then runs the tests (what CI runs).
# For developers, `make test-fast`: the tests that start no grading, hub, browser, PostgreSQL, Dask cluster
# or nbgrader command, and the docstrings' examples, in under 2 minutes (the tiers: pyproject.toml's markers).

VENV   := .venv
PYTHON := $(VENV)/bin/python
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

# MNIST for grading: $AUTOGRADER_MNIST if set, else ../shared/data/mnist.npz if present,
# else the Keras cache (see README, "Data").
SHARED_MNIST := $(abspath ../shared/data/mnist.npz)
AUTOGRADER_MNIST ?= $(if $(wildcard $(SHARED_MNIST)),$(SHARED_MNIST),$(HOME)/.keras/datasets/mnist.npz)
export AUTOGRADER_MNIST
# The ascent image (conv_basics), likewise; Fashion-MNIST comes from Debian's package (see `data`).
SHARED_ASCENT := $(abspath ../shared/data/ascent.dat)
AUTOGRADER_ASCENT ?= $(if $(wildcard $(SHARED_ASCENT)),$(SHARED_ASCENT),$(HOME)/.cache/scipy-data/ascent.dat)
export AUTOGRADER_ASCENT

DEMO_STUDENT := demo_student
DEMO_DIR     := submitted/$(DEMO_STUDENT)/mnist_conv

.PHONY: demo test test-fast install system-packages

demo: install
	nbgrader generate_assignment mnist_conv --force
	nbgrader db student add $(DEMO_STUDENT) --first-name Demo --last-name Student
	rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	cp solutions/mnist_conv.ipynb $(DEMO_DIR)/
	date -u '+%Y-%m-%d %H:%M:%S.000000 UTC' > $(DEMO_DIR)/timestamp.txt
	nbgrader autograde mnist_conv --student $(DEMO_STUDENT) --force
	$(PYTHON) -m autograder scores mnist_conv

# The demo and the tests grade on `quick` (3,000 images); the course itself on `full`.
demo test test-fast: export AUTOGRADER_PROFILE ?= quick

test: install
	$(PYTHON) -m pytest

# What pytest collects (the tests and autograder/'s doctests), less the tests marked slow in pyproject.toml.
SLOW_MARKERS := trains or sandbox or hub or browser or postgres or dask or nbgrader_cli

test-fast: install
	$(PYTHON) -m pytest -m "not ($(SLOW_MARKERS))"

# Where an NVIDIA driver is (nvidia-smi runs, or the kernel module answers), TensorFlow comes with
# its CUDA libraries (the `gpu` extra): plain `tensorflow` on Linux brings none and would silently
# train on the CPU. Elsewhere the CPU build. A venv made before the driver came is completed once.
comma      := ,
HAS_NVIDIA := $(shell { nvidia-smi -L || test -e /proc/driver/nvidia/version; } >/dev/null 2>&1 && echo yes)
EXTRAS     := test$(if $(HAS_NVIDIA),$(comma)gpu)
INSTALLED  := $(VENV)/.installed$(if $(HAS_NVIDIA),-gpu)

install: $(INSTALLED) $(VENV)/bin/configurable-http-proxy system-packages

$(INSTALLED): pyproject.toml
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e '.[$(EXTRAS)]'
	touch $@

# JupyterHub's proxy (the grading service's tests start a hub): an npm package, kept in the venv.
$(VENV)/bin/configurable-http-proxy: | $(INSTALLED)
	npm install --prefix $(VENV)/node --no-audit --no-fund --loglevel=error configurable-http-proxy
	ln -sf ../node/node_modules/.bin/configurable-http-proxy $@

# Debian/Ubuntu packages, installed with apt in one go as root: bubblewrap isolates student
# code and Fashion-MNIST is fashion_cnn's data (both required); Chromium drives JupyterLab in
# the end-to-end test (with playwright from the `test` extra; no browser download), which
# skips without it.
system-packages:
	@need=""; want=""; \
	command -v bwrap >/dev/null || need="$$need bubblewrap"; \
	test -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz || test -n "$$AUTOGRADER_FASHION_MNIST" \
	  || need="$$need dataset-fashion-mnist"; \
	test -x /usr/bin/chromium || want="$$want chromium"; \
	if [ -z "$$need$$want" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && apt-get install -y -qq $$need $$want; \
	else \
	  if [ -n "$$want" ]; then echo "Without$$want the JupyterLab end-to-end test is skipped (apt-get install$$want)." >&2; fi; \
	  if [ -n "$$need" ]; then echo "Install$$need first (apt-get install$$need; or set AUTOGRADER_FASHION_MNIST)." >&2; exit 1; fi; \
	fi

# The golden gradings (tests/goldens/README.md): every case graded again for real, sandbox and training
# included, and what its run left saved for tests/test_goldens.py to replay in seconds. Regenerate them when
# the event log, the trainer's record or the evidence change (about 18 minutes on 2 CPU cores).
.PHONY: goldens
goldens: export AUTOGRADER_PROFILE ?= quick
goldens: install
	$(PYTHON) tests/goldens/record.py
