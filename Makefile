# seqmix — build, test, run and benchmark.
#   make            CLI and examples into build/
#   make test       the test suite (also as C++, scalar-only, without -march, and under ASan+UBSan);
#                   build/test --list names its groups, build/test --filter NAME runs one
#   make run        generate text with the model that ships in models/
#   make bench      kernel and model benchmarks
#   make test-windows   the suite and the tool cross-built with MinGW-w64, run under Wine
#   make test-arm       the suite and the tool cross-built for aarch64 (NEON), run under qemu
#                       (make -j2 test-arm: two groups of tests at once)
#   make install        header, CLI and pkg-config file under PREFIX (default /usr/local; DESTDIR
#                       honoured); make uninstall removes them
#   make test-install   install into a temporary prefix, build a small program against it with
#                       pkg-config, find_package, add_subdirectory and FetchContent, and run it
# Knobs: SIMD=native|avx2|portable|none (default native; portable: no -march, the kernels chosen at
# run time; none: -DSMX_NO_SIMD), THREADS=1|0 (default 1: the library's thread pool;
# 0: -DSMX_NO_THREADS, single-threaded), CC, CXX.

CC ?= cc
CXX ?= c++
SIMD ?= native
THREADS ?= 1

ifeq ($(SIMD),native)
  ARCH = -march=native
else ifeq ($(SIMD),avx2)
  ARCH = -mavx2 -mfma -mf16c
else ifeq ($(SIMD),portable)
  ARCH =
else ifeq ($(SIMD),none)
  ARCH = -DSMX_NO_SIMD
else
  $(error SIMD must be native, avx2, portable or none)
endif
ifeq ($(THREADS),1)
  THR = -pthread
else
  THR = -DSMX_NO_THREADS
endif

WARN = -Wall -Wextra -pedantic -Wvla
DEFS = -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
CFLAGS ?= -O2
ALL_CFLAGS = -std=c99 $(WARN) $(DEFS) $(CFLAGS) $(ARCH) $(THR)
LDLIBS = -lm

