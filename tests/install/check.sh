#!/bin/sh
# make test-install: install seqmix into temporary prefixes and build tests/install/consumer.c
# against it every way the README describes, then run it. Work and installs go to
# build/test-install/ (removed first). Needs a C compiler and make; the pkg-config and CMake ways
# are skipped, with a message, where pkg-config or cmake is missing.
set -eu
cd "$(dirname "$0")/../.."
root=$(pwd)
MAKE=${MAKE:-make}
CC=${CC:-cc}
work=$root/build/test-install
rm -rf "$work"
mkdir -p "$work"
step() { printf '== %s\n' "$*"; }
fail() { printf 'test-install: FAIL: %s\n' "$*" >&2; exit 1; }

step "make install PREFIX=build/test-install/prefix"
$MAKE --no-print-directory install PREFIX="$work/prefix" >"$work/make-install.log" 2>&1 || { cat "$work/make-install.log"; fail "make install"; }
for f in include/seqmix.h bin/seqmix lib/pkgconfig/seqmix.pc; do
    test -f "$work/prefix/$f" || fail "make install did not write $f"
done
"$work/prefix/bin/seqmix" --version

step "make install / uninstall with DESTDIR"
$MAKE --no-print-directory install DESTDIR="$work/stage" PREFIX=/opt/seqmix >/dev/null 2>&1 || fail "make install DESTDIR"
grep -q '^prefix=/opt/seqmix$' "$work/stage/opt/seqmix/lib/pkgconfig/seqmix.pc" || fail "seqmix.pc does not name the prefix"
$MAKE --no-print-directory uninstall DESTDIR="$work/stage" PREFIX=/opt/seqmix >/dev/null 2>&1 || fail "make uninstall"
left=$(find "$work/stage" -type f | wc -l)
test "$left" -eq 0 || fail "make uninstall left $left files"

if command -v pkg-config >/dev/null 2>&1; then
    step "pkg-config: cc \$(pkg-config --cflags seqmix) consumer.c \$(pkg-config --libs seqmix)"
    export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"
    echo "   cflags: $(pkg-config --cflags seqmix)   libs: $(pkg-config --libs seqmix)"
    # shellcheck disable=SC2046
    $CC -std=c99 -Wall -Wextra -pedantic -O1 $(pkg-config --cflags seqmix) tests/install/consumer.c -o "$work/consumer-pkgconfig" \
        $(pkg-config --libs seqmix) || fail "build with pkg-config"
    "$work/consumer-pkgconfig" || fail "run the pkg-config build"
else
    step "pkg-config: skipped (no pkg-config on PATH)"
fi

if command -v cmake >/dev/null 2>&1; then
    q="-DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=$CC"
    step "cmake --build and cmake --install --prefix build/test-install/cmake-prefix"
    # shellcheck disable=SC2086
    cmake -S . -B "$work/cmake-build" $q >"$work/cmake.log" 2>&1 || { cat "$work/cmake.log"; fail "configure seqmix"; }
    cmake --build "$work/cmake-build" >>"$work/cmake.log" 2>&1 || { cat "$work/cmake.log"; fail "build seqmix"; }
    cmake --install "$work/cmake-build" --prefix "$work/cmake-prefix" >>"$work/cmake.log" 2>&1 || { cat "$work/cmake.log"; fail "install seqmix"; }
    for f in include/seqmix.h bin/seqmix share/cmake/seqmix/seqmix-config.cmake share/cmake/seqmix/seqmix-config-version.cmake \
             share/cmake/seqmix/seqmix-targets.cmake; do
        test -f "$work/cmake-prefix/$f" || fail "cmake --install did not write $f"
    done
    pc=$(find "$work/cmake-prefix" -name seqmix.pc | head -n 1)
    test -n "$pc" && grep -q "^prefix=$work/cmake-prefix\$" "$pc" || fail "cmake --install: seqmix.pc missing or not naming the prefix"
    for how in find_package add_subdirectory FetchContent; do
        step "CMake consumer: $how"
        # shellcheck disable=SC2086
        cmake -S tests/install -B "$work/consumer-$how" $q -DSEQMIX_HOW=$how -DCMAKE_PREFIX_PATH="$work/cmake-prefix" \
            -DSEQMIX_SOURCE_DIR="$root" >"$work/consumer-$how.log" 2>&1 || { cat "$work/consumer-$how.log"; fail "configure ($how)"; }
        cmake --build "$work/consumer-$how" >>"$work/consumer-$how.log" 2>&1 || { cat "$work/consumer-$how.log"; fail "build ($how)"; }
        "$work/consumer-$how/consumer" || fail "run ($how)"
    done
else
    step "CMake: skipped (no cmake on PATH)"
fi
echo "test-install: ok"
