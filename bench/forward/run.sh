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
#            [--director-workers W] [--conntable ENTRIES]
# Scenarios: kernel-route kernel-dnat echo-ring-1 echo-mmsg-1
#            echo-ring-bypass-1 echo-ring-2 director-dr director-nat
#            kernel-dnat-newconn director-dr-newconn director-nat-newconn
# The *-newconn scenarios also draw the source ADDRESS at random from
# 198.18.64.0/18, so nearly every datagram is a new connection; they report
# new connections per second (kernel: the DNAT rule's counter, which only
# sees a connection's first packet; director: the service's conns counter)
# and the director's bytes_per_entry_at_max. Both sides expire idle UDP
# after 2 s (nf_conntrack_udp_timeout / global.udp_timeout).
# --director-workers sets tandem-director's global.workers (default 1: the
# CPUs are shared with trafgen). --conntable N also runs
# conntable_bench N (beside the director binary, or CONNTABLE_BENCH) and
# includes its output. The report ends with a summary: per scenario the
# median sink pps over the repeats and its ratio to kernel-dnat and to
# kernel-route.
# (TANDEM_DIRECTOR names the tandem-director binary; tandemctl beside it.)
# Needs root, trafgen (netsniff-ng), nft, ip, python3. Takes about
# 11 x K x (N + 4) s; every process it starts has a time limit.
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
director_workers=1
conntable=""
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
    --director-workers) director_workers=$2; shift 2 ;;
    --conntable) conntable=$2; shift 2 ;;
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
[[ $director_workers =~ ^[0-9]+$ ]] && [ "$director_workers" -ge 1 ] && [ "$director_workers" -le 64 ] \
  || { echo "run.sh: --director-workers must be 1..64" >&2; exit 2; }
[ -z "$conntable" ] || { [[ $conntable =~ ^[0-9]+$ ]] && [ "$conntable" -ge 1 ]; } \
  || { echo "run.sh: --conntable needs a number of entries" >&2; exit 2; }
conntable_bench=${CONNTABLE_BENCH:-$(dirname "$director")/conntable_bench}
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
# With "newconn" the source address is random in 198.18.64.0/18 as well
# (trafgen recomputes the IPv4 checksum of dynamic fields).
write_trafgen_conf() {  # dst_ip [newconn]
  local sa="sa=198.18.1.1"
  [ "${2:-}" = newconn ] && sa="sa=198.18.64.0, sa[2]=drnd(64, 127), sa[3]=drnd()"
  cat > "$work/udp.cfg" <<CFG
{
  eth(da=$d0_mac, sa=$g0_mac),
  ipv4($sa, da=$1, ttl=64),
  udp(sp=drnd(), dp=9),
  fill(0x5a, 18)
}
CFG
}

