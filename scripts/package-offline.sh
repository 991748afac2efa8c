#!/usr/bin/env bash
# Builds the offline bundle: one .tar.gz to carry onto a machine without network (docs/deployment.md).
#   scripts/package-offline.sh --out FILE [--cuda]
# It holds a self-contained linux-x64 publish of medhelm (no .NET SDK or runtime needed on the target; the service is
# `medhelm serve`), the llama.cpp runtime already unpacked (CPU; CUDA 13 too with --cuda), appsettings.json, the
# models manifest (no weights), README and docs, install.sh / uninstall.sh / the systemd unit, a CycloneDX JSON SBOM
# (sbom.cdx.json: every NuGet package of the lock files, the .NET runtime packs, the npm packages and every native
# library in the bundle, with versions, licences and hashes) and SHA256SUMS (every other file of the bundle).
# The publish runs in a copy of the tracked sources under a temporary folder (the clone's obj/ and bin/ stay as they are),
# restoring in locked mode from the packages.lock.json files. Needs the .NET SDK, npm (first run) and python3.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out=""; cuda=0
usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --out) [ $# -ge 2 ] || { echo "package-offline: --out needs a file name" >&2; exit 2; }; out="$2"; shift 2 ;;
    --cuda) cuda=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "package-offline: unknown argument '$1' (usage: scripts/package-offline.sh --out FILE [--cuda])" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || { echo "package-offline: --out FILE is required" >&2; exit 2; }
case "$out" in *.tar.gz|*.tgz) ;; *) echo "package-offline: --out must end in .tar.gz or .tgz" >&2; exit 2 ;; esac
command -v python3 >/dev/null || { echo "package-offline: python3 is required (it writes the SBOM)" >&2; exit 1; }
out="$(cd "$(dirname "$out")" 2>/dev/null && pwd)/$(basename "$out")" \
  || { echo "package-offline: the folder of --out does not exist" >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/medhelm-package.XXXXXX")"
trap 'rm -rf "$work"' EXIT
step() { echo "package-offline: $*" >&2; }

"$root/scripts/install-runtime.sh" --source $([ "$cuda" = 1 ] && echo --cuda) >&2

# The sources as committed plus untracked files git does not ignore (so a working change is packaged as it would be committed).
src="$work/src"; mkdir -p "$src"
(cd "$root" && git ls-files -z --cached --others --exclude-standard -- src gpu-kernels Directory.Build.props Directory.Build.targets Directory.Packages.props global.json .editorconfig \
  | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done | xargs -0 cp --parents -t "$src")
commit="$(cd "$root" && git rev-parse HEAD 2>/dev/null || echo unknown)"
dirty="$(cd "$root" && [ -n "$(git status --porcelain -- src gpu-kernels deploy scripts docs appsettings.json models README.md Directory.Build.props Directory.Build.targets Directory.Packages.props 2>/dev/null)" ] && echo true || echo false)"
# Timestamps inside the archive: the commit's time, so that two builds of one commit give the same archive.
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(cd "$root" && git log -1 --format=%ct 2>/dev/null || echo 0)}"

bundle="$work/bundle/medhelm"; app="$bundle/app"; mkdir -p "$app"
publish=(-c Release -r linux-x64 --self-contained true -o "$app" --nologo -v quiet -clp:ErrorsOnly
  -p:MEDHELM_LOCKED_RESTORE=true -p:DebugType=none -p:DebugSymbols=false -p:SatelliteResourceLanguages=en
  -p:PathMap="$src=/_/" -p:GenerateDocumentationFile=false)
step "publishing medhelm (self-contained linux-x64) ..."
# The CLI references the service and, through MedHelm.Hosting, the engine worker executable, whose framework-dependent
# deps/runtimeconfig files collide with its self-contained ones; the worker's own publish below writes the right ones.
(cd "$src" && dotnet publish src/MedHelm.Cli/MedHelm.Cli.csproj "${publish[@]}" -p:ErrorOnDuplicatePublishOutputFiles=false >&2)
(cd "$src" && dotnet publish src/MedHelm.Engine.Worker/MedHelm.Engine.Worker.csproj "${publish[@]}" >&2)
"$app/medhelm" --version >/dev/null || { echo "package-offline: the published medhelm does not start" >&2; exit 1; }
if [ "$cuda" = 0 ]; then
  # ONNX Runtime's GPU package brings its CUDA and TensorRT providers (about 290 MB). A CPU bundle leaves them out:
  # BERTScore's encoder then runs on the CPU provider (OnnxEncoder Auto says "CUDA not available"), as it would anyway.
  rm -f "$app/libonnxruntime_providers_cuda.so" "$app/libonnxruntime_providers_tensorrt.so"
fi

