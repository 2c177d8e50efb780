# sevslot — plain Makefile. `make`, `make check`, `make run`, `make install`.
# Project warnings survive a user's CFLAGS (REAL_CFLAGS = WARNINGS + CFLAGS).

# The version has one source, include/sevslot.h; the soname's number changes
# whenever the ABI does (see the header and src/libsevslot.sym).
VERSION   := $(shell sed -n 's/^\#define SEVSLOT_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\)$$/\2/p' \
		include/sevslot.h | paste -sd. -)
SOVERSION := 1
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
LIBDIR    ?= $(PREFIX)/lib
INCDIR    ?= $(PREFIX)/include
DATADIR   ?= $(PREFIX)/share
MANDIR    ?= $(DATADIR)/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
# sevslot reads /etc/sevslot/sevslot.conf and libvirt /etc/libvirt/hooks,
# whatever the PREFIX; systemd reads units and sysusers/tmpfiles under
# /usr/local/lib as well as /usr/lib.
SYSCONFDIR ?= /etc
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
DESTDIR   ?=

CC        ?= cc
CFLAGS    ?= -O2 -g
B         ?= build
SAN       ?=
WERROR    ?= -Werror

# The library needs SQLite, libcap-ng, libxml2 (domain XML) and json-c
# (QEMU's firmware descriptors); the tests nothing more.
LIB_PC    := sqlite3 libcap-ng libxml-2.0 json-c
DEPS_PC   := $(LIB_PC)
WARNINGS  := -std=c11 -Wall -Wextra -Wshadow -Wformat=2 -Wconversion -Wstrict-prototypes \
             -Wmissing-prototypes -Wvla -Wpointer-arith -Wundef -Wcast-qual -Wwrite-strings \
             -Wno-sign-conversion
