#!/usr/bin/env python3
"""Writes the synthetic letter-answer benchmark of the engine benchmarks (scripts/determinism-bench.sh,
scripts/bench-vs-llama-server.sh): WORK/definition.json (benchmark determinism_bench, max_tokens 32) and
WORK/instances.jsonl (N instances of a 180-word note each, about 330 prompt tokens with the chat template).
Usage: scripts/make-letter-set.py WORK N"""
import json
import random
import sys

work, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(20)
words = ("patient note fever cough pain chest dose daily tablet history allergy blood pressure heart rate normal "
         "follow clinic review plan left right acute chronic mild severe stable improved denies reports").split()
definition = {"name": "determinism_bench", "category": "CDS", "subcategory": "Supporting Diagnostic Decisions",
              "access": "private", "task": "Synthetic letter-answer items for the determinism benchmark",
              "fields": [{"key": "note", "label": "Note"}], "answer": {"type": "letter"},
              "metric": "exact_match", "max_tokens": 32}
with open(f"{work}/definition.json", "w") as f:
    json.dump(definition, f)
with open(f"{work}/instances.jsonl", "w") as f:
    for i in range(n):
        note = " ".join(rng.choice(words) for _ in range(180))
        f.write(json.dumps({"id": f"d{i:03}", "fields": {"note": note}, "question": f"Item {i}: which option fits the note best?",
                            "options": ["stable", "worse", "better", "unclear"], "answer": "ABCD"[i % 4]}) + "\n")
