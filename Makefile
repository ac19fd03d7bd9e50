# SPDX-License-Identifier: BSD-2-Clause
#
# make            build build/etrace (static)
# make deps       install the Debian packages the build and tests need
# make run        deps + build + trace a default probe for a few seconds (ARGS=... overrides)
# make check      deps + build + every test (unit, fuzz, runtime, VM lab); SAN=1 for ASan+UBSan
# make check-valgrind  memcheck on representative runs of a dynamic build
# make install    PREFIX=/usr/local
# make deb        build/etrace_VERSION_ARCH.deb (make deb-check: lintian, install, remove)
# make bench      start-up and overhead figures against bpftrace
# make bench-detach, bench-soak   attach/detach of many probes; a 10-minute soak
# make bench-user  user-space probes (uprobes on bash's readline, libc's malloc)
# make bench-options  what -n (in the kernel) saves, and -l against bpftrace -l
# make bench-aggregate  what -A costs per event against bpftrace's count()
# make bench-latency  -H of $latency against bpftrace's two-probe histogram
# make fuzz       libFuzzer (clang) on the spec parser for FUZZ_SECONDS (default 60)
# make ARCH=arm64 the same static build for aarch64 in build-arm64/ (cross compiler and
#                 Debian's arm64 libraries; make deps ARCH=arm64 installs them)
# make check-arm64  the arm64 build, its unit tests under qemu-user and its VM lab

VERSION := 0.1.0
PREFIX ?= /usr/local
SAN ?= 0
V ?= 0

# ARCH=arm64: cross-build for aarch64 with Debian's cross compiler and the
# static archives of Debian's arm64 packages (multiarch). Unset: a native build.
ARCH ?=
ifeq ($(ARCH),arm64)
ifeq ($(SAN),1)
$(error SAN=1 needs a native build (the sanitizer runtimes are not cross-built))
endif
CROSS ?= aarch64-linux-gnu-
CC := $(CROSS)gcc
AR := $(CROSS)ar
BUILD ?= build-arm64
# Unit tests run under user-mode emulation.
RUN_TARGET := qemu-aarch64-static
else ifneq ($(ARCH),)
$(error ARCH=$(ARCH): only ARCH=arm64 is known (unset for a native build))
endif
BUILD ?= build
CC ?= gcc

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
LIBS := -lbpf -lelf -lz -llzma

# The Debian package is made from the static build, even under SAN=1.
STATIC_BUILD := $(BUILD)
DEB := $(STATIC_BUILD)/etrace_$(VERSION)_$(shell dpkg --print-architecture 2>/dev/null).deb

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
FUZZ_SRCS := tests/fuzz/fuzz_spec.c tests/fuzz/driver.c
FUZZ_OBJS := $(FUZZ_SRCS:%.c=$(BUILD)/obj/%.o)
RUNNER := $(BUILD)/etrace-runner

ETRACE := $(BUILD)/etrace

# User-space fixtures (tests/progs/user): one source, several builds, as
# user probes meet them: PIE and not, -O0/-O2, gcc and clang, lld (whose
# segments sit at other distances from their offsets), stripped with a
# separate debug file, static (for the VM lab), shared and dlopen'ed libraries.
UDIR := $(BUILD)/progs/user
UCC = $(CC) -g -fno-omit-frame-pointer -Wall -Wextra -Werror
ULIBS = -L$(UDIR) -lufunc -ldl -Wl,--disable-new-dtags,-rpath,'$$ORIGIN'
USER_PROGS := $(addprefix $(UDIR)/,libufunc.so libufunc_dl.so ufunc ufunc-O0 ufunc-nopie \
	ufunc-clang ufunc-lld ufunc-stripped ufunc-minidebug ufunc-static usdt usdt-O0 usdt-clang usdt-static jit)
ifeq ($(ARCH),arm64)
# Only the static fixtures: they are what the VM lab's busybox guest can run.
USER_PROGS := $(filter %-static,$(USER_PROGS))
endif


