#!/usr/bin/env bash
# Builds llama.cpp from the pinned source (unpacked by install-runtime.sh --source) for this machine's CPU
# (-march=native) into runtimes/llama/native/, together with llama.cpp's own llama-batched-bench, the reference
# for docs/performance.md. Select it with Inference:Backend = native. About 12 minutes on 2 cores.
#   scripts/build-llama-native.sh [--invariant] [--cuda [--force-mmq]]   (--cuda needs the CUDA toolkit, nvcc, on this machine)
# --invariant builds the CPU backend without llamafile's tinyBLAS and without weight repacking (GGML_LLAMAFILE=OFF,
# GGML_CPU_REPACK=OFF): every matrix product then takes ggml's own kernels whatever the batch, which Determinism
# BatchInvariant needs for byte-identical outputs across sequence counts on the CPU (docs/engine.md; slower prompts).
# --force-mmq builds the CUDA backend with GGML_CUDA_FORCE_MMQ: quantized matrix products take llama.cpp's own MMQ
# kernels at every batch size instead of switching to cuBLAS for large batches (Determinism BatchInvariant on CUDA,
# docs/engine.md).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-runtime.sh" --source >/dev/null
src="$root/runtimes/llama/src"
build="$root/runtimes/llama/build"
dest="$root/runtimes/llama/native"
extra=()
for arg in "$@"; do
  case "$arg" in
    --cuda) extra+=(-DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=native) ;;
    --force-mmq) extra+=(-DGGML_CUDA_FORCE_MMQ=ON) ;;
    --invariant) extra+=(-DGGML_LLAMAFILE=OFF -DGGML_CPU_REPACK=OFF) ;;
    *) echo "build-llama-native: unknown option '$arg'" >&2; exit 2 ;;
  esac
done
command -v cmake >/dev/null || { echo "build-llama-native: cmake and a C++ compiler are required (apt-get install cmake g++)" >&2; exit 1; }
# -march=native given directly (GGML_NATIVE would put its own -march=native after any flag here) with AMX off: the
# pinned ggml's AMX kernels stop with SIGILL at their first tile load when built with GCC (scripts/build-cpu-backend.sh)
march="-march=native -mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=OFF -DCMAKE_C_FLAGS="$march" -DCMAKE_CXX_FLAGS="$march" -DLLAMA_CURL=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF \
  -DCMAKE_BUILD_RPATH_USE_ORIGIN=ON "${extra[@]}" >/dev/null
cmake --build "$build" -j "$(nproc)" --target llama llama-batched-bench
rm -rf "$dest"; mkdir -p "$dest"
cp -a "$build"/bin/*.so* "$build"/bin/llama-batched-bench "$dest"/
printf '%s\n' "${extra[@]}" > "$dest/build-flags.txt" # what the tests and docs/engine.md check (GGML_LLAMAFILE=OFF: --invariant)
echo "llama.cpp built for this CPU into $dest (use Inference:Backend=native)"
