# The two commands of the README, and the steps they are made of.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test unit lint fuzz bench bench-graph chaos stack-up stack-down install clean chromium oidc-provider

demo: install .env            ## stack + worker + demo feed + report
	$(BIN)/lineage demo

test: install .env chromium oidc-provider   ## unit tests, then integration tests on real Kafka and Neo4j
	$(BIN)/python -m pytest

# The sign-in tests' OpenID provider (panva's oidc-provider under Node), from its lock file.
OIDC_PROVIDER := tests/oidc_provider
oidc-provider: $(OIDC_PROVIDER)/node_modules/.package-lock.json

$(OIDC_PROVIDER)/node_modules/.package-lock.json: $(OIDC_PROVIDER)/package-lock.json
	npm ci --prefix $(OIDC_PROVIDER) --no-audit --no-fund

# The workspace's browser tests drive Debian's Chromium (Playwright downloads no browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO="sudo"; \
	  $$SUDO apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends chromium chromium-driver; }

unit: install                 ## the fast tests only (no servers)
	$(BIN)/python -m pytest -m "not integration"

lint: install                 ## ruff (lint and format), mypy (pydantic plugin) on the three packages and the lab, the manual (mkdocs --strict)
	$(BIN)/ruff check lineage streams graph tools tests
	$(BIN)/ruff format --check lineage streams graph tools tests
	$(BIN)/mypy lineage streams graph tools/lineage_lab
	$(BIN)/mkdocs build --strict --site-dir $(VENV)/site

fuzz: install .env            ## 100,000 mutants per source in-process, 1,000 signed over HTTP to a worker
	$(BIN)/lineage-lab fuzz

bench: install .env           ## end-to-end throughput figure
	$(BIN)/lineage-lab bench

# The large graph needs this heap and page cache; a stack already running keeps the memory it
# was started with (lineage stack down first).
bench-graph: install .env     ## 1,000,000 people / ~11M holdings bulk-loaded (wipes the local graph), answers timed at the API
	LINEAGE_STACK_NEO4J_HEAP=4g LINEAGE_STACK_NEO4J_PAGECACHE_MB=8192 $(BIN)/lineage stack up
	LINEAGE_STACK_NEO4J_HEAP=4g LINEAGE_STACK_NEO4J_PAGECACHE_MB=8192 $(BIN)/lineage-lab bench-graph --yes

chaos: install .env           ## 200,000 payloads under 10 SIGKILLs and a Kafka and a Neo4j restart (wipes the local graph)
	$(BIN)/lineage-lab chaos --yes

stack-up: install
	$(BIN)/lineage stack up

stack-down: install
	$(BIN)/lineage stack down

install: $(STAMP)

$(STAMP): pyproject.toml tools/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' -e ./tools
	touch $(STAMP)

# A random key for the keyed hash of people's identifiers, and the passwords the local stack is
# created with (Neo4j's, Kafka's SCRAM user's), kept out of git. A stack that exists keeps its own
# (.lineage/credentials.env).
.env:
	@umask 077 && $(PYTHON) -c "import secrets; t = secrets.token_hex; \
	print(f'LINEAGE_SUBJECT_KEY={t(32)}\nLINEAGE_STACK_NEO4J_PASSWORD={t(24)}\nLINEAGE_STACK_KAFKA_PASSWORD={t(24)}')" > .env
	@chmod 600 .env
	@echo "wrote .env with a new LINEAGE_SUBJECT_KEY and the local stack's passwords"

clean:
	-$(BIN)/lineage stack down
	rm -rf $(VENV) .lineage tests/oidc_provider/node_modules
