# casewire's build. `make test` is the test command of README.md; `make ci` is what CI runs.
SHELL := /bin/bash
BUF := node_modules/.bin/buf
GO_TEST_FLAGS ?= -count=1 -timeout 25m

.PHONY: ent all build tools generate check-generated lint vet test test-sqlite test-postgres test-zone test-ts ci demo

all: build

build:
	go build -o bin/casewire ./cmd/casewire

# tools installs the pinned code-generation tools from the npm registry (buf,
# protoc-gen-es, google/api protos). The Go protoc plugins are pinned in go.mod as tools.
tools: node_modules/.installed
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# generate rebuilds every generated file: protobuf code for Go and TypeScript, the OpenAPI
# document, the ent client and, when the schema changed, a new migration per database.
generate: tools
	mkdir -p third_party/googleapis/google/api
	cp node_modules/google-proto-files/google/api/{annotations,http,field_behavior}.proto third_party/googleapis/google/api/
	$(BUF) format -w proto
	rm -rf gen/casewire clients/ts/src/gen gen/openapi/casewire.swagger.json
	$(BUF) generate proto
	go generate ./ent
	go run ./store/migrategen -name schema_change

# check-generated fails when committed generated code differs from a fresh generation.
check-generated: generate
	@changes=$$(git status --porcelain -- gen ent clients/ts/src/gen store/migrations third_party proto); \
	if [ -n "$$changes" ]; then echo "generated code is out of date; run make generate:"; echo "$$changes"; git diff --stat; exit 1; fi

lint: tools
	$(BUF) lint
	$(BUF) format -d --exit-code proto
	@if git rev-parse -q --verify HEAD~1 >/dev/null; then $(BUF) breaking --against '.git#ref=HEAD~1'; fi

vet:
	go vet ./...

test: test-sqlite test-postgres test-zone test-ts

test-sqlite:
	go test $(GO_TEST_FLAGS) ./...

test-postgres:
	CASEWIRE_TEST_DB=postgres go test $(GO_TEST_FLAGS) ./...

# test-zone runs the packages that store and compare times on SQLite (which compares them
# as text) with the process east of UTC, where a time written or compared in local time
# goes wrong.
test-zone:
	TZ=Asia/Tokyo go test $(GO_TEST_FLAGS) ./access/... ./deliver/... ./detect/... ./schedule/... ./server/... ./tracking/... ./timeline/...

test-ts:
	@if [ -f clients/ts/package.json ]; then $(MAKE) -C clients/ts test; fi

ci: check-generated lint vet test

demo: build
	./bin/casewire serve --demo

# ent regenerates the ent client after a schema change. Until the first release the schema
# has one migration, rewritten here; after it, use `make generate` to add a new one.
ent:
	go generate ./ent
	rm -f store/migrations/sqlite/* store/migrations/postgres/*
	go run ./store/migrategen -name initial
