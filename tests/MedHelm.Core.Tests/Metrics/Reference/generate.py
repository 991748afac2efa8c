#!/usr/bin/env python3
"""Writes the HELM reference fixtures that MedHelm's helm-mode tests compare against, case by case.

The reference code is imported UNMODIFIED from checkouts given on the command line (nothing of it is committed):

  --helm     a stanford-crfm/helm checkout at the pinned tag (its src/ folder goes on sys.path)
  --rouge    a folder holding google-research's rouge/ package (rouge-score's source; PyPI renames it rouge_score)
  --nltk-data  an nltk_data folder with tokenizers/punkt (word_tokenize splits sentences with punkt first)

Python packages from Debian: python3-nltk python3-sklearn python3-numpy python3-absl python3-six python3-filelock
python3-yaml python3-dacite python3-tqdm python3-zstandard python3-retrying python3-sqlitedict python3-cattr
python3-pydantic python3-requests python3-colorlog python3-mako. Two modules that HELM imports but the metrics never
use (pyhocon, datasets) are not packaged; empty stand-ins are registered for them (see _stub_import_only_modules).

Outputs (JSON Lines, one case per line, first line a header with the reference versions):
  tests/MedHelm.Core.Tests/Metrics/Reference/{text,tokens,medcalc,medec,billing}.jsonl
  tests/MedHelm.Evaluation.Tests/Data/HelmReference/ehr_sql.jsonl (run on ehr_sql_schema.sql beside it)

Where the reference raises, the case records {"error": "<exception type>"} instead of numbers.
"""
import argparse
import warnings
import importlib
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import types

import cases_ehrsql
import cases_text
import cases_medical

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))


def _stub_import_only_modules():
    """pyhocon and datasets are imported at module level by helm.common / helm.benchmark but never called here."""

    class _Anything(types.ModuleType):
        def __getattr__(self, name):
            if name.startswith("__"):
                raise AttributeError(name)
            return type(name, (), {"__init__": lambda self, *a, **k: None})

    for name in ("pyhocon", "datasets"):
        try:
            importlib.import_module(name)
        except ModuleNotFoundError:
            sys.modules[name] = _Anything(name)


def _setup(args):
    sys.path.insert(0, os.path.join(args.helm, "src"))
    sys.path.insert(0, args.rouge)
    # rouge-score's wheel ships google-research's rouge/ folder as the package rouge_score.
    rouge_pkg = importlib.import_module("rouge")
    sys.modules.setdefault("rouge_score", rouge_pkg)
    importlib.import_module("rouge.rouge_scorer")
    if args.nltk_data:
        os.environ["NLTK_DATA"] = args.nltk_data
        import nltk

        nltk.data.path.insert(0, args.nltk_data)
    _stub_import_only_modules()


def _git_describe(path):
    try:
        return subprocess.run(["git", "-C", path, "describe", "--tags", "--always"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except Exception:  # noqa: BLE001 - an exported tree has no .git
        return None


class Helm:
    """Builds HELM's own request states and runs HELM's own metric code on them."""

    def __init__(self):
        from helm.benchmark.adaptation.adapter_spec import AdapterSpec
        from helm.benchmark.adaptation.request_state import RequestState
        from helm.benchmark.metrics import evaluate_reference_metrics as erm
        from helm.benchmark.metrics.ehr_sql_metrics import EhrSqlMetric
        from helm.benchmark.metrics.medcalc_bench_metrics import MedCalcBenchMetric
        from helm.benchmark.metrics.medec_metrics import MedecMetric
        from helm.benchmark.metrics.mimiciv_billing_code_metrics import MIMICIVBillingCodeMetric
        from helm.benchmark.annotation.ehr_sql_annotator import EhrSqlAnnotator
        from helm.benchmark.scenarios.scenario import CORRECT_TAG, Input, Instance, Output, Reference
        from helm.common.request import GeneratedOutput, Request, RequestResult

        self.AdapterSpec, self.RequestState, self.erm = AdapterSpec, RequestState, erm
        self.Instance, self.Input, self.Output, self.Reference, self.CORRECT_TAG = Instance, Input, Output, Reference, CORRECT_TAG
        self.GeneratedOutput, self.Request, self.RequestResult = GeneratedOutput, Request, RequestResult
        self.medcalc, self.medec, self.billing = MedCalcBenchMetric(), MedecMetric(), MIMICIVBillingCodeMetric()
        self.ehr_metric, self.ehr_annotator = EhrSqlMetric(), EhrSqlAnnotator()
        self.spec = AdapterSpec(num_outputs=1)

    def state(self, prediction, gold, extra_data=None, annotations=None):
        instance = self.Instance(self.Input(text=""), references=[self.Reference(self.Output(text=gold), tags=[self.CORRECT_TAG])],
                                 extra_data=extra_data)
        result = self.RequestResult(success=True, embedding=[], cached=False,
                                    completions=[self.GeneratedOutput(text=prediction, logprob=0.0, tokens=[])])
        return self.RequestState(instance=instance, reference_index=None, request_mode=None, train_trial_index=0,
                                 output_mapping=None, request=self.Request(), result=result, num_train_instances=0,
                                 prompt_truncated=False, annotations=annotations)

    def stats(self, evaluate):
        try:
            return {s.name.name: s.mean for s in evaluate() if "@" not in s.name.name and s.name.name != "max_prob"}
        except Exception as e:  # noqa: BLE001 - the exception type is the reference behaviour being recorded
            return {"error": type(e).__name__}

    def text(self, prediction, gold):
        names = ["exact_match", "rouge_1", "rouge_2", "rouge_l", "bleu_1", "bleu_4"]
        return self.stats(lambda: self.erm.compute_reference_metrics(names, self.spec, self.state(prediction, gold), None))

    def tokens(self, text):
        """What bleu_1/bleu_4 (nltk word_tokenize) and rouge (rouge-score's tokenizer with stemming) see."""
        from nltk.tokenize import sent_tokenize, word_tokenize
        from nltk.tokenize.destructive import NLTKWordTokenizer

        sentences = sent_tokenize(text)
        return {
            "word_tokenize": word_tokenize(text),
            "sentences": sentences,
            "sentence_tokens": [NLTKWordTokenizer().tokenize(s) for s in sentences],
            "rouge_tokens": self.erm.get_rouge_function("rouge1").keywords["scorer"]._tokenizer.tokenize(text),
        }

    def metric(self, metric, prediction, gold, extra_data=None, annotations=None):
        return self.stats(lambda: metric.evaluate_generation(self.spec, self.state(prediction, gold, extra_data, annotations), None, ""))


def _write(path, header, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(header, ensure_ascii=True) + "\n")
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=True, allow_nan=False) + "\n")
    print(f"{path}: {len(rows)} cases")


