#!/usr/bin/env bash
# Whole-evaluation wall time and output identity of each Determinism mode (issue 20's benchmark; a benchmark, not a test).
# Generates the 12-layer 768 Q8_0 test model and a 64-instance letter-answer definition benchmark (about 330 prompt
# tokens each, max_tokens 32), then runs `medhelm run --jury none` per mode and per Sequences setting, each in a fresh
# home (no stored completion is reused), interleaved over --rounds rounds, and prints each run's wall time and how many
# of the 64 outputs differ from the first run of the same mode (by output_sha256 of `runs show --json`), with the
# 1-minute load average before and after each run (other work on the machine makes the wall times noisy: compare runs
# of one round) and, at the end, the CPU kernels each mode ran on (BatchInvariant takes runtimes/llama/cpu-invariant
# when scripts/install-runtime.sh --invariant has built it).
#
#   scripts/determinism-bench.sh [--modes BatchInvariant,Repeatable,Fastest] [--sequences 16] [--rounds 2]
#                                [--instances 64] [--threads N] [--backend cpu|native|cuda] [--gpu-layers 0] [--keep DIR]
#                                [--runtime-root DIR]
# --sequences takes a comma list (e.g. 16,1,4): every mode runs at each count. --backend picks Inference:Backend
# (the runtime from scripts/install-runtime.sh [--cuda] or scripts/build-llama-native.sh [--invariant] must be installed);
# --runtime-root picks Inference:RuntimeRoot (default: the repository's runtimes/llama), e.g. a folder whose cpu/ links to
# the CPU backend built by scripts/build-cpu-backend.sh --standard, to compare it with the prebuilt one.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
modes="BatchInvariant,Repeatable,Fastest" sequences="16" rounds=2 instances=64 threads="$(nproc)" backend="" gpu_layers=0 keep="" runtime_root=""
while [ $# -gt 0 ]; do
  case "$1" in
    --modes) modes="$2"; shift 2 ;;
    --sequences) sequences="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --instances) instances="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --backend) backend="$2"; shift 2 ;;
    --gpu-layers) gpu_layers="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    --runtime-root) runtime_root="$(cd "$2" && pwd)"; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "determinism-bench: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
work="${keep:-$(mktemp -d)}"; mkdir -p "$work"
[ -n "$keep" ] || trap 'rm -rf "$work"' EXIT
# shellcheck source=scripts/lib/letter-bench.sh
. "$root/scripts/lib/letter-bench.sh"
letter_bench_setup "$work" "$instances"
inference="${backend:+\"Backend\": \"$backend\", }${runtime_root:+\"RuntimeRoot\": \"$runtime_root\", }\"Threads\": $threads"
run_one() { # mode sequences label -> prints "label wall_s load_before/load_after"
  local load_before wall
  load_before=$(cut -d' ' -f1 /proc/loadavg)
  wall="$(letter_bench_run "$work" "$work/home-$3" "$1" "$2" "$inference" "$gpu_layers")" || { echo "determinism-bench: run $3 failed" >&2; exit 1; }
  printf '%s %s %s/%s\n' "$3" "$wall" "$load_before" "$(cut -d' ' -f1 /proc/loadavg)"
}
IFS=, read -ra mode_list <<< "$modes"; IFS=, read -ra seq_list <<< "$sequences"
declare -A reference=()
printf '%-28s %8s %11s %s\n' run wall_s load "outputs differing from the mode's first run (Sequences ${seq_list[0]}, round 1)"
for round in $(seq 1 "$rounds"); do
  for seqs in "${seq_list[@]}"; do
    for mode in "${mode_list[@]}"; do
      label="$mode-s$seqs-r$round"
      read -r _ wall load < <(run_one "$mode" "$seqs" "$label") || true
      [ -n "${wall:-}" ] || exit 1
      [ -n "${reference[$mode]:-}" ] || reference[$mode]="$work/home-$label/hashes.txt"
      differ=$(diff "${reference[$mode]}" "$work/home-$label/hashes.txt" | grep -c '^>' || true)
      printf '%-28s %8s %11s %s of %s\n' "$label" "$wall" "$load" "$differ" "$instances"
    done
  done
done
echo
for mode in "${mode_list[@]}"; do echo "$mode: $(cat "$work/home-$mode-s${seq_list[0]}-r1/kernels.txt")"; done
