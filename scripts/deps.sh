# Sourced by run.sh and test.sh: installs Debian packages that are missing.
# apt-get update runs only when something is missing, so a machine that has
# everything does not touch the network.

need_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  local sudo=()
  [[ $(id -u) -ne 0 ]] && sudo=(sudo)
  echo "==> installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The build needs; test.sh adds clang and libFuzzer.
STRIDE_BUILD_DEPS=(cmake ninja-build g++ nlohmann-json3-dev libcli11-dev libfmt-dev libgtest-dev
  libzip-dev libpng-dev libhdf5-dev pkg-config zlib1g-dev libdnnl-dev dataset-fashion-mnist)

step() { printf '\n==> %s\n' "$*"; }

# The Release build of the CLI in build-release/ (run.sh and the long-run scripts).
build_release_cli() {
  need_packages "${STRIDE_BUILD_DEPS[@]}"
  step "building (Release) in build-release/"
  cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTRIDE_BUILD_TESTS=OFF >/dev/null
  cmake --build build-release --target stride_cli
}
