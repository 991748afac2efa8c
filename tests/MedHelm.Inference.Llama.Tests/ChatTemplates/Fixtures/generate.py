#!/usr/bin/env python3
"""Writes renderings.jsonl: llama.cpp's own rendering of every template x message set.

For each ../Templates/*.jinja it writes a tiny test model carrying that template (medhelm models make-test-model
--chat-template) and has the pinned llama.cpp render each message set, storing the prompt (or the error):

  --server PATH   llama-server on the model, POST /apply-template. The committed renderings.jsonl comes from this:
                  runtimes/llama/server/llama-server, which scripts/build-llama-server.sh compiles against the
                  pinned prebuilt libraries the engine loads (5.5 min of CPU time to compile);
  --tool          (default) apply_template.cpp, compiled here against the pinned prebuilt libraries in
                  runtimes/llama/cpu: it calls common_chat_templates_init/apply of llama.cpp's common library, the
                  functions /apply-template calls, with the inputs llama-server sets for a plain request (seconds;
                  it gave the same 130 renderings and errors as llama-server, byte for byte, on 2026-12-05).

The C# tests (ChatTemplateFixtureTests) render the same messages with the same tokens and date and compare byte for
byte. Standard library only (plus g++ for --tool). TZ=UTC; the date used is stored with every row.
MEDHELM_CLI names the medhelm command that writes the models (default scripts/medhelm, which builds the CLI first).

    tests/MedHelm.Inference.Llama.Tests/ChatTemplates/Fixtures/generate.py [--server PATH | --tool]
"""
import argparse
import datetime
import hashlib
import io
import json
import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[3]
TEMPLATES = HERE.parent / "Templates"
OUTPUT = HERE / "renderings.jsonl"

SYSTEM = {"role": "system", "content": "You are a careful clinician. Answer briefly."}
USER = {"role": "user", "content": "Is aspirin an NSAID? Answer A, B or C."}
ASSISTANT = {"role": "assistant", "content": "A. Yes, aspirin is an NSAID."}
USER2 = {"role": "user", "content": "And ibuprofen?"}

# (case id, messages, add_generation_prompt)
CASES = [
    ("system_user", [SYSTEM, USER], True),
    ("user_only", [USER], True),
    ("user_only_no_generation_prompt", [USER], False),
    ("multi_turn", [USER, ASSISTANT, USER2], True),
    ("system_multi_turn", [SYSTEM, USER, ASSISTANT, USER2], True),
    ("whitespace_and_unicode", [
        {"role": "system", "content": "  Réponds en français.\n"},
        {"role": "user", "content": "\n  Température 38,5 °C — paracétamol ? «dose» 😊\t\n"},
    ], True),
    ("template_like_content", [
        {"role": "user", "content": "He wrote \"{{ bos_token }}\" and {% if x %}, 'quoted' \\ backslash <|eot_id|>"},
    ], True),
    ("assistant_with_reasoning", [
        USER,
        {"role": "assistant", "content": "<think>\nAspirin inhibits COX.\n</think>\n\nA."},
        USER2,
    ], True),
    ("empty_user", [{"role": "user", "content": " "}], True),
    ("two_user_turns", [USER, USER2], True),  # templates that enforce alternation raise here
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def wait_ready(port, proc):
    for _ in range(600):
        if proc.poll() is not None:
            raise SystemExit(f"llama-server exited with {proc.returncode}")
        try:
            status, _ = request(port, "/health")
            if status == 200:
                return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.2)
    raise SystemExit("llama-server did not become ready in 120 s")


def make_model(template, out):
    medhelm = os.environ.get("MEDHELM_CLI", str(ROOT / "scripts" / "medhelm"))
    subprocess.run([medhelm, "models", "make-test-model", "--kind", "llama", "--layers", "1",
                    "--embd", "32", "--chat-template", str(template), "--out", str(out)], check=True, stdout=subprocess.DEVNULL)


def row(template, case, messages, agp, bos, eos, date, reference, expected, error):
    return {
        "template": template.stem,
        "template_sha256": hashlib.sha256(template.read_bytes()).hexdigest(),
        "case": case,
        "messages": messages,
        "add_generation_prompt": agp,
        "bos_token": bos,
        "eos_token": eos,
        "add_bos": True,   # TestModelFactory writes tokenizer.ggml.add_bos_token = true
        "add_eos": False,  # and tokenizer.ggml.add_eos_token = false
        "date": date,
        "llama_cpp": reference,
        "expected": expected,
        "error": error,
    }