.PHONY: all deps run check unit runtime vm-check vm-shell install bench bench-detach bench-soak bench-user bench-options bench-aggregate bench-latency check-valgrind clean \
	fuzz-driver fuzz fuzz-deps deb deb-deps deb-check deps-arm64 check-arm64 vm-check-arm64 \
	bench-arm64
.DELETE_ON_ERROR:

all: $(ETRACE) $(RUNNER) $(PROGS) $(USER_PROGS)

# Packages: build (libbpf, libelf, zlib static archives), tests (bpftool to
# look for leftover programs, busybox/qemu/cpio for the VM lab, python3 to
# parse --json output), bench (bpftrace),
# fuzz (clang, which ships libFuzzer) only for make fuzz.
DEPS := gcc make libc6-dev libbpf-dev libelf-dev zlib1g-dev liblzma-dev linux-libc-dev \
	bpftool busybox-static qemu-system-x86 cpio gzip xz-utils zstd kmod \
	util-linux procps passwd strace python3 \
	clang lld binutils systemtap-sdt-dev libc6-dbg
FUZZ_DEPS := clang
# make deb needs only dpkg-deb (dpkg), binutils and gzip; checking the package
# needs lintian (heavy: installed by make check and make deb-check only) and
# man-db (man -w finds the installed page).
DEB_DEPS := lintian man-db
# ARCH=arm64 (and check-arm64): the cross compiler, Debian's arm64 libraries
# (static archives; the arm64 architecture is added to dpkg for them, only
# then), sys/sdt.h for aarch64, QEMU for the aarch64 VM lab and for the unit
# tests under user-mode emulation. The lab downloads the arm64 kernels and
# busybox itself (busybox-static:arm64 cannot be installed beside amd64's).
DEPS_ARM64 := gcc-aarch64-linux-gnu libc6-dev-arm64-cross libc6-dev:arm64 libbpf-dev:arm64 \
	libelf-dev:arm64 zlib1g-dev:arm64 liblzma-dev:arm64 systemtap-sdt-dev:arm64 \
	qemu-system-arm qemu-user-static
deps: $(if $(filter arm64,$(ARCH)),deps-arm64)
	@$(call install_missing,$(DEPS))

deps-arm64:
	@if ! dpkg --print-foreign-architectures | grep -qx arm64; then \
		echo "dpkg --add-architecture arm64 (for Debian's arm64 libraries)"; \
		dpkg --add-architecture arm64; \
	fi
	@$(call install_missing,$(DEPS_ARM64))

deb-deps:
	@$(call install_missing,$(DEB_DEPS))

# $(call install_missing,PACKAGES): apt-get install those not installed yet.
define install_missing
	missing=$$(for p in $(1); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$<)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libetrace.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(ETRACE): $(MAIN_OBJ) $(BUILD)/libetrace.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

$(BUILD)/unit-tests: $(UNIT_OBJS) $(BUILD)/libetrace.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

# The spec fuzzer's entry point with a main() that needs no libFuzzer (make check).
$(BUILD)/fuzz-driver: $(FUZZ_OBJS) $(BUILD)/libetrace.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

fuzz-driver: $(BUILD)/fuzz-driver

$(RUNNER): $(BUILD)/obj/tests/runtime/runner.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^

# Fixtures are static too, so the VM lab can run them without a libc.
$(BUILD)/progs/%: tests/progs/%.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$<)
	$(Q)$(CC) -std=gnu11 -O1 -g -fno-omit-frame-pointer -Wall -Wextra -Werror \
		-static -o $@ $<

$(UDIR)/lib%.so: tests/progs/user/lib%.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$<)
	$(Q)$(UCC) -O2 -fPIC -shared -o $@ $<
$(UDIR)/ufunc: tests/progs/user/ufunc.c $(UDIR)/libufunc.so
	$(call msg,CC,$@)
	$(Q)$(UCC) -O2 -o $@ $< $(ULIBS)
