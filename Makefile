# posthaste — generic Makefile.
#
# Nothing program-specific lives here: programs are declared in
# package/targets.mak and each one's link list in DIR/deps-exe/NAME.
#
#   make            build every program into build/bin
#   make check      install test dependencies, build normally and with
#                   ASan+UBSan, run every test (tests/run)
#   make check-tls  testssl.sh against the demo's TLS ports (tests/tls/run)
#   make run        build and start the demo suite in the foreground
#   make stop       stop a running demo suite
#   make install    DESTDIR=... PREFIX=... (default /usr/local)
#   make deps       install missing Debian packages (build + run)
#   make fuzz       build the libFuzzer harnesses and run each briefly
#   make asan       build everything with ASan+UBSan into build-asan/
#   make image      the container image posthaste:latest, FROM scratch
#                   (package/image/build; IMAGE_TAG= to name it otherwise,
#                   IMAGE_LINK=static for per-connection programs linked
#                   static-pie as on a host: faster exec, a bigger image)
#   make check-image  build the image, run it with package/docker-compose.yml,
#                   mail in over SMTP, read over IMAP, restart, stop (tests/image/run)

include package/targets.mak

CC ?= cc
PREFIX ?= /usr/local
DESTDIR ?=
SAN ?= 0

ifeq ($(SAN),1)
B := build-asan
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
else
B := build
SANFLAGS :=
endif

OPT ?= -O2
CFLAGS_ALL := -std=c11 -Wall -Wextra -Werror $(OPT) -g -D_GNU_SOURCE -I. $(SANFLAGS) $(CFLAGS)
LDFLAGS_ALL := $(SANFLAGS) $(LDFLAGS)
# skalibs linked statically: every program is exec'd per connection or
# per message, and resolving libskarnet.so at each start cost about 15 %
# of a short-lived program's CPU (docs/bench.md).
LDLIBS_ALL := -l:libskarnet.a
# A program exec'd for every connection may list -static-pie in its
# deps-exe: no dynamic loader at each start (docs/bench.md). Dropped for
# the sanitizer build, whose runtime is a shared library.
LINK_STATIC := $(if $(filter 1,$(SAN)),,-static-pie)

COMMON_OBJS := $(patsubst %.c,$(B)/%.o,$(wildcard common/*.c))
LIB := $(B)/libposthaste.a
BINS := $(addprefix $(B)/bin/,$(notdir $(BIN_TARGETS)))
UNIT_BINS := $(addprefix $(B)/tests/,$(UNIT_TESTS))

.PHONY: all asan check check-crash check-tls run stop install deps deps-check fuzz bench clean unit
.PHONY: image check-image deps-image
.DELETE_ON_ERROR:

all: $(BINS)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c -o $@ $<

$(LIB): $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@.tmp
	ar rcs $@.tmp $^
	mv -f $@.tmp $@

# One link rule per program, from its deps-exe file.
define bin_rule
$(B)/bin/$(notdir $(1)): $(patsubst $(CURDIR)/%,%,$(abspath $(addprefix $(B)/$(dir $(1)),$(filter %.o,$(shell cat $(dir $(1))deps-exe/$(notdir $(1)) 2>/dev/null))))) $(LIB) $(dir $(1))deps-exe/$(notdir $(1))
	@mkdir -p $(B)/bin
	$(CC) $(LDFLAGS_ALL) -o $$@ $$(filter %.o,$$^) $(LIB) $(filter -l% $(LINK_STATIC),$(shell cat $(dir $(1))deps-exe/$(notdir $(1)) 2>/dev/null)) $(LDLIBS_ALL)
endef
$(foreach t,$(BIN_TARGETS),$(eval $(call bin_rule,$(t))))

# Unit tests link every library a common/ module may need, plus the
# objects listed one per line (relative to the top, e.g.
# imapd/imap_reader.o) in tests/unit/deps/NAME when that file exists.
define unit_rule
$(B)/tests/$(1): $(B)/tests/unit/$(1).o $(addprefix $(B)/,$(filter %.o,$(shell sed -e 's/#.*//' tests/unit/deps/$(1) 2>/dev/null))) $(LIB) $(wildcard tests/unit/deps/$(1))
	@mkdir -p $$(dir $$@)
	$(CC) $(LDFLAGS_ALL) -o $$@ $$(filter %.o,$$^) $(LIB) -lcrypt -lssl -lcrypto -lunbound $(LDLIBS_ALL)
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_rule,$(t))))

unit: $(UNIT_BINS)

asan:
	$(MAKE) SAN=1 all unit

-include $(shell find $(B) -name '*.d' 2>/dev/null)

deps:
	@package/install-deps package/deps-build package/deps-run

deps-check:
	@package/install-deps package/deps-build package/deps-run package/deps-check

JOBS ?= $(shell nproc 2>/dev/null || echo 2)

check: deps-check
	package/mkusers
	$(MAKE) -j$(JOBS) all unit
	$(MAKE) -j$(JOBS) SAN=1 all unit
	$(MAKE) fuzz-build
	/usr/bin/python3 tests/run

# The long crash test (tests/integration/test_crash.py): 20000 messages
# over 20 sessions while a daemon is SIGKILLed every 100-500 ms; run
# directly, so that its "# crash:" report line shows.
check-crash: deps-check
	$(MAKE) all
	PH_CRASH_MESSAGES=20000 PH_CRASH_SESSIONS=20 PH_CRASH_KILL_MIN_MS=100 PH_CRASH_KILL_MAX_MS=500 \
	  PYTHONPATH=tests/lib /usr/bin/python3 tests/integration/test_crash.py

# testssl.sh against the demo's 465, 587 and 25 (tests/tls/run); make
# check scans 465 and 587 when testssl is installed.
check-tls: deps-check
	$(MAKE) all
	PH_TESTSSL_PORTS="submissions submission smtp" /usr/bin/python3 tests/tls/run

# The container image (package/image/build): Debian's docker.io starts
# only if no Docker daemon answers, and is stopped again.
deps-image:
	@package/install-deps package/deps-build package/deps-run package/deps-image

IMAGE_TAG ?= posthaste:latest
# The image links every program dynamically, into build/image-bin: one
# copy of glibc instead of one per static-pie program keeps the image
# within its 20 MB budget (14.7 MB against 22). The price is the dynamic
# loader at each exec of a per-connection program (about 0.3 ms of CPU,
# docs/bench.md "Link flags"); IMAGE_LINK=static trades size for that.
IMAGE_LINK ?= dynamic
image: deps-image
ifeq ($(IMAGE_LINK),dynamic)
	$(MAKE) B=build/image-bin LINK_STATIC= all
	PH_IMAGE_BIN=build/image-bin/bin package/image/build $(IMAGE_TAG)
else
	$(MAKE) all
	package/image/build $(IMAGE_TAG)
endif

check-image: deps-image
ifeq ($(IMAGE_LINK),dynamic)
	$(MAKE) B=build/image-bin LINK_STATIC= all
	PH_IMAGE_BIN=build/image-bin/bin /usr/bin/python3 tests/image/run
else
	$(MAKE) all
	/usr/bin/python3 tests/image/run
endif

run: deps
	$(MAKE) all
	package/run-demo

stop:
	package/stop-demo

fuzz-build:
	@tests/fuzz/build
fuzz: fuzz-build
	@tests/fuzz/run $${FUZZ_SECONDS:-60}

install: all
	package/install "$(DESTDIR)" "$(PREFIX)" "$(B)"

bench: all
	tests/bench/run

clean:
	rm -rf build build-asan build-fuzz
