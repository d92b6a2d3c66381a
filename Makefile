# Twinscape: `make run` opens the app (or renders the demo headless), `make test` runs the suite.
# Both install what is missing first: Debian packages (when root), then .venv with the package.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.twinscape-installed
OUT ?= out
SYSTEM_PACKAGES := xvfb xauth gdal-bin libgl1 libglx-mesa0 libegl1 libegl-mesa0 libosmesa6 \
	libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 \
	libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 \
	libdbus-1-3 libfontconfig1 mosquitto
XVFB := xvfb-run -a -s "-screen 0 1920x1080x24"
PYTEST_ARGS ?=

.PHONY: run test bench setup system venv clean

setup: system venv

system:
	@./packaging/install-system-packages.sh $(SYSTEM_PACKAGES)

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

run: setup
	@if [ -n "$$DISPLAY" ] || [ -n "$$WAYLAND_DISPLAY" ]; then \
		$(BIN)/twinscape open scenes/deadsea_demo.toml; \
	else \
		mkdir -p $(OUT); \
		echo "No display: rendering the demo scene headless."; \
		$(BIN)/twinscape render scenes/deadsea_demo.toml --out $(OUT)/deadsea_demo.png --size 1920x1080 \
		&& echo "Demo scene rendered to $(CURDIR)/$(OUT)/deadsea_demo.png"; \
	fi

test: setup
	$(XVFB) $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: setup
	$(BIN)/python -m benchmarks.terrain
	$(BIN)/python -m benchmarks.buildings
	$(BIN)/python -m benchmarks.sensors
	$(BIN)/python -m benchmarks.analysis

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