$(UDIR)/ufunc-O0: tests/progs/user/ufunc.c $(UDIR)/libufunc.so
	$(call msg,CC,$@)
	$(Q)$(UCC) -O0 -o $@ $< $(ULIBS)
$(UDIR)/ufunc-nopie: tests/progs/user/ufunc.c $(UDIR)/libufunc.so
	$(call msg,CC,$@)
	$(Q)$(UCC) -O2 -no-pie -o $@ $< $(ULIBS)
$(UDIR)/ufunc-clang: tests/progs/user/ufunc.c $(UDIR)/libufunc.so
	$(call msg,CLANG,$@)
	$(Q)clang -g -O2 -fno-omit-frame-pointer -o $@ $< $(ULIBS)
$(UDIR)/ufunc-lld: tests/progs/user/ufunc.c $(UDIR)/libufunc.so
	$(call msg,LLD,$@)
	$(Q)clang -g -O2 -fno-omit-frame-pointer -fuse-ld=lld -o $@ $< $(ULIBS)
# Stripped, with its symbols in ufunc-stripped.debug named by .gnu_debuglink.
$(UDIR)/ufunc-stripped: $(UDIR)/ufunc
	$(call msg,STRIP,$@)
	$(Q)objcopy --only-keep-debug $< $@.debug && objcopy --strip-all $< $@ && \
		cd $(UDIR) && objcopy --add-gnu-debuglink=ufunc-stripped.debug ufunc-stripped
# Stripped, with MiniDebugInfo: the functions .dynsym lacks, xz-compressed in
# .gnu_debugdata (as Fedora ships its programs).
$(UDIR)/ufunc-minidebug: $(UDIR)/ufunc
	$(call msg,MINIDBG,$@)
	$(Q)set -e; t=$@.tmp; rm -rf $$t; mkdir $$t; \
	nm -D --format=posix --defined-only $< | awk '{ print $$1 }' | sort > $$t/dyn; \
	nm --format=posix --defined-only $< | awk '$$2 ~ /^[Tt]$$/ { print $$1 }' | sort > $$t/funcs; \
	comm -13 $$t/dyn $$t/funcs > $$t/keep; \
	objcopy --only-keep-debug $< $$t/debug; \
	objcopy -S --remove-section .gdb_index --remove-section .comment \
		--keep-symbols=$$t/keep $$t/debug $$t/mini; \
	xz -q $$t/mini; \
	objcopy --strip-all $< $$t/out; \
	objcopy --add-section .gnu_debugdata=$$t/mini.xz $$t/out; \
	mv $$t/out $@; rm -rf $$t
$(UDIR)/ufunc-static: tests/progs/user/ufunc.c tests/progs/user/libufunc.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(UCC) -O1 -static -DNO_DLOPEN -o $@ $^
$(UDIR)/usdt: tests/progs/user/usdt.c
	$(call msg,CC,$@)
	$(Q)$(UCC) -O2 -o $@ $<
$(UDIR)/usdt-O0: tests/progs/user/usdt.c
	$(call msg,CC,$@)
	$(Q)$(UCC) -O0 -o $@ $<
$(UDIR)/usdt-clang: tests/progs/user/usdt.c
	$(call msg,CLANG,$@)
	$(Q)clang -g -O2 -o $@ $<
$(UDIR)/usdt-static: tests/progs/user/usdt.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(UCC) -O2 -static -o $@ $<
$(UDIR)/jit: tests/progs/user/jit.c
	$(call msg,CC,$@)
	$(Q)$(UCC) -O2 -o $@ $<

ARGS ?= -M 10 't:sched:sched_process_exec "%s", args->filename'
run: deps $(ETRACE)
	@echo "etrace $(ARGS)   (starting a few processes to trace)"
	@( sleep 1; for i in 1 2 3 4 5 6 7 8 9 10; do /bin/true; sleep 0.2; done ) &
	timeout -s INT 10 $(ETRACE) $(ARGS); rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 124 ]

unit: $(BUILD)/unit-tests
	$(RUN_TARGET) $(BUILD)/unit-tests tests/unit

