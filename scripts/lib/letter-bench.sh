# Shared by scripts/determinism-bench.sh and scripts/bench-vs-llama-server.sh (sourced, not run): the 12-layer 768
# Q8_0 test model, the synthetic letter-answer benchmark (scripts/make-letter-set.py) and one timed `medhelm run`.
# Needs $root (the repository) set by the caller.

# letter_bench_setup WORK INSTANCES: builds the CLI once (before any timing), then sets medhelm=(...) to call the build
# directly, and model= the generated model in WORK (made once), and writes WORK/definition.json and instances.jsonl.
letter_bench_setup() {
  local work="$1" instances="$2"
  "$root/scripts/medhelm" --version >/dev/null
  medhelm=(dotnet "$root/artifacts/cli/medhelm.dll")
  . "$root/scripts/lib/huge-pages.sh" # as scripts/medhelm and the installed launcher start it
  model="$work/bench-12x768-q8_0.gguf"
  [ -f "$model" ] || MEDHELM_HOME="$root" "${medhelm[@]}" models make-test-model --kind llama --layers 12 --embd 768 --quant q8_0 --out "$model" >/dev/null
  python3 "$root/scripts/make-letter-set.py" "$work" "$instances"
}

# letter_bench_run WORK HOME MODE SEQUENCES INFERENCE GPU_LAYERS: a fresh MedHelm home (the dataset imported, untimed),
# then `medhelm run --jury none` timed from the process start to its exit (start and model load included). Prints the
# wall seconds; leaves HOME/show.json (runs show --json), HOME/hashes.txt ("instance sha256" lines), HOME/kernels.txt
# (the run's recorded determinism and kernels) and HOME/tokens.txt ("prompt completion" token sums).
# INFERENCE: the body of the Inference section, e.g. "\"Threads\": 2".
letter_bench_run() {
  local work="$1" home="$2" mode="$3" seqs="$4" inference="$5" gpu_layers="$6" start end
  rm -rf "$home"; mkdir -p "$home"; ln -s "$root/runtimes" "$home/runtimes"
  cat > "$home/appsettings.json" <<JSON
{ "Inference": { $inference },
  "Models": { "m": { "File": "$model", "GpuLayers": $gpu_layers, "Sequences": $seqs, "ContextPerSequence": 512, "Determinism": "$mode" } } }
JSON
  MEDHELM_HOME="$home" "${medhelm[@]}" datasets import --definition "$work/definition.json" --path "$work/instances.jsonl" >/dev/null
  start=$(date +%s.%N)
  MEDHELM_HOME="$home" "${medhelm[@]}" run --benchmarks determinism_bench --models m --jury none --run-id r >"$home/run.log" 2>&1 \
    || { echo "run in $home failed:" >&2; tail -20 "$home/run.log" >&2; return 1; }
  end=$(date +%s.%N)
  MEDHELM_HOME="$home" "${medhelm[@]}" runs show r --json > "$home/show.json"
  python3 - "$home" <<'PY'
import json, sys
home = sys.argv[1]
d = json.load(open(f"{home}/show.json"))
open(f"{home}/hashes.txt", "w").write("".join(sorted(f"{r['instance_id']} {r['output_sha256']}\n" for r in d["results"])))
open(f"{home}/kernels.txt", "w").write(d["configuration"]["models"][0]["settings"]["determinism"] + "\n")
prompt = sum(r.get("prompt_tokens") or 0 for r in d["results"]); completion = sum(r.get("completion_tokens") or 0 for r in d["results"])
open(f"{home}/tokens.txt", "w").write(f"{prompt} {completion}\n")
PY
  python3 -c "print(f'{$end - $start:.1f}')"
}
