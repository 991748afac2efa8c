#!/usr/bin/env python3
"""Independent computation of MedHELM's Table 1 aggregates, written from the definitions in
docs/reports.md ("Aggregation and statistics") and the MedHELM reference notes (section 4), not from the C# code.
Standard library only.

  python3 win_rates.py generate > scores_9x35.csv     # the fixture table (seeded; ties and missing cells)
  python3 win_rates.py compute scores_9x35.csv > expected_9x35.csv

Definitions:
  * benchmark score: the table's value; jury-scored (open) benchmarks hold the 1-5 jury score.
  * normalized: jury (x - 1) / 4, every other benchmark as is.
  * win rate of model m on benchmark b, among the n models with a value on b (skipped when n < 2):
      (number of other models strictly below m + 0.5 * number of other models equal to m) / (n - 1)
  * mean win rate: plain mean of m's win rates over the benchmarks where m has a value (and n >= 2).
  * win SD: for each opponent o, the fraction of the benchmarks both have a value on where m is strictly above o
    (ties are not wins); the population standard deviation (divide by the number of opponents) of those fractions.
  * macro average: mean of m's normalized scores; macro SD: sample standard deviation (divide by count - 1).
  * category mean: mean of m's normalized scores on the benchmarks of the category.
"""
import csv
import math
import random
import sys

# run-spec name, category, jury-scored (open); the 35 benchmarks of the arXiv paper
BENCHMARKS = [
    ("medcalc_bench", "CDS", False), ("clear", "CDS", False), ("mtsamples_replicate", "CDS", True),
    ("medec", "CDS", False), ("ehrshot", "CDS", False), ("head_qa", "CDS", False), ("medbullets", "CDS", False),
    ("medalign", "CDS", True), ("shc_ptbm_med", "CDS", False), ("shc_sei_med", "CDS", False),
    ("dischargeme", "CNG", True), ("aci_bench", "CNG", True), ("mimic_bhc", "CNG", True),
    ("mtsamples_procedures", "CNG", True), ("mimic_rrs", "CNG", True), ("chw_care_plan", "CNG", True),
    ("medication_qa", "PCE", True), ("starr_patient_instructions", "PCE", True), ("med_dialog", "PCE", True),
    ("shc_conf_med", "PCE", False), ("shc_proxy_med", "PCE", False), ("shc_privacy_med", "PCE", False),
    ("medi_qa", "PCE", True), ("mental_health", "PCE", True),
    ("pubmed_qa", "MRA", False), ("ehr_sql", "MRA", False), ("shc_bmt_med", "MRA", False),
    ("race_based_med", "MRA", False), ("medhallu", "MRA", False), ("n2c2_ct_matching", "MRA", False),
    ("shc_gip_med", "AW", False), ("mimiciv_billing_code", "AW", False), ("shc_sequoia_med", "AW", False),
    ("shc_cdi_med", "AW", False), ("shc_ent_med", "AW", False),
]
CATEGORIES = ["CDS", "CNG", "PCE", "MRA", "AW"]
MODELS = ["model-a", "model-b", "model-c", "model-d", "model-e", "model-f", "model-g", "model-h", "model-i"]
MISSING = {("model-c", "ehrshot"), ("model-c", "medalign"), ("model-f", "mimic_bhc"),
           ("model-h", "shc_gip_med"), ("model-i", "pubmed_qa")}


def generate(out):
    rng = random.Random(14)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["model", "benchmark", "score"])
    for name, _, jury in BENCHMARKS:
        for m, model in enumerate(MODELS):
            if (model, name) in MISSING:
                continue
            skill = 0.05 * (len(MODELS) - m)  # earlier models are a little better on average
            if jury:
                # one decimal on 1-5: ties are frequent
                value = "%.1f" % min(5.0, max(1.0, 3.2 + 2 * skill + rng.uniform(-0.5, 0.5)))
            else:
                # two decimals on 0-1: some ties
                value = "%.2f" % min(1.0, max(0.0, 0.45 + skill + rng.uniform(-0.12, 0.12)))
            writer.writerow([model, name, value])


def compute(path, out):
    jury = {name: j for name, _, j in BENCHMARKS}
    category = {name: c for name, c, _ in BENCHMARKS}
    scores = {}
    models = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row["model"] not in models:
                models.append(row["model"])
            scores[(row["model"], row["benchmark"])] = float(row["score"])
    names = [name for name, _, _ in BENCHMARKS if any((m, name) in scores for m in models)]

    def normalized(model, name):
        x = scores[(model, name)]
        return (x - 1) / 4 if jury[name] else x

    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["model", "mean_win_rate", "win_sd", "macro_average", "macro_sd"] + CATEGORIES)
    for model in models:
        rates = []
        for name in names:
            if (model, name) not in scores:
                continue
            others = [o for o in models if o != model and (o, name) in scores]
            if not others:
                continue
            mine = scores[(model, name)]
            below = sum(1 for o in others if scores[(o, name)] < mine)
            equal = sum(1 for o in others if scores[(o, name)] == mine)
            rates.append((below + 0.5 * equal) / len(others))
        mean_win = sum(rates) / len(rates)

        fractions = []
        for o in models:
            if o == model:
                continue
            shared = [n for n in names if (model, n) in scores and (o, n) in scores]
            if shared:
                fractions.append(sum(1 for n in shared if scores[(model, n)] > scores[(o, n)]) / len(shared))
        mu = sum(fractions) / len(fractions)
        win_sd = math.sqrt(sum((x - mu) ** 2 for x in fractions) / len(fractions))

        values = [normalized(model, n) for n in names if (model, n) in scores]
        macro = sum(values) / len(values)
        macro_sd = math.sqrt(sum((x - macro) ** 2 for x in values) / (len(values) - 1))
        cats = []
        for c in CATEGORIES:
            inside = [normalized(model, n) for n in names if category[n] == c and (model, n) in scores]
            cats.append("%.6f" % (sum(inside) / len(inside)))
        writer.writerow([model, "%.6f" % mean_win, "%.6f" % win_sd, "%.6f" % macro, "%.6f" % macro_sd] + cats)


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] == "generate":
        generate(sys.stdout)
    elif len(sys.argv) == 3 and sys.argv[1] == "compute":
        compute(sys.argv[2], sys.stdout)
    else:
        sys.exit(__doc__)
