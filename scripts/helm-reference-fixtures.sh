#!/usr/bin/env bash
# Regenerates the HELM reference fixtures (tests/MedHelm.Core.Tests/Metrics/Reference/*.jsonl and
# tests/MedHelm.Evaluation.Tests/Data/HelmReference/ehr_sql.jsonl) by running HELM's own metric code on the inputs.
# Not part of scripts/test.sh: the C# tests only read the committed fixtures.
#   scripts/helm-reference-fixtures.sh HELM_CHECKOUT ROUGE_FOLDER NLTK_DATA
#     HELM_CHECKOUT  stanford-crfm/helm at the pinned tag (v0.5.16; docs/metrics.md)
#     ROUGE_FOLDER   a folder holding google-research's rouge/ package (the source of rouge-score 0.1.2)
#     NLTK_DATA      an nltk_data folder with tokenizers/punkt (English)
# Installs the Python packages it needs from Debian (as root) first.
set -euo pipefail
if [[ $# -ne 3 || "$1" == -h || "$1" == --help ]]; then sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 2; fi
root="$(cd "$(dirname "$0")/.." && pwd)"
packages=(python3-nltk python3-sklearn python3-numpy python3-absl python3-six python3-filelock python3-yaml
  python3-dacite python3-tqdm python3-zstandard python3-retrying python3-sqlitedict python3-cattr python3-pydantic
  python3-requests python3-colorlog python3-mako)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [[ ${#missing[@]} -gt 0 ]]; then
  apt-get update -qq && apt-get install -y -qq "${missing[@]}"
fi
# Debian's python3 (the packages above are installed for it, not for a python3 of pyenv or a virtual environment).
exec /usr/bin/python3 "$root/tests/MedHelm.Core.Tests/Metrics/Reference/generate.py" \
  --helm "$1" --helm-tag v0.5.16 --rouge "$2" --nltk-data "$3"
