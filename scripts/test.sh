#!/usr/bin/env bash
# Runs every test on a fresh clone: installs the llama.cpp runtime, builds the solution, runs all test
# projects and ends with one summary line "N passed, N failed, N skipped".
#   --fast     leaves out the tests tagged [Trait("Category", TestCategories.Slow)] (dotnet test --filter "Category!=Slow").
# The tests themselves (after the install steps and the build, which need the package registries) run inside a network
# namespace with only loopback up (unshare -n as root, unshare -rn otherwise) and an outside address checked to be
# unreachable: the proof that nothing in the suite needs the network. Where namespaces are not available they run
# with the machine's network and the summary says so.
#   --offline  fail instead when the namespace cannot be made.   --network  run with the machine's network.
# MEDHELM_TEST_TIMEOUT_FACTOR (default 1) multiplies the time limits of the tests that wait for a process.
set -uo pipefail
filter=()
network=auto
for arg in "$@"; do
  case "$arg" in
    --fast) filter=(--filter "Category!=Slow") ;;
    --offline) network=offline ;;
    --network) network=host ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "scripts/test.sh: unknown argument '$arg' (usage: scripts/test.sh [--fast] [--offline|--network])" >&2; exit 2 ;;
  esac
done
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# --native: ggml's CPU backend built from the pinned source for this machine, twice (about 35-90 s of CPU each): the
# batch-invariant kernels, which Determinism BatchInvariant (the default) and Repeatable load and the determinism
# acceptance tests need, and llama.cpp's standard kernels, which Fastest loads
"$root/scripts/install-runtime.sh" --native || exit 1
# PostgreSQL's server programs for the storage contract suite (always); chromium for the HTML report's browser test and
# redis-server for the cluster's membership test (Slow tests: --fast neither runs them nor installs these)
if [ ${#filter[@]} -eq 0 ]; then "$root/scripts/install-test-deps.sh" || exit 1; else "$root/scripts/install-test-deps.sh" --postgres-only || exit 1; fi
"$root/scripts/install-sbom-tool.sh" || exit 1        # CycloneDX, for the offline-bundle tests' SBOM
"$root/scripts/build-batched-bench.sh" cpu || exit 1   # llama.cpp's own bench, the reference of `medhelm bench`
dotnet build MedHelm.OnPrem.sln -c Release --nologo -v quiet -clp:ErrorsOnly || { echo "0 passed, 1 failed (build)"; exit 1; }
log="$(mktemp)"
# The offline namespace: loopback only; an outside address must not answer.
runner=()
network_line="Network: the machine's own (--network)"
if [ "$network" != host ]; then
  if [ "$(id -u)" = 0 ] && unshare -n ip link set lo up 2>/dev/null; then runner=(unshare -n)
  elif unshare -rn ip link set lo up 2>/dev/null; then runner=(unshare -rn)
  elif [ "$network" = offline ]; then
    echo "scripts/test.sh: --offline needs network namespaces (unshare -n as root, or unprivileged user namespaces) and ip (iproute2)" >&2; exit 1
  else network_line="Network: the machine's own (no network namespace could be made here: the offline check did not run)"
  fi
  if [ ${#runner[@]} -gt 0 ]; then
    network_line="Network: none (offline namespace, loopback only)"
    # An empty NuGet HTTP cache too, as on a clean CI machine: restores inside (the offline bundle's publish) must not
    # lean on this machine's cached service index or vulnerability data.
    runner+=(bash -c 'ip link set lo up || exit 1
      export NUGET_HTTP_CACHE_PATH="$(mktemp -d)"
      if timeout 5 bash -c "exec 3<>/dev/tcp/1.1.1.1/80" 2>/dev/null; then echo "scripts/test.sh: 1.1.1.1:80 answered inside the namespace" >&2; exit 1; fi
      echo "Network: offline namespace, interfaces: $(ip -o link show | awk -F": " "{print \$2}" | tr "\n" " ")"
      exec "$@"' offline)
  fi
fi
# -m:1: one test project at a time. The model-running projects slow each other down far beyond their own work when
# they share two cores (llama.cpp's threads spin at their barriers): measured here, the suite's tests take 10 min 46 s
# one project at a time against about 15 min all at once (MedHelm.Inference.Llama.Tests: 7 s alone, 6 min in parallel).
results="$root/TestResults/test-sh"
rm -rf "$results"
"${runner[@]}" dotnet test MedHelm.OnPrem.sln -c Release --no-build --nologo -m:1 "${filter[@]}" --logger trx --results-directory "$results" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# The ten slowest tests, from the TRX files (duration="hh:mm:ss.fffffff" testName="..."), so a slow suite says why.
echo
echo "Slowest tests:"
cat "$results"/*.trx 2>/dev/null | grep -o '<UnitTestResult [^>]*>' \
  | sed -nE 's/.*testName="([^"]*)".*duration="([0-9]+):([0-9]+):([0-9.]+)".*/\2 \3 \4 \1/p' \
  | awk '{s=$1*3600+$2*60+$3; $1=$2=$3=""; sub(/^ +/, ""); printf "%8.1f s  %s\n", s, $0}' | sort -rn | head -10
# dotnet test prints one "Passed!/Failed!/Skipped!  - Failed: F, Passed: P, Skipped: S, Total: T" line per test project.
summary="$(grep -E '(Passed|Failed|Skipped)! +- Failed: +[0-9]+' "$log" | sed -E 's/.*Failed: +([0-9]+), Passed: +([0-9]+), Skipped: +([0-9]+).*/\1 \2 \3/' \
  | awk '{f+=$1; p+=$2; s+=$3; n++} END {printf "%d %d %d %d", p, f, s, n}')"
read -r passed failed skipped projects <<<"$summary"
skipped_tests="$(grep -E '^ +Skipped ' "$log" | sed -E 's/^ +Skipped +([^ ]+).*/  \1/' | sort -u)"
rm -f "$log"
echo
echo "Test projects: ${projects:-0}"
if [ -n "$skipped_tests" ]; then
  echo "Skipped (GPU-only tests: they run where /dev/nvidiactl exists and scripts/install-runtime.sh --cuda has run):"
  echo "$skipped_tests"
fi
echo "$network_line"
echo "${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
if [ "$status" -ne 0 ] || [ "${failed:-0}" -ne 0 ] || [ "${passed:-0}" -eq 0 ]; then exit 1; fi
