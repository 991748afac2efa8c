#!/usr/bin/env bash
# The prepared GPU check (issue 17): one command on a machine with an NVIDIA GPU, from a fresh clone.
#   scripts/gpu-check.sh [--out DIR]        (default artifacts/gpu-check)
# Steps (each timed, each with its own time limit; a failed step is recorded and the next one still runs):
#   1. the CUDA runtime (scripts/install-runtime.sh --cuda --source) and llama-batched-bench on it (build-batched-bench.sh cuda)
#   2. a generated GPU-bound model: 24 layers, 2048 wide, Q8_0 (random weights)
#   3. `medhelm runtime info` on CUDA with that model, every layer offloaded (backend, driver, devices, layers on the GPU)
#   4. `medhelm bench` on CUDA beside llama-batched-bench (same libraries) at 1, 4, 8, 16, 32, 64 sequences
#   5. the demo run on CUDA
#   6. the GPU-only tests (GpuTests), which the CPU machines skip
#   7. the determinism three-way comparison (issue 20): each Determinism mode at 16, 1 and 4 sequences (determinism-bench.sh)
# Writes DIR/gpu-check.json and DIR/gpu-check.md (the summary), beside each step's own output. Exit 1 if a step failed.
# Sized for under 8 minutes on one H200 after the build; nothing here has run on a GPU yet (docs/performance.md).
# The first two steps need the npm and NuGet registries unless their results are already there (the CUDA runtime under
# runtimes/llama/cuda with its .installed stamp, the NuGet packages in ~/.nuget/packages): on a GPU machine without
# network, install them beforehand.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/artifacts/gpu-check"
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "gpu-check: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"; out="$(cd "$out" && pwd)"
export MEDHELM__Inference__Backend=cuda
model="$out/models/bench-24l-2048-q8_0.gguf"
steps="$out/steps.tsv"; : > "$steps"
started=$SECONDS
failed=0

# step NAME LIMIT_SECONDS COMMAND...: runs it with its output in DIR/NAME.log, records status and seconds.
step() {
  local name="$1" limit="$2"; shift 2
  local t0=$SECONDS status=passed
  echo "gpu-check: $name ..." >&2
  if ! timeout --kill-after=10 "$limit" "$@" > "$out/$name.log" 2>&1; then status=failed; failed=1; tail -15 "$out/$name.log" >&2; fi
  printf '%s\t%s\t%s\n' "$name" "$status" "$((SECONDS - t0))" >> "$steps"
  echo "gpu-check: $name $status in $((SECONDS - t0)) s" >&2
}

if [ ! -e /dev/nvidiactl ]; then
  echo "gpu-check: no NVIDIA GPU here (/dev/nvidiactl is absent); run this on a GPU machine" >&2
  exit 1
fi
nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv > "$out/nvidia-smi.csv" 2>&1 || true

step runtime 300 bash -c "'$root/scripts/install-runtime.sh' --cuda --source && '$root/scripts/build-batched-bench.sh' cuda"
step build 420 bash -c "dotnet build '$root/tests/MedHelm.Cli.Tests' -c Release --nologo -v quiet -clp:ErrorsOnly && '$root/scripts/medhelm' --version"
step model 300 "$root/scripts/medhelm" models make-test-model --kind llama --layers 24 --embd 2048 --quant q8_0 --out "$model"
step runtime-info 120 bash -c "'$root/scripts/medhelm' runtime info --model '$model' --json > '$out/runtime-info.json'"
step bench 240 bash -c "'$root/scripts/medhelm' bench --model '$model' --parallel 1,4,8,16,32,64 --repetitions 2 --mixed-requests 64 --json > '$out/bench.json'"
step demo 180 "$root/scripts/medhelm" --data "$out/demo-data" demo --max-instances 2
step gpu-tests 300 bash -c "cd '$root' && dotnet test tests/MedHelm.Cli.Tests -c Release --no-build --nologo --filter 'FullyQualifiedName~GpuTests' --logger 'console;verbosity=normal'"

