#!/usr/bin/env python3
"""Completes the CycloneDX SBOM of the offline bundle (called by scripts/package-offline.sh).

The CycloneDX .NET tool lists the NuGet packages of the projects' lock/assets files. This adds what a self-contained
bundle carries beyond them: the .NET runtime packs the publish copied in, the npm packages the llama.cpp runtime came
from, and one component per native library (ELF file) in the bundle with its SHA-256, its version and licence taken
from the package that shipped it. A native file no package accounts for stops the script (the SBOM must be complete).
"""
import argparse
import base64
import hashlib
import json
import os
import sys
import urllib.parse

ELF_MAGIC = b"\x7fELF"

# Licences of the sources the non-NuGet parts come from (their packages carry these in their metadata).
LLAMA_LICENSE = "MIT"  # llama.cpp and ggml (ggml-org), MIT


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def is_elf(path):
    with open(path, "rb") as f:
        return f.read(4) == ELF_MAGIC


def nupkg_sha512(packages, name, version):
    """The nupkg's SHA-512 as NuGet recorded it in the global packages folder (base64), in hex; None when absent."""
    path = os.path.join(packages, name.lower(), version.lower(), f"{name.lower()}.{version.lower()}.nupkg.sha512")
    if not os.path.isfile(path):
        return None
    with open(path, encoding="ascii") as f:
        return base64.b64decode(f.read().strip()).hex()


def runtime_packs(deps):
    """(name, version) of each runtime pack the self-contained publish used, from medhelm.deps.json."""
    packs = []
    for key, lib in deps["libraries"].items():
        if lib.get("type") == "runtimepack":
            name, version = key.split("/", 1)
            packs.append((name.removeprefix("runtimepack."), version))
    return packs


def native_owners(deps):
    """File name -> the deps.json library (name/version) that lists it, over every target."""
    owners = {}
    for target in deps["targets"].values():
        for key, lib in target.items():
            for section in ("native", "runtime"):
                for asset in lib.get(section, {}):
                    owners.setdefault(os.path.basename(asset), key.removeprefix("runtimepack."))
    return owners


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nuget", required=True, help="the CycloneDX .NET tool's JSON output")
    parser.add_argument("--bundle", required=True, help="the bundle folder")
    parser.add_argument("--llama", required=True, help="the pinned llama.cpp release and commit")
    parser.add_argument("--packages", required=True, help="the NuGet global packages folder")
    parser.add_argument("--npm", action="append", default=[], help="PACKAGE_JSON=TARBALL_SHA512_HEX (hash may be empty)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    with open(args.nuget, encoding="utf-8") as f:
        bom = json.load(f)
    components = bom.setdefault("components", [])
    known = {c.get("bom-ref") for c in components}

    def add(component):
        if component["bom-ref"] not in known:
            known.add(component["bom-ref"])
            components.append(component)

    with open(os.path.join(args.bundle, "app", "medhelm.deps.json"), encoding="utf-8") as f:
        deps = json.load(f)
    for name, version in runtime_packs(deps):
        purl = f"pkg:nuget/{name}@{version}"
        component = {"type": "framework", "bom-ref": purl, "name": name, "version": version, "purl": purl,
                     "licenses": [{"license": {"id": "MIT"}}], "scope": "required",
                     "description": ".NET runtime pack copied into the self-contained publish"}
        digest = nupkg_sha512(args.packages, name, version)
        if digest:
            component["hashes"] = [{"alg": "SHA-512", "content": digest}]
        add(component)

    npm = {}
    for spec in args.npm:
        path, _, digest = spec.partition("=")
        with open(path, encoding="utf-8") as f:
            package = json.load(f)
        purl = "pkg:npm/" + urllib.parse.quote(package["name"], safe="/") + "@" + package["version"]
        component = {"type": "library", "bom-ref": purl, "name": package["name"], "version": package["version"],
                     "purl": purl, "licenses": [{"license": {"id": package.get("license", "NOASSERTION")}}],
                     "scope": "required",
                     "description": f"prebuilt llama.cpp {args.llama} libraries (node-llama-cpp); only its libraries are bundled"}
        if digest:
            component["hashes"] = [{"alg": "SHA-512", "content": digest}]
        add(component)
        npm[package["name"]] = component

    owners = native_owners(deps)
    by_ref = {c["bom-ref"]: c for c in components}
    missing = []
    for folder, _, files in sorted(os.walk(args.bundle)):
        for name in sorted(files):
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, args.bundle)
            if not is_elf(path):
                continue
            if rel.startswith("runtimes/llama/cuda12/"):
                # built on site from the pinned source by gpu-kernels/cuda12 (no package): the source release is its version
                version, licence = args.llama.split()[0], LLAMA_LICENSE
                origin = f"built from llama.cpp {args.llama} by gpu-kernels/cuda12 (CUDA 12 toolkit)"
            elif rel.startswith("runtimes/llama/"):
                backend = rel.split("/")[2]
                source = npm.get("@node-llama-cpp/linux-x64" if backend == "cpu" else "@node-llama-cpp/linux-x64-cuda")
                if source is None:
                    missing.append(rel)
                    continue
                # the CUDA backend's libraries come from -cuda and -cuda-ext: both are listed as its sources
                sources = [source] + ([npm["@node-llama-cpp/linux-x64-cuda-ext"]] if backend == "cuda" and "@node-llama-cpp/linux-x64-cuda-ext" in npm else [])
                version, licence = source["version"], LLAMA_LICENSE
                origin = ", ".join(s["bom-ref"] for s in sources) + f" (llama.cpp {args.llama})"
            elif rel.startswith("app/"):
                owner = owners.get(name)
                if owner is None and name in ("medhelm", "MedHelm.Service", "MedHelm.Engine.Worker"):
                    owner = next(f"{n}/{v}" for n, v in runtime_packs(deps) if n.startswith("Microsoft.NETCore.App"))
                    origin_note = "this application's launcher: the .NET apphost (Microsoft.NETCore.App.Host.linux-x64, MIT) of the same .NET release"
                else:
                    origin_note = None
                if owner is None:
                    missing.append(rel)
                    continue
                owner_name, owner_version = owner.split("/", 1)
                ref = f"pkg:nuget/{owner_name}@{owner_version}"
                version = owner_version
                licence = None
                if ref in by_ref and by_ref[ref].get("licenses"):
                    licence = by_ref[ref]["licenses"]
                origin = origin_note or ref
            else:
                missing.append(rel)
                continue
            licenses = licence if isinstance(licence, list) else [{"license": {"id": licence or "NOASSERTION"}}]
            add({"type": "library", "bom-ref": f"file:{rel}", "name": rel, "version": version,
                 "hashes": [{"alg": "SHA-256", "content": sha256(path)}], "licenses": licenses, "scope": "required",
                 "description": "native library in the bundle", "properties": [{"name": "medhelm:origin", "value": origin}]})

    if missing:
        sys.exit("complete-sbom: no package accounts for these native files: " + ", ".join(missing))
    # Deterministic: no timestamp, components in a fixed order.
    bom.get("metadata", {}).pop("timestamp", None)
    components.sort(key=lambda c: (c["type"], c["bom-ref"]))
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(bom, f, indent=2, sort_keys=False)
        f.write("\n")
    print(f"complete-sbom: {len(components)} components ({sum(1 for c in components if c['bom-ref'].startswith('file:'))} native files)")


if __name__ == "__main__":
    main()