def build_tool(workdir):
    src = ROOT / "runtimes/llama/src"
    lib = ROOT / "runtimes/llama/cpu"
    if not (src / "common/chat.h").exists():
        raise SystemExit("runtimes/llama/src is missing; run scripts/install-runtime.sh --source")
    out = workdir / "apply_template"
    libs = [lib / "libllama-common.so", *sorted(lib.glob("libllama.v*.so")), *sorted(lib.glob("libggml.v*.so")), lib / "libggml-base.so"]
    subprocess.run(["g++", "-std=c++17", "-O1", "-o", str(out), str(HERE / "apply_template.cpp"),
                    f"-I{src}/include", f"-I{src}/common", f"-I{src}/ggml/include", f"-I{src}/vendor",
                    *map(str, libs), f"-Wl,-rpath,{lib}"], check=True)
    return out


def read_reply(stream):
    kind, size = stream.readline().decode().split()
    data = stream.read(int(size))
    stream.read(1)
    return kind, data.decode("utf-8")


def render_with_tool(tool, template, workdir, date, version):
    model = workdir / (template.stem + ".gguf")
    make_model(template, model)
    proc = subprocess.Popen([str(tool), str(model), str(ROOT / "runtimes/llama/cpu")], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=dict(os.environ, TZ="UTC"))
    request = bytearray()
    for _, messages, agp in CASES:
        request += f"REQ {len(messages)} {1 if agp else 0}\n".encode()
        for m in messages:
            content = m["content"].encode("utf-8")
            request += f"{m['role']} {len(content)}\n".encode() + content + b"\n"
    out, _ = proc.communicate(bytes(request), timeout=300)
    stream = io.BytesIO(out)
    _, bos = read_reply(stream)
    _, eos = read_reply(stream)
    rows = []
    reference = f"{version} common_chat_templates_apply (libllama-common, prebuilt)"
    for case, messages, agp in CASES:
        kind, text = read_reply(stream)
        rows.append(row(template, case, messages, agp, bos, eos, date, reference,
                        text if kind == "OK" else None, text if kind == "ERR" else None))
    return rows


def render_with_server(server, template, workdir, date, version):
    model = workdir / (template.stem + ".gguf")
    make_model(template, model)
    port = free_port()
    env = dict(os.environ, TZ="UTC")
    proc = subprocess.Popen([server, "-m", str(model), "--host", "127.0.0.1", "--port", str(port), "--jinja",
                             "-c", "512", "-t", "1", "-np", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        wait_ready(port, proc)
        _, props = request(port, "/props")
        rows = []
        reference = f"{version} llama-server /apply-template ({props.get('build_info', '')})"
        for case, messages, agp in CASES:
            status, body = request(port, "/apply-template", {"messages": messages, "add_generation_prompt": agp})
            ok = status == 200
            rows.append(row(template, case, messages, agp, props["bos_token"], props["eos_token"], date, reference,
                            body["prompt"] if ok else None,
                            None if ok else body.get("error", {}).get("message", json.dumps(body))))
        return rows
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--server", help="llama-server binary (runtimes/llama/server/llama-server after scripts/build-llama-server.sh)")
    which.add_argument("--tool", action="store_true", help="render with apply_template.cpp (the default)")
    args = parser.parse_args()
    if args.server and not pathlib.Path(args.server).exists():
        raise SystemExit(f"{args.server} does not exist; run scripts/build-llama-server.sh")
    version = (ROOT / "gpu-kernels/LLAMA_CPP_VERSION").read_text().strip()
    date = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = pathlib.Path(tmp)
        tool = None if args.server else build_tool(workdir)
        for template in sorted(TEMPLATES.glob("*.jinja")):
            print(f"rendering {template.name} ...", file=sys.stderr)
            rows.extend(render_with_server(args.server, template, workdir, date, version) if args.server
                        else render_with_tool(tool, template, workdir, date, version))
    if datetime.datetime.now(datetime.timezone.utc).date().isoformat() != date:
        raise SystemExit("the UTC date changed while rendering; run again")
    with open(OUTPUT, "w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} renderings to {OUTPUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
