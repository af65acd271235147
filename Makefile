# petrel: one binary, built with GNU make and pkg-config.
#   make            build ./petrel
#   make run        install what is missing, build, start a demo server
#   make check      install, build, run every test (also under ASan+UBSan)
#   make check-asan the unit and system tests under ASan+UBSan only
#   make fuzz       build the libFuzzer harnesses (clang)
# SPDX-License-Identifier: ISC

CC	?= cc
B	?= build
PKGS	 = libevent libevent_openssl libevent_pthreads openssl sqlite3 libcares \
	   jansson gumbo libcrypt libpq
CFLAGS	?= -O2 -g
WARN	 = -std=c17 -Wall -Wextra -Wformat=2 -Wshadow -Wvla \
	   -Wmissing-prototypes -Wstrict-prototypes -Werror
CPPFLAGS += -D_GNU_SOURCE -Isrc $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS	+= $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm
SAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	    -fno-omit-frame-pointer

ifeq ($(SAN),1)
B	 = build-asan
CFLAGS	+= $(SAN_FLAGS)
LDFLAGS	+= $(SAN_FLAGS)
endif
# The library again, instrumented for libFuzzer (clang only).
ifeq ($(FUZZ),1)
B	 = build-fuzz
CC	 = clang
CFLAGS	 = -O1 -g $(SAN_FLAGS) -fsanitize=fuzzer-no-link
endif

SRC_DIRS = lib mime store auth queue smtp pop3 imap web daemon cli
LIB_SRCS = $(filter-out src/cli/main.c, \
	     $(foreach d,$(SRC_DIRS),$(wildcard src/$(d)/*.c)))
LIB_OBJS = $(LIB_SRCS:src/%.c=$(B)/obj/%.o)
MAIN_OBJ = $(B)/obj/cli/main.o
UNIT_SRCS = $(wildcard tests/unit/test_*.c)
UNIT_BINS = $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)
FUZZ_SRCS = $(wildcard fuzz/fuzz_*.c)
FUZZ_BINS = $(FUZZ_SRCS:fuzz/%.c=build-fuzz/%)

ifeq ($(SAN),1)
PROG	 = $(B)/petrel
else
PROG	 = petrel
endif

all: $(PROG)

$(PROG): $(MAIN_OBJ) $(B)/libpetrel.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/libpetrel.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(B)/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -MMD -MP -c -o $@ $<

$(B)/tests/%: tests/unit/%.c $(B)/libpetrel.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/unit $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $< \
	    $(B)/libpetrel.a $(LDLIBS) -lcmocka

unit: $(UNIT_BINS)

deps:
	@./scripts/deps.sh

# Everything: the plain build, then the ASan+UBSan build, each through the
# unit and system tests. tests/run prints the one summary line.
JOBS	?= $(shell nproc 2>/dev/null || echo 2)

check: deps
	@$(MAKE) --no-print-directory -j$(JOBS) all unit
	@$(MAKE) --no-print-directory -j$(JOBS) SAN=1 all unit
	@$(MAKE) --no-print-directory -j$(JOBS) fuzz
	@./tests/web/setup.sh >/dev/null
	@./tests/run all

check-asan: deps
	@$(MAKE) --no-print-directory -j$(JOBS) SAN=1 all unit
	@./tests/run asan

fuzz:
	@$(MAKE) --no-print-directory FUZZ=1 fuzz-bins

fuzz-bins: $(FUZZ_BINS)

build-fuzz/fuzz_%: fuzz/fuzz_%.c build-fuzz/libpetrel.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -fsanitize=fuzzer -o $@ $< \
	    build-fuzz/libpetrel.a $(LDLIBS)

# deps runs first and alone: the sub-make sees the libraries it installed.
run: deps
	@$(MAKE) --no-print-directory all
	@./scripts/run-demo.sh

clean:
	rm -rf build build-asan build-fuzz petrel

.PHONY: all unit deps check check-asan fuzz fuzz-bins run clean

-include $(LIB_OBJS:.o=.d) $(MAIN_OBJ:.o=.d)
