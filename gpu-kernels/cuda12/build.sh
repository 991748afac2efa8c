#!/usr/bin/env bash
# Builds the pinned llama.cpp's CUDA backend for a CUDA 12 toolkit into runtimes/llama/cuda12/ (Inference:Backend = cuda12).
#   gpu-kernels/cuda12/build.sh [--archs "80;86;89;90"] [--check]
# --check configures the recipe without a toolkit (syntax and pin checks only; nothing is compiled).
# Needs cmake 3.24+, g++ and, except for --check, the CUDA 12 toolkit (nvcc on PATH or CUDACXX). About 20-40 minutes
# on 16 cores for four architectures. Not executed on the development machines (no toolkit, no GPU).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"; root="$(cd "$here/../.." && pwd)"
archs="80;86;89;90"; check=0
while [ $# -gt 0 ]; do
  case "$1" in
    --archs) archs="$2"; shift 2 ;;
    --check) check=1; shift ;;
    -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "cuda12/build.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
"$root/scripts/install-runtime.sh" --source >/dev/null
build="$root/runtimes/llama/build-cuda12"; dest="$root/runtimes/llama/cuda12"
if [ "$check" = 1 ]; then
  scratch="$(mktemp -d)"; trap 'rm -rf "$scratch"' EXIT
  cmake -S "$here" -B "$scratch" -DMEDHELM_REQUIRE_CUDA=OFF -DMEDHELM_CUDA_ARCHITECTURES="$archs"
  echo "cuda12/build.sh: recipe configured (check only; nothing compiled)"; exit 0
fi
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release -DMEDHELM_CUDA_ARCHITECTURES="$archs"
cmake --build "$build" -j "$(nproc)" --target llama ggml
rm -rf "$dest"; mkdir -p "$dest"
find "$build/bin" -maxdepth 1 -name '*.so*' -exec cp -a {} "$dest/" \;
tr -d '\n' < "$root/gpu-kernels/LLAMA_CPP_VERSION" | cut -d' ' -f1 > "$dest/.installed"
echo "cuda12/build.sh: libraries in $dest; set Inference:Backend to cuda12 and run medhelm runtime info"
