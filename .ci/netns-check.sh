#!/usr/bin/env bash
# The runtime across hosts (issue 17): a 16-node ring with every node in its own network namespace, one veth
# pair per namespace on a bridge (addresses of this script's own namespaces only: 10.77.0.0/24), the runtime's
# emulated latency on every link. Checks, through the processes engine with --hosts:
#   token    rotates and every node ticks;
#   broadcast reaches every node;
#   recover  after a SIGKILL of a node inside its namespace reports one token after the repair.
# Needs root (ip netns, veth, bridge). Usage: .ci/netns-check.sh [N]   (N nodes, default 16)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-16}"
log() { echo "== netns: $*" >&2; }

if [[ "$(id -u)" != 0 ]]; then
  log "needs root (network namespaces); skipped"
  exit 0
fi
command -v ip >/dev/null || { log "iproute2 (ip) is missing: apt-get install iproute2"; exit 1; }

tag="rl$$"          # namespaces rl<pid>-<i>, bridge rl<pid>br: nothing of anybody else's is touched
br="${tag}br"
work="$(mktemp -d)"
cleanup() {
  for ((i = 0; i < n; i++)); do ip netns del "$tag-$i" 2>/dev/null || true; done
  ip link del "$br" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

if ip -br addr | grep -q '10\.77\.0\.'; then
  log "10.77.0.0/24 is already in use on this machine; pick another subnet in this script"; exit 1
fi

log "creating $n namespaces on bridge $br (10.77.0.0/24)"
ip link add "$br" type bridge
ip addr add 10.77.0.254/24 dev "$br"
ip link set "$br" up
hosts="$work/hosts.json"
{
  echo '{"nodes":['
  for ((i = 0; i < n; i++)); do
    ns="$tag-$i"
    ip netns add "$ns"
    ip link add "${tag}v$i" type veth peer name eth0 netns "$ns"
    ip link set "${tag}v$i" master "$br" up
    ip -n "$ns" addr add "10.77.0.$((i + 1))/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    sep=","; (( i == n - 1 )) && sep=""
    echo "  {\"host\":\"10.77.0.$((i + 1))\",\"port\":7000,\"admin_port\":7001,\"exec\":[\"ip\",\"netns\",\"exec\",\"$ns\"]}$sep"
  done
  echo ']}'
} > "$hosts"
# One probe across the bridge before the JVMs (a TCP connect from namespace 0 to a listener in the last one):
# a broken setup fails here with a clear line.
ip netns exec "$tag-$((n - 1))" /usr/bin/python3 -c \
  'import socket,sys; s=socket.socket(); s.bind((sys.argv[1],7999)); s.listen(1); s.settimeout(10); s.accept()' \
  "10.77.0.$n" & probe=$!
sleep 0.5
if ! ip netns exec "$tag-0" /usr/bin/python3 -c 'import socket,sys; socket.create_connection((sys.argv[1],7999),5)' "10.77.0.$n" 2>/dev/null; then
  log "namespace $tag-0 cannot reach 10.77.0.$n:7999 across bridge $br"; exit 1
fi
wait "$probe" || true

py=/usr/bin/python3
field() { "$py" -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {}, {"d": d}))' "$1"; }

log "token: $n nodes, one per namespace, --latency const:1ms"
t0=$SECONDS
tok="$(./ringlab token --engine processes --hosts "$hosts" -n "$n" --latency const:1ms --rotations 20 --json)"
rot="$(echo "$tok" | field 'd["rotations"]')"
agree="$(echo "$tok" | field 'd["ticks_agree"]')"
p50="$(echo "$tok" | field 'd["hop_ms"]["p50"]')"
log "token: rotations=$rot ticks_agree=$agree hop p50=${p50} ms ($((SECONDS - t0)) s)"
[[ "$rot" == 20 && "$agree" == True ]] || { log "token did not rotate 20 times with agreeing ticks"; echo "$tok" | head -c 2000; exit 1; }

log "broadcast: flood on random-regular:4, 10 broadcasts/s for 2 s"
t0=$SECONDS
bc="$(./ringlab broadcast --engine processes --hosts "$hosts" -n "$n" --topology random-regular:4 --latency const:1ms --rate 10 --duration 2s --json)"
rel="$(echo "$bc" | field 'd["reliability"]')"
log "broadcast: reliability=$rel p50=$(echo "$bc" | field 'd["latency_ms"]["p50"]') ms ($((SECONDS - t0)) s)"
[[ "$rel" == 1.0 ]] || { log "broadcast did not reach every node"; echo "$bc" | head -c 2000; exit 1; }

log "recover: SIGKILL of one node inside its namespace"
t0=$SECONDS
rc="$(./ringlab recover --engine processes --hosts "$hosts" -n "$n" --latency const:1ms --crash 1 --json)"
tokens="$(echo "$rc" | field 'd["tokens_max_after_repair"]')"
log "recover: detect=$(echo "$rc" | field 'd["detect_ms"]') ms repair=$(echo "$rc" | field 'd["repair_ms"]') ms tokens_max_after_repair=$tokens ($((SECONDS - t0)) s)"
[[ "$tokens" == 1 ]] || { log "recover did not end with one token"; echo "$rc" | head -c 2000; exit 1; }
log "ok"
