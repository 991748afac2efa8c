#!/usr/bin/env bash
# Checks an offline bundle end to end without network: inside a fresh network namespace that has only loopback
# (unshare -n, as root), it unpacks the bundle, runs install.sh into a private prefix (no user, no systemctl; the
# unit is written and checked with systemd-analyze when present), generates a small model, starts the installed
# service, queues a demo run through the REST API, waits for it and saves its report, then installs the same bundle
# again as an upgrade (database backed up first, the run kept).
#   scripts/check-offline-bundle.sh BUNDLE.tar.gz --work DIR [--benchmarks a,b]   (default: the whole demo suite)
# Prints "check-offline-bundle: passed (...)" last; DIR keeps the install, the logs and report.json.
# Without unshare (not root, or no namespaces) it says so and runs with the network as it is.
set -euo pipefail
bundle=""; work=""; benchmarks=""
while [ $# -gt 0 ]; do
  case "$1" in
    --work) [ $# -ge 2 ] || { echo "check-offline-bundle: --work needs a folder" >&2; exit 2; }; work="$2"; shift 2 ;;
    --benchmarks) [ $# -ge 2 ] || { echo "check-offline-bundle: --benchmarks needs a list" >&2; exit 2; }; benchmarks="$2"; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "check-offline-bundle: unknown option '$1'" >&2; exit 2 ;;
    *) bundle="$1"; shift ;;
  esac
done
case "$benchmarks" in *[!a-z0-9_,]*) echo "check-offline-bundle: --benchmarks takes names like med_qa,pubmed_qa" >&2; exit 2 ;; esac
[ -f "$bundle" ] && [ -n "$work" ] || { echo "usage: scripts/check-offline-bundle.sh BUNDLE.tar.gz --work DIR" >&2; exit 2; }
bundle="$(cd "$(dirname "$bundle")" && pwd)/$(basename "$bundle")"
mkdir -p "$work"; work="$(cd "$work" && pwd)"
say() { echo "check-offline-bundle: $*"; }

if [ "${MEDHELM_OFFLINE_NAMESPACE:-}" != 1 ]; then
  if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then
    exec unshare -n env MEDHELM_OFFLINE_NAMESPACE=1 bash -c 'ip link set lo up && exec "$0" "$@"' "$0" "$bundle" --work "$work" --benchmarks "$benchmarks"
  fi
  say "warning: unshare -n is not available here (needs root): checking with this machine's network"
  network="host network"
else
  network="offline namespace: $(ip -o link show | awk -F': ' '{print $2}' | tr '\n' ' ')"
  if curl -s -m 3 -o /dev/null http://1.1.1.1 2>/dev/null; then say "an outside address answered: the namespace is not offline"; exit 1; fi
fi

rm -rf "$work/bundle" "$work/prefix" "$work/data" "$work/units"
mkdir -p "$work/bundle"
tar -xzf "$bundle" -C "$work/bundle"
"$work/bundle/medhelm/install.sh" --prefix "$work/prefix" --data "$work/data" --unit-dir "$work/units" --no-user --no-systemctl
unit_check="not checked (no systemd-analyze)"
if command -v systemd-analyze >/dev/null; then
  if systemd-analyze verify "$work/units/medhelm.service" > "$work/unit-check.log" 2>&1; then unit_check="systemd-analyze verify passed"
  else say "systemd-analyze verify failed:"; cat "$work/unit-check.log"; exit 1; fi
fi
medhelm="$work/prefix/bin/medhelm"
[ "$(stat -c %a "$work/data")" = 700 ] || { say "the data folder is not 0700"; exit 1; }
[ "$(stat -c %a "$work/data/medhelm.db")" = 600 ] || { say "the database is not 0600"; exit 1; }
"$medhelm" runtime info > "$work/runtime-info.txt"
"$medhelm" models make-test-model --kind llama --out "$work/data/models/check-llama.gguf" --layers 2 --embd 64 >/dev/null
token="$("$medhelm" auth create-token --role admin --name offline-check)"

"$medhelm" serve --urls http://127.0.0.1:0 > "$work/serve.out" 2> "$work/serve.err" &
serve=$!
trap 'kill "$serve" 2>/dev/null || true' EXIT
url=""
for _ in $(seq 1 600); do
  url="$(sed -n 's/.*listening on \([^ ,]*\).*/\1/p' "$work/serve.err" | head -1)"
  [ -n "$url" ] && break
  kill -0 "$serve" 2>/dev/null || { say "the service exited:"; cat "$work/serve.err"; exit 1; }
  sleep 0.2
done
[ -n "$url" ] || { say "the service did not start listening"; cat "$work/serve.err"; exit 1; }
api() { curl -sS --fail-with-body -H "Authorization: Bearer $token" "$@"; }
selection='"suite":"demo"'
if [ -n "$benchmarks" ]; then selection="\"benchmarks\":[\"${benchmarks//,/\",\"}\"]"; fi
body="{\"models\":[\"$work/data/models/check-llama.gguf\"],$selection,\"jury\":[\"none\"],\"maxInstances\":2,\"samples\":true}"
run="$(api -H 'Content-Type: application/json' -d "$body" "$url/api/v1/runs")"
run_id="$(printf '%s' "$run" | sed -n 's/.*"runId":"\([^"]*\)".*/\1/p')"
[ -n "$run_id" ] || { say "no run id in: $run"; exit 1; }
status=""
for _ in $(seq 1 1800); do
  status="$(api "$url/api/v1/runs/$run_id" | sed -n 's/.*"status":"\([^"]*\)".*/\1/p')"
  case "$status" in completed|failed|cancelled|interrupted) break ;; esac
  sleep 1
done
[ "$status" = completed ] || { say "run $run_id ended '$status'"; api "$url/api/v1/runs/$run_id"; tail -20 "$work/serve.err"; exit 1; }
api "$url/api/v1/runs/$run_id/report" > "$work/report.json"
kill -TERM "$serve"; wait "$serve" || true; trap - EXIT

# Upgrade in place (the same bundle again): the database is backed up first and keeps the run.
"$work/bundle/medhelm/install.sh" --prefix "$work/prefix" --data "$work/data" --unit-dir "$work/units" --no-user --no-systemctl > "$work/upgrade.log"
grep -q "database backed up to" "$work/upgrade.log" || { say "the upgrade made no backup:"; cat "$work/upgrade.log"; exit 1; }
"$medhelm" runs list | grep -qF "$run_id" || { say "the run is gone after the upgrade"; exit 1; }
kernels="$(grep -o 'batch-invariant CPU kernels ([^)]*)\|standard CPU kernels ([^)]*)' "$work/report.json" | head -1)"
backends="$(sed -n 's/^install: CPU backends for this machine: //p' "$work/upgrade.log" | sed 's/ *$//')"
say "passed (run $run_id completed, report $(wc -c < "$work/report.json") bytes; upgrade kept it, backup $(ls "$work/data/backups" | grep -c '\.db$'); $network; unit: $unit_check; kernels: ${kernels:-none recorded}; CPU backends built: ${backends:-none})"
