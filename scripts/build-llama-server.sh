#!/usr/bin/env bash
# Builds llama.cpp's llama-server from the pinned source (unpacked by install-runtime.sh --source) into
# runtimes/llama/server/. It is the reference for chat-template rendering: the fixture generator
# tests/MedHelm.Inference.Llama.Tests/ChatTemplates/Fixtures/generate.py posts to its /apply-template endpoint.
# CPU only, no web UI, no network access needed. Tens of minutes on 2 cores.
#   scripts/build-llama-server.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-runtime.sh" --source >/dev/null
src="$root/runtimes/llama/src"
build="$root/runtimes/llama/server-build"
dest="$root/runtimes/llama/server"
command -v cmake >/dev/null || { echo "build-llama-server: cmake and a C++ compiler are required (apt-get install cmake g++)" >&2; exit 1; }
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=OFF -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF \
  -DCMAKE_BUILD_RPATH_USE_ORIGIN=ON >/dev/null
cmake --build "$build" -j "$(nproc)" --target llama-server
rm -rf "$dest"; mkdir -p "$dest"
cp -a "$build"/bin/*.so* "$build"/bin/llama-server "$dest"/
echo "llama-server built into $dest"
