/**
 * What a host needs to install the agent: the bundle and a POSIX sh installer.
 *
 * Installer (run as root: `curl -fsSL PANEL/api/agent/install.sh | sudo sh -s -- --panel PANEL --token lvse_…`):
 *   1. checks node ≥ 20;
 *   2. downloads PANEL/api/agent/lvs-agent.cjs to /usr/local/lib/lvs-agent/ and
 *      links /usr/local/bin/lvs-agent;
 *   3. runs `lvs-agent enroll --panel PANEL --token T` (writes the credential, mode 0600);
 *   4. with systemd: installs and starts lvs-agent.service (`lvs-agent run`);
 *      without: prints how to start it.
 */
import fs from "node:fs";
import path from "node:path";

export function agentBundlePath(): string {
  return path.join(process.env.LVS_AGENT_DIST ?? path.join(process.cwd(), "agent", "dist"), "lvs-agent.cjs");
}

export function readAgentBundle(): Buffer | null {
  try {
    return fs.readFileSync(agentBundlePath());
  } catch {
    return null;
  }
}

export const INSTALL_SCRIPT = `#!/bin/sh
# lvs-control agent installer (served by the panel at /api/agent/install.sh).
# usage: sh install.sh --panel URL --token lvse_... [--hostname NAME]
set -eu

PANEL=""
TOKEN=""
HOSTNAME_ARG=""
LIB_DIR=/usr/local/lib/lvs-agent
BIN=/usr/local/bin/lvs-agent

die() { echo "lvs-agent install: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --panel) PANEL="\${2:-}"; shift 2 ;;
    --token) TOKEN="\${2:-}"; shift 2 ;;
    --hostname) HOSTNAME_ARG="\${2:-}"; shift 2 ;;
    *) die "unknown argument: $1" ;;
  esac
done
[ -n "$PANEL" ] || die "--panel URL is required"
[ -n "$TOKEN" ] || die "--token is required (an admin gets it from Hosts → Enroll agent)"
PANEL="\${PANEL%/}"
[ "$(id -u)" = "0" ] || die "run as root (the agent manages IPVS, addresses and sysctls)"

command -v node >/dev/null 2>&1 || die "node is not installed; install Node.js 20 or newer first"
NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
[ "$NODE_MAJOR" -ge 20 ] 2>/dev/null || die "node $(node -v 2>/dev/null) is too old; Node.js 20 or newer is required"

fetch() {
  if command -v curl >/dev/null 2>&1; then curl -fsSL "$1" -o "$2"
  elif command -v wget >/dev/null 2>&1; then wget -q -O "$2" "$1"
  else die "neither curl nor wget is installed"; fi
}

mkdir -p "$LIB_DIR"
TMP="$LIB_DIR/lvs-agent.cjs.tmp.$$"
fetch "$PANEL/api/agent/lvs-agent.cjs" "$TMP" || { rm -f "$TMP"; die "could not download the agent from $PANEL/api/agent/lvs-agent.cjs"; }
chmod 0755 "$TMP"
mv -f "$TMP" "$LIB_DIR/lvs-agent.cjs"
NODE_BIN="$(command -v node)"
cat > "$BIN" <<EOF_WRAPPER
#!/bin/sh
exec "$NODE_BIN" "$LIB_DIR/lvs-agent.cjs" "\\$@"
EOF_WRAPPER
chmod 0755 "$BIN"
echo "installed $LIB_DIR/lvs-agent.cjs and $BIN"

if [ -n "$HOSTNAME_ARG" ]; then
  "$BIN" enroll --panel "$PANEL" --token "$TOKEN" --hostname "$HOSTNAME_ARG"
else
  "$BIN" enroll --panel "$PANEL" --token "$TOKEN"
fi

if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  cat > /etc/systemd/system/lvs-agent.service <<EOF_UNIT
[Unit]
Description=lvs-control agent (IPVS reconciler)
Wants=network-online.target
After=network-online.target

[Service]
ExecStart=$BIN run
Restart=always
RestartSec=2
# Stopping the agent never changes the kernel: IPVS keeps forwarding.
KillMode=process

[Install]
WantedBy=multi-user.target
EOF_UNIT
  systemctl daemon-reload
  systemctl enable lvs-agent.service >/dev/null 2>&1 || true
  systemctl restart lvs-agent.service
  echo "lvs-agent.service started (journalctl -u lvs-agent -f)"
else
  echo "no systemd: start the agent with: $BIN run"
fi
`;
