#!/usr/bin/env bash
# Throughput of /v1/chat/completions under concurrent clients, beside llama.cpp's llama-server on the same model and
# llama.cpp build (issue 15's benchmark; a benchmark, not a test). The load generator (bench/MedHelm.Benchmarks, mode
# openai) speaks plain OpenAI chat completions, so it can drive any compatible server.
#
#   scripts/bench-openai.sh                  # the appliance and llama-server on a generated 12-layer 768 Q8_0 model
#   scripts/bench-openai.sh --url URL --model NAME [--api-key-env VAR]   # only the given server (URL: the API base, …/v1)
#
# Options: --clients 16  --requests 64  --prompt-tokens 128  --gen-tokens 32  --rounds 3  --threads N (default: all cores)
#          --llama-server PATH|none (default runtimes/llama/server/llama-server from scripts/build-llama-server.sh)
#          --model-file GGUF (default: generated with `medhelm models make-test-model --kind llama --layers 12 --embd 768 --quant q8_0`)
# Both servers get the same llama.cpp libraries (the appliance loads llama-server's), the same model file, 16 sequences of 256 tokens, the same threads and batch sizes,
# llama.cpp's default kernels (the appliance's Determinism Fastest: flash attention auto, repacked weights), greedy decoding and
# ignore_eos (every request generates exactly --gen-tokens tokens); each server's prompt is calibrated to --prompt-tokens
# by its own usage count. After a warm-up round each, the servers take turns for --rounds rounds; each one's best is reported.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
clients=16 requests=64 prompt_tokens=128 gen_tokens=32 rounds=3 threads="$(nproc)"
url="" model="" key_env="" llama_server="$root/runtimes/llama/server/llama-server" model_file=""
while [ $# -gt 0 ]; do
  case "$1" in
    --url) url="$2"; shift 2 ;;
    --model) model="$2"; shift 2 ;;
    --api-key-env) key_env="$2"; shift 2 ;;
    --clients) clients="$2"; shift 2 ;;
    --requests) requests="$2"; shift 2 ;;
    --prompt-tokens) prompt_tokens="$2"; shift 2 ;;
    --gen-tokens) gen_tokens="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --llama-server) llama_server="$2"; shift 2 ;;
    --model-file) model_file="$2"; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "bench-openai: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

bench_out="$root/artifacts/bench"
dotnet build "$root/bench/MedHelm.Benchmarks/MedHelm.Benchmarks.csproj" -c Release -o "$bench_out" --nologo -v quiet -clp:ErrorsOnly >&2
load=(dotnet "$bench_out/MedHelm.Benchmarks.dll" openai --clients "$clients" --requests "$requests" --prompt-tokens "$prompt_tokens" --gen-tokens "$gen_tokens" --rounds "$rounds")

if [ -n "$url" ]; then
  [ -n "$model" ] || { echo "bench-openai: --url needs --model" >&2; exit 2; }
  exec "${load[@]}" --url "$url" --model "$model" ${key_env:+--api-key-env "$key_env"} --label server
fi

work="$(mktemp -d)"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
medhelm=("$root/scripts/medhelm")
if [ -z "$model_file" ]; then
  model_file="$work/bench-12x768-q8_0.gguf"
  "${medhelm[@]}" models make-test-model --kind llama --layers 12 --embd 768 --quant q8_0 --out "$model_file" >&2
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)); }
wait_for() { for _ in $(seq 1 600); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.2; done; echo "bench-openai: $1 did not answer" >&2; return 1; }

# the appliance: its own home with one model entry, an operator token, `medhelm serve` on a free loopback port
# with llama-server, the appliance loads llama-server's own libraries (as its "native" backend): the same llama.cpp build
home="$work/home"; mkdir -p "$home/runtimes/llama"
ln -s "$root/runtimes/llama/cpu" "$home/runtimes/llama/cpu"
backend=cpu
if [ "$llama_server" != none ] && [ -x "$llama_server" ]; then
  ln -s "$(cd "$(dirname "$llama_server")" && pwd)" "$home/runtimes/llama/native"
  backend=native
fi
cat > "$home/appsettings.json" <<JSON
{
  "Inference": { "Backend": "$backend", "Threads": $threads },
  "Models": { "bench": { "File": "$model_file", "Sequences": 16, "ContextPerSequence": 256, "BatchSize": 2048, "MicroBatchSize": 512, "Determinism": "Fastest" } }
}
JSON
export MEDHELM_HOME="$home"
export MEDHELM_BENCH_TOKEN
MEDHELM_BENCH_TOKEN="$("${medhelm[@]}" auth create-token --role operator --name bench 2>/dev/null)"
port="$(free_port)"
"${medhelm[@]}" serve --urls "http://127.0.0.1:$port" >"$work/serve.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$port/health/live"
echo "appliance: $(curl -fsS -H "Authorization: Bearer $MEDHELM_BENCH_TOKEN" "http://127.0.0.1:$port/health/ready" | grep -o '"backend [^"]*"' || echo 'runtime not reported')" >&2
args=(--url "http://127.0.0.1:$port/v1" --model bench --api-key-env MEDHELM_BENCH_TOKEN --label medhelm)

if [ "$llama_server" != none ] && [ -x "$llama_server" ]; then
  ref_port="$(free_port)"
  "$llama_server" -m "$model_file" --host 127.0.0.1 --port "$ref_port" -np 16 -c $((16 * 256)) -b 2048 -ub 512 -t "$threads" -tb "$threads" --no-kv-unified \
    >"$work/llama-server.log" 2>&1 &
  pids+=($!)
  wait_for "http://127.0.0.1:$ref_port/health"
  args+=(--reference-url "http://127.0.0.1:$ref_port/v1" --reference-model bench --reference-label llama-server)
else
  echo "bench-openai: no llama-server at $llama_server (scripts/build-llama-server.sh builds it); measuring the appliance only" >&2
fi
"${load[@]}" "${args[@]}"
