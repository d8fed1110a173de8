#!/usr/bin/env bash
# Builds stride and runs the whole suite three ways: a Release build with
# ctest (then installed into a temporary prefix, with examples/consumer built
# against it), an ASan+UBSan build with ctest, and a short libFuzzer run of
# every fuzz/fuzz_*.cpp target on its corpus. Installs what it needs with apt-get.
# FUZZ_SECONDS (default 20) sets each fuzz run's length.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh

# groff-base and man-db: the man page's checks; chromium: tests/plot/svg_render_test.cpp
# renders the SVG pictures.
need_packages "${STRIDE_BUILD_DEPS[@]}" clang libclang-rt-14-dev groff-base man-db chromium
fuzz_seconds=${FUZZ_SECONDS:-20}
jobs=$(nproc)
export CTEST_OUTPUT_ON_FAILURE=1
failed=()  # stages that failed; every stage runs, the exit status says if any failed

step "Release build and tests (build-test/)"
cmake -S . -B build-test -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-test
ctest --test-dir build-test -j"$jobs" || failed+=("release tests")

step "cmake --install, then examples/consumer built against the installed package"
./scripts/check_install.sh build-test || failed+=("install and consumer")

step "ASan+UBSan build and tests (build-asan/)"
# -O1 -g1: quick to compile, fast enough to run, stack traces with line numbers.
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" \
  -DSTRIDE_SANITIZE=ON >/dev/null
cmake --build build-asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan -j"$jobs" || failed+=("ASan+UBSan tests")

step "libFuzzer targets (build-fuzz/), ${fuzz_seconds}s each"
shopt -s nullglob
targets=()
for src in fuzz/fuzz_*.cpp; do targets+=("$(basename "$src" .cpp)"); done
if ((${#targets[@]})); then
  cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" -DSTRIDE_FUZZ=ON \
    -DSTRIDE_BUILD_TESTS=OFF -DSTRIDE_ONEDNN=OFF >/dev/null  # the readers need no oneDNN
  cmake --build build-fuzz --target "${targets[@]}"
else
  echo "no fuzz/fuzz_*.cpp targets"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for name in "${targets[@]}"; do
  corpus="$work/${name#fuzz_}"
  mkdir -p "$corpus"
  [[ -d fuzz/corpus/${name#fuzz_} ]] && cp -r "fuzz/corpus/${name#fuzz_}/." "$corpus/"
  log="$work/$name.log"
  if build-fuzz/fuzz/"$name" -max_total_time="$fuzz_seconds" -print_final_stats=1 \
    -artifact_prefix="build-fuzz/$name-" "$corpus" \
    >"$log" 2>&1; then
    echo "$name: ok, $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$log" |
      grep -o '[0-9]*$') runs in ${fuzz_seconds}s, corpus $(ls "$corpus" | wc -l) inputs"
  else
    tail -n 40 "$log"
    echo "$name: FAILED (log above; the crashing input is in build-fuzz/)"
    failed+=("$name")
  fi
done

if ((${#failed[@]})); then
  printf '\n==> FAILED: %s\n' "$(IFS=,; echo "${failed[*]}")"
  exit 1
fi
printf '\n==> all passed\n'
