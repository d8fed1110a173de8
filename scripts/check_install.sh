#!/usr/bin/env bash
# Installs a built tree into a temporary prefix and uses it as a user would:
# examples/consumer built with find_package(stride) and again with pkg-config,
# each run and compared with examples/consumer/expected_output.txt (the second
# seed's layer: (8-3)//2+1 = 3, (16-3)//2+1 = 7, (3*3*3+1)*5 = 140 parameters);
# the installed CLI and man page are checked too.
# Usage: scripts/check_install.sh BUILD_DIR   (a configured and built tree)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: scripts/check_install.sh BUILD_DIR}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"
expected=examples/consumer/expected_output.txt

cmake --install "$build" --prefix "$prefix" >/dev/null
for f in bin/stride include/stride/stride.hpp lib/libstride.a lib/cmake/stride/strideConfig.cmake \
  lib/pkgconfig/stride.pc share/man/man1/stride.1; do
  [[ -e $prefix/$f ]] || { echo "install: $f is missing"; exit 1; }
done
"$prefix/bin/stride" --version

echo "find_package(stride):"
cmake -S examples/consumer -B "$work/cmake-build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/cmake-build" >/dev/null
"$work/cmake-build/shapes" | diff -u "$expected" -
echo "  ok: output as expected"

echo "pkg-config stride:"
flags=$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs stride)
g++ -O1 -o "$work/shapes-pc" examples/consumer/main.cpp $flags
"$work/shapes-pc" | diff -u "$expected" -
echo "  ok: output as expected"

echo "man page:"
MANWIDTH=80 man --warnings -l "$prefix/share/man/man1/stride.1" >"$work/man.txt" 2>"$work/man.err"
grep -q "stride summary" "$work/man.txt"
[[ ! -s $work/man.err ]] || { cat "$work/man.err"; exit 1; }
echo "  ok: renders without warnings"
