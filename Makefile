# The shop's everyday commands. `make help` lists them.
GO        ?= go
DATA_DIR  ?= ./data
ADDR      ?= 127.0.0.1:8080
# ":8080" listens on every interface; links then still need a host name.
BASE_URL  ?= http://$(if $(filter :%,$(ADDR)),localhost$(ADDR),$(ADDR))
BIN       := bin/shop
PKGS      := ./...

.PHONY: help run build test generate lint bench bench-compare clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

run: build ## build and start the shop with demo data in ./data (sandbox bank, mails to a folder)
	@echo "Open $(BASE_URL)/ once it says it is serving (Ctrl-C stops it)."
	SHOP_DEMO=1 SHOP_DATA_DIR=$(DATA_DIR) SHOP_ADDR=$(ADDR) SHOP_BASE_URL=$(BASE_URL) ./$(BIN)

build: ## build bin/shop and bin/bank
	$(GO) build -o bin/ ./cmd/...

test: ## run every test, with the race detector (browser tests need Chromium)
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

generate: ## regenerate the templ components (*_templ.go, committed)
	$(GO) tool templ generate

lint: ## gofmt, go vet, and a check that generated templ files are current
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	@before=$$(git status --porcelain -- '*_templ.go'); \
	 if ! out=$$($(GO) tool templ generate 2>&1); then echo "$$out"; echo "templ generate failed"; exit 1; fi; \
	 after=$$(git status --porcelain -- '*_templ.go'); \
	 if [ "$$before" != "$$after" ]; then echo "generated templ files were stale: run make generate and commit"; exit 1; fi

bench: ## load-test the shop on 127.0.0.1 (100 and 100,000 products) against a bare net/http baseline; JSON in bench/results/
	$(GO) run ./cmd/loadtest -go $(GO) -size 100 -size 100000 -out bench/results

bench-compare: ## ratios between two bench results: make bench-compare A=old.json B=new.json
	@test -n "$(A)" -a -n "$(B)" || { echo "usage: make bench-compare A=bench/results/old.json B=bench/results/new.json"; exit 2; }
	$(GO) run ./cmd/loadtest compare $(A) $(B)

clean: ## remove built binaries and the local demo data
	rm -rf bin $(DATA_DIR)
