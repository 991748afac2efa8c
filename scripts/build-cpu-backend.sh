#!/usr/bin/env bash
# Builds only ggml's CPU backend (libggml-cpu.so) from the pinned llama.cpp source, for this machine's CPU
# (-march=native), as a dynamically loaded backend (GGML_BACKEND_DL) that the prebuilt libggml-base/libggml/libllama of
# the same version load; installs it beside copies of those prebuilt libraries into a runtime folder of its own.
#   scripts/build-cpu-backend.sh --invariant                -> runtimes/llama/cpu-invariant/ (tinyBLAS at every size, no repacking)
#   scripts/build-cpu-backend.sh --invariant-no-llamafile   -> runtimes/llama/cpu-invariant/ (GGML_LLAMAFILE=OFF, no repacking)
#   scripts/build-cpu-backend.sh --standard                 -> runtimes/llama/cpu-native/    (llama.cpp's default kernels)
# --invariant: every matrix product takes the same kernel whatever the number of tokens in the batch, which Determinism
# BatchInvariant needs to be byte-identical across sequence counts. llama.cpp calls llamafile's tinyBLAS only for
# products of 2 or more columns ("only enable sgemm for prompt processing", n < 2) and ggml's vec_dot, which sums in
# another order, for one; this build removes that one check from a copy of the CPU backend's source (tinyBLAS then
# computes every size) and leaves weights unrepacked. --invariant-no-llamafile reaches the same by building without
# tinyBLAS (slower prompt processing). The engine loads cpu-invariant by itself for BatchInvariant models on the CPU
# (docs/engine.md). CPU_BACKEND_DEST=NAME installs into runtimes/llama/NAME instead (to compare builds).
# Idempotent: a folder whose .installed stamp matches the pinned version and the build is left alone. Needs cmake,
# a C++ compiler and python3 (apt-get install cmake g++); ninja is used when present. Called by install-runtime.sh --invariant.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
kind=""
for arg in "$@"; do
  case "$arg" in
    --invariant) kind=invariant ;;
    --invariant-no-llamafile) kind=invariant-no-llamafile ;;
    --standard) kind=native ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-cpu-backend: unknown option '$arg' (use --invariant, --invariant-no-llamafile or --standard)" >&2; exit 2 ;;
  esac
done
[ -n "$kind" ] || { echo "build-cpu-backend: say --invariant, --invariant-no-llamafile or --standard" >&2; exit 2; }
version="$(tr -d '[:space:]' < "$root/gpu-kernels/NODE_LLAMA_CPP_VERSION")"
llama="$root/runtimes/llama"
# ggml's source: unpacked by install-runtime.sh --source in a clone; shipped in the offline bundle (install.sh builds from it)
if ! { [ -f "$llama/cpu/.installed" ] && [ -f "$llama/src/ggml/CMakeLists.txt" ]; }; then
  [ -x "$root/scripts/install-runtime.sh" ] || { echo "build-cpu-backend: no llama.cpp source in $llama/src/ggml and no install-runtime.sh to unpack it" >&2; exit 1; }
  "$root/scripts/install-runtime.sh" --source >/dev/null
fi
case "$kind" in
  invariant) flags=(-DGGML_LLAMAFILE=ON -DGGML_CPU_REPACK=OFF) ;;
  invariant-no-llamafile) flags=(-DGGML_LLAMAFILE=OFF -DGGML_CPU_REPACK=OFF) ;;
  *) flags=(-DGGML_LLAMAFILE=ON -DGGML_CPU_REPACK=ON) ;;
esac
dest="$llama/${CPU_BACKEND_DEST:-cpu-${kind%-no-llamafile}}"
build="$llama/build-cpu-$kind"
# the stamp names this CPU (a hash of its feature flags): a folder copied to another machine is built again
cpu="$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | sha256sum | cut -c1-12)"
march=(-march=native)
patches="amx-tile-config-barrier"
[ "$kind" != invariant ] || patches="$patches invariant-flash-attention-1"
stamp="$version $kind ${march[*]} ${flags[*]} $patches cpu-flags:$cpu"
if [ -f "$dest/.installed" ] && [ "$(cat "$dest/.installed")" = "$stamp" ]; then
  exit 0
