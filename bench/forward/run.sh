#!/usr/bin/env bash
# Forwarding bench bed: three namespaces joined by veth pairs,
#
#   gen (g0 198.18.1.1) <-> (d0 198.18.1.2) dir (d1 198.18.2.1) <-> (s0 198.18.2.2) sink
#
# trafgen in gen sends 64-byte UDP frames (60 bytes + FCS) from random source
# ports at the director; we count what reaches the sink (s0 rx_packets) over
# a fixed window. Scenarios: the kernel routing, the kernel doing nftables
# DNAT, and ring_echo (our AF_PACKET rings, no forwarding logic) in several
# configurations. The sink drops IPv4 at its ingress hook so its own stack
# costs nothing. Addresses are 198.18.0.0/15 only and exist only inside the
# namespaces, which are removed on exit, failure or interrupt.
#
# usage: bench/forward/run.sh [--seconds N] [--repeat K] [--gen-cpus C]
#            [--report FILE] [--ring-echo PATH] [--only SCENARIO[,SCENARIO...]]
# Scenarios: kernel-route kernel-dnat echo-ring-1 echo-mmsg-1
#            echo-ring-bypass-1 echo-ring-2 director-dr director-nat
# (TANDEM_DIRECTOR names the tandem-director binary; tandemctl beside it.)
# Needs root, trafgen (netsniff-ng), nft, ip, python3. Takes about
# 6 x K x (N + 4) s; every process it starts has a time limit.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
seconds=5
warmup=1
repeat=1
gen_cpus=1
report=forward-report.md
ring_echo=${RING_ECHO:-$repo/build/bin/ring_echo}
director=${TANDEM_DIRECTOR:-$repo/build/bin/tandem-director}
only=""
prefix=${TANDEM_BENCH_PREFIX:-tfwd}
cmdline="$0 $*"

while [ $# -gt 0 ]; do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --gen-cpus) gen_cpus=$2; shift 2 ;;
    --report) report=$2; shift 2 ;;
    --ring-echo) ring_echo=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "run.sh: needs root (namespaces)" >&2; exit 1; }
[[ $seconds =~ ^[0-9]+$ ]] && [ "$seconds" -ge 1 ] && [ "$seconds" -le 120 ] \
  || { echo "run.sh: --seconds must be 1..120" >&2; exit 2; }
[[ $repeat =~ ^[0-9]+$ ]] && [ "$repeat" -ge 1 ] && [ "$repeat" -le 10 ] \
  || { echo "run.sh: --repeat must be 1..10" >&2; exit 2; }
[[ $gen_cpus =~ ^[0-9]+$ ]] && [ "$gen_cpus" -ge 1 ] && [ "$gen_cpus" -le "$(nproc)" ] \
  || { echo "run.sh: --gen-cpus must be 1..$(nproc)" >&2; exit 2; }
for tool in trafgen nft ip python3; do
  command -v $tool >/dev/null || { echo "run.sh: $tool not found" >&2; exit 1; }
done