runtime: all deb
	ETRACE_DEB=$(abspath $(DEB)) $(RUNNER) --etrace $(ETRACE) --progs $(BUILD)/progs \
		tests/runtime/*.case

# check: unit, fuzz, runtime and VM lab results are summed into one closing line.
# Under SAN=1 the VM lab still boots the static build, which it needs.
ifeq ($(SAN),1)
VM_BUILD_ENV := ETRACE_VM_BUILD=build
endif
check: deps deb-deps
	$(Q)$(MAKE) --no-print-directory deps-arm64
	$(Q)$(MAKE) --no-print-directory all $(BUILD)/unit-tests $(BUILD)/fuzz-driver deb
	$(if $(VM_BUILD_ENV),$(Q)$(MAKE) --no-print-directory SAN=0 all)
	$(Q)$(MAKE_ARM64) all $(ARM64_BUILD)/unit-tests
	$(Q)$(VM_BUILD_ENV) $(ARM64_ENV) ETRACE_DEB=$(abspath $(DEB)) tests/check.sh $(BUILD)

# The arm64 build beside the native one, whatever ARCH, BUILD and SAN say
# (check, check-arm64, bench-arm64): its unit tests run under qemu-aarch64,
# and tests/check.sh runs its VM lab (Debian's arm64 6.1 and 6.12, about
# 2 minutes) after the x86-64 one.
ARM64_BUILD := build-arm64
MAKE_ARM64 = $(MAKE) --no-print-directory ARCH=arm64 SAN=0 BUILD=$(ARM64_BUILD)
ARM64_ENV = ETRACE_ARM64_BUILD=$(ARM64_BUILD)

check-arm64: deps
	$(Q)$(MAKE) --no-print-directory deps-arm64
	$(Q)$(MAKE_ARM64) all $(ARM64_BUILD)/unit-tests
	qemu-aarch64-static $(ARM64_BUILD)/unit-tests tests/unit
	tests/vm/lab.sh check $(ARM64_BUILD)

vm-check: all
	tests/vm/lab.sh check $(BUILD)

# Valgrind's memcheck on representative runs of a dynamically linked build
# (valgrind cannot follow the static glibc's allocator); about a minute.
VG_BUILD := build-vg
check-valgrind: deps all
	$(Q)$(call install_missing,valgrind)
	$(Q)$(MAKE) --no-print-directory SAN=0 BUILD=$(VG_BUILD) LDFLAGS_ALL= $(VG_BUILD)/etrace
	tests/valgrind.sh $(VG_BUILD)/etrace $(abspath $(BUILD))/progs

KERNEL ?= 6.1
vm-shell: all
	tests/vm/lab.sh shell $(BUILD) $(KERNEL)

install: $(ETRACE)
	install -D -m 0755 $(ETRACE) $(DESTDIR)$(PREFIX)/sbin/etrace
	install -D -m 0644 docs/etrace.8 $(DESTDIR)$(PREFIX)/share/man/man8/etrace.8
	install -D -m 0644 packaging/etrace.bash \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/etrace

# deb: the package of the static build (packaging/build-deb.sh: the same
# files as make install with PREFIX=/usr, plus copyright and changelog).
# deb-check: the package cases (lintian; dpkg -i, the installed etrace, dpkg -r).
ifeq ($(SAN),1)
deb:
	$(Q)$(MAKE) --no-print-directory SAN=0 deb
else ifeq ($(ARCH),arm64)
deb:
	@echo "make deb packages the native build only (not ARCH=arm64)" >&2; exit 2
else
deb: $(DEB)

$(DEB): $(ETRACE) docs/etrace.8 $(wildcard packaging/*)
	$(call msg,DEB,$@)
	$(Q)packaging/build-deb.sh $(BUILD) $(VERSION) >/dev/null
endif

deb-check: deb-deps deb $(RUNNER)
	ETRACE_DEB=$(abspath $(DEB)) $(RUNNER) --etrace $(abspath $(STATIC_BUILD))/etrace \
		tests/runtime/package.case

# bench: start-up and per-event cost against bpftrace (and BCC with
# BENCH_ARGS=--with-bcc), then kernel-function start-up in the VM lab.
bench: deps all
	bench/startup.sh $(BENCH_ARGS) $(ETRACE)
	bench/overhead.sh $(BENCH_ARGS) $(ETRACE)

# bench-arm64: the arm64 binary's size and its start-up on kernel functions
# in the arm64 VM lab (6.1: kprobes only; 6.12: fentry too).
bench-arm64: deps
	$(Q)$(MAKE) --no-print-directory deps-arm64
	$(Q)$(MAKE_ARM64) all
	bench/arm64.sh $(ARM64_BUILD)

# Longer runs, not part of `make bench`: attaching and detaching 1, 50 and 700
# tracepoints against bpftrace (about 6 minutes), and a 10-minute soak with a
# slow reader that checks printed + lost against the calls made.
bench-detach: deps all
	bench/detach.sh $(BENCH_ARGS) $(ETRACE)

bench-soak: deps all
	bench/soak.sh $(BENCH_ARGS) $(ETRACE)

# User-space probes against bpftrace (and BCC with BENCH_ARGS=--with-bcc):
# start-up on readline and malloc, cost per malloc() call, -U (about 3 minutes).
bench-user: deps all
	bench/user.sh $(BENCH_ARGS) $(ETRACE)

# -n decided in the kernel against printing every event, bpftrace's comm
# predicate (and BCC's -n); -l against bpftrace -l (about a minute).
bench-options: deps all
	bench/options.sh $(BENCH_ARGS) $(ETRACE)

# -A (counted in the kernel) against bpftrace's @[comm] = count() and against
# printing every event, on getppid() (about a minute).
bench-aggregate: deps all
	bench/aggregate.sh $(BENCH_ARGS) $(ETRACE)

# -H of $latency on a hot user function against bpftrace's uprobe/uretprobe
# pair with @s[tid] = nsecs and hist() (about a minute).
bench-latency: deps all
	bench/latency.sh $(BENCH_ARGS) $(ETRACE)

# fuzz: libFuzzer with ASan+UBSan on the spec and format parsers, built by clang
# straight from the sources they need. The seeds are copied into
# build-fuzz/corpus, which keeps what libFuzzer finds between runs; crashes
# are written to build-fuzz/crashes/. FUZZ_ARGS adds libFuzzer options (-jobs=N,
# -rss_limit_mb=N, ...). Not part of `make check`, which runs fuzz-driver instead.
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_BUILD := build-fuzz
# The fuzz target compiles probes too: it needs the whole library.
FUZZ_LIB_SRCS := $(LIB_SRCS)
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) -g -O1 -fno-omit-frame-pointer -Isrc \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-DETRACE_VERSION='"$(VERSION)"'

$(FUZZ_BUILD)/fuzz-spec: tests/fuzz/fuzz_spec.c $(FUZZ_LIB_SRCS) $(wildcard src/*.h src/*/*.h)
	@mkdir -p $(dir $@)
	$(call msg,CLANG,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ tests/fuzz/fuzz_spec.c $(FUZZ_LIB_SRCS) $(LIBS)

fuzz-deps:
	@$(call install_missing,$(FUZZ_DEPS))

$(FUZZ_BUILD)/fuzz-spec: | fuzz-deps

fuzz: $(FUZZ_BUILD)/fuzz-spec
	@mkdir -p $(FUZZ_BUILD)/corpus $(FUZZ_BUILD)/crashes
	cp tests/fuzz/corpus/spec/* $(FUZZ_BUILD)/corpus/
	$(FUZZ_BUILD)/fuzz-spec -max_total_time=$(FUZZ_SECONDS) -dict=tests/fuzz/spec.dict \
		-artifact_prefix=$(FUZZ_BUILD)/crashes/ $(FUZZ_ARGS) $(FUZZ_BUILD)/corpus

clean:
	rm -rf build build-san build-fuzz build-arm64

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
