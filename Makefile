# mynaconf — the two commands a newcomer needs are `make run` and `make test`; both install what is missing.
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
PREFIX ?= /usr/local
CARD ?= default
BIN := .build/debug/mynaconf

.PHONY: all deps build run run-reader test bench install uninstall clean help

all: build

help:
	@echo "make run      build and run the conformance suite (Scenarios/) on the built-in emulator; CARD=NAME forces a card profile (CARD=faulty/NAME: a deliberately faulty one)"
	@echo "make run-reader  the JPKI suite through pcscd + vpcd against mynaconf emulate (run --reader)"
	@echo "make test     build and run every test"
	@echo "make install  install a release build: PREFIX=$(PREFIX)"

deps:
	@scripts/install-deps

build: deps
	$(SWIFT) build --product mynaconf

# The main job: the conformance suite on the built-in emulated card, with JUnit, JSON and HTML reports in .build/reports.
# A local OCSP responder (openssl ocsp on loopback) runs alongside for the revocation checks, stopped by PID after.
run: build
	scripts/ocsp-responder -- $(BIN) run Scenarios $(if $(filter-out default,$(CARD)),--card $(CARD)) --junit .build/reports/junit.xml --json .build/reports/results.json --html .build/reports/report.html

# The JPKI suite through the real PC/SC stack: a private pcscd with vpcd and `mynaconf emulate` (started and stopped
# by PID through ci/start-virtual-card.sh), each scenario from the restored profile state. Reports in .build/reports.
run-reader: build
	@state=.build/virtual-card; \
	values=$$(MYNACONF=$(BIN) MYNACONF_STATE_DIR=$$state ci/start-virtual-card.sh start) || exit 3; \
	eval "$$(printf '%s\n' "$$values" | sed "s/^\([A-Z_]*\)=\(.*\)$$/export \1='\2'/")"; \
	status=0; \
	$(BIN) run Scenarios/jpki --reader "$$MYNACONF_READER" --card default --junit .build/reports/reader-junit.xml \
		--json .build/reports/reader-results.json --html .build/reports/reader-report.html || status=$$?; \
	MYNACONF_STATE_DIR=$$state ci/start-virtual-card.sh stop; \
	exit $$status

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# A release binary plus the card profiles and test keys it loads by name (`--card default`).
install: deps
	$(SWIFT) build -c release --product mynaconf
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/mynaconf/Vectors
	install -m 0755 .build/release/mynaconf $(DESTDIR)$(PREFIX)/bin/mynaconf
	install -m 0755 scripts/virtual-reader $(DESTDIR)$(PREFIX)/bin/mynaconf-virtual-reader
	install -m 0755 ci/start-virtual-card.sh $(DESTDIR)$(PREFIX)/bin/mynaconf-start-virtual-card
	cp -R Vectors/cards Vectors/keys Vectors/crypto $(DESTDIR)$(PREFIX)/share/mynaconf/Vectors/
	install -d $(DESTDIR)$(PREFIX)/share/mynaconf/schemas
	install -m 0644 docs/schemas/*.json $(DESTDIR)$(PREFIX)/share/mynaconf/schemas/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/mynaconf
	rm -f $(DESTDIR)$(PREFIX)/bin/mynaconf-virtual-reader $(DESTDIR)$(PREFIX)/bin/mynaconf-start-virtual-card
	rm -rf $(DESTDIR)$(PREFIX)/share/mynaconf

clean:
	rm -rf .build

# Speed targets, in a release build; figures and commands are recorded in docs/benchmarks.md.
bench: deps
	$(SWIFT) build -c release --product MynaconfBenchmarks
	.build/release/MynaconfBenchmarks Vectors/cards/default.yaml
	$(SWIFT) build -c release --product mynaconf
	$(SWIFT) build -c release --product VirtualReaderBenchmark
	scripts/bench-virtual-reader
