#!/usr/bin/env bash
# Prints the cluster simulation table (docs/scale-out.md, docs/performance.md): throughput against silo count for 1 to
# 64 STAND-IN silos (fixed tokens/s and memory per model, not real models) driven by the real placement policy and
# lease table, with the coordinator's own time per instance; then what the cluster costs measured for real
# (ClusterOverheadTests: Orleans grain calls to a coordinator per instance, a run's instances over PostgreSQL alone and
# sharded). Builds tests/MedHelm.Cluster.Tests if needed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
dotnet test tests/MedHelm.Cluster.Tests -c Release --nologo -v quiet --filter "FullyQualifiedName~ClusterSimulationTests|FullyQualifiedName~ClusterOverheadTests" \
  --logger "console;verbosity=detailed" 2>&1 | sed -n '/STAND-IN/,/^$/p;/MEASURED/,/^$/p' | sed 's/^ *//'
