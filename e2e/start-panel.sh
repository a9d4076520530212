#!/usr/bin/env bash
# Starts the built panel for the browser tests on a fresh SQLite database.
#
# The panel runs from a snapshot of the build (.tmp/e2e-app: a copy of .next
# without caches, everything else symlinked to the checkout), so a `next build`
# started in the same checkout during the run cannot swap pages and chunks
# under the running tests. The snapshot is taken when no build is writing.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dir=${E2E_DB_DIR:-.tmp/e2e}
app=${E2E_APP_DIR:-.tmp/e2e-app}

if command -v pgrep >/dev/null; then
  for _ in $(seq 1 240); do
    pgrep -f "next-build|next build" >/dev/null || break
    sleep 1
  done
fi
if [ ! -f .next/BUILD_ID ]; then
  echo "No production build in .next: run 'npm run db:generate && npx next build' first" >&2
  exit 1
fi

rm -rf "$app"; mkdir -p "$app/.next"
for entry in * .[!.]*; do
  case "$entry" in .next | .tmp | .git | test-results | playwright-report | package-lock.json) ;; *) ln -s "$root/$entry" "$app/$entry" ;; esac
done
for entry in .next/* ; do
  case "$entry" in .next/cache | .next/dev) ;; *) cp -a "$entry" "$app/.next/" ;; esac
done

# PANEL_DATABASE_URL: serve an existing database instead (bench/panel-page.ts).
if [ -n "${PANEL_DATABASE_URL:-}" ]; then
  export DATABASE_URL=$PANEL_DATABASE_URL
else
  rm -rf "$dir"; mkdir -p "$dir"
  export DATABASE_URL="file:$root/$dir/panel.db"
fi
export NODE_ENV=production NEXT_TELEMETRY_DISABLED=1
cd "$app"
exec npx tsx server/main.ts
