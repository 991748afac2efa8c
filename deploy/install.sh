#!/usr/bin/env bash
# Installs (or upgrades) MedHelm.OnPrem from this offline bundle. Run as root from the unpacked bundle folder:
#   sudo ./install.sh [--expect-sums SHA256] [--prefix /opt/medhelm] [--data /var/lib/medhelm] [--user medhelm]
#                     [--allow-ip ADDRESS[/PREFIX]]... [--unit-dir /etc/systemd/system] [--no-systemctl] [--no-systemd] [--no-user]
#                     [--no-build-cpu]
# 1. Verifies every file against SHA256SUMS before copying anything: a changed, missing or added file stops the install
#    and is named (--expect-sums: also the SHA-256 of SHA256SUMS itself, as the packager printed it, sent separately).
# 2. Creates the system user (--user), the data folder (0700; database 0600) and installs to --prefix (read-only, root).
# 3. An upgrade (an installation is already at --prefix) stops the service, backs the database up into DATA/backups,
#    keeps a changed appsettings.json (the new one goes beside it as appsettings.json.new), keeps the previous
#    installation as PREFIX.previous, and migrates the database (medhelm audit verify opens, migrates and checks it).
# 4. Writes the hardened systemd unit (--allow-ip: addresses of the configured hosted endpoints), enables and starts it.
# Where cmake and a C++ compiler exist, builds ggml's CPU backend for this machine from the bundled source, twice (about
# 35-90 s of CPU each; kept across upgrades while the machine and version stay): the batch-invariant kernels that
# Determinism BatchInvariant (the default) and Repeatable need for their guarantee, and llama.cpp's standard kernels,
# which Fastest runs faster than on the prebuilt library. --no-build-cpu, or no compiler: the prebuilt library only
# (docs/deployment.md).
# --no-user (run as the calling user), --no-systemd (no unit at all) and --no-systemctl (write the unit, start nothing)
# leave out the root-only steps, for tests and for trying the bundle in a private prefix.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
prefix=/opt/medhelm; data=/var/lib/medhelm; user=medhelm; unit_dir=/etc/systemd/system
expect_sums=""; make_user=1; systemd=1; systemctl_calls=1; allow=(); build_cpu=1
die() { echo "install: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix|--data|--user|--unit-dir|--allow-ip|--expect-sums)
      [ $# -ge 2 ] || die "$1 needs a value"
      case "$1" in
        --prefix) prefix="$2" ;; --data) data="$2" ;; --user) user="$2" ;; --unit-dir) unit_dir="$2" ;;
        --allow-ip) allow+=("$2") ;; --expect-sums) expect_sums="$2" ;;
      esac; shift 2 ;;
    --no-user) make_user=0; shift ;;
    --no-systemd) systemd=0; shift ;;
    --no-systemctl) systemctl_calls=0; shift ;;
    --no-build-cpu) build_cpu=0; shift ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see ./install.sh --help)" ;;
  esac
