# screenplan: two commands set everything up. `make run` opens the TUI; `make test` runs the suite.
SHELL := /bin/bash
APT_PACKAGES := libncursesw5-dev libopenblas-dev liblapacke-dev zlib1g-dev libhdf5-dev pkg-config tmux
SUDO := $(shell [ "$$(id -u)" = 0 ] || command -v sudo >/dev/null && [ "$$(id -u)" != 0 ] && echo sudo)
SWIFT_BUILD_FLAGS ?=
BIN := .build/release/screenplan

.PHONY: run test build bench clean deps embed python-deps

## deps: install the system packages that are missing (apt-get; sudo when not root)
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

## python-deps: numpy/scipy/anndata/scanpy for the tests that read screenplan's output independently
python-deps:
	@python3 -c "import anndata, scanpy, scipy, numpy" 2>/dev/null || \
	  python3 -m pip install -q --disable-pip-version-check anndata scanpy scipy numpy

build: deps
	swift build -c release $(SWIFT_BUILD_FLAGS)

run: build
	$(BIN)

test: deps python-deps
	swift build -c release $(SWIFT_BUILD_FLAGS)
	SCREENPLAN_BIN=$(CURDIR)/$(BIN) swift test $(SWIFT_BUILD_FLAGS)
	SCREENPLAN_BIN=$(CURDIR)/$(BIN) python3 Tests/python/test_read_10x.py

bench: build
	$(BIN) bench

## embed: regenerate the embedded default design from its sample screen
embed:
	./scripts/embed-default-design.sh

clean:
	rm -rf .build
