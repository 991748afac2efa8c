#!/usr/bin/env bash
# Whole-evaluation wall time and output identity of each Determinism mode (issue 20's benchmark; a benchmark, not a test).
# Generates the 12-layer 768 Q8_0 test model and a 64-instance letter-answer definition benchmark (about 330 prompt
# tokens each, max_tokens 32), then runs `medhelm run --jury none` per mode and per Sequences setting, each in a fresh
# home (no stored completion is reused), interleaved over --rounds rounds, and prints each run's wall time and how many
# of the 64 outputs differ from the first run of the same mode (by output_sha256 of `runs show --json`).
#
#   scripts/determinism-bench.sh [--modes BatchInvariant,Repeatable,Fastest] [--sequences 16] [--rounds 2]
#                                [--instances 64] [--threads N] [--backend cpu|native|cuda] [--gpu-layers 0] [--keep DIR]
# --sequences takes a comma list (e.g. 16,1,4): every mode runs at each count. --backend picks Inference:Backend
# (the runtime from scripts/install-runtime.sh [--cuda] or scripts/build-llama-native.sh [--invariant] must be installed).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
modes="BatchInvariant,Repeatable,Fastest" sequences="16" rounds=2 instances=64 threads="$(nproc)" backend="" gpu_layers=0 keep=""
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
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "determinism-bench: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
medhelm=("$root/scripts/medhelm")
"${medhelm[@]}" --version >/dev/null # builds the CLI once, before any timing; then the build is called directly
medhelm=(dotnet "$root/artifacts/cli/medhelm.dll")
work="${keep:-$(mktemp -d)}"; mkdir -p "$work"
[ -n "$keep" ] || trap 'rm -rf "$work"' EXIT
model="$work/bench-12x768-q8_0.gguf"
[ -f "$model" ] || MEDHELM_HOME="$root" "${medhelm[@]}" models make-test-model --kind llama --layers 12 --embd 768 --quant q8_0 --out "$model" >/dev/null
python3 - "$work" "$instances" <<'PY'
import json, random, sys
work, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(20)
words = ("patient note fever cough pain chest dose daily tablet history allergy blood pressure heart rate normal "
         "follow clinic review plan left right acute chronic mild severe stable improved denies reports").split()
definition = {"name": "determinism_bench", "category": "CDS", "subcategory": "Supporting Diagnostic Decisions",
              "access": "private", "task": "Synthetic letter-answer items for the determinism benchmark",
              "fields": [{"key": "note", "label": "Note"}], "answer": {"type": "letter"},
              "metric": "exact_match", "max_tokens": 32}
json.dump(definition, open(f"{work}/definition.json", "w"))
with open(f"{work}/instances.jsonl", "w") as f:
    for i in range(n):
        note = " ".join(rng.choice(words) for _ in range(180))
        f.write(json.dumps({"id": f"d{i:03}", "fields": {"note": note}, "question": f"Item {i}: which option fits the note best?",
                            "options": ["stable", "worse", "better", "unclear"], "answer": "ABCD"[i % 4]}) + "\n")
PY
runtimes="$root/runtimes"
inference="\"Inference\": { ${backend:+\"Backend\": \"$backend\", }\"Threads\": $threads },"
run_one() { # mode sequences label -> prints "label wall_s"
  local mode="$1" seqs="$2" label="$3" home="$work/home-$3"
  rm -rf "$home"; mkdir -p "$home"; ln -s "$runtimes" "$home/runtimes"
  cat > "$home/appsettings.json" <<JSON
{ $inference
  "Models": { "m": { "File": "$model", "GpuLayers": $gpu_layers, "Sequences": $seqs, "ContextPerSequence": 512, "Determinism": "$mode" } } }
JSON
  MEDHELM_HOME="$home" "${medhelm[@]}" datasets import --definition "$work/definition.json" --path "$work/instances.jsonl" >/dev/null
  local start end
  start=$(date +%s.%N)
  MEDHELM_HOME="$home" "${medhelm[@]}" run --benchmarks determinism_bench --models m --jury none --run-id r >"$home/run.log" 2>&1 \
    || { echo "determinism-bench: run $label failed:" >&2; tail -20 "$home/run.log" >&2; exit 1; }
  end=$(date +%s.%N)
  MEDHELM_HOME="$home" "${medhelm[@]}" runs show r --json > "$home/show.json"
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("\n".join(sorted(r["instance_id"]+" "+r["output_sha256"] for r in d["results"])))' "$home/show.json" > "$home/hashes.txt"
  printf '%s %s\n' "$label" "$(python3 -c "print(f'{$end - $start:.1f}')")"
}
IFS=, read -ra mode_list <<< "$modes"; IFS=, read -ra seq_list <<< "$sequences"
declare -A reference=()
printf '%-28s %8s %s\n' run wall_s "outputs differing from the mode's first run (Sequences ${seq_list[0]}, round 1)"
for round in $(seq 1 "$rounds"); do
  for seqs in "${seq_list[@]}"; do
    for mode in "${mode_list[@]}"; do
      label="$mode-s$seqs-r$round"
      read -r _ wall < <(run_one "$mode" "$seqs" "$label") || true
      [ -n "${wall:-}" ] || exit 1
      [ -n "${reference[$mode]:-}" ] || reference[$mode]="$work/home-$label/hashes.txt"
      differ=$(diff "${reference[$mode]}" "$work/home-$label/hashes.txt" | grep -c '^>' || true)
      printf '%-28s %8s %s of %s\n' "$label" "$wall" "$differ" "$instances"
    done
  done
done
