#!/usr/bin/env bash
# ensure-deps.sh installs what `make run` and `make test` need beyond Go:
# the PostgreSQL server binaries (initdb, postgres), Prometheus (its
# server and promtool check the alerting rules and dashboards in the
# tests), and Chromium with a Chinese font (the browser tests walk the
# console and the customer pages in both languages). On Debian/Ubuntu as
# root it installs them with apt-get; otherwise it says how, in one line.
set -euo pipefail

have_pg() {
  if command -v initdb >/dev/null 2>&1 && command -v postgres >/dev/null 2>&1; then return 0; fi
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && [ -x "$d/postgres" ] && return 0
  done
  return 1
}

if ! have_pg; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-deps: installing PostgreSQL server binaries (apt-get install -y postgresql)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "ensure-deps: PostgreSQL binaries (initdb, postgres) not found: install them with 'sudo apt-get install -y postgresql', or set DATABASE_URL" >&2
    exit 1
  fi
fi
if ! command -v prometheus >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-deps: installing Prometheus and promtool (apt-get install -y prometheus)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  else
    echo "ensure-deps: prometheus and promtool not found: install them with 'sudo apt-get install -y prometheus'" >&2
    exit 1
  fi
fi
if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure-deps: installing Chromium and a CJK font (apt-get install -y chromium fonts-noto-cjk)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null
  else
    echo "ensure-deps: chromium or a CJK font not found: install them with 'sudo apt-get install -y chromium fonts-noto-cjk'" >&2
    exit 1
  fi
fi
if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
  echo "ensure-deps: running as root needs the 'postgres' system user; installing the postgresql package creates it" >&2
  exit 1
fi