step "copying the llama.cpp runtime, configuration, manifest and docs ..."
copy_runtime() { # BACKEND: the files the npm packages installed (libraries, build metadata, stamp); no local builds
  local from="$root/runtimes/llama/$1" to="$bundle/runtimes/llama/$1"
  mkdir -p "$to"
  find "$from" -maxdepth 1 -type f \( -name '*.so' -o -name '*.so.*' -o -name '*.json' -o -name '.installed' \) -exec cp {} "$to/" \;
}
copy_runtime cpu
if [ "$cuda" = 1 ]; then copy_runtime cuda; fi
# ggml's source (the pinned version's, 25 MB) and its build script: install.sh builds the CPU backends for the target
# machine from them where cmake and a C++ compiler exist (the batch-invariant kernels and llama.cpp's standard ones,
# docs/deployment.md); a build made here would be for this machine's CPU.
mkdir -p "$bundle/runtimes/llama/src" "$bundle/scripts"
(cd "$root/runtimes/llama/src" && git ls-files -z -- ggml | xargs -0 cp --parents -t "$bundle/runtimes/llama/src")
mkdir -p "$bundle/scripts/lib"
cp "$root/scripts/build-cpu-backend.sh" "$bundle/scripts/"
cp "$root/scripts/lib/patch-ggml.py" "$bundle/scripts/lib/" # the patches the build applies to its copy of ggml
# the CUDA 12 build of gpu-kernels/cuda12, when this machine made one (it is not downloadable: built on site)
if [ -f "$root/runtimes/llama/cuda12/.installed" ]; then copy_runtime cuda12; fi
cp "$root/appsettings.json" "$root/README.md" "$bundle/"
mkdir -p "$bundle/models" "$bundle/gpu-kernels"
cp "$root/models/manifest.json" "$root/models/README.md" "$bundle/models/"
cp "$root"/gpu-kernels/LLAMA_CPP_VERSION "$root"/gpu-kernels/NODE_LLAMA_CPP_VERSION "$bundle/gpu-kernels/"
(cd "$root" && git ls-files -z --cached --others --exclude-standard -- docs | xargs -0 cp --parents -t "$bundle")
cp "$root/deploy/install.sh" "$root/deploy/uninstall.sh" "$root/deploy/medhelm.service.in" "$bundle/"
chmod 0755 "$bundle/install.sh" "$bundle/uninstall.sh"
llama="$(tr -d '\n' < "$root/gpu-kernels/LLAMA_CPP_VERSION")"
node_version="$(tr -d '[:space:]' < "$root/gpu-kernels/NODE_LLAMA_CPP_VERSION")"
printf 'commit %s\nworking-tree-changes %s\nllama.cpp %s\nnode-llama-cpp %s\nbackends cpu%s\n' \
  "$commit" "$dirty" "$llama" "$node_version" "$(cd "$bundle/runtimes/llama" && ls | grep -v '^cpu$' | sed 's/^/ /' | tr -d '\n')" > "$bundle/BUNDLE"

step "writing the SBOM (CycloneDX) ..."
tools="$root/artifacts/tools"
"$root/scripts/install-sbom-tool.sh"
# --url: the tool asks a NuGet source for every package's metadata, nuget.org unless told otherwise; the global packages
# folder (which the locked restore above filled) answers the same offline. Without it the tool aborts on a machine with
# no network and an empty NuGet HTTP cache (a clean CI machine, an air-gapped build host).
(cd "$src" && "$tools/dotnet-CycloneDX" src/MedHelm.Cli/MedHelm.Cli.csproj --recursive --disable-package-restore --runtime linux-x64 \
  --url "${NUGET_PACKAGES:-$HOME/.nuget/packages}" \
  --no-serial-number --include-license-text --output-format Json --spec-version 1.6 --output "$work/sbom" --filename nuget.cdx.json \
  --set-name medhelm --set-version "${commit:0:12}" >&2)
npm_args=()
npm_package() { # NAME: --npm PACKAGE_JSON=SHA512 (the tarball's hash as install-runtime recorded it, else the registry's)
  local dir="$root/runtimes/llama/.npm/$1@$node_version" sha=""
  [ -f "$dir/.tarball.sha512" ] && sha="$(cat "$dir/.tarball.sha512")"
  if [ -z "$sha" ]; then
    sha="$(npm view "$1@$node_version" dist.integrity 2>/dev/null | sed 's/^sha512-//' | base64 -d 2>/dev/null | od -An -v -tx1 | tr -d ' \n' || true)"
  fi
  [ -n "$sha" ] || step "warning: no tarball hash for $1 (offline and not recorded); its libraries are hashed one by one"
  npm_args+=(--npm "$dir/package/package.json=$sha")
}
npm_package @node-llama-cpp/linux-x64
if [ "$cuda" = 1 ]; then npm_package @node-llama-cpp/linux-x64-cuda; npm_package @node-llama-cpp/linux-x64-cuda-ext; fi
python3 "$root/deploy/complete-sbom.py" --nuget "$work/sbom/nuget.cdx.json" --bundle "$bundle" --llama "$llama" \
  --packages "${NUGET_PACKAGES:-$HOME/.nuget/packages}" "${npm_args[@]}" --out "$bundle/sbom.cdx.json" >&2

step "hashing every file ..."
(cd "$bundle" && find . -type f ! -name SHA256SUMS -printf '%P\0' | LC_ALL=C sort -z | xargs -0 sha256sum > SHA256SUMS)
# Owner and group 0, fixed modes (what install.sh sets anyway), files in name order, times from SOURCE_DATE_EPOCH.
find "$bundle" -type d -exec chmod 0755 {} + ; find "$bundle" -type f -exec chmod u+rw,go+r,go-w {} +
tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner --format=gnu \
  -C "$work/bundle" -cf - medhelm | gzip -n -9 > "$out.partial"
mv "$out.partial" "$out"
echo "$out"
echo "  files: $(wc -l < "$bundle/SHA256SUMS"), size $(du -h "$out" | cut -f1)"
echo "  sha256 of the archive:    $(sha256sum "$out" | cut -d' ' -f1)"
echo "  sha256 of its SHA256SUMS: $(sha256sum "$bundle/SHA256SUMS" | cut -d' ' -f1)  (give this to install.sh --expect-sums on the target)"
