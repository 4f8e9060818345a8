# dispatchd. `make test` is the whole test suite; CI runs it via .ci/run.

.PHONY: test run build

test:
	./scripts/test.sh

run:
	go run ./cmd/dispatchd serve --demo

build:
	go build -o dispatchd ./cmd/dispatchd