gen=$prefix-gen dir=$prefix-dir sink=$prefix-sink
work=$(mktemp -d)
remove_namespaces() { for ns in $gen $dir $sink; do ip netns del $ns 2>/dev/null || true; done; }
cleanup() {
  # Processes first (they hold sockets in the namespaces), then the namespaces.
  for ns in $gen $dir $sink; do
    ip netns pids $ns 2>/dev/null | xargs -r kill 2>/dev/null || true
  done
  sleep 0.2
  remove_namespaces
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
counter() { nsx "$1" cat "/sys/class/net/$2/statistics/$3"; }
mac_of() { nsx "$1" cat "/sys/class/net/$2/address"; }

build_bed() {
  remove_namespaces
  for ns in $gen $dir $sink; do
    ip netns add $ns
    nsx $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    nsx $ns ip link set lo up
  done
  ip -n $gen link add name g0 type veth peer name d0
  ip -n $gen link set d0 netns $dir
  ip -n $dir link add name d1 type veth peer name s0
  ip -n $dir link set s0 netns $sink
  ip -n $gen addr add 198.18.1.1/24 dev g0
  ip -n $dir addr add 198.18.1.2/24 dev d0
  ip -n $dir addr add 198.18.1.100/32 dev lo
  ip -n $dir addr add 198.18.2.1/24 dev d1
  ip -n $sink addr add 198.18.2.2/24 dev s0
  ip -n $gen link set g0 up
  ip -n $dir link set d0 up
  ip -n $dir link set d1 up
  ip -n $sink link set s0 up
  ip -n $sink route add default via 198.18.2.1
  nsx $dir sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
  d0_mac=$(mac_of $dir d0)
  d1_mac=$(mac_of $dir d1)
  s0_mac=$(mac_of $sink s0)
  g0_mac=$(mac_of $gen g0)
  # No ARP on the measured path.
  ip -n $dir neigh replace 198.18.2.2 lladdr "$s0_mac" dev d1 nud permanent
  nsx $sink nft -f - <<NFT
table netdev sink {
  chain in { type filter hook ingress device s0 priority 0; policy accept; ether type ip drop; }
}
NFT
}

# trafgen config: 14 Ethernet + 20 IPv4 + 8 UDP + 18 bytes = 60 (+4 FCS = 64).
write_trafgen_conf() {  # dst_ip
  cat > "$work/udp.cfg" <<CFG
{
  eth(da=$d0_mac, sa=$g0_mac),
  ipv4(sa=198.18.1.1, da=$1, ttl=64),
  udp(sp=drnd(), dp=9),
  fill(0x5a, 18)
}
CFG
}

results=()
# measure NAME DESCRIPTION: trafgen for warmup+seconds, sink delta over the window.
measure() {
  local name=$1 desc=$2
  local gen_cmd=(trafgen --dev g0 --conf "$work/udp.cfg" --cpus "$gen_cpus" --no-sock-mem
                 --notouch-irq -C)
  nsx $gen timeout -s INT $((warmup + seconds + 1)) "${gen_cmd[@]}" \
    >"$work/trafgen-$name.log" 2>&1 &
  local tg=$!
  sleep "$warmup"
  local s0 g0 dd0 t0 s1 g1 dd1 t1 load
  s0=$(counter $sink s0 rx_packets); g0=$(counter $gen g0 tx_packets)
  dd0=$(counter $dir d0 rx_dropped); t0=$(date +%s.%N)
  sleep "$seconds"
  s1=$(counter $sink s0 rx_packets); g1=$(counter $gen g0 tx_packets)
  dd1=$(counter $dir d0 rx_dropped); t1=$(date +%s.%N)
  load=$(cut -d' ' -f1 /proc/loadavg)
  wait $tg || true
  local line
  line=$(python3 - "$name" "$desc" "$s0" "$s1" "$g0" "$g1" "$dd0" "$dd1" "$t0" "$t1" "$load" <<'PY'
import sys
name, desc = sys.argv[1], sys.argv[2]
s0, s1, g0, g1, d0, d1 = (int(x) for x in sys.argv[3:9])
el = float(sys.argv[10]) - float(sys.argv[9])
sink, offered = (s1 - s0) / el, (g1 - g0) / el
pct = 100.0 * sink / offered if offered else 0.0
print("| %s | %s | %.0f | %.0f | %.1f | %d | %s |" % (name, desc, sink, offered, pct, d1 - d0, sys.argv[11]))
PY
)
  results+=("$line")
  echo "$line"
}

echo_counters=()
run_ring_echo() {  # NAME DESC ARGS...
  local name=$1 desc=$2; shift 2
  nsx $dir "$ring_echo" --in d0 --out d1 --dst-mac "$s0_mac" --src-mac "$d1_mac" \
    --seconds $((warmup + seconds + 3)) "$@" >"$work/echo-$name.json" 2>"$work/echo-$name.log" &
  local pid=$!
  sleep 1
  if ! kill -0 $pid 2>/dev/null; then
    echo "ring_echo failed: $(cat "$work/echo-$name.log")" >&2
    results+=("| $name | $desc | failed to start | | | | |")
    return
  fi
  measure "$name" "$desc"
  wait $pid || true
  echo "  ring_echo counters: $(cat "$work/echo-$name.json")"
  echo_counters+=("- $name: \`$(cat "$work/echo-$name.json")\`")
}

want() { [ -z "$only" ] || [[ ",$only," == *",$1,"* ]]; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
build_bed

if want kernel-route; then
  nsx $dir sysctl -qw net.ipv4.ip_forward=1
  write_trafgen_conf 198.18.2.2
  for _ in $(seq "$repeat"); do
    measure kernel-route "kernel IPv4 forwarding (ip_forward=1)"
  done
  nsx $dir sysctl -qw net.ipv4.ip_forward=0
fi

if want kernel-dnat; then
  nsx $dir sysctl -qw net.ipv4.ip_forward=1
  nsx $dir nft -f - <<'NFT'
table ip bench_nat {
  chain pre { type nat hook prerouting priority -100; ip daddr 198.18.1.100 udp dport 9 dnat to 198.18.2.2; }
}
NFT
  write_trafgen_conf 198.18.1.100
  for _ in $(seq "$repeat"); do
    measure kernel-dnat "kernel nftables DNAT 198.18.1.100 -> 198.18.2.2 (conntrack)"
  done
  nsx $dir nft delete table ip bench_nat
  nsx $dir sysctl -qw net.ipv4.ip_forward=0
fi

if [ -x "$ring_echo" ]; then
  # The director's own stack must not also handle what the ring forwards:
  # drop IPv4 at d0's ingress hook, which runs after the AF_PACKET taps.
  nsx $dir nft -f - <<'NFT'
table netdev ringbench {
  chain in { type filter hook ingress device d0 priority 0; policy accept; ether type ip drop; }
}
NFT
  write_trafgen_conf 198.18.2.2
  for _ in $(seq "$repeat"); do
    if want echo-ring-1; then
      run_ring_echo echo-ring-1 "ring_echo, 1 worker, TX ring" --workers 1 --tx ring
    fi
    if want echo-mmsg-1; then
      run_ring_echo echo-mmsg-1 "ring_echo, 1 worker, sendmmsg" --workers 1 --tx sendmmsg
    fi
    if want echo-ring-bypass-1; then
      run_ring_echo echo-ring-bypass-1 "ring_echo, 1 worker, TX ring, qdisc bypass" \
        --workers 1 --tx ring --qdisc-bypass
    fi
    if want echo-ring-2; then
      run_ring_echo echo-ring-2 "ring_echo, 2 workers (fanout hash), TX ring" \
        --workers 2 --fanout hash --tx ring
    fi
  done
  nsx $dir nft delete table netdev ringbench
else
  echo "run.sh: $ring_echo not built; ring_echo scenarios skipped" >&2
  results+=("| ring_echo | not built ($ring_echo) | | | | | |")
fi

# ---------------------------------------------------------------------------
# tandem-director (DR and NAT): VIP 198.18.1.100:9/udp, one real server
# 198.18.2.2 (the sink). The director installs its own nftables guard, so
# its stack drops the VIP traffic it forwards; one worker (the CPUs are
# shared with trafgen). Each datagram comes from a new source port, so every
# one creates a connection: the UDP timeout is short to keep the table from
# filling during the window.
director_counters=()
run_director() {  # NAME DESC METHOD
  local name=$1 desc=$2 method=$3 rd="$work/director-$1"
  mkdir -p "$rd"
  cat >"$rd/tandem.yaml" <<YAML
global:
  max_connections: 1048576
  udp_timeout: 2s
interfaces:
  outside: { device: d0, role: outside }
  inside: { device: d1, role: inside }
services:
  - name: bench
    protocol: udp
    address: 198.18.1.100
    port: 9
    forwarding: $method
    scheduler: rr
    real_servers:
      - { name: sink, address: 198.18.2.2, port: 9 }
YAML
  nsx $dir env TANDEM_DIRECTOR_WORKERS=1 timeout -s TERM $((warmup + seconds + 20)) \
    "$director" --foreground --config "$rd/tandem.yaml" --run-dir "$rd/run" \
    >"$rd/director.log" 2>&1 &
  local pid=$!
  local i
  for i in $(seq 50); do [ -S "$rd/run/director.sock" ] && break; sleep 0.1; done
  if ! kill -0 $pid 2>/dev/null || [ ! -S "$rd/run/director.sock" ]; then
    echo "tandem-director failed: $(tail -5 "$rd/director.log")" >&2
    results+=("| $name | $desc | failed to start | | | | |")
    return
  fi
  sleep 1  # neighbour table and guard
  measure "$name" "$desc"
  local ctl; ctl="$(dirname "$director")/tandemctl"
  if [ -x "$ctl" ]; then
    local st
    st=$("$ctl" --run-dir "$rd/run" --json status director 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)["daemons"][0]["status"]["detail"]
w = d["workers"][0]
print(json.dumps({"forwarded_in": d["forwarded"]["in"], "kernel_drops": w["kernel_drops"],
                  "tx_full": w["tx_full"], "tx_errors": w["tx_errors"],
                  "table_full": d["core"]["table_full"], "connections": d["table"]["connections"],
                  "bytes_per_entry_at_max": d["table"]["bytes_per_entry_at_max"]}))' || true)
    echo "  director counters: $st"
    director_counters+=("- $name: \`$st\`")
  fi
  # $pid is the background subshell; the daemon's own pid is in its pid file.
  local dpid; dpid=$(cat "$rd/run/director.pid" 2>/dev/null || true)
  [ -n "$dpid" ] && kill -TERM "$dpid" 2>/dev/null || true
  wait $pid || true
}
if [ -x "$director" ]; then
  write_trafgen_conf 198.18.1.100
  for _ in $(seq "$repeat"); do
    if want director-dr; then
      # DR: the sink takes the VIP as its own (it drops IPv4 at ingress anyway).
      ip -n $sink addr add 198.18.1.100/32 dev lo 2>/dev/null || true
      run_director director-dr "tandem-director DR, 1 worker" dr
    fi
    if want director-nat; then
      run_director director-nat "tandem-director NAT, 1 worker" nat
    fi
  done
else
  results+=("| director | not built ($director) | | | | | |")
fi
# ---------------------------------------------------------------------------

{
  echo "# Forwarding bench ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
  echo
  echo "Command: \`$cmdline\`"
  echo
  echo "Host: kernel $(uname -r), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')),"
  echo "trafgen $(trafgen -v 2>/dev/null | head -1 | awk '{print $2}'), $gen_cpus trafgen process(es), 60-byte frames (64 with FCS),"
  echo "UDP from random source ports; window ${seconds} s after ${warmup} s warm-up; each scenario $repeat time(s)."
  echo "Load average before: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "| scenario | what | sink pps | offered pps (gen tx) | delivered % | d0 rx_dropped | load |"
  echo "|---|---|---|---|---|---|---|"
  for r in "${results[@]}"; do echo "$r"; done
  echo
  if [ ${#echo_counters[@]} -gt 0 ]; then
    echo "ring_echo counters (whole run, warm-up included; cpu_ns_per_frame is the"
    echo "ring_echo process's own CPU time per frame, not the generator's):"
    echo
    for c in "${echo_counters[@]}"; do echo "$c"; done
    echo
  fi
  if [ ${#director_counters[@]} -gt 0 ]; then
    echo "tandem-director status at the end of each run (whole run, warm-up included):"
    echo
    for c in "${director_counters[@]}"; do echo "$c"; done
    echo
  fi
  echo "Generator, director and sink share the same $(nproc) CPUs, and veth delivers"
  echo "in the sender's context: the numbers compare paths on this host, they are"
  echo "not NIC line rates. When delivered % is ~100 the generator, not the"
  echo "director, set the rate."
} > "$report"
echo "report written to $report"
