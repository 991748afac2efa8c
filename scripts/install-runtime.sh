#!/usr/bin/env bash
# Installs the pinned llama.cpp shared libraries (prebuilt, from the npm registry) into runtimes/llama/.
# Idempotent: a folder whose .installed stamp matches the pinned version is left alone.
#   scripts/install-runtime.sh          CPU libraries  -> runtimes/llama/cpu/
#   scripts/install-runtime.sh --cuda   also CUDA 13   -> runtimes/llama/cuda/
#   scripts/install-runtime.sh --source also unpack the matching llama.cpp source -> runtimes/llama/src/
#   scripts/install-runtime.sh --invariant  also build the batch-invariant CPU backend -> runtimes/llama/cpu-invariant/
#   scripts/install-runtime.sh --native     also build both CPU backends for this machine -> cpu-invariant/ and cpu-native/
# --invariant compiles only ggml's CPU backend (libggml-cpu.so, for this machine's CPU, with tinyBLAS for every product
# size and without weight repacking) from the pinned source, beside copies of the prebuilt libggml-base/libggml/libllama it is
# ABI-compatible with; Determinism BatchInvariant and Repeatable load it automatically (docs/engine.md). --native adds
# llama.cpp's standard kernels built the same way (cpu-native/), which Determinism Fastest loads instead of the prebuilt
# variant (docs/performance.md: the prebuilt one is slower). Both need cmake and a C++ compiler; about 35-90 s of CPU
# time each (scripts/build-cpu-backend.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
version="$(tr -d '[:space:]' < "$root/gpu-kernels/NODE_LLAMA_CPP_VERSION")"
dest="$root/runtimes/llama"
want_cuda=0; want_source=0; want_invariant=0; want_native=0
for arg in "$@"; do
  case "$arg" in
    --cuda) want_cuda=1 ;;
    --source) want_source=1 ;;
    --invariant) want_source=1; want_invariant=1 ;;
    --native) want_source=1; want_invariant=1; want_native=1 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install-runtime: unknown option '$arg' (use --cuda, --source, --invariant, --native or --help)" >&2; exit 2 ;;
  esac
done
command -v npm >/dev/null || { echo "install-runtime: npm is required (apt-get install npm, or install Node.js)" >&2; exit 1; }

# fetch PACKAGE -> prints the path of the unpacked package folder (cached per version under runtimes/llama/.npm)
fetch() {
  local pkg="$1" cache="$dest/.npm/$1@$version"
  if [ ! -f "$cache/.unpacked" ]; then
    rm -rf "$cache"; mkdir -p "$cache"
    (cd "$cache" && npm pack --silent "$pkg@$version" >/dev/null 2>npm.log) \
      || { echo "install-runtime: 'npm pack $pkg@$version' failed:" >&2; cat "$cache/npm.log" >&2; exit 1; }
    sha512sum "$cache"/*.tgz | cut -d" " -f1 > "$cache/.tarball.sha512"   # the SBOM's hash of the package (package-offline.sh)
    tar -xzf "$cache"/*.tgz -C "$cache"
    rm -f "$cache"/*.tgz
    touch "$cache/.unpacked"
  fi
  echo "$cache/package"
}

# install_bins PACKAGE TARGET: copy bins/linux-x64*/ libraries into TARGET, keeping their file names (RUNPATH $ORIGIN)
install_bins() {
  local pkg="$1" target="$2" dir
  dir="$(fetch "$pkg")"
  mkdir -p "$target"
  find "$dir/bins" -maxdepth 2 -type f \( -name '*.so' -o -name '*.so.*' -o -name '*.json' \) -exec cp -f {} "$target/" \;
}

stamp_ok() { [ -f "$1/.installed" ] && [ "$(cat "$1/.installed")" = "$version" ]; }

if ! stamp_ok "$dest/cpu"; then
  echo "Installing llama.cpp CPU runtime (node-llama-cpp $version) into runtimes/llama/cpu ..."
  rm -rf "$dest/cpu"
  install_bins "@node-llama-cpp/linux-x64" "$dest/cpu"
  echo "$version" > "$dest/cpu/.installed"
fi

if [ "$want_cuda" = 1 ] && ! stamp_ok "$dest/cuda"; then
  echo "Installing llama.cpp CUDA 13 runtime (node-llama-cpp $version) into runtimes/llama/cuda ..."
  rm -rf "$dest/cuda"
  install_bins "@node-llama-cpp/linux-x64-cuda" "$dest/cuda"
  install_bins "@node-llama-cpp/linux-x64-cuda-ext" "$dest/cuda"
  echo "$version" > "$dest/cuda/.installed"
fi

if [ "$want_source" = 1 ] && [ ! -f "$dest/src/include/llama.h" ]; then
  echo "Unpacking the matching llama.cpp source into runtimes/llama/src ..."
  dir="$(fetch node-llama-cpp)"
  rm -rf "$dest/src"
  git -c advice.detachedHead=false clone --quiet "$dir/llama/gitRelease.bundle" "$dest/src"
  cp "$dir/llama/llama.cpp.info.json" "$dest/src/" 2>/dev/null || true
fi
if [ "$want_invariant" = 1 ]; then
  "$root/scripts/build-cpu-backend.sh" --invariant
fi
if [ "$want_native" = 1 ]; then
  "$root/scripts/build-cpu-backend.sh" --standard
fi
echo "llama.cpp runtime ready: $dest/cpu$([ "$want_invariant" = 1 ] && echo ", $dest/cpu-invariant")$([ "$want_native" = 1 ] && echo ", $dest/cpu-native")$([ "$want_cuda" = 1 ] && echo " and $dest/cuda")"
