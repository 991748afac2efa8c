#!/usr/bin/env bash
# The main job on a fresh clone: installs the llama.cpp runtime, generates a tiny random-weight model and three
# random-weight judges, runs every benchmark on its bundled sample in-process (open-ended ones rated by the
# generated jury), stores the run in SQLite (data/medhelm.db) and prints the leaderboard and the jury report.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-runtime.sh"
exec "$root/scripts/medhelm" demo "$@"