fi
command -v cmake >/dev/null && command -v c++ >/dev/null && command -v python3 >/dev/null \
  || { echo "build-cpu-backend: cmake, a C++ compiler and python3 are required (apt-get install cmake g++ python3)" >&2; exit 1; }
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
echo "Building the llama.cpp CPU backend ($kind: ${march[*]} ${flags[*]}) into $dest ..."
start=$(date +%s)

# ggml alone is configured from a copy of its folder (the pinned tree stays untouched): its CMakeLists wants a
# pkg-config template the bundle leaves out, and the build patches its copy.
source="$build.src"
rm -rf "$source"; cp -r "$llama/src/ggml" "$source"
[ -f "$source/ggml.pc.in" ] || printf 'Name: ggml\nDescription: ggml\nVersion: @GGML_VERSION@\nLibs: -lggml\n' > "$source/ggml.pc.in"
# AMX's tile configuration kept on GCC before 13 (every build); tinyBLAS for every size and flash attention with one
# kernel for every batch (the invariant build): scripts/lib/patch-ggml.py says why and what each changes.
python3 "$root/scripts/lib/patch-ggml.py" "$kind" "$source" || exit 1

# GGML_NATIVE cannot be combined with GGML_BACKEND_DL (ggml's feature score needs named instruction sets), so the
# named sets are off and -march=native is given directly: the code of a GGML_NATIVE build. No versioned SONAME: the
# module must need "libggml-base.so", the prebuilt library's SONAME, so that it binds to the one already loaded.
rm -rf "$build"
cmake -S "$source" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON -DGGML_BACKEND_DL=ON \
  -DGGML_NATIVE=OFF -DGGML_SSE42=OFF -DGGML_AVX=OFF -DGGML_AVX2=OFF -DGGML_BMI2=OFF -DGGML_FMA=OFF -DGGML_F16C=OFF \
  -DCMAKE_C_FLAGS="${march[*]}" -DCMAKE_CXX_FLAGS="${march[*]}" -DCMAKE_PLATFORM_NO_VERSIONED_SONAME=ON \
  -DGGML_BUILD_TESTS=OFF -DGGML_BUILD_EXAMPLES=OFF "${flags[@]}" >"$build.configure.log" 2>&1 \
  || { echo "build-cpu-backend: cmake configure failed:" >&2; tail -20 "$build.configure.log" >&2; exit 1; }
cmake --build "$build" -j "$(nproc)" --target ggml-cpu >"$build.log" 2>&1 \
  || { echo "build-cpu-backend: the build failed:" >&2; tail -30 "$build.log" >&2; exit 1; }
module="$build/bin/libggml-cpu.so"
readelf -d "$module" 2>/dev/null | grep -q 'NEEDED.*\[libggml-base.so\]' \
  || { echo "build-cpu-backend: $module does not need libggml-base.so by that name (ABI mismatch with the prebuilt libraries)" >&2; exit 1; }
rm -rf "$dest.tmp"; mkdir -p "$dest.tmp"
for lib in libggml-base.so libggml.v0.5.0.so libllama.v0.5.0.so; do cp "$llama/cpu/$lib" "$dest.tmp/"; done
cp "$module" "$dest.tmp/libggml-cpu.so"
{ printf '%s\n' "${march[@]}" "${flags[@]}"
  [ "$kind" != invariant ] || printf '%s\n' "tinyBLAS for every number of columns (n < 2 check removed)" \
    "flash attention: the tiled kernel for every number of rows, no split over the cache (batch-invariant)"; } > "$dest.tmp/build-flags.txt"
echo "$stamp" > "$dest.tmp/.installed"
rm -rf "$dest" "$source"; mv "$dest.tmp" "$dest"
echo "llama.cpp CPU backend ($kind) built in $(( $(date +%s) - start )) s into $dest"
