#!/bin/sh
# Creates Temporal's two databases on the PostgreSQL service (first run)
# and applies every schema version (each run: upgrades are idempotent).
# Runs in the temporalio/admin-tools image.
set -eu
tool() { temporal-sql-tool --plugin postgres12 --ep postgresql -p 5432 -u "$POSTGRES_USER" --pw "$POSTGRES_PWD" "$@"; }
until nc -z postgresql 5432; do echo "waiting for postgresql"; sleep 1; done
for db in temporal temporal_visibility; do
  tool --db "$db" create || true
  tool --db "$db" setup-schema -v 0.0 || true
done
tool --db temporal update-schema -d /etc/temporal/schema/postgresql/v12/temporal/versioned
tool --db temporal_visibility update-schema -d /etc/temporal/schema/postgresql/v12/visibility/versioned
echo "Temporal schema ready"
