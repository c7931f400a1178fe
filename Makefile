# Two commands set everything up on a fresh Debian machine and are safe to run again:
#   make demo   installs what is missing and translates the shipped sample clip
#   make test   installs the test needs too and runs the whole suite
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
EXTRAS ?= test,bench,lint,pull,fetch,web,diarize,voice,local,llm,nmt,ray
comma := ,
STAMP := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-12)-$(subst $(comma),_,$(EXTRAS))
DEMO_OUT ?= out/demo

.PHONY: demo test lint bench system install clean

system:  ## Debian packages: ffmpeg, cmake and g++ (to build llama-cpp-python), espeak-ng, fonts-dejavu-core, sound-theme-freedesktop, chromium (browser tests), and venv support when the system Python lacks it
	@command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || { \
		echo "installing ffmpeg with apt-get"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg; }
	@command -v espeak-ng >/dev/null && [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] \
		&& [ -f /usr/share/sounds/freedesktop/stereo/alarm-clock-elapsed.oga ] || { \
		echo "installing espeak-ng (fallback voice), fonts-dejavu-core (Cyrillic subtitles) and sound-theme-freedesktop (non-speech test sounds) with apt-get"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng fonts-dejavu-core sound-theme-freedesktop; }
	@[ -x /usr/bin/chromium ] || { \
		echo "installing chromium with apt-get (the browser tests drive it)"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	@command -v cmake >/dev/null && command -v g++ >/dev/null || { \
		echo "installing cmake and g++ with apt-get (llama-cpp-python, the local language model's runtime, is built from source)"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cmake g++; }
	@[ -x $(PY) ] || $(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { \
		echo "installing python3-venv with apt-get"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv; }

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q --upgrade pip
	# the CPU build of torch, pinned, before anything can pull the CUDA one (speaker embeddings need it)
	$(if $(findstring diarize,$(EXTRAS)),$(PY) -m pip install -q torch==2.13.0)
	# llama-cpp-python (extra local) is built from source, once: portable code for any x86-64 CPU (pip
	# caches the wheel); CMAKE_ARGS='-DGGML_CUDA=on' for a GPU build (docs/ENGINES.md)
	CMAKE_ARGS="$${CMAKE_ARGS:--DGGML_NATIVE=OFF}" $(PY) -m pip install -q -e '.[$(EXTRAS)]'
	rm -f $(VENV)/.installed-* && touch $@

install: system $(STAMP)

demo: install  ## translate the shipped Russian sample clip, then give it burned subtitles and a voice-over
	$(VENV)/bin/tolmach translate tests/data/sample-ru.mp4 -o $(DEMO_OUT) --lang ru --formats srt,vtt,ass,json,txt
	$(VENV)/bin/tolmach render tests/data/sample-ru.mp4 --burn en -o $(DEMO_OUT)/
	$(VENV)/bin/tolmach dub tests/data/sample-ru.mp4 -o $(DEMO_OUT)
	@echo; echo "== $(DEMO_OUT)/sample-ru.en.srt (first cues) =="; head -n 16 $(DEMO_OUT)/sample-ru.en.srt

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check tolmach tests bench
	$(VENV)/bin/ruff format --check tolmach tests bench
	$(VENV)/bin/mypy

bench: install
	$(PY) bench/speed.py
	$(PY) bench/quality.py
	$(PY) bench/subtitles.py
	$(PY) bench/search.py
	$(PY) bench/glossary.py
	$(PY) bench/speakers.py
	$(PY) bench/batch.py
	$(PY) bench/text_mt.py
	$(PY) bench/voice.py
	$(PY) bench/peaks.py
	$(PY) bench/checks.py

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
