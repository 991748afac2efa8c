#!/usr/bin/env bash
# Installs what the tests need beyond the .NET SDK:
# - PostgreSQL's server programs (initdb, pg_ctl; Debian's `postgresql`): the storage contract suite and the CLI's
#   PostgreSQL run start a throwaway server from them (tests/MedHelm.Testing/PostgresTestServer.cs);
# - Debian's chromium, which the browser tests (the HTML report, the service dashboard) drive through
#   Microsoft.Playwright (Playwright's own browser download cannot work offline), and Debian's redis-server, the
#   cluster tests' membership store (tests/MedHelm.Testing/RedisServer.cs). --postgres-only leaves these two out.
# Idempotent: installs only what is missing. Needs root (or sudo) for apt-get.
set -euo pipefail
all=1
case "${1:-}" in
  --postgres-only) all=0 ;;
  "") ;;
  *) echo "install-test-deps.sh: unknown argument '$1' (usage: install-test-deps.sh [--postgres-only])" >&2; exit 2 ;;
esac
has_postgres() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null; }
missing=()
has_postgres || missing+=(postgresql)
if [ "$all" -eq 1 ]; then
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  [ -x /usr/bin/redis-server ] || missing+=(redis-server)
fi
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-test-deps.sh: ${missing[*]} missing; run as root: apt-get install -y ${missing[*]}" >&2; exit 1; }
  as_root=(sudo)
fi
echo "install-test-deps.sh: installing ${missing[*]} (apt-get)" >&2
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
has_postgres || { echo "install-test-deps.sh: postgresql did not install initdb" >&2; exit 1; }
if [ "$all" -eq 1 ]; then
  test -x /usr/bin/chromium || { echo "install-test-deps.sh: chromium did not install to /usr/bin/chromium" >&2; exit 1; }
  test -x /usr/bin/redis-server || { echo "install-test-deps.sh: redis-server did not install to /usr/bin/redis-server" >&2; exit 1; }
fi