PKG_CFLAGS = $(shell pkg-config --cflags $(DEPS_PC) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(DEPS_PC) 2>/dev/null)
LIB_LIBS   = $(shell pkg-config --libs $(LIB_PC) 2>/dev/null)
# The CLI links its dependencies statically: a process per call must start
# fast, and dynamic libsqlite3 alone costs ten times /bin/true in relocations.
# Static libxml2 brings its own (ICU, which is C++, zlib, liblzma: what
# `pkg-config --static` lists); the C library's parts stay dynamic. A dynamic
# libxml2 would load ICU and libstdc++ into every call, hook included, for
# about 0.8 ms; static, the CLI grows by ICU's data (~30 MB, never paged in).
CLI_STATIC = $(filter-out -lm -ldl -lpthread -lrt,$(shell pkg-config --static --libs $(LIB_PC) 2>/dev/null))
CLI_LIBS   = -static-libgcc -Wl,-Bstatic $(CLI_STATIC) -lstdc++ -Wl,-Bdynamic -lm -ldl -lpthread
comma     := ,
# Every symbol of the shared library resolved at link time, except under the
# sanitizers: clang leaves a library's ASan symbols to the executable's runtime.
SO_DEFS   := $(if $(SAN),,-Wl$(comma)-z$(comma)defs)
SANFLAGS  := $(if $(SAN),-fsanitize=address$(comma)undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
REAL_CFLAGS = $(WARNINGS) $(WERROR) -D_GNU_SOURCE -Iinclude -Isrc -I$(B)/gen -fPIC \
              -fvisibility=hidden $(SANFLAGS) $(PKG_CFLAGS) $(CFLAGS) -MMD -MP
REAL_LDFLAGS = $(SANFLAGS) $(LDFLAGS)

LIB_SRC   := $(wildcard src/*.c)
CLI_SRC   := $(wildcard src/cli/*.c)
SQL_SRC   := $(sort $(wildcard sql/[0-9][0-9][0-9][0-9]-*.sql))
LIB_OBJ   := $(LIB_SRC:%.c=$(B)/obj/%.o) $(if $(SQL_SRC),$(B)/obj/gen/sql_embed.o)
CLI_OBJ   := $(CLI_SRC:%.c=$(B)/obj/%.o)
TEST_SRC  := $(wildcard tests/test_*.c)
TEST_BIN  := $(TEST_SRC:tests/%.c=$(B)/tests/%)
SHIM_SRC  := $(wildcard tests/shim/*.c)
SHIM_SO   := $(SHIM_SRC:tests/shim/%.c=$(B)/tests/%.so)

SONAME    := libsevslot.so.$(SOVERSION)
SOFILE    := libsevslot.so.$(VERSION)
# tools/install-tree holds the table of installed files; it takes these.
INSTALL_ENV = B='$(B)' PREFIX='$(PREFIX)' BINDIR='$(BINDIR)' LIBDIR='$(LIBDIR)' \
	INCDIR='$(INCDIR)' MANDIR='$(MANDIR)' PKGCONFIGDIR='$(PKGCONFIGDIR)' DATADIR='$(DATADIR)' \
	SYSCONFDIR='$(SYSCONFDIR)' SYSTEMDUNITDIR='$(SYSTEMDUNITDIR)' SYSUSERSDIR='$(SYSUSERSDIR)' \
	TMPFILESDIR='$(TMPFILESDIR)' VERSION='$(VERSION)' SONAME='$(SONAME)' SOFILE='$(SOFILE)' \
	DESTDIR='$(DESTDIR)'
DIST      := sevslot-$(VERSION)

.PHONY: all deps check check-unit check-fixtures check-install check-workflows check-abi check-san check-hw \
        check-libvirt run bench bench-smoke bench-progs install uninstall dist distcheck check-bare clean \
        headertest fuzz fuzz-build fuzz-bins fuzz-smoke

all: $(B)/sevslot $(B)/libsevslot.a $(B)/libsevslot.so $(B)/sevslot.pc

# Build dependencies: installed by tools/install-deps when root, else listed.
$(B)/.deps-ok: tools/install-deps
	@tools/install-deps
	@mkdir -p $(B) && touch $@
deps: $(B)/.deps-ok

$(B)/obj/%.o: %.c | $(B)/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(REAL_CFLAGS) -c -o $@ $<

$(B)/gen/sql_embed.c: $(SQL_SRC) tools/embed-sql
	@mkdir -p $(dir $@)
	tools/embed-sql $(SQL_SRC) > $@.tmp && mv $@.tmp $@

$(B)/obj/gen/sql_embed.o: $(B)/gen/sql_embed.c
	@mkdir -p $(dir $@)
	$(CC) $(REAL_CFLAGS) -c -o $@ $<

$(B)/libsevslot.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(B)/$(SOFILE): $(LIB_OBJ) src/libsevslot.sym
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=src/libsevslot.sym \
		$(SO_DEFS) $(REAL_LDFLAGS) -o $@ $(LIB_OBJ) $(LIB_LIBS)

$(B)/libsevslot.so: $(B)/$(SOFILE)
	ln -sf $(SOFILE) $(B)/$(SONAME)
	ln -sf $(SONAME) $@

# The CLI links the library statically: one binary, nothing to find at run time.
$(B)/sevslot: $(CLI_OBJ) $(B)/libsevslot.a
	$(CC) $(REAL_LDFLAGS) -o $@ $(CLI_OBJ) $(B)/libsevslot.a $(CLI_LIBS)

# sevslot.pc for the PREFIX in force (install writes it anew for its own)
$(B)/sevslot.pc: src/sevslot.pc.in Makefile tools/install-tree
	@mkdir -p $(B)
	$(INSTALL_ENV) tools/install-tree subst $< > $@

# ---------------------------------------------------------------- tests

$(B)/tests/%: tests/%.c $(wildcard tests/*.h) $(B)/libsevslot.a
	@mkdir -p $(dir $@)
	$(CC) $(REAL_CFLAGS) -Itests -o $@ $< $(B)/libsevslot.a $(PKG_LIBS) \
		$$(pkg-config --libs cmocka) $(REAL_LDFLAGS) -ldl

$(B)/tests/%.so: tests/shim/%.c
	@mkdir -p $(dir $@)
	$(CC) $(REAL_CFLAGS) -shared -o $@ $< -ldl

headertest: | $(B)/.deps-ok
	@mkdir -p $(B)
	echo '#include <sevslot.h>' | $(CC) -std=c11 -Wall -Wextra -pedantic -Werror -Iinclude \
		-x c -fsyntax-only -
	echo '#include <sevslot.h>' | $(CC) -std=c99 -Wall -Wextra -pedantic -Werror -Iinclude \
		-x c -fsyntax-only -

check-unit: all $(TEST_BIN) $(SHIM_SO) headertest
	@tools/run-tests $(B)

check-install: all
	@tests/install.sh $(B)

check-workflows: all
	@python3 tests/workflows.py $(B)/sevslot

check-abi: all
	@tests/abi.sh $(B)

# The libvirt hook under a real libvirtd, in a private mount namespace (root; skips otherwise).
check-libvirt: all
	@tests/libvirt-hook.sh $(B)

check-fixtures: all
	@tests/fixtures.sh $(B)/sevslot
	@python3 tests/fixtures/facts.py $(B)/sevslot
	@python3 tests/schema.py $(B)/sevslot
	@python3 tests/add_fixture.py $(B)/sevslot
	@python3 tests/nfd.py $(B)/sevslot
	@tests/prometheus.sh $(B)/sevslot
	@python3 tests/placement.py $(B)/sevslot

# The whole suite once more under AddressSanitizer and UndefinedBehaviorSanitizer.
check-san:
	$(MAKE) B=$(B)/san SAN=1 CFLAGS="-O1 -g" check-unit check-fixtures

# ---------------------------------------------------------------- fuzzing
# libFuzzer targets (tests/fuzz/fuzz_NAME.c), each parser an outsider can feed,
# built with clang under ASan+UBSan against a library built the same way, in
# build/fuzz. tools/fuzz seeds each from the fixtures and tests/fuzz/seeds/,
# gives it tests/fuzz/NAME.dict, and runs it. `make fuzz FUZZ_TIME=600
# FUZZ_TARGETS="cpuid config"` runs for as long as asked; fuzz-smoke runs
# each for a few seconds and is part of `make check`.
FUZZ_B          ?= build/fuzz
FUZZ_TIME       ?= 60
FUZZ_SMOKE_TIME ?= 3
FUZZ_TARGETS    ?=
FUZZ_SRC        := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN        := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=$(B)/fuzz/%)
# The live list's reader is the CLI's own (static): its target includes
# src/cli/reconcile.c and links the other CLI objects but main's.
FUZZ_CLI_OBJ    := $(filter-out %/main.o %/reconcile.o,$(CLI_OBJ))

$(B)/fuzz/%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(B)/libsevslot.a
	@mkdir -p $(dir $@)
	$(CC) $(REAL_CFLAGS) -fsanitize=fuzzer -Itests/fuzz -o $@ $< $(B)/libsevslot.a \
		$(PKG_LIBS) $(REAL_LDFLAGS)

$(B)/fuzz/live: tests/fuzz/fuzz_live.c tests/fuzz/fuzz.h src/cli/reconcile.c $(FUZZ_CLI_OBJ) \
		$(B)/libsevslot.a
	@mkdir -p $(dir $@)
	$(CC) $(REAL_CFLAGS) -fsanitize=fuzzer -Itests/fuzz -Isrc/cli -o $@ $< $(FUZZ_CLI_OBJ) \
		$(B)/libsevslot.a $(PKG_LIBS) -lm $(REAL_LDFLAGS)

fuzz-bins: $(FUZZ_BIN)

fuzz-build: | $(B)/.deps-ok
	$(MAKE) B=$(FUZZ_B) CC=clang SAN=1 CFLAGS="-O1 -g -fsanitize=fuzzer-no-link" fuzz-bins

fuzz: fuzz-build
	tools/fuzz $(FUZZ_B) $(FUZZ_TIME) $(FUZZ_TARGETS)

fuzz-smoke: fuzz-build
	@tools/fuzz $(FUZZ_B) $(FUZZ_SMOKE_TIME)

# The sanitizer pass comes last, even under make -j, so the suite's final
# lines are test tallies.
check: check-unit check-fixtures check-install check-workflows check-abi check-libvirt bench-smoke \
       fuzz-smoke
	$(MAKE) check-san

check-hw: all
	@tests/hw.sh $(B)/sevslot

# ---------------------------------------------------------------- benchmarks
# Programs that tools/bench drives (tests/bench/), linked against the static library.
BENCH_PROGS := spawn probe_inproc alloc_inproc hammer growth
BENCH_BIN   := $(BENCH_PROGS:%=$(B)/bench/%)

$(B)/bench/%: tests/bench/%.c tests/bench/bench.h $(B)/libsevslot.a
	@mkdir -p $(dir $@)
	$(CC) $(REAL_CFLAGS) -Itests/bench -o $@ $< $(B)/libsevslot.a $(PKG_LIBS) $(REAL_LDFLAGS)

$(B)/bench/alloc_inproc: tests/bench/alloc_inproc.c tests/bench/raw_sqlite.c tests/bench/raw_sqlite.h tests/bench/bench.h \
		$(B)/libsevslot.a
	@mkdir -p $(dir $@)
	$(CC) $(REAL_CFLAGS) -Itests/bench -o $@ tests/bench/alloc_inproc.c tests/bench/raw_sqlite.c \
		$(B)/libsevslot.a $(PKG_LIBS) $(REAL_LDFLAGS)

bench-progs: all $(BENCH_BIN)

# Tiny sizes, every code path, no goals judged: keeps the bench from rotting.
bench-smoke: bench-progs
	@if [ -x tools/bench ]; then tools/bench --smoke $(B); fi

# The real run: optimised build, results table, build/bench.json. A second
# build with the ledger at synchronous NORMAL feeds the durability comparison.
bench:
	$(MAKE) B=build/bench CFLAGS="-O2 -DNDEBUG" bench-progs
	$(MAKE) B=build/bench-normal CFLAGS="-O2 -DNDEBUG -DSV_LEDGER_SYNCHRONOUS='\"NORMAL\"'" \
		bench-progs
	tools/bench --sync-normal build/bench-normal build/bench

run: all
	@echo "== sevslot probe (this host) =="
	@$(B)/sevslot probe; echo "(exit $$?)"
	@echo
	@echo "== sevslot --sysroot tests/fixtures/hosts/epyc-7313-milan probe (a real Milan host) =="
	@$(B)/sevslot --sysroot tests/fixtures/hosts/epyc-7313-milan probe; echo "(exit $$?)"

# The table of what is installed where is tools/install-tree.
install: all
	$(INSTALL_ENV) tools/install-tree install

uninstall:
	$(INSTALL_ENV) tools/install-tree uninstall

# A release tarball of the committed tree (git archive), in $(B)/.
dist:
	@mkdir -p $(B)
	@git rev-parse --git-dir >/dev/null 2>&1 || \
		{ echo "make dist: needs a git checkout (it archives HEAD)" >&2; exit 1; }
	@git diff --quiet HEAD -- || echo "make dist: note: uncommitted changes are not in the tarball" >&2
	git -c tar.umask=0022 archive --format=tar --prefix=$(DIST)/ HEAD | gzip -n9 > $(B)/$(DIST).tar.gz.tmp
	mv $(B)/$(DIST).tar.gz.tmp $(B)/$(DIST).tar.gz

# README's quick start, as written, as root in a fresh minimal Debian 12 root
# (debootstrap). Not in make check: it needs Debian's mirror, and runs the
# whole suite a second time inside that root. CI runs it (.ci/run, ci.yml).
check-bare:
	@tests/bare.sh

# The tarball's own make check, unpacked outside this checkout (CI runs it).
distcheck: dist
	d=$$(mktemp -d /var/tmp/sevslot-distcheck.XXXXXX) && \
	tar -C $$d -xzf $(B)/$(DIST).tar.gz && \
	{ $(MAKE) -C $$d/$(DIST) check; rc=$$?; rm -rf $$d; exit $$rc; }

print-version:
	@echo $(VERSION)

clean:
	rm -rf build

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
