#!/bin/bash
# The lab half of the host-driven panel runs (bench/click-to-kernel.mjs,
# e2e/lab/): builds lab/scenarios/panel-topology.sh, enrolls one agent per
# entry of "NS:HOST:TOKEN,..." (the host makes the tokens
# through the panel), writes $SHARE/ready, then serves the host's command
# channel ($SHARE/cmd) until the host writes $SHARE/cmd/stop. The host passes
# the agents in $SHARE/agents (mode 600: the tokens stay out of process
# arguments) or in $LVS_PANEL_AGENTS. Start it with
# lab/control.mjs startLab(), never by hand.
. "$(dirname "$0")/../scenarios/lib.sh"
. "$(dirname "$0")/../scenarios/panel-topology.sh"
need_agent
SHARE=${LVSLAB_SHARE:-/share}
[ -z "${LVS_PANEL_AGENTS+set}" ] && [ -f "$SHARE/agents" ] && LVS_PANEL_AGENTS=$(cat "$SHARE/agents")
if [ -z "${LVSLAB_PANEL_URL:-}" ] || [ -z "${LVS_PANEL_AGENTS+set}" ]; then
  echo "needs lab.sh --panel-port and \$SHARE/agents: start it through lab/control.mjs" >&2
  exit 3
fi

say "topology + relay to $LVSLAB_PANEL_URL"
panel_topology
IFS=, read -ra entries <<< "$LVS_PANEL_AGENTS"   # may be empty: the host enrolls later (lab.enroll)
for e in "${entries[@]+"${entries[@]}"}"; do
  IFS=: read -r ns host token <<< "$e"
  check "enroll $host in namespace $ns and start its agent" panel_agent "$ns" "$host" "$token"
done
if [ "$FAILS" = 0 ]; then echo ready > "$SHARE/ready"; else echo failed > "$SHARE/ready"; fi
say "serving the host's commands"
serve_commands "$SHARE/cmd"
say "stop requested"
finish
