# authgate: `make test` installs what the tests need (where it is missing),
# starts PostgreSQL and Redis, and runs every test.
GO ?= go
PKGS ?= ./...
TEST_FLAGS ?= -count=1 -timeout 30m

.PHONY: all build run test test-deps test-go vet bench fuzz clean

all: build

build:
	$(GO) build -o bin/authgate ./cmd/authgate

run:
	$(GO) run ./cmd/authgate

test: test-deps vet test-go

test-deps:
	./scripts/test-deps.sh

vet:
	$(GO) vet $(PKGS)

test-go:
	$(GO) test $(TEST_FLAGS) $(PKGS)

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)
	./bench/run.sh

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzBearer -fuzztime 30s ./httpx

clean:
	rm -rf bin data
