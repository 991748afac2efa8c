#!/usr/bin/env bash
# Starts and stops llama.cpp's own llama-server as the reference for the /v1/chat/completions benchmark (issue 15):
# the same llama.cpp build the engine runs (scripts/build-llama-server.sh builds it against the prebuilt CPU
# libraries), sized like the engine: SLOTS parallel sequences (-np), SLOTS x CTX_PER_SLOT tokens of context (the
# engine's Sequences and ContextPerSequence), THREADS for generation and batches (the engine's default,
# Runtime:Threads = 0, is the processor count), batch 2048 / micro-batch 512 (the engine's BatchSize and
# MicroBatchSize defaults), separate per-slot KV caches (kv_unified off, as the engine decodes), flash attention
# and prompt caching left at llama.cpp's defaults (auto / on, as the engine). Listens on loopback only.
#   scripts/llama-server-reference.sh start MODEL.gguf [PORT]   prints the base URL (http://127.0.0.1:PORT) on
#                                                                stdout once /health answers 200; PORT 0 or
#                                                                omitted = a free port
#   scripts/llama-server-reference.sh stop PORT                 stops the server started on PORT
# Environment: SLOTS (default 16), CTX_PER_SLOT (default 512), THREADS (default: nproc),
#   LLAMA_SERVER (default runtimes/llama/server/llama-server), READY_TIMEOUT seconds (default 300),
#   LLAMA_SERVER_ARGS (more llama-server options, split on spaces, e.g. "--no-jinja").
# The server's log and pid are kept in ${TMPDIR:-/tmp}/medhelm-llama-server-PORT.{log,pid}.
# With a load generator:
#   url="$(scripts/llama-server-reference.sh start model.gguf)"; ...send requests to $url/v1/chat/completions...
#   scripts/llama-server-reference.sh stop "${url##*:}"
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
usage() { sed -n '9,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
state() { echo "${TMPDIR:-/tmp}/medhelm-llama-server-$1.$2"; }
is_uint() { [[ "$1" =~ ^[0-9]+$ ]]; }

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

health() {  # prints the HTTP status of /health (000 when nothing answers)
  curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$1/health" 2>/dev/null || true
}

start() {
  local model="$1" port="${2:-0}"
  local server="${LLAMA_SERVER:-$root/runtimes/llama/server/llama-server}"
  local slots="${SLOTS:-16}" per_slot="${CTX_PER_SLOT:-512}" threads="${THREADS:-$(nproc)}" timeout="${READY_TIMEOUT:-300}"
  [ -f "$model" ] || { echo "llama-server-reference: model '$model' does not exist" >&2; exit 1; }
  [ -x "$server" ] || { echo "llama-server-reference: $server does not exist; run scripts/build-llama-server.sh" >&2; exit 1; }
  local -A names=([port]=PORT [slots]=SLOTS [per_slot]=CTX_PER_SLOT [threads]=THREADS [timeout]=READY_TIMEOUT)
  for v in port slots per_slot threads timeout; do
    is_uint "${!v}" || { echo "llama-server-reference: ${names[$v]} must be a whole number, not '${!v}'" >&2; exit 2; }
  done
  [ "$slots" -ge 1 ] && [ "$per_slot" -ge 16 ] && [ "$threads" -ge 1 ] \
    || { echo "llama-server-reference: SLOTS and THREADS must be at least 1, CTX_PER_SLOT at least 16" >&2; exit 2; }
  command -v curl >/dev/null || { echo "llama-server-reference: curl is required (apt-get install curl)" >&2; exit 1; }
  [ "$port" -ne 0 ] || port="$(free_port)"
  local pidfile log
  pidfile="$(state "$port" pid)"; log="$(state "$port" log)"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "llama-server-reference: a server started by this script already runs on port $port (pid $(cat "$pidfile"))" >&2; exit 1
  fi
  [ "$(health "$port")" = 000 ] || { echo "llama-server-reference: port $port is in use" >&2; exit 1; }
  "$server" -m "$model" --host 127.0.0.1 --port "$port" -np "$slots" -c "$((slots * per_slot))" \
    -t "$threads" -tb "$threads" -b 2048 -ub 512 --no-kv-unified ${LLAMA_SERVER_ARGS:-} >"$log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" > "$pidfile"
  local waited=0
  while [ "$(health "$port")" != 200 ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$pidfile"
      echo "llama-server-reference: llama-server exited before it was ready; the end of $log:" >&2
      tail -20 "$log" >&2; exit 1
    fi
    if [ "$waited" -ge "$((timeout * 5))" ]; then
      stop "$port"; echo "llama-server-reference: llama-server was not ready after ${timeout} s (log: $log)" >&2; exit 1
    fi
    sleep 0.2; waited=$((waited + 1))
  done
  echo "llama-server-reference: pid $pid, $slots slots x $per_slot tokens, $threads threads, log $log" >&2
  echo "http://127.0.0.1:$port"
}

stop() {
  local port="$1" pidfile pid
  is_uint "$port" || { echo "llama-server-reference: stop needs the PORT the server was started on" >&2; exit 2; }
  pidfile="$(state "$port" pid)"
  [ -f "$pidfile" ] || { echo "llama-server-reference: no server started by this script on port $port" >&2; exit 1; }
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "llama-server-reference: pid $pid did not stop in 30 s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pidfile"
  echo "llama-server-reference: stopped the server on port $port" >&2
}

case "${1:-}" in
  start) [ $# -ge 2 ] && [ $# -le 3 ] || usage; start "$2" "${3:-0}" ;;
  stop) [ $# -eq 2 ] || usage; stop "$2" ;;
  -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) usage ;;
esac
