#!/usr/bin/env bash
# Removes MedHelm.OnPrem installed by install.sh. The data folder (database, logs, backups, models) is kept unless
# --remove-data is given; the system user is kept unless --remove-user is given.
#   sudo /opt/medhelm/uninstall.sh [--prefix /opt/medhelm] [--unit-dir /etc/systemd/system] [--no-systemctl]
#                                  [--remove-data] [--remove-user]
set -euo pipefail
prefix=/opt/medhelm; unit_dir=/etc/systemd/system; systemctl_calls=1; remove_data=0; remove_user=0
die() { echo "uninstall: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || die "--prefix needs a value"; prefix="${2%/}"; shift 2 ;;
    --unit-dir) [ $# -ge 2 ] || die "--unit-dir needs a value"; unit_dir="$2"; shift 2 ;;
    --no-systemctl) systemctl_calls=0; shift ;;
    --remove-data) remove_data=1; shift ;;
    --remove-user) remove_user=1; shift ;;
    -h|--help) sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1'" ;;
  esac
done
[ -f "$prefix/BUNDLE" ] && [ -f "$prefix/medhelm.env" ] || die "$prefix is not a MedHelm.OnPrem installation (no BUNDLE and medhelm.env there)"
data="$(sed -n 's/^MEDHELM__Storage__DataFolder=//p' "$prefix/medhelm.env")"
user="$(sed -n 's/^User=//p' "$unit_dir/medhelm.service" 2>/dev/null || true)"

if [ -f "$unit_dir/medhelm.service" ]; then
  if [ "$systemctl_calls" = 1 ]; then
    systemctl disable --now medhelm >/dev/null 2>&1 || true
  fi
  rm -f "$unit_dir/medhelm.service"
  [ "$systemctl_calls" = 1 ] && systemctl daemon-reload
  echo "uninstall: removed the medhelm unit"
fi
rm -rf "$prefix" "$prefix.previous" "$prefix.new"
echo "uninstall: removed $prefix"
if [ "$remove_data" = 1 ] && [ -n "$data" ]; then
  rm -rf "$data"
  echo "uninstall: removed the data folder $data (database, logs, backups, models)"
else
  echo "uninstall: kept the data folder ${data:-(unknown)}: database, logs, backups and models (remove it with --remove-data)"
fi
if [ "$remove_user" = 1 ] && [ -n "$user" ] && id -u "$user" >/dev/null 2>&1; then
  userdel "$user"
  echo "uninstall: removed the user $user"
fi
