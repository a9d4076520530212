#!/usr/bin/env bash
# Installs and starts the panel on its embedded database (SQLite file in ./data,
# no database server needed). Set DATABASE_URL=postgresql://… to use PostgreSQL.
#   PORT (default 3000), HOST (default 127.0.0.1) choose where it listens.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1 NODE_ENV=production
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 20 ]; then
  echo "lvs-control needs Node.js >= 20 (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run -s db:generate
if [ "${SKIP_BUILD:-0}" != 1 ] || [ ! -f .next/BUILD_ID ]; then
  npx next build
fi
npm run -s agent:build
exec npx tsx server/main.ts
