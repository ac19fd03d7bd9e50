# SPDX-License-Identifier: BSD-2-Clause
#
# make            build build/etrace (static)
# make deps       install the Debian packages the build and tests need
# make run        deps + build + trace a default probe for a few seconds (ARGS=... overrides)
# make check      deps + build + every test (unit, runtime, VM lab); SAN=1 for ASan+UBSan
# make install    PREFIX=/usr/local
# make bench      start-up and overhead figures against bpftrace

VERSION := 0.1.0
PREFIX ?= /usr/local
BUILD ?= build
CC ?= gcc
SAN ?= 0
V ?= 0

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-6s %s\n' "$(1)" "$(2)";
endif

WARN := -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
	-Wno-unused-parameter -Wformat=2 -Wno-format-nonliteral
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Isrc -MMD -MP \
	-DETRACE_VERSION='"$(VERSION)"'
LIBS := -lbpf -lelf -lz

ifeq ($(SAN),1)
# Sanitizers need the dynamic runtime: no -static in this mode.
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
LDFLAGS_ALL := -fsanitize=address,undefined $(LDFLAGS)
BUILD := build-san
else
LDFLAGS_ALL := -static $(LDFLAGS)
endif

SRCS := $(sort $(wildcard src/*.c src/*/*.c))
LIB_SRCS := $(filter-out src/main.c,$(SRCS))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
MAIN_OBJ := $(BUILD)/obj/src/main.o
UNIT_SRCS := $(sort $(wildcard tests/unit/*.c))
UNIT_OBJS := $(UNIT_SRCS:%.c=$(BUILD)/obj/%.o)
PROG_SRCS := $(sort $(wildcard tests/progs/*.c))
PROGS := $(PROG_SRCS:tests/progs/%.c=$(BUILD)/progs/%)
RUNNER := $(BUILD)/etrace-runner

ETRACE := $(BUILD)/etrace

.PHONY: all deps run check unit runtime vm-check vm-shell install bench clean
.DELETE_ON_ERROR:

all: $(ETRACE) $(RUNNER) $(PROGS)

# Packages: build (libbpf, libelf, zlib static archives), tests (bpftool to
# look for leftover programs, busybox/qemu/cpio for the VM lab), bench (bpftrace).
DEPS := gcc make libc6-dev libbpf-dev libelf-dev zlib1g-dev linux-libc-dev \
	bpftool busybox-static qemu-system-x86 cpio gzip xz-utils zstd kmod \
	util-linux procps passwd
deps:
	@missing=$$(for p in $(DEPS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$<)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libetrace.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(ETRACE): $(MAIN_OBJ) $(BUILD)/libetrace.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

$(BUILD)/unit-tests: $(UNIT_OBJS) $(BUILD)/libetrace.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

$(RUNNER): $(BUILD)/obj/tests/runtime/runner.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^

# Fixtures are static too, so the VM lab can run them without a libc.
$(BUILD)/progs/%: tests/progs/%.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$<)
	$(Q)$(CC) -std=gnu11 -O1 -g -fno-omit-frame-pointer -Wall -Wextra -Werror \
		-static -o $@ $<

ARGS ?= -M 10 t:sched:sched_process_exec
run: deps $(ETRACE)
	@echo "etrace $(ARGS)   (starting a few processes to trace)"
	@( sleep 1; for i in 1 2 3 4 5 6 7 8 9 10; do /bin/true; sleep 0.2; done ) &
	timeout -s INT 10 $(ETRACE) $(ARGS); rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 124 ]

unit: $(BUILD)/unit-tests
	$(BUILD)/unit-tests tests/unit

runtime: all
	$(RUNNER) --etrace $(ETRACE) --progs $(BUILD)/progs tests/runtime/*.case

# check: unit, runtime and VM lab results are summed into one closing line.
check: deps
	$(Q)$(MAKE) --no-print-directory all $(BUILD)/unit-tests
	$(Q)tests/check.sh $(BUILD)

vm-check: all
	tests/vm/lab.sh check $(BUILD)

KERNEL ?= 6.1
vm-shell: all
	tests/vm/lab.sh shell $(BUILD) $(KERNEL)

install: $(ETRACE)
	install -D -m 0755 $(ETRACE) $(DESTDIR)$(PREFIX)/sbin/etrace
	install -D -m 0644 docs/etrace.8 $(DESTDIR)$(PREFIX)/share/man/man8/etrace.8

bench: deps all
	bench/startup.sh $(ETRACE)

clean:
	rm -rf build build-san

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
