#!/usr/bin/env bash
# A whole evaluation in process against llama.cpp's llama-server on identical prompts (issue 20's benchmark; a
# benchmark, not a test). The 12-layer 768 Q8_0 test model and the 64-instance letter-answer benchmark
# (scripts/make-letter-set.py, about 330 prompt tokens each, max_tokens 32) are generated; then, interleaved over
# --rounds rounds:
#   * `medhelm run --jury none` per Determinism mode in a fresh home, timed from the process start to its exit (start,
#     model load and result storage included), Sequences 16;
#   * llama-server with 16 slots (-np 16, 16 x 512 context, the same threads, batch 2048 / micro-batch 512) and its
#     defaults otherwise: its Jinja rendering of the model's chat template, which gives the engine's prompts token for
#     token (`--no-jinja` would drop the template's date header: 36 tokens fewer per prompt with the generated Llama 3
#     template), flash attention auto; fed the same prompts as chat completions (the same greedy
#     options) by 16 concurrent clients (bench/MedHelm.Benchmarks eval-prompts), timed from the first request to the
#     last answer (its start and model load excluded).
# It checks that both processed the same number of prompt tokens (else the comparison is void and it stops) and prints
# each wall time, the ratio llama-server / medhelm (above 1: medhelm is faster) and how many outputs match.
#
#   scripts/bench-vs-llama-server.sh [--modes Fastest,BatchInvariant] [--rounds 3] [--instances 64] [--threads N]
#                                    [--keep DIR]
# llama-server: runtimes/llama/server/llama-server (scripts/build-llama-server.sh, about 18 min on 2 cores, once). It
# runs on the CPU library Determinism Fastest loads: runtimes/llama/cpu-native/libggml-cpu.so when
# scripts/install-runtime.sh --native has built it (copied beside a copy of the server), else the prebuilt variants.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
modes="Fastest,BatchInvariant" rounds=3 instances=64 threads="$(nproc)" keep=""
while [ $# -gt 0 ]; do
  case "$1" in
    --modes) modes="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --instances) instances="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "bench-vs-llama-server: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
server_dir="$root/runtimes/llama/server"
[ -x "$server_dir/llama-server" ] || { echo "bench-vs-llama-server: $server_dir/llama-server is missing; run scripts/build-llama-server.sh" >&2; exit 1; }
work="${keep:-$(mktemp -d)}"; mkdir -p "$work"
[ -n "$keep" ] || trap 'rm -rf "$work"' EXIT
# shellcheck source=scripts/lib/letter-bench.sh
. "$root/scripts/lib/letter-bench.sh"
letter_bench_setup "$work" "$instances"
dotnet build "$root/bench/MedHelm.Benchmarks" -c Release --nologo -v quiet -clp:ErrorsOnly >&2
client=(dotnet "$root/bench/MedHelm.Benchmarks/bin/Release/net10.0/MedHelm.Benchmarks.dll")

# ggml loads the CPU backend from the executable's folder: a copy of the server with the library Fastest loads.
native="$root/runtimes/llama/cpu-native"
server="$server_dir/llama-server" server_cpu="prebuilt variants ($(cd "$server_dir" && ls libggml-cpu-*.so 2>/dev/null | wc -l) in $server_dir)"
if [ -f "$native/.installed" ]; then
  mkdir -p "$work/server"
  cp "$server_dir"/llama-server "$server_dir"/lib*.so "$work/server/"
  rm -f "$work/server"/libggml-cpu-*.so; cp "$native/libggml-cpu.so" "$work/server/"
  server="$work/server/llama-server" server_cpu="$native/libggml-cpu.so"
fi
echo "llama-server: $server (CPU library: $server_cpu), 16 slots, $threads threads"

run_server() { # label -> prints "wall_s prompt_tokens completion_tokens"; leaves WORK/LABEL.json
  local url out="$work/$1.json"
  url="$(SLOTS=16 CTX_PER_SLOT=512 THREADS="$threads" LLAMA_SERVER="$server" \
    "$root/scripts/llama-server-reference.sh" start "$model" 2>/dev/null)"
  "${client[@]}" eval-prompts --url "$url/v1" --model m --definition "$work/definition.json" --instances "$work/instances.jsonl" \
    --clients 16 > "$out" || { "$root/scripts/llama-server-reference.sh" stop "${url##*:}" >/dev/null 2>&1; return 1; }
  "$root/scripts/llama-server-reference.sh" stop "${url##*:}" >/dev/null 2>&1
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.1f %d %d" % (d["wall_s"], d["prompt_tokens"], d["completion_tokens"]))' "$out"
}

matching() { # HOME SERVER_JSON -> how many of the run's outputs equal llama-server's (by SHA-256 of the text)
  python3 - "$1/hashes.txt" "$2" <<'PY'
import json, sys
ours = dict(line.split() for line in open(sys.argv[1]) if line.strip())
theirs = json.load(open(sys.argv[2]))["outputs"]
print(sum(1 for k, v in ours.items() if theirs.get(k) == v))
PY
}

IFS=, read -ra mode_list <<< "$modes"
printf '%-6s %-16s %9s %13s %9s %s\n' round run wall_s prompt_tok ratio "outputs equal to llama-server's"
declare -A sums=()
for round in $(seq 1 "$rounds"); do
  read -r s_wall s_prompt s_completion < <(run_server "server-r$round") || { echo "bench-vs-llama-server: llama-server round $round failed" >&2; exit 1; }
  printf '%-6s %-16s %9s %13s %9s %s\n' "$round" llama-server "$s_wall" "$s_prompt" "" "completion tokens $s_completion"
  sums[server]="$(python3 -c "print(f'{${sums[server]:-0} + $s_wall:.1f}')")"
  for mode in "${mode_list[@]}"; do
    home="$work/home-$mode-r$round"
    wall="$(letter_bench_run "$work" "$home" "$mode" 16 "\"Threads\": $threads" 0)" || exit 1
    read -r prompt _ < "$home/tokens.txt"
    if [ "$prompt" != "$s_prompt" ]; then
      echo "bench-vs-llama-server: $mode processed $prompt prompt tokens, llama-server $s_prompt: the prompts differ, no comparison" >&2; exit 1
    fi
    ratio="$(python3 -c "print(f'{$s_wall / $wall:.3f}')")"
    printf '%-6s %-16s %9s %13s %9s %s of %s\n' "$round" "$mode" "$wall" "$prompt" "$ratio" "$(matching "$home" "$work/server-r$round.json")" "$instances"
    sums[$mode]="$(python3 -c "print(f'{${sums[$mode]:-0} + $wall:.1f}')")"
  done
done
echo
for mode in "${mode_list[@]}"; do
  echo "$mode: $(cat "$work/home-$mode-r1/kernels.txt" | tr -d '\n'); over $rounds rounds: llama-server ${sums[server]} s, medhelm ${sums[$mode]} s, ratio $(python3 -c "print(f'{${sums[server]} / ${sums[$mode]}:.3f}')")"
done
