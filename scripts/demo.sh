#!/usr/bin/env bash
# The main job on a fresh clone: installs the llama.cpp runtime, generates a tiny random-weight model,
# runs PubMedQA (bundled excerpt) through it in-process, stores the results in SQLite (data/medhelm.db)
# and prints the leaderboard row.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-runtime.sh"
exec "$root/scripts/medhelm" demo "$@"