done
case "$prefix$data" in *[!A-Za-z0-9/._-]*) die "--prefix and --data may hold only letters, digits and / . _ -" ;; esac
case "$prefix" in /*) ;; *) die "--prefix must be an absolute path" ;; esac
case "$data" in /*) ;; *) die "--data must be an absolute path" ;; esac
prefix="${prefix%/}"; data="${data%/}"

# --- 1. verify the bundle --------------------------------------------------------------------------------------------
cd "$here"
[ -f SHA256SUMS ] || die "SHA256SUMS is missing from $here: this is not a complete bundle; nothing was installed."
if [ -n "$expect_sums" ]; then
  actual="$(sha256sum SHA256SUMS | cut -d' ' -f1)"
  [ "$actual" = "$expect_sums" ] || die "SHA256SUMS has SHA-256 $actual, not the $expect_sums given: the bundle is not the one packaged; nothing was installed."
fi
bad=()
while IFS= read -r line; do
  file="${line%%: *}"
  bad+=("$file (${line##*: })")
done < <(sha256sum --check --strict SHA256SUMS 2>/dev/null | grep -v ': OK$' || true)
while IFS= read -r -d '' file; do
  grep -qxF -- "$file" <(cut -c67- SHA256SUMS) || bad+=("$file (not part of the bundle)")
done < <(find . -type f ! -path ./SHA256SUMS -printf '%P\0')
if [ ${#bad[@]} -gt 0 ]; then
  echo "install: the bundle was changed after packaging; nothing was installed. Files that differ from SHA256SUMS:" >&2
  printf '  %s\n' "${bad[@]}" >&2
  exit 1
fi
echo "install: all $(wc -l < SHA256SUMS) files match SHA256SUMS ($(sha256sum SHA256SUMS | cut -d' ' -f1))"

# --- 2. user, prefix, data -------------------------------------------------------------------------------------------
if [ "$make_user" = 1 ] || { [ "$systemd" = 1 ] && [ "$systemctl_calls" = 1 ]; }; then
  [ "$(id -u)" = 0 ] || die "run as root (or pass --no-user --no-systemd to install into a private prefix)"
fi
if [ "$make_user" = 1 ]; then
  if ! id -u "$user" >/dev/null 2>&1; then
    useradd --system --home-dir "$data" --no-create-home --shell /usr/sbin/nologin --user-group "$user"
    echo "install: created the system user $user"
  fi
  group="$(id -gn "$user")"
  as_service() { runuser -u "$user" -- "$@"; }
else
  user="$(id -un)"; group="$(id -gn)"
  as_service() { "$@"; }
fi

upgrade=0
[ -f "$prefix/BUNDLE" ] && upgrade=1
if [ "$upgrade" = 1 ] && [ "$systemd" = 1 ] && [ "$systemctl_calls" = 1 ] && systemctl is-active --quiet medhelm 2>/dev/null; then
  echo "install: stopping medhelm for the upgrade"
  systemctl stop medhelm
fi

umask 022
new="$prefix.new"
rm -rf "$new"; mkdir -p "$new"
cp -a "$here/." "$new/"
rm -f "$new/appsettings.json.new"
# the CPU backends built for this machine: an upgrade keeps those of the installation it replaces (the build script
# skips a folder whose stamp, with the version and this CPU's flags, still matches) and builds what is missing
llama="$new/runtimes/llama"
if [ "$build_cpu" = 1 ] && command -v cmake >/dev/null && command -v c++ >/dev/null && command -v python3 >/dev/null; then
  for built in cpu-invariant cpu-native; do
    if [ -f "$prefix/runtimes/llama/$built/.installed" ]; then cp -a "$prefix/runtimes/llama/$built" "$llama/"; fi
  done
  for kind in --invariant --standard; do
    if ! "$new/scripts/build-cpu-backend.sh" "$kind" >"$new/build-cpu${kind#-}.log" 2>&1; then
      echo "install: warning: building the CPU backend ($kind) failed (its log: $prefix/build-cpu${kind#-}.log); the prebuilt library serves instead" >&2
    fi
  done
  rm -rf "$llama"/build-cpu-*
  echo "install: CPU backends for this machine: $(cd "$llama" && ls -d cpu-invariant cpu-native 2>/dev/null | tr '\n' ' ')"
elif [ "$build_cpu" = 1 ]; then
  echo "install: note: no cmake and C++ compiler here, so the prebuilt llama.cpp CPU library serves every model: Determinism BatchInvariant is then not guaranteed byte-identical across sequence counts (runs say so), and Fastest runs slower than a build for this CPU (docs/deployment.md)" >&2
fi
if [ "$upgrade" = 1 ] && [ -f "$prefix/appsettings.json" ]; then
  installed="$(sha256sum "$prefix/appsettings.json" | cut -d' ' -f1)"
  shipped="$(grep -E '  appsettings\.json$' "$prefix/SHA256SUMS" 2>/dev/null | cut -d' ' -f1 || true)"
  if [ "$installed" != "$shipped" ]; then # changed on site: keep it, offer the new one beside it
    mv "$new/appsettings.json" "$new/appsettings.json.new"
    cp -p "$prefix/appsettings.json" "$new/appsettings.json"
    echo "install: kept the site's appsettings.json; this release's is appsettings.json.new (compare them)"
  fi
fi
cat > "$new/medhelm.env" <<EOF
# Written by install.sh: where this installation keeps its data. Read by the systemd unit and by bin/medhelm.
MEDHELM_HOME=$prefix
MEDHELM__Storage__DataFolder=$data
MEDHELM__LogFile__Folder=$data/logs
MEDHELM__Service__ModelFolder=$data/models
# glibc's malloc on transparent huge pages: llama.cpp's KV cache is cleared at load without a page fault per 4 KiB
GLIBC_TUNABLES=glibc.malloc.hugetlb=1
EOF
mkdir -p "$new/bin"
cat > "$new/bin/medhelm" <<EOF
#!/bin/sh
# medhelm with this installation's settings (medhelm.env). Run it as the service user: sudo -u $user $prefix/bin/medhelm ...
set -a; . "$prefix/medhelm.env"; set +a
exec "$prefix/app/medhelm" "\$@"
EOF
chmod 0755 "$new/bin/medhelm"
chmod -R go-w "$new"
if [ "$(id -u)" = 0 ]; then chown -R 0:0 "$new"; fi

# data: owner-only folders, the database and its WAL files 0600
for folder in "$data" "$data/logs" "$data/models" "$data/backups"; do
  mkdir -p "$folder"; chmod 0700 "$folder"
done
chown "$user:$group" "$data" "$data/logs" "$data/models" "$data/backups"
db="$data/medhelm.db"
backup=""
if [ "$upgrade" = 1 ] && [ -f "$db" ]; then
  backup="$data/backups/medhelm-$(date -u +%Y%m%dT%H%M%SZ).db"
  for suffix in "" -wal -shm; do
    if [ -f "$db$suffix" ]; then cp -p "$db$suffix" "$backup$suffix"; fi
  done
  echo "install: database backed up to $backup (database and WAL files copied together, after stopping the service under systemd)"
fi

# --- 3. swap in the new files, migrate ------------------------------------------------------------------------------
if [ -d "$prefix" ]; then
  rm -rf "$prefix.previous"
  mv "$prefix" "$prefix.previous"
fi
mv "$new" "$prefix"
# `auth list-users` opens the database (creating it on a first install) and applies the new schema migrations; `audit
# verify` then checks the audit chain end to end.
if ! { as_service "$prefix/bin/medhelm" auth list-users && as_service "$prefix/bin/medhelm" audit verify; } >/dev/null 2>"$data/backups/install-check.log"; then
  echo "install: the database check after installing failed (log: $data/backups/install-check.log):" >&2
  cat "$data/backups/install-check.log" >&2
  [ -n "$backup" ] && echo "install: to roll back: mv $prefix.previous $prefix and copy $backup over $db" >&2
  exit 1
fi
for f in "$db" "$db-wal" "$db-shm"; do if [ -f "$f" ]; then chmod 0600 "$f"; fi; done
echo "install: database $db ready (schema migrated, audit chain intact)"

# --- 4. systemd ------------------------------------------------------------------------------------------------------
if [ "$systemd" = 1 ]; then
  ip_allow=""
  for address in "${allow[@]}"; do
    case "$address" in *[!0-9A-Fa-f.:/]*) die "--allow-ip '$address' is not an IP address or prefix (systemd takes no host names)" ;; esac
    ip_allow+="IPAddressAllow=$address"$'\n'
  done
  mkdir -p "$unit_dir"
  sed -e "s|@PREFIX@|$prefix|g" -e "s|@DATA@|$data|g" -e "s|@USER@|$user|g" -e "s|@GROUP@|$group|g" \
    "$prefix/medhelm.service.in" | awk -v allow="$ip_allow" '$0 == "@IP_ALLOW@" { printf "%s", allow; next } { print }' \
    > "$unit_dir/medhelm.service"
  chmod 0644 "$unit_dir/medhelm.service"
  echo "install: wrote $unit_dir/medhelm.service"
  if [ "$systemctl_calls" = 1 ]; then
    systemctl daemon-reload
    systemctl enable medhelm >/dev/null 2>&1
    systemctl restart medhelm
    echo "install: medhelm started (systemctl status medhelm; logs in $data/logs and journalctl -u medhelm)"
  fi
fi

echo "install: MedHelm.OnPrem installed in $prefix ($(sed -n 's/^commit //p' "$prefix/BUNDLE"), data in $data)"
if [ "$upgrade" = 0 ]; then
  run_as=""
  if [ "$make_user" = 1 ]; then run_as="sudo -u $user "; fi
  echo "Next, make the first administrator (asks for the password twice):"
  echo "  ${run_as}$prefix/bin/medhelm auth create-user --name NAME --role admin"
  echo "then sign in at http://127.0.0.1:5180/login (TLS and other settings: $prefix/docs/deployment.md)."
fi