# ===== DETERMINISM THREE-WAY COMPARISON (issue 20) =====
# Each Determinism mode at Sequences 16, 1 and 4 on the 12-layer test model, every layer on the GPU: wall time and how
# many of the 64 outputs differ from the mode's first run (scripts/determinism-bench.sh), as determinism.json.
step determinism 420 bash -c "'$root/scripts/determinism-bench.sh' --backend cuda --gpu-layers -1 --sequences 16,1,4 --rounds 1 > '$out/determinism.txt' && python3 -c '
import json, sys
rows = []
for line in open(sys.argv[1]):
    parts = line.split()
    if len(parts) == 5 and parts[3] == \"of\" and parts[0].count(\"-\") == 2:
        mode, seqs, rnd = parts[0].split(\"-\")
        rows.append({\"mode\": mode, \"sequences\": int(seqs[1:]), \"round\": int(rnd[1:]), \"wall_s\": float(parts[1]), \"differing\": int(parts[2]), \"instances\": int(parts[4])})
json.dump({\"runs\": rows}, sys.stdout, indent=1)
' '$out/determinism.txt' > '$out/determinism.json'"
# ===== END DETERMINISM =====

total=$((SECONDS - started))
python3 - "$out" "$total" <<'EOF'
import json, os, sys
out, total = sys.argv[1], int(sys.argv[2])
def load(name):
    path = os.path.join(out, name)
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None
steps = [dict(zip(("name", "status", "seconds"), l.rstrip("\n").split("\t"))) for l in open(os.path.join(out, "steps.tsv"))]
for s in steps:
    s["seconds"] = int(s["seconds"])
gpu = open(os.path.join(out, "nvidia-smi.csv")).read().strip().splitlines()[1:] if os.path.exists(os.path.join(out, "nvidia-smi.csv")) else []
tests = None
if os.path.exists(os.path.join(out, "gpu-tests.log")):
    for line in open(os.path.join(out, "gpu-tests.log")):
        if "Failed:" in line and "Passed:" in line:
            tests = line.strip()
summary = {"total_seconds": total, "gpus": gpu, "steps": steps, "runtime_info": load("runtime-info.json"),
           "bench": load("bench.json"), "gpu_tests": tests,
           "determinism": load("determinism.json") or "not measured (the determinism step failed; see determinism.log)"}
with open(os.path.join(out, "gpu-check.json"), "w") as f:
    json.dump(summary, f, indent=2)
md = [f"# GPU check ({total} s)", "", "GPU: " + ("; ".join(gpu) or "unknown"), "", "| step | status | seconds |", "|---|---|---|"]
md += [f"| {s['name']} | {s['status']} | {s['seconds']} |" for s in steps]
bench = summary["bench"]
if bench:
    md += ["", f"## bench ({bench.get('model')}, backend {bench.get('backend')}, llama.cpp {bench.get('llama_cpp')})", "",
           "| sequences | engine pp tok/s | engine tg tok/s | batched-bench pp tok/s | batched-bench tg tok/s | tg ratio |", "|---|---|---|---|---|---|"]
    for r in bench.get("parallel", []):
        ref = r.get("reference") or {}
        ratio = r.get("s_tg_ratio")
        md.append(f"| {r.get('Parallel')} | {r.get('s_pp', 0):.0f} | {r.get('s_tg', 0):.0f} | {ref.get('s_pp', 0):.0f} | {ref.get('s_tg', 0):.0f} | {ratio:.2f} |" if ratio else
                  f"| {r.get('Parallel')} | {r.get('s_pp', 0):.0f} | {r.get('s_tg', 0):.0f} | - | - | - |")
md += ["", f"GPU-only tests: {tests or 'no result line'}", "", f"Determinism: {summary['determinism'] if isinstance(summary['determinism'], str) else 'see gpu-check.json'}"]
with open(os.path.join(out, "gpu-check.md"), "w") as f:
    f.write("\n".join(md) + "\n")
EOF
echo "gpu-check: done in $total s: $out/gpu-check.json, $out/gpu-check.md" >&2
exit "$failed"