results=()
# Per measurement "scenario sink_pps new_conn_per_s|-" for the summary.
touch "$work/summary.txt"
# When set, the name of a function printing a cumulative count of new
# connections; measure then reports its rate over the window.
conn_probe=""
# measure NAME DESCRIPTION: trafgen for warmup+seconds, sink delta over the window.
measure() {
  local name=$1 desc=$2
  local gen_cmd=(trafgen --dev g0 --conf "$work/udp.cfg" --cpus "$gen_cpus" --no-sock-mem
                 --notouch-irq -C)
  nsx $gen timeout -s INT $((warmup + seconds + 1)) "${gen_cmd[@]}" \
    >"$work/trafgen-$name.log" 2>&1 &
  local tg=$!
  sleep "$warmup"
  local s0 g0 dd0 t0 s1 g1 dd1 t1 load c0=- c1=-
  s0=$(counter $sink s0 rx_packets); g0=$(counter $gen g0 tx_packets)
  dd0=$(counter $dir d0 rx_dropped); t0=$(date +%s.%N)
  [ -n "$conn_probe" ] && c0=$($conn_probe || echo -)
  sleep "$seconds"
  s1=$(counter $sink s0 rx_packets); g1=$(counter $gen g0 tx_packets)
  dd1=$(counter $dir d0 rx_dropped); t1=$(date +%s.%N)
  [ -n "$conn_probe" ] && c1=$($conn_probe || echo -)
  load=$(cut -d' ' -f1 /proc/loadavg)
  wait $tg || true
  local line
  line=$(python3 - "$name" "$desc" "$s0" "$s1" "$g0" "$g1" "$dd0" "$dd1" "$t0" "$t1" "$load" \
           "$c0" "$c1" "$work/summary.txt" <<'PY'
import sys
name, desc = sys.argv[1], sys.argv[2]
s0, s1, g0, g1, d0, d1 = (int(x) for x in sys.argv[3:9])
el = float(sys.argv[10]) - float(sys.argv[9])
sink, offered = (s1 - s0) / el, (g1 - g0) / el
pct = 100.0 * sink / offered if offered else 0.0
try:
    conns = "%.0f" % ((int(sys.argv[13]) - int(sys.argv[12])) / el)
except ValueError:
    conns = "-" if sys.argv[12] == "-" else "probe failed"
print("| %s | %s | %.0f | %.0f | %.1f | %d | %s | %s |"
      % (name, desc, sink, offered, pct, d1 - d0, conns, sys.argv[11]))
with open(sys.argv[14], "a") as f:
    f.write("%s %.0f %s\n" % (name, sink, conns if conns[0].isdigit() else "-"))
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
    results+=("| $name | $desc | failed to start | | | | | |")
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

# The nat hook sees only the first packet of a connection, so the DNAT
# rule's counter counts new conntrack entries.
dnat_new() {
  nsx $dir nft list table ip bench_nat | sed -n 's/.*counter packets \([0-9]*\).*/\1/p' | head -1
}
if want kernel-dnat-newconn; then
  nsx $dir sysctl -qw net.ipv4.ip_forward=1
  nsx $dir nft -f - <<'NFT'
table ip bench_nat {
  chain pre { type nat hook prerouting priority -100; ip daddr 198.18.1.100 udp dport 9 counter dnat to 198.18.2.2; }
}
NFT
  # After the table: conntrack's sysctls exist in a namespace once it is in use.
  udp_to_before=$(nsx $dir sysctl -n net.netfilter.nf_conntrack_udp_timeout 2>/dev/null || echo "")
  nsx $dir sysctl -qw net.netfilter.nf_conntrack_udp_timeout=2 2>/dev/null || true
  udp_to=$(nsx $dir sysctl -n net.netfilter.nf_conntrack_udp_timeout 2>/dev/null || echo "?")
  write_trafgen_conf 198.18.1.100 newconn
  conn_probe=dnat_new
  for _ in $(seq "$repeat"); do
    measure kernel-dnat-newconn "kernel nftables DNAT, random source address+port (new conntrack entries)"
  done
  conn_probe=""
  ct_max=$(nsx $dir sysctl -n net.netfilter.nf_conntrack_max 2>/dev/null || echo "?")
  ct_count=$(nsx $dir sysctl -n net.netfilter.nf_conntrack_count 2>/dev/null || echo "?")
  kernel_ct="nf_conntrack_max $ct_max, entries at the end $ct_count, nf_conntrack_udp_timeout $udp_to s"
  nsx $dir nft delete table ip bench_nat
  [ -n "$udp_to_before" ] && nsx $dir sysctl -qw net.netfilter.nf_conntrack_udp_timeout="$udp_to_before"
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
  results+=("| ring_echo | not built ($ring_echo) | | | | | | |")
fi

# ---------------------------------------------------------------------------
# tandem-director (DR and NAT): VIP 198.18.1.100:9/udp, one real server
# 198.18.2.2 (the sink). The director installs its own nftables guard, so
# its stack drops the VIP traffic it forwards; --director-workers workers
# (default 1: the CPUs are shared with trafgen). Each datagram comes from a
# new source port, so every one creates a connection: the UDP timeout is
# short to keep the table from filling during the window. The *-newconn runs
# get a table of 4M entries (global.max_connections).
director_counters=()
director_rd=""
director_new() {  # the service's cumulative conns, over the control socket
  python3 - "$director_rd/run/director.sock" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(b'{"id":1,"cmd":"services","args":{}}\n')
buf = b""
while not buf.endswith(b"\n"):
    chunk = s.recv(1 << 20)
    if not chunk:
        break
    buf += chunk
r = json.loads(buf)
r = r.get("result", r)
print(sum(sv["stats"]["conns"] for sv in r["services"]))
PY
}
run_director() {  # NAME DESC METHOD [MAX_CONNECTIONS]
  local name=$1 desc=$2 method=$3 maxc=${4:-1048576} rd="$work/director-$1"
  mkdir -p "$rd"
  cat >"$rd/tandem.yaml" <<YAML
global:
  max_connections: $maxc
  workers: $director_workers
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
  nsx $dir timeout -s TERM $((warmup + seconds + 20)) \
    "$director" --foreground --config "$rd/tandem.yaml" --run-dir "$rd/run" \
    >"$rd/director.log" 2>&1 &
  local pid=$!
  local i
  for i in $(seq 50); do [ -S "$rd/run/director.sock" ] && break; sleep 0.1; done
  if ! kill -0 $pid 2>/dev/null || [ ! -S "$rd/run/director.sock" ]; then
    echo "tandem-director failed: $(tail -5 "$rd/director.log")" >&2
    results+=("| $name | $desc | failed to start | | | | | |")
    return
  fi
  sleep 1  # neighbour table and guard
  director_rd=$rd
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
  # DR: the sink takes the VIP as its own (it drops IPv4 at ingress anyway).
  ip -n $sink addr add 198.18.1.100/32 dev lo 2>/dev/null || true
  write_trafgen_conf 198.18.1.100
  for _ in $(seq "$repeat"); do
    if want director-dr; then
      run_director director-dr "tandem-director DR, $director_workers worker(s)" dr
    fi
    if want director-nat; then
      run_director director-nat "tandem-director NAT, $director_workers worker(s)" nat
    fi
  done
  write_trafgen_conf 198.18.1.100 newconn
  conn_probe=director_new
  for _ in $(seq "$repeat"); do
    if want director-dr-newconn; then
      run_director director-dr-newconn \
        "tandem-director DR, $director_workers worker(s), random source address+port" dr 4194304
    fi
    if want director-nat-newconn; then
      run_director director-nat-newconn \
        "tandem-director NAT, $director_workers worker(s), random source address+port" nat 4194304
    fi
  done
  conn_probe=""
else
  results+=("| director | not built ($director) | | | | | | |")
fi
# ---------------------------------------------------------------------------

conntable_out=""
if [ -n "$conntable" ]; then
  if [ -x "$conntable_bench" ]; then
    conntable_out=$(timeout 600 "$conntable_bench" "$conntable" 2>&1 || echo "(conntable_bench failed)")
    echo "$conntable_out"
  else
    conntable_out="conntable_bench not built ($conntable_bench)"
  fi
fi

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
  echo "| scenario | what | sink pps | offered pps (gen tx) | delivered % | d0 rx_dropped | new conn/s | load |"
  echo "|---|---|---|---|---|---|---|---|"
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
  echo
  if [ -n "${kernel_ct:-}" ]; then
    echo "Kernel conntrack in kernel-dnat-newconn: $kernel_ct."
    echo
  fi
  if [ -n "$conntable_out" ]; then
    echo "Connection table core, \`conntable_bench $conntable\` (one shard, no I/O):"
    echo
    echo '```'
    echo "$conntable_out"
    echo '```'
    echo
  fi
  echo "## Summary"
  echo
  if [ -n "$conntable_out" ]; then
    printf '%s\n' "$conntable_out" | python3 -c '
import re, sys
t = sys.stdin.read()
def num(label):
    m = re.search(re.escape(label) + r"\s+([0-9.]+)", t)
    return float(m.group(1)) if m else None
n, syn, ack = num("entries"), num("new connection (SYN)"), num("existing, random order (ACK)")
bpe, rss = num("bytes/entry at max (report)"), num("RSS growth / entry")
if n and syn:
    print("Connection table core, %d entries (conntable_bench, one shard): %.2fM new conn/s"
          " (%.0f ns/SYN), %s ns/packet for existing entries in random order,"
          " %s B/entry at max (reported), %s B/entry RSS growth." % (
              n, 1000.0 / syn, syn, "%.0f" % ack if ack else "?",
              "%.0f" % bpe if bpe else "?", "%.0f" % rss if rss else "?"))
    print()
'
  fi
  python3 - "$work/summary.txt" <<'PY'
import statistics, sys
rows = {}
order = []
for line in open(sys.argv[1]):
    name, pps, conns = line.split()
    if name not in rows:
        rows[name] = ([], [])
        order.append(name)
    rows[name][0].append(float(pps))
    if conns != "-":
        rows[name][1].append(float(conns))
med = {n: statistics.median(v[0]) for n, v in rows.items()}
cps = {n: statistics.median(v[1]) for n, v in rows.items() if v[1]}
def ratio(a, b):
    return "%.2f" % (a / b) if b else "-"
print("Medians over the repeats; ratios are sink pps over the kernel scenario's,"
      " new conn/s over kernel-dnat-newconn's.")
print()
print("| scenario | runs | median sink pps | vs kernel-dnat | vs kernel-route"
      " | median new conn/s | vs kernel-dnat-newconn |")
print("|---|---|---|---|---|---|---|")
for n in order:
    c = cps.get(n)
    print("| %s | %d | %.0f | %s | %s | %s | %s |" % (
        n, len(rows[n][0]), med[n],
        ratio(med[n], med["kernel-dnat"]) if "kernel-dnat" in med else "-",
        ratio(med[n], med["kernel-route"]) if "kernel-route" in med else "-",
        "%.0f" % c if c is not None else "-",
        ratio(c, cps["kernel-dnat-newconn"]) if c is not None and "kernel-dnat-newconn" in cps
        else "-"))
PY
} > "$report"
echo "report written to $report"
