# The README's two commands: `make demo` and `make test`. Both set up the machine first
# (scripts/setup is idempotent). One build configuration serves the demo and the tests:
# release (numeric code is unusably slow in debug, and C targets build at -O0 there) with
# testability on, so `@testable import` works and nothing is compiled twice.

SWIFT_BUILD_FLAGS ?= -c release -Xswiftc -enable-testing
export SWIFT_BUILD_FLAGS
BIN = $(shell swift build $(SWIFT_BUILD_FLAGS) --show-bin-path)/refinery

.PHONY: setup build test demo clean

setup:
	./scripts/setup

build: setup
	swift build $(SWIFT_BUILD_FLAGS)

test:
	REFINERY_EXTRA_MODELS=smollm2-135m-instruct ./scripts/setup
	swift build $(SWIFT_BUILD_FLAGS) --build-tests
	swift test -c release --skip-build --no-parallel

# Exit status 3 is an answer no check vouches for (see the README): the demo ran, so make succeeds.
demo: setup
	$(BIN) run writer --deadline 8s --trace \
		'Write two sentences about the sea. Use the word "blue". Avoid the word "water". At most 40 words.' \
		|| [ $$? -eq 3 ]

clean:
	rm -rf .build
