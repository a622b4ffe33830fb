# screenplan: two commands set everything up. `make run` opens the TUI; `make test` runs the suite.
SHELL := /bin/bash
# What building and running need; `make run` installs only these.
APT_PACKAGES := libncursesw5-dev libopenblas-dev liblapacke-dev zlib1g-dev libhdf5-dev pkg-config libdeflate-dev
# What the tests add: tmux drives the TUI end to end, chromium renders the HTML report and
# r-cran-seurat reads the 10x output with Read10X. dpkg-query skips what is installed.
APT_TEST_PACKAGES := tmux chromium r-cran-seurat
SUDO := $(shell [ "$$(id -u)" = 0 ] || command -v sudo >/dev/null && [ "$$(id -u)" != 0 ] && echo sudo)
SWIFT_BUILD_FLAGS ?=
BIN := .build/release/screenplan
# The virtual environment of the Python clients (Tests/python/requirements.txt); override with
# VENV=/path to share one between checkouts.
VENV ?= .venv
PYTHON := $(VENV)/bin/python
# Swift tests and benchmarks run the clients with this interpreter.
export SCREENPLAN_PYTHON := $(abspath $(PYTHON))

.PHONY: run test build bench clean deps test-deps embed python-deps validate check format lint

# Installs the packages in $(1) that dpkg does not list as installed (apt-get; sudo when not root).
define apt_install
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
endef

## deps: the system packages the build needs
deps:
	$(call apt_install,$(APT_PACKAGES))

## test-deps: the system packages the tests add
test-deps: deps
	$(call apt_install,$(APT_TEST_PACKAGES))

## python-deps: the virtual environment of the independent Python clients (scanpy, anndata,
## pysceptre, PyDESeq2, Snakemake, SERGIO, pytest; Tests/python/requirements.txt). It is made
## once and refreshed when the requirements change.
python-deps: $(VENV)/.requirements-stamp

$(VENV)/.requirements-stamp: Tests/python/requirements.txt
	@[ -x $(PYTHON) ] || python3 -m venv $(VENV)
	$(PYTHON) -m pip install -q --disable-pip-version-check -r Tests/python/requirements.txt
	@touch $@

build: deps
	swift build -c release $(SWIFT_BUILD_FLAGS)

run: build
	$(BIN)

test: test-deps python-deps
	swift build -c release $(SWIFT_BUILD_FLAGS)
	SCREENPLAN_BIN=$(CURDIR)/$(BIN) swift test $(SWIFT_BUILD_FLAGS)
	SCREENPLAN_BIN=$(CURDIR)/$(BIN) $(PYTHON) -m pytest -q Tests/python
	SCREENPLAN_BIN=$(CURDIR)/$(BIN) $(PYTHON) Tests/python/test_read_10x.py

## check: the inner loop while editing: a debug build, the Swift tests and the architecture check
## (ARCHITECTURE.md against every file's imports). No apt, no browser, no R, no virtual
## environment; `make test` stays the full suite. SWIFT_TEST_FLAGS narrows it, e.g.
## `make check SWIFT_TEST_FLAGS="--filter DesignReaderTests"`.
SWIFT_TEST_FLAGS ?=
# The Swift tests that hand files to the Python clients (jsonschema, anndata) or to Chromium;
# `make test` runs them.
CHECK_SKIP := reportWritesEveryFormatForEverySampleScreen|jsonValidatesAgainstTheDocumentedSchema|htmlRendersInHeadlessChromium|simulatedH5ADMatchesTheSimulatorsBlocks|anndataReadsWhatTheWriterStreams
check:
	swift build $(SWIFT_BUILD_FLAGS)
	swift test $(SWIFT_BUILD_FLAGS) --skip "$(CHECK_SKIP)" $(SWIFT_TEST_FLAGS)
	python3 Tests/python/test_architecture.py

## format: rewrite Sources and Tests in the layout of .swift-format (the toolchain's swift-format)
format:
	swift format format --in-place --recursive --parallel Sources Tests

## lint: what `make format` would change, and the rules it cannot fix, as errors
lint:
	swift format lint --strict --recursive --parallel Sources Tests

bench: build python-deps
	$(BIN) bench
	$(BIN) bench --design
	$(BIN) bench --peers --python $(PYTHON)
	$(BIN) calibrate --bench

## validate: predicted power against pysceptre, scanpy (wilcoxon, t-test) and PyDESeq2 on
## simulated replicates of small designs in every regime; prints the markdown table of
## docs/batching.md §8.1 and writes it to .build/validation.md (every test in
## .build/validation.json). VALIDATE_SEEDS replicates of VALIDATE_TARGETS perturbations: the
## defaults give 6,000 target tests per regime and engine, per-bin sampling errors below 0.02
## (about 30 CPU-minutes per regime at low MOI with pysceptre and scanpy; the complement
## controls at high MOI cost scanpy far more). VALIDATE_ENGINES=...,deseq2 adds PyDESeq2;
## SCREENPLAN_ANALYZE_BIN=path checks another build's power model.
VALIDATE_SEEDS ?= 30
VALIDATE_TARGETS ?= 200
VALIDATE_ENGINES ?= pysceptre,wilcoxon,t-test
validate: build python-deps
	SCREENPLAN_BIN=$(CURDIR)/$(BIN) nice -n 10 $(PYTHON) Tests/python/engine_validation.py --seeds $(VALIDATE_SEEDS) --targets $(VALIDATE_TARGETS) --engines $(VALIDATE_ENGINES) --out .build/validation.md --json .build/validation.json

## embed: regenerate the embedded default design from its sample screen
embed:
	./scripts/embed-default-design.sh

clean:
	rm -rf .build
