#!/usr/bin/env bash
# Installs what the tests need beyond the .NET SDK: Debian's chromium, which the browser tests (the HTML report, the
# service dashboard) drive through Microsoft.Playwright (Playwright's own browser download cannot work offline).
# Idempotent: does nothing when /usr/bin/chromium is there. Needs root (or sudo) for apt-get.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-test-deps.sh: /usr/bin/chromium is missing; run as root: apt-get install -y chromium" >&2; exit 1; }
  as_root=(sudo)
fi
echo "install-test-deps.sh: installing chromium (apt-get)" >&2
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null
test -x /usr/bin/chromium || { echo "install-test-deps.sh: chromium did not install to /usr/bin/chromium" >&2; exit 1; }
