#!/usr/bin/env bash
# Compiles llama.cpp's own llama-batched-bench from the pinned source against the prebuilt libraries of one backend
# and puts it in that backend's folder, where `medhelm bench` finds it and runs it beside the engine: the reference
# then uses exactly the llama.cpp build the engine uses. Takes seconds and needs g++ (no CUDA compiler for cuda: only
# the tool is compiled, the CUDA kernels are the prebuilt ones). The native build makes its own copy
# (scripts/build-llama-native.sh).
#   scripts/build-batched-bench.sh [cpu|cuda]     (default cpu)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
backend="${1:-cpu}"
case "$backend" in
  cpu) "$root/scripts/install-runtime.sh" --source >/dev/null ;;
  cuda) "$root/scripts/install-runtime.sh" --source --cuda >/dev/null ;;
  -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "build-batched-bench: unknown backend '$backend' (cpu or cuda; the native build makes its own)" >&2; exit 2 ;;
esac
command -v g++ >/dev/null || { echo "build-batched-bench: g++ is required (apt-get install g++)" >&2; exit 1; }
src="$root/runtimes/llama/src"
dest="$root/runtimes/llama/$backend"
libs=()
for lib in libllama-common.so "libllama.v*.so" "libggml.v*.so" libggml-base.so; do
  # shellcheck disable=SC2206
  found=($dest/$lib)
  [ -f "${found[0]}" ] || { echo "build-batched-bench: $dest has no $lib; reinstall with scripts/install-runtime.sh" >&2; exit 1; }
  libs+=("${found[0]}")
done
tmp="$(mktemp "$dest/.llama-batched-bench.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
g++ -O2 -std=c++17 -I "$src/include" -I "$src/common" -I "$src/ggml/include" -I "$src/vendor" \
  "$src/tools/batched-bench/batched-bench.cpp" "$src/tools/batched-bench/main.cpp" \
  -o "$tmp" "${libs[@]}" -Wl,-rpath,'$ORIGIN' -lpthread
chmod 755 "$tmp"
mv -f "$tmp" "$dest/llama-batched-bench"
trap - EXIT
echo "llama-batched-bench built against the $backend libraries: $dest/llama-batched-bench"
# The CPU backends built for this machine (scripts/build-cpu-backend.sh) hold copies of the same prebuilt libllama and
# libggml: the same tool runs there, on their libggml-cpu.so, so `medhelm bench` compares on the libraries it loads.
if [ "$backend" = cpu ]; then
  for built in cpu-native cpu-invariant; do
    folder="$root/runtimes/llama/$built"
    [ -f "$folder/.installed" ] || continue
    cp -f "$dest/libllama-common.so" "$folder/" && cp -f "$dest/llama-batched-bench" "$folder/"
    echo "llama-batched-bench also in $folder"
  done
fi