HDR = seqmix.h
# ThreadSanitizer needs a memory layout without high address randomisation on newer kernels
NO_ASLR := $(shell setarch $$(uname -m) -R true >/dev/null 2>&1 && echo "setarch $$(uname -m) -R")
TOOLS_SRC = $(wildcard tools/*.c)
TEST_SRC = $(wildcard tests/*.c) tools/conform.c $(wildcard tools/conform_*.c)
EXAMPLES = $(patsubst examples/%.c,build/%,$(wildcard examples/*.c))

.PHONY: all test run bench clean test-windows test-arm test-arm-models test-arm-rest install uninstall test-install
all: build/seqmix $(EXAMPLES)

build:
	@mkdir -p build

build/seqmix: $(TOOLS_SRC) $(HDR) | build
	$(CC) $(ALL_CFLAGS) tools/seqmix.c -o $@ $(LDLIBS)

build/%: examples/%.c $(HDR) | build
	$(CC) $(ALL_CFLAGS) $< -o $@ $(LDLIBS)

build/test: $(TEST_SRC) $(HDR) | build
	$(CC) $(ALL_CFLAGS) tests/test.c -o $@ $(LDLIBS)

# the same suite with the scalar kernels and plain file reads only, and under the sanitizers
build/test-scalar: $(TEST_SRC) $(HDR) | build
	$(CC) -std=c99 $(WARN) $(DEFS) -O2 -DSMX_NO_SIMD -DSMX_NO_MMAP -DSMX_NO_THREADS tests/test.c -o $@ $(LDLIBS)

# the suite as a plain `cc -O2` build compiles it (no -march): the kernels are chosen at run time
build/test-portable: $(TEST_SRC) $(HDR) | build
	$(CC) -std=c99 $(WARN) $(DEFS) -O2 -pthread tests/test.c -o $@ $(LDLIBS)

build/test-asan: $(TEST_SRC) $(HDR) | build
	$(CC) -std=c99 $(WARN) $(DEFS) -O1 -g $(ARCH) -pthread -fsanitize=address,undefined -fno-sanitize-recover=undefined \
		-fno-omit-frame-pointer tests/test.c -o $@ $(LDLIBS)

# every allocation failing once (ASan: no leak), and several threads on one model (TSan)
build/alloc-fail: tests/alloc_fail.c $(HDR) | build
	$(CC) -std=c99 $(WARN) $(DEFS) -O1 -g $(ARCH) -pthread -fsanitize=address,undefined -fno-sanitize-recover=undefined \
		-fno-omit-frame-pointer tests/alloc_fail.c -o $@ $(LDLIBS)

build/test-tsan: tests/concurrency.c $(HDR) | build
	$(CC) -std=c99 $(WARN) $(DEFS) -O1 -g $(ARCH) -pthread -fsanitize=thread tests/concurrency.c -o $@ $(LDLIBS)

# the header as C++ and with SEQMIX_STATIC
build/cpp-check: tests/cpp_check.cpp $(HDR) | build
	$(CXX) -std=c++11 -Wall -Wextra -O1 $(ARCH) -pthread tests/cpp_check.cpp -o $@ $(LDLIBS)

build/static-check: tests/cpp_check.cpp $(HDR) | build
	$(CC) -std=c99 $(WARN) $(DEFS) -DSEQMIX_STATIC -O1 $(ARCH) -pthread -x c tests/cpp_check.cpp -o $@ $(LDLIBS)

# build/seqmix first: the suite's cli group runs it (every prerequisite is built before the recipe)
test: build/seqmix build/test build/test-scalar build/test-portable build/test-asan build/cpp-check build/static-check build/alloc-fail \
      build/test-tsan
	./build/cpp-check
	./build/static-check
	./build/test-scalar
	./build/test-portable
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ./build/test-asan
	ASAN_OPTIONS=detect_leaks=1 ./build/alloc-fail
	TSAN_OPTIONS=halt_on_error=1 $(NO_ASLR) ./build/test-tsan
	./build/test

# Windows: MinGW-w64 builds of the suite, the tool (the suite's cli group starts build/seqmix.exe)
# and the concurrency test, run under Wine from the repository root. Wine uses $$WINEPREFIX (default
# ~/.wine) and makes it on the first run (without wine32 it says it cannot open syswow64\rundll32.exe,
# which does no harm); its debug output and the Mono/Gecko installers are off.
MINGW_CC ?= x86_64-w64-mingw32-gcc
WINE ?= wine
WIN_CFLAGS = -std=c99 $(WARN) -O2 $(ARCH)
WINE_ENV = WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="

build/test.exe: $(TEST_SRC) $(TOOLS_SRC) $(HDR) | build
	$(MINGW_CC) $(WIN_CFLAGS) tests/test.c -o $@ -lm

build/seqmix.exe: $(TOOLS_SRC) $(HDR) | build
	$(MINGW_CC) $(WIN_CFLAGS) tools/seqmix.c -o $@ -lm

build/concurrency.exe: tests/concurrency.c $(HDR) | build
	$(MINGW_CC) $(WIN_CFLAGS) tests/concurrency.c -o $@ -lm

test-windows: build/test.exe build/seqmix.exe build/concurrency.exe
	$(WINE_ENV) $(WINE) build/seqmix.exe --version
	$(WINE_ENV) $(WINE) build/concurrency.exe
	$(WINE_ENV) $(WINE) build/test.exe

# aarch64: the suite and the tool for armv8.2-a with the half-precision and dot-product extensions
# (the NEON kernels), run under qemu user mode; the suite's cli group runs the aarch64 tool through
# qemu too ($$SMX_TEST_CLI). Emulated floating point is slow: the models group (F16 weights) takes
# most of the time, so it runs as its own target, and make -j2 test-arm runs it beside the rest.
ARM_CC ?= aarch64-linux-gnu-gcc
ARM_ARCH ?= -march=armv8.2-a+fp16+dotprod
QEMU_ARM ?= qemu-aarch64 -cpu max -L /usr/aarch64-linux-gnu
ARM_CFLAGS = -std=c99 $(WARN) $(DEFS) -O2 $(ARM_ARCH) -pthread

build/arm/test: $(TEST_SRC) $(TOOLS_SRC) $(HDR) | build
	@mkdir -p build/arm
	$(ARM_CC) $(ARM_CFLAGS) tests/test.c -o $@ -lm

build/arm/seqmix: $(TOOLS_SRC) $(HDR) | build
	@mkdir -p build/arm
	$(ARM_CC) $(ARM_CFLAGS) tools/seqmix.c -o $@ -lm

build/arm/concurrency: tests/concurrency.c $(HDR) | build
	@mkdir -p build/arm
	$(ARM_CC) $(ARM_CFLAGS) tests/concurrency.c -o $@ -lm

test-arm: test-arm-models test-arm-rest

test-arm-models: build/arm/test
	$(QEMU_ARM) build/arm/test --filter models

# every other group of build/arm/test --list
test-arm-rest: build/arm/test build/arm/seqmix build/arm/concurrency
	$(QEMU_ARM) build/arm/seqmix --version
	$(QEMU_ARM) build/arm/concurrency
	SMX_TEST_CLI="$(QEMU_ARM) build/arm/seqmix" $(QEMU_ARM) build/arm/test \
	    $$($(QEMU_ARM) build/arm/test --list | awk '$$1 != "models" { printf " --filter %s", $$1 }')

# Install: the header, the tool and a pkg-config file (Cflags: -I; Libs: -lm and the thread flag).
# CMake users: cmake --install also writes seqmix-config.cmake for find_package(seqmix).
PREFIX ?= /usr/local
INCLUDEDIR ?= $(PREFIX)/include
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
INSTALL ?= install
VERSION := $(shell sed -n 's/^.define SMX_VERSION_MAJOR //p' $(HDR)).$(shell sed -n 's/^.define SMX_VERSION_MINOR //p' $(HDR)).$(shell sed -n 's/^.define SMX_VERSION_PATCH //p' $(HDR))
PC_LIBS = $(if $(filter 1,$(THREADS)),-pthread )-lm
PC_INCLUDEDIR = $(if $(filter $(PREFIX)/include,$(INCLUDEDIR)),$${prefix}/include,$(INCLUDEDIR))

install: build/seqmix
	$(INSTALL) -d $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(PKGCONFIGDIR)
	$(INSTALL) -m 644 $(HDR) $(DESTDIR)$(INCLUDEDIR)/seqmix.h
	$(INSTALL) -m 755 build/seqmix $(DESTDIR)$(BINDIR)/seqmix
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@INCLUDEDIR@|$(PC_INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
	    -e 's|@LIBS@|$(PC_LIBS)|g' seqmix.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/seqmix.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/seqmix.pc

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/seqmix.h $(DESTDIR)$(BINDIR)/seqmix $(DESTDIR)$(PKGCONFIGDIR)/seqmix.pc

test-install:
	MAKE="$(MAKE)" CC="$(CC)" sh tests/install/check.sh

run: build/generate
	./build/generate --model models/hybrid --prompt "The " -n 200

# kernels vs this machine's limits, per-family models (public-checkpoint shapes, random weights),
# and the scan-vs-attention sweep (table, CSV and SVG chart in build/)
bench: build/seqmix
	./build/seqmix bench-kernels
	./build/seqmix bench-models --quick --threads 1
	./build/seqmix bench --quick --threads 1 --csv build/bench.csv --svg build/bench.svg

clean:
	rm -rf build

# Fuzzing (clang's libFuzzer with ASan + UBSan): each harness in tests/fuzz/ runs for FUZZ_SECONDS
# (default 60) from a corpus seeded with the golden cases' files, kept in build/fuzz/NAME/.
# For hours: make fuzz FUZZ_SECONDS=3600, or one harness: make fuzz FUZZ=json FUZZ_SECONDS=36000.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ ?= $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_FLAGS = -std=c99 -g -O1 $(DEFS) -pthread -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined

build/fuzz/%: tests/fuzz/fuzz_%.c $(HDR) | build
	@mkdir -p build/fuzz
	$(FUZZ_CC) $(FUZZ_FLAGS) $< -o $@ $(LDLIBS)

.PHONY: fuzz
fuzz: $(addprefix build/fuzz/,$(FUZZ))
	@for h in $(FUZZ); do \
	    mkdir -p build/fuzz/$$h.corpus; \
	    tools/fuzz_seeds.sh $$h build/fuzz/$$h.corpus; \
	    echo "== $$h ($(FUZZ_SECONDS) s)"; \
	    ./build/fuzz/$$h -max_total_time=$(FUZZ_SECONDS) -dict=tests/fuzz/$$h.dict -print_final_stats=1 \
	        -artifact_prefix=build/fuzz/$$h- build/fuzz/$$h.corpus 2>&1 | grep -E "^stat::number_of_executed_units|ERROR|SUMMARY|crash-|leak-" ; \
	done
