# gatehouse build.  `make` builds build/gatehouse; see README "Development".
#
#   make                      build/gatehouse (optimised, -Werror)
#   make test                 whole suite: unit + integration, plain and sanitized, fuzz smoke
#   make unit                 unit tests of this build only (BUILD=..., SAN=1 honoured)
#   make SAN=1 BUILD=build/san  AddressSanitizer + UndefinedBehaviorSanitizer build
#   make fuzz                 libFuzzer harnesses (clang), FUZZ_SECONDS each
#   make format | lint        clang-format | layer and format checks + cppcheck + clang-tidy
#   make check-layers         each layer includes only its own and lower layers
#
# Every *.c under src/ except src/main.c goes into libgatehouse.a, so a new
# module needs no Makefile edit; the same holds for tests/unit/**/test_*.c.

BUILD    ?= build
CC       ?= cc
SAN      ?=
OPT      ?= -O2
PKGS     := libmicrohttpd jansson sqlite3 libcrypto libargon2 libcurl libpq
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wvla -Wno-unused-parameter
CFLAGS_ALL := -std=c11 -D_GNU_SOURCE -g $(OPT) $(WARN) -Isrc $(PKG_CFLAGS) $(CFLAGS)
LDLIBS_ALL := $(PKG_LIBS) -lpthread -lm $(LDLIBS)
ifneq ($(SAN),)
CFLAGS_ALL += -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
LDFLAGS    += -fsanitize=address,undefined
endif

LIB_SRCS  := $(sort $(filter-out src/main.c,$(shell find src -name '*.c')))
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/%.o)
# web/ is embedded through a generated C file (scripts/embed-web.sh, .incbin).
# The script runs on every build and rewrites the file only when something
# under web/ changed, so an added or removed file is noticed too.
WEB_GEN   := $(BUILD)/gen/web_assets.c
LIB_OBJS  += $(BUILD)/gen/web_assets.o
UNIT_SRCS := $(sort $(shell find tests/unit -name 'test_*.c' 2>/dev/null))
UNIT_BINS := $(UNIT_SRCS:%.c=$(BUILD)/%)
UNIT_SUPPORT := $(sort $(shell find tests/unit/support -name '*.c' 2>/dev/null))
UNIT_SUPPORT_OBJS := $(UNIT_SUPPORT:%.c=$(BUILD)/%.o)
FUZZ_SRCS := $(sort $(wildcard fuzz/fuzz_*.c))
BENCH_SRCS := $(sort $(wildcard bench/*/bench_*.c))
BENCH_BINS := $(BENCH_SRCS:%.c=$(BUILD)/%)

.SECONDARY:
.PHONY: FORCE all test unit fuzz fuzz-build format format-check lint check-layers clean bench-bins
all: $(BUILD)/gatehouse

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

# The OpenAPI document is embedded with .incbin, which -MMD does not record.
$(BUILD)/src/portal/openapi.o: src/portal/openapi.json

$(WEB_GEN): FORCE
	@mkdir -p $(dir $@)
	@scripts/embed-web.sh $@

$(BUILD)/gen/web_assets.o: $(WEB_GEN)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

FORCE:

$(BUILD)/libgatehouse.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/gatehouse: $(BUILD)/src/main.o $(BUILD)/libgatehouse.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(UNIT_SUPPORT_OBJS) $(BUILD)/libgatehouse.a
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(LDLIBS_ALL)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(BUILD)/libgatehouse.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

bench-bins: $(BENCH_BINS)

unit: $(UNIT_BINS)
	@scripts/run-unit.sh $(BUILD)

test:
	@scripts/test.sh

# libFuzzer needs clang; the library is rebuilt with coverage instrumentation.
FUZZ_BUILD := build/fuzz
FUZZ_SECONDS ?= 60
fuzz-build:
	$(MAKE) CC=clang BUILD=$(FUZZ_BUILD) OPT=-O1 \
	  CFLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer" \
	  $(FUZZ_BUILD)/libgatehouse.a
	@for f in $(FUZZ_SRCS); do n=$$(basename $$f .c); \
	  echo "CC $$n"; \
	  clang -std=c11 -D_GNU_SOURCE -g -O1 -Isrc $(PKG_CFLAGS) -fsanitize=fuzzer,address,undefined \
	    $$f $(FUZZ_BUILD)/libgatehouse.a $(LDLIBS_ALL) -o $(FUZZ_BUILD)/$$n || exit 1; done
fuzz: fuzz-build
	@scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

format:
	clang-format -i $$(find src tests/unit fuzz bench -name '*.[ch]')

check-layers:
	@scripts/check-layers.sh

format-check:
	@clang-format --dry-run --Werror $$(find src tests/unit fuzz bench -name '*.[ch]') && echo "format check: ok"

lint: check-layers format-check
	cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,performance,portability \
	  --inline-suppr --suppress=missingIncludeSystem -Isrc src
	clang-tidy --quiet $(LIB_SRCS) src/main.c -- -std=c11 -D_GNU_SOURCE -Isrc $(PKG_CFLAGS)

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