def _ehrsql(helm, header, out_dir):
    with open(os.path.join(out_dir, "ehr_sql_schema.sql"), encoding="utf-8") as f:
        schema = f.read()
    from helm.benchmark import runner

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        runner.set_benchmark_output_path(tmp)
        db_dir = os.path.join(tmp, "scenarios", "ehr_sql")
        os.makedirs(db_dir)
        for case in cases_ehrsql.cases():
            db = os.path.join(db_dir, "eicu.sqlite")
            if os.path.exists(db):
                os.remove(db)  # HELM opens the database read-write: a fresh copy per case
            with sqlite3.connect(db) as conn:
                conn.executescript(schema)
            conn.close()
            extra = {"db_path": "eicu.sqlite", "value": case.get("value", {}), "is_impossible": case.get("is_impossible", False)}
            state = helm.state(case["prediction"], case["query"], extra)
            try:
                annotation = helm.ehr_annotator.annotate(state)
            except Exception as e:  # noqa: BLE001
                rows.append({**case, "expected": {"error": type(e).__name__}})
                continue
            expected = helm.metric(helm.ehr_metric, case["prediction"], case["query"], extra, {"ehr_sql": annotation})
            rows.append({**case, "query_error": annotation["query_error"], "expected": expected})
    _write(os.path.join(out_dir, "ehr_sql.jsonl"), header, rows)
    return len(rows)


def main():
    warnings.filterwarnings("ignore")  # NLTK warns on every unsmoothed zero n-gram count
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--helm", required=True, help="stanford-crfm/helm checkout (at the pinned tag)")
    parser.add_argument("--helm-tag", required=True, help="the tag checked out, recorded in the fixtures")
    parser.add_argument("--rouge", required=True, help="folder containing google-research's rouge/ package")
    parser.add_argument("--nltk-data", help="nltk_data folder with tokenizers/punkt")
    args = parser.parse_args()
    _setup(args)
    import nltk
    import numpy
    import sklearn

    helm = Helm()
    header = {
        "reference": "stanford-crfm/helm", "tag": args.helm_tag, "describe": _git_describe(args.helm),
        "python": platform.python_version(), "sqlite": sqlite3.sqlite_version, "nltk": nltk.__version__,
        "sklearn": sklearn.__version__, "numpy": numpy.__version__, "rouge": "google-research rouge/ (rouge-score 0.1.2)",
    }
    total = 0
    groups = [
        ("text.jsonl", cases_text.cases(), lambda c: helm.text(c["prediction"], c["gold"])),
        ("tokens.jsonl", cases_text.token_cases(), lambda c: helm.tokens(c["text"])),
        ("medcalc.jsonl", cases_medical.medcalc(), lambda c: helm.metric(
            helm.medcalc, c["prediction"], c["gold"],
            {"category": c["category"], "lower_limit": c["lower_limit"], "upper_limit": c["upper_limit"]})),
        ("medec.jsonl", cases_medical.medec(), lambda c: helm.metric(helm.medec, c["prediction"], c["gold"])),
        ("billing.jsonl", cases_medical.billing(), lambda c: helm.metric(helm.billing, c["prediction"], c["gold"])),
    ]
    for name, cases, run in groups:
        rows = [{**c, "expected": run(c)} for c in cases]
        _write(os.path.join(HERE, name), header, rows)
        total += len(rows)
    total += _ehrsql(helm, header, os.path.join(REPO, "tests", "MedHelm.Evaluation.Tests", "Data", "HelmReference"))
    print(f"total: {total} cases")


if __name__ == "__main__":
    main()
