# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
UV     := $(VENV)/bin/uv
STAMP  := $(VENV)/.installed
# opencv-python(-headless) pulled by albumentations/grad-cam/rapidocr would overwrite the contrib
# build's cv2 (and lose cv2.xfeatures2d); overrides.txt drops them so only the contrib build is there.
OVERRIDES := requirements/overrides.txt

.PHONY: demo test test-all lint bench install system-deps clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==0.13.8

# --compile-bytecode: shells that set PYTHONDONTWRITEBYTECODE=1 never cache .pyc files, so every
# command recompiled ~16,000 sources of its dependencies (numba + oculi.features: import 2.4 s ->
# 0.9 s); compileall does the same for oculi's own (editable) sources. oculi.warm compiles the
# numba kernels into their cache once (a cold SURF call compiled for 14-19 s).
$(STAMP): pyproject.toml $(OVERRIDES) | $(PY)
	$(MAKE) system-deps
	$(UV) pip install --python $(PY) --override $(OVERRIDES) --compile-bytecode -e ".[test]"
	$(PY) -m compileall -q src
	$(PY) -m oculi.warm
	@touch $(STAMP)

install: $(STAMP)

# Debian packages some topics drive (Tesseract for OCR, Chromium for the web app's browser tests, Fashion-MNIST for the generative models). Installed only when missing and when we
# are allowed to (root); otherwise the topics that need them raise a clear error and tests skip.
system-deps:
	@if ! command -v tesseract >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      tesseract-ocr tesseract-ocr-eng tesseract-ocr-deu tesseract-ocr-fra tesseract-ocr-osd >/dev/null) \
	      || echo "warning: could not install tesseract-ocr; OCR tests will skip"; \
	  else echo "note: tesseract-ocr not installed (needs root/apt-get); OCR tests will skip"; fi; \
	fi
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "warning: could not install chromium; browser tests will skip"; \
	  else echo "note: chromium not installed (needs root/apt-get); browser tests will skip"; fi; \
	fi
	@if [ ! -d /usr/share/datasets/fashion-mnist ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null) \
	      || echo "warning: could not install dataset-fashion-mnist; Fashion-MNIST tests will skip"; \
	  else echo "note: dataset-fashion-mnist not installed (needs root/apt-get); Fashion-MNIST tests will skip"; fi; \
	fi

demo: $(STAMP)
	$(VENV)/bin/oculi tour --out out/tour

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q

test-all: $(STAMP)
	$(PY) -m pytest -q -m "slow or not slow"

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)
	$(PY) -m bench.io_jpeg

clean:
	rm -rf $(VENV) out .pytest_cache
