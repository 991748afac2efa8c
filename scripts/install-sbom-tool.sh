#!/usr/bin/env bash
# Installs the CycloneDX .NET tool (pinned 6.3.1) that scripts/package-offline.sh writes the bundle's SBOM with, into
# artifacts/tools/. Idempotent. Needs the NuGet registry once; scripts/test.sh runs it with the other install steps so
# that the packaging tests also pass without network (scripts/test.sh --offline).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="$root/artifacts/tools"
version=6.3.1
if [ -x "$tools/dotnet-CycloneDX" ] && "$tools/dotnet-CycloneDX" --version 2>/dev/null | grep -q "^$version"; then
  exit 0
fi
rm -rf "$tools/dotnet-CycloneDX" "$tools/.store/cyclonedx"
dotnet tool install CycloneDX --version "$version" --tool-path "$tools" >&2 \
  || { echo "install-sbom-tool: 'dotnet tool install CycloneDX --version $version' failed (it needs the NuGet registry once)" >&2; exit 1; }
