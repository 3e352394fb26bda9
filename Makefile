# LeafEnterprise: `make run` starts the whole mesh with demo data; `make test` runs every test tier.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
GENERATED := gen/.generated

.PHONY: install protos run demo test bench clean

install: $(INSTALLED) $(GENERATED)

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]' --config-settings editable_mode=compat
	touch $@

# The one code generator: protos/ -> gen/ (messages, gRPC stubs and typed .pyi stubs).
$(GENERATED): $(INSTALLED) $(shell find protos -name '*.proto') protos/generate.py
	rm -rf gen
	$(BIN)/python protos/generate.py
	$(BIN)/python -c "import site, pathlib; pathlib.Path(site.getsitepackages()[0], 'leaf_gen.pth').write_text('$(CURDIR)/gen\n')"
	touch $@

protos: $(GENERATED)

run: install
	$(BIN)/leaf run

demo: install
	$(BIN)/leaf demo

test: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/leaf bench

clean:
	rm -rf $(VENV) gen .pytest_cache .hypothesis
