#!/usr/bin/env bash
# The main job on a fresh clone: installs the llama.cpp runtime, generates a tiny random-weight model and three
# random-weight judges, runs every benchmark on its bundled sample in-process (open-ended ones rated by the
# generated jury), stores the run in SQLite (data/medhelm.db) and prints the leaderboard and the jury report.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# With a C++ toolchain, also the CPU backends built for this machine (ggml's CPU backend from the pinned source, about
# 35-90 s of CPU each, once): the batch-invariant one that the models' default Determinism (BatchInvariant) loads and
# the standard one for Fastest; without one the run says it used the prebuilt standard kernels (docs/engine.md).
if command -v cmake >/dev/null && command -v g++ >/dev/null; then
  "$root/scripts/install-runtime.sh" --native
else
  echo "demo: cmake or g++ missing: the demo runs on the standard CPU kernels (not guaranteed byte-identical across sequence counts)" >&2
  "$root/scripts/install-runtime.sh"
fi
exec "$root/scripts/medhelm" demo "$@"
