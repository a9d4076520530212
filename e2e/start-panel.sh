#!/usr/bin/env bash
# Starts the built panel for the browser tests on a fresh SQLite database.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${E2E_DB_DIR:-.tmp/e2e}
rm -rf "$dir"; mkdir -p "$dir"
export DATABASE_URL="file:$PWD/$dir/panel.db" NODE_ENV=production NEXT_TELEMETRY_DISABLED=1
exec npx tsx server/main.ts
