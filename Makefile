# pass-idp — common tasks. `make run` and `make test` are the two commands a new machine needs.
# mold, when installed, links the many test binaries much faster than the system linker.
CARGO ?= $(shell command -v mold >/dev/null 2>&1 && echo 'mold -run cargo' || echo cargo)
VENV  ?= var/test-venv

.PHONY: run test lint fmt bench dev-certs demo-user arch-check migrate build test-venv

build:
	$(CARGO) build --release

## Start the IdP on http://127.0.0.1:8080 (dev mode: SQLite under var/, dev certs, SMS/e-mail outboxes
## under var/, the demo e-services in metadata/). A demo citizen is created on first start.
run: build
	@mkdir -p var
	@if [ ! -f var/.demo-user ]; then \
	  echo 'Geslo-za-prijavo-2026' | ./target/release/pass-idp --dev user add demo --given-name 'Janez' \
	    --family-name 'Novak' --email 'janez.novak@example.si' --phone '+38641000000' \
	  && touch var/.demo-user; fi
	./target/release/pass-idp --dev serve

## Create the demo citizen (username demo, password Geslo-za-prijavo-2026, smsPASS phone +38641000000).
demo-user: build
	echo 'Geslo-za-prijavo-2026' | ./target/release/pass-idp --dev user add demo --given-name 'Janez' \
	  --family-name 'Novak' --email 'janez.novak@example.si' --phone '+38641000000'

## The Python SP library (pysaml2) and schema checker used by the interop tests.
test-venv: $(VENV)/.ok
$(VENV)/.ok: tests/python/requirements.txt
	/usr/bin/python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt
	touch $@

## The full test suite (SQLite always; PostgreSQL too when TEST_DATABASE_URL is set).
test: test-venv
	$(CARGO) test --workspace --all-targets -- --test-threads=2

## House rules a machine can check: formatting and clippy (-D warnings) for the whole workspace,
## the migrations crate included.
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

migrate:
	$(CARGO) run --release -- migrate

## Load benchmark on loopback (not a test): the release server pinned to one CPU (taskset), complete
## logins and session SSO at 1, 2 and 8 clients from the other CPU(s).
bench:
	$(CARGO) bench --bench load

## Regenerate the development signing key and certificate (DEV ONLY).
dev-certs:
	$(CARGO) run --release -- keys dev --out certs-dev

## Layering: only web names actix_web, only storage names sea_orm, only saml names samael; web
## reaches the store, registry and clock only through a use case (only the server's start and
## `AppState::new` see the ports).
## (`make lint` and `make arch-check` run in CI before the tests.)
arch-check:
	@! grep -rlE '\bactix_web\b' src --include='*.rs' | grep -vE '^src/(web/|main\.rs|lib\.rs)'
	@! grep -rlE '\bsea_orm\b' src --include='*.rs' | grep -vE '^src/storage/'
	@! grep -rlE '\b(samael|xmlsec)\b' src --include='*.rs' | grep -vE '^src/saml/'
	@! grep -rnE '(\.ports\b|\bStore\b|SharedRegistry|SharedClock|\.(store|registry|clock)\b)' src/web --include='*.rs' | grep -vE '^src/web/(server|state)\.rs:'
	@echo "layering ok"
