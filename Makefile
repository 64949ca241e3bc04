# ctx: see `make help`.
SHELL := /bin/bash
GO    ?= go
PKGS  := ./...

.PHONY: help build release release-native image cookbook test lint check-imports bench docs check-docs clean

help: ## list targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

build: ## build bin/ctx
	$(GO) build -trimpath -o bin/ctx ./cmd/ctx

# A static binary with the cgo constructor of enter/nsexec linked in: it
# runs in scratch images and on hosts without glibc. osusergo and netgo keep
# glibc's NSS (which cannot be linked statically) out.
STATIC := CGO_ENABLED=1 $(GO) build -trimpath -tags osusergo,netgo \
	-ldflags '-s -w -linkmode external -extldflags "-static"'

release-native: ## static bin/ctx for this machine's architecture
	$(STATIC) -o bin/ctx ./cmd/ctx

release: release-native ## static bin/ctx-linux-amd64 and bin/ctx-linux-arm64 (needs gcc-aarch64-linux-gnu)
	cp bin/ctx bin/ctx-linux-$$($(GO) env GOARCH)
	GOARCH=arm64 CC=aarch64-linux-gnu-gcc $(STATIC) -o bin/ctx-linux-arm64 ./cmd/ctx

IMAGE ?= ctx:dev
image: release-native ## the sidecar image $(IMAGE) (default ctx:dev), built offline from bin/ctx
	scripts/build-image.sh $(IMAGE)

test: ## run every test tier this machine can run; skips are explained
	set -o pipefail; $(GO) test -json -count=1 -p 1 -timeout 20m $(PKGS) | $(GO) run ./cmd/internal/testsum

lint: check-imports ## gofmt, go vet (also of a GOOS=darwin build), import rules
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	GOOS=darwin $(GO) vet $(PKGS)

check-imports: ## domain packages must not import cobra, tablewriter or cmd/...
	@$(GO) run ./cmd/internal/importcheck

# Each bench/<name>/ is a program that builds its own scenario, times ctx
# against the classic tool in one run, prints ratios and cleans up.
# BENCH=ns runs only bench/ns*.
BENCH ?=
bench: build ## benchmarks against the classic tools (needs root); BENCH=name for one
	@for d in bench/$(BENCH)*/; do echo "== $$d"; $(GO) run ./$$d -ctx bin/ctx || exit 1; done

cookbook: ## regenerate docs/cookbook.md from real runs (needs root and Docker)
	CTX_COOKBOOK_DIR=$(CURDIR)/docs/cookbook $(GO) test -count=1 -run 'TestCookbook' ./cmd/ctx/
	$(GO) run ./cmd/internal/cookbook -docs docs

docs: ## regenerate docs/cli and docs/man
	$(GO) run ./cmd/gendocs -out docs

check-docs: ## fail when the generated docs drift from the code
	@tmp=$$(mktemp -d); $(GO) run ./cmd/gendocs -out $$tmp && \
	  diff -r $$tmp/cli docs/cli && diff -r $$tmp/man docs/man; rc=$$?; rm -rf $$tmp; exit $$rc

clean: ## remove build output
	rm -rf bin
