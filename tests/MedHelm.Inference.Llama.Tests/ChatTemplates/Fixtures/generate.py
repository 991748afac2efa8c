#!/usr/bin/env python3
"""Writes renderings.jsonl: llama-server's /apply-template output for every template x message set.

For each ../Templates/*.jinja it writes a tiny test model carrying that template (medhelm models make-test-model
--chat-template), starts the pinned llama-server on it (scripts/build-llama-server.sh builds it), posts each message
set and stores the prompt llama-server rendered (or the error it returned). The C# tests
(ChatTemplateFixtureTests) render the same messages with the same tokens and date and compare byte for byte.

    tests/MedHelm.Inference.Llama.Tests/ChatTemplates/Fixtures/generate.py [--server PATH]

Standard library only. The server runs with TZ=UTC; the date it used is stored with every row.
"""
import argparse
import datetime
import hashlib
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
    ("ends_with_assistant", [SYSTEM, USER, ASSISTANT], False),
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
    subprocess.run([str(ROOT / "scripts" / "medhelm"), "models", "make-test-model", "--kind", "llama", "--layers", "1",
                    "--embd", "32", "--chat-template", str(template), "--out", str(out)], check=True, stdout=subprocess.DEVNULL)


def render_all(server, template, workdir, date):
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
        for case, messages, agp in CASES:
            status, body = request(port, "/apply-template", {"messages": messages, "add_generation_prompt": agp})
            ok = status == 200
            rows.append({
                "template": template.stem,
                "template_sha256": hashlib.sha256(template.read_bytes()).hexdigest(),
                "case": case,
                "messages": messages,
                "add_generation_prompt": agp,
                "bos_token": props["bos_token"],
                "eos_token": props["eos_token"],
                "add_bos": True,   # TestModelFactory writes tokenizer.ggml.add_bos_token = true
                "add_eos": False,  # and tokenizer.ggml.add_eos_token = false
                "date": date,
                "llama_cpp": props.get("build_info", ""),
                "expected": body["prompt"] if ok else None,
                "error": None if ok else body.get("error", {}).get("message", json.dumps(body)),
            })
        return rows
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default=os.environ.get("LLAMA_SERVER", str(ROOT / "runtimes/llama/server/llama-server")))
    args = parser.parse_args()
    if not pathlib.Path(args.server).exists():
        raise SystemExit(f"{args.server} does not exist; run scripts/build-llama-server.sh or pass --server")
    date = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for template in sorted(TEMPLATES.glob("*.jinja")):
            print(f"rendering {template.name} ...", file=sys.stderr)
            rows.extend(render_all(args.server, template, pathlib.Path(tmp), date))
    if datetime.datetime.now(datetime.timezone.utc).date().isoformat() != date:
        raise SystemExit("the UTC date changed while rendering; run again")
    with open(OUTPUT, "w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} renderings to {OUTPUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
