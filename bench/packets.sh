#!/usr/bin/env bash
# Packet capture cost, ecap-tls against tcpdump writing a file: two network
# namespaces joined by a veth (198.18.0.1/24 - 198.18.0.2/24), the traffic's
# server in the first (iperf3 for TCP, bench/udp_load.c's receiver for UDP),
# its client in the second, the capture on the server's end of the veth. Per
# round every configuration runs once, the order rotating round by round
# (none tcpdump ecap, tcpdump ecap none, ...), so that drift of this noisy
# machine hits them alike; results are medians over the rounds and ratios
# medians of each round's own ratio.
#
#   flock /tmp/ecap-e2e.lock bench/packets.sh [tcp|udp|all [ROUNDS]]
#
# Settings (environment): ECAP_TLS (the binary), ROUNDS (7, unless given as
# an argument), TCP_SECONDS (5),
# UDP_SECONDS (3), UDP_RATES (offered packets/s, "max" for as fast as the
# sender goes), TCP_SNAPLEN (128), BENCH_OUT (where the section and plots go).
#
# Configurations:
#   none     no capture
#   tcpdump  tcpdump -w FILE (its defaults: 2 MiB buffer, not immediate mode)
#   ecap     ecap-tls --no-tls -w FILE (its defaults: 8 MiB ring): packets
#            only, so that both tools do the same job
source "$(dirname "$(readlink -f "$0")")/lib.sh"
for tool in iperf3 tcpdump capinfos python3 cc; do
	command -v $tool >/dev/null || skip "$tool is not installed (./build.sh bench installs it)"
done

WORKLOAD=${1:-all}
ROUNDS=${2:-${ROUNDS:-7}}
TCP_SECONDS=${TCP_SECONDS:-5}
UDP_SECONDS=${UDP_SECONDS:-3}
UDP_RATES=${UDP_RATES:-50000 100000 200000 400000 max}
UDP_PAYLOAD=64
# TCP bulk on a veth moves tens of Gbit/s in 64 KiB GSO packets: whole packets
# would mean writing gigabytes a second to disk, which measures the disk. Both
# tools keep the first TCP_SNAPLEN bytes; the UDP packets are kept whole.
TCP_SNAPLEN=${TCP_SNAPLEN:-128}
CONFIGS=(none tcpdump ecap)
RESULTS=$WORK/results

UDP_LOAD=$WORK/udp_load
cc -O2 -o "$UDP_LOAD" "$BENCH_DIR/udp_load.c" || fail "cannot build bench/udp_load.c"
UDP_PORT=6000

# Both servers for the whole script: iperf3's for TCP, udp_load's receiver
# (a line of datagrams counted per run) for UDP.
two_hosts
ip netns exec "$NS_A" iperf3 -s -B "$ADDR_A" >"$WORK/iperf3-server.log" 2>&1 </dev/null &
started $!
ip netns exec "$NS_A" taskset -c $SERVER_CPU "$UDP_LOAD" recv "$ADDR_A" $UDP_PORT \
	>"$WORK/udp-received" 2>"$WORK/udp-receiver.err" </dev/null &
started $!
for _ in $(seq 100); do
	ip netns exec "$NS_A" ss -Hltun "( sport = :5201 or sport = :$UDP_PORT )" |
		[ "$(wc -l)" = 2 ] && break
	sleep 0.05
done

# Packets through the server's end of the veth, both directions: what a
# capture there should see. veth counts a received packet once it is queued to
# the receiving CPU, before TC and the packet taps, so drops in front of the
# capture are not in it.
if_packets() {
	ip netns exec "$NS_A" cat /sys/class/net/$IF_A/statistics/rx_packets \
		/sys/class/net/$IF_A/statistics/tx_packets | awk '{s += $1} END {print s}'
}

# Starts CONFIG's capture on the veth for WORKLOAD; sets CAP_PID, CAP_FILE, CAP_LOG.
start_capture() { # CONFIG WORKLOAD
	local snaplen=0
	[ "$2" = tcp ] && snaplen=$TCP_SNAPLEN
	CAP_LOG=$WORK/capture.log
	case $1 in
	tcpdump)
		CAP_FILE=$WORK/capture.pcap
		ip netns exec "$NS_A" tcpdump -n -i "$IF_A" -s $snaplen -w "$CAP_FILE" 2>"$CAP_LOG" &
		;;
	ecap)
		CAP_FILE=$WORK/capture.pcapng
		ip netns exec "$NS_A" "$ECAP_TLS" --no-tls -i "$IF_A" -s $snaplen -w "$CAP_FILE" \
			2>"$CAP_LOG" &
		;;
	esac
	CAP_PID=$!
	started $CAP_PID
	wait_capture_ready "$1" "$CAP_LOG" "$CAP_FILE"
}

# TCP bulk through iperf3; prints "BITS_PER_S - - SECONDS", what its receiver
# got (the packets are not known to iperf3).
run_tcp() {
	ip netns exec "$NS_B" iperf3 -c "$ADDR_A" -J -t "$TCP_SECONDS" >"$WORK/iperf3.json" \
		2>"$WORK/iperf3-client.err" || fail "iperf3 -t $TCP_SECONDS: $(cat "$WORK/iperf3-client.err")"
	python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))["end"]["sum_received"]
print(s["bits_per_second"], "-", "-", s["seconds"])' "$WORK/iperf3.json"
}

# UDP_PAYLOAD-byte datagrams at RATE a second ("max": as fast as the sender
# goes) for UDP_SECONDS, through bench/udp_load.c, its sender and receiver each
# on a CPU of their own; prints "BITS_PER_S RECEIVED_PER_S SENT_PER_S
# SECONDS", per second of sending.
run_udp() { # RATE
	local runs sent seconds
	runs=$(wc -l <"$WORK/udp-received")
	read -r sent seconds < <(ip netns exec "$NS_B" taskset -c $CLIENT_CPU "$UDP_LOAD" send \
		"$ADDR_A" $UDP_PORT "${1/max/0}" "$UDP_SECONDS" $UDP_PAYLOAD 2>"$WORK/udp-sender.err") ||
		fail "udp_load send: $(cat "$WORK/udp-sender.err")"
	[ "$(wc -l <"$WORK/udp-received")" -gt "$runs" ] ||
		fail "udp_load recv counted no run (its end markers were lost?): $(cat "$WORK/udp-receiver.err")"
	awk -v r="$(tail -1 "$WORK/udp-received")" -v s="$sent" -v t="$seconds" -v p=$UDP_PAYLOAD \
		'BEGIN {print r / t * p * 8, r / t, s / t, t}'
}

run_traffic() { # WORKLOAD RATE
	if [ "$1" = tcp ]; then run_tcp; else run_udp "$2"; fi
}

# One run of WORKLOAD at RATE under CONFIG; appends to $RESULTS
#   CONFIG WORKLOAD RATE ROUND BITS/S RECV/S SENT/S SECONDS IF_PACKETS CAPTURED DROPS TOOL_CPU BUSY
# TOOL_CPU: the capture process's own CPU seconds during the traffic;
# BUSY: the whole machine's busy CPU seconds during the traffic.
measure() { # CONFIG WORKLOAD RATE ROUND
	local config=$1 workload=$2 rate=$3 c0=0 c1=0 b0 b1 p0 p1
	local captured=- drops=- numbers
	[ "$config" = none ] || start_capture "$config" "$workload"
	[ "$config" = none ] || c0=$(proc_cpu_seconds $CAP_PID)
	p0=$(if_packets)
	b0=$(machine_cpu_snapshot)
	numbers=$(run_traffic "$workload" "$rate")
	b1=$(machine_cpu_snapshot)
	p1=$(if_packets)
	if [ "$config" != none ]; then
		# The capture's last packets come out after the traffic: count its CPU
		# then, just before it stops. tcpdump (libpcap's TPACKET_V3) gets a
		# block of packets when it is full or 1 s after it began, and drops
		# the unfinished one when stopped: 0.3 s after 600000 datagrams its
		# file lacked 295-665 of them, 1.5 s after none.
		sleep 1.2
		c1=$(proc_cpu_seconds $CAP_PID)
		stop_pid $CAP_PID TERM || fail "$config failed: $(cat "$CAP_LOG")"
		captured=$(file_packets "$CAP_FILE")
		drops=$(capture_drops "$config" "$CAP_LOG" "$CAP_FILE")
		rm -f "$CAP_FILE"
	fi
	echo "$config $workload $rate $4 $numbers $((p1 - p0)) $captured ${drops:--}" \
		"$(awk -v a="$c0" -v b="$c1" 'BEGIN {printf "%.3f", b - a}')" \
		"$(machine_busy_between "$b0" "$b1")" >>"$RESULTS"
	tail -1 "$RESULTS" | awk '{printf "%-8s %s %-7s round %s: %.2f Gbit/s, %s packets on the veth, %s captured, %s dropped, tool %s s, machine %s s\n",
		$1, $2, $3, $4, $5 / 1e9, $9, $10, $11, $12, $13}' >&2
}

# Every configuration once per round, in an order that rotates.
rounds() { # WORKLOAD RATE
	local round i
	for round in $(seq "$ROUNDS"); do
		for i in "${!CONFIGS[@]}"; do
			measure "${CONFIGS[$(((i + round) % ${#CONFIGS[@]}))]}" "$1" "$2" "$round"
		done
	done
}

# Per-run values of one configuration, an awk expression over the fields above.
values() { # CONFIG WORKLOAD RATE EXPR
	awk -v c="$1" -v w="$2" -v r="$3" '$1 == c && $2 == w && $3 == r {print '"$4"'}' "$RESULTS"
}

median() { # CONFIG WORKLOAD RATE EXPR
	values "$@" | median_of
}

# Each round's EXPR under CONFIG divided by EXPR under BASE, one a line.
round_ratios() { # CONFIG BASE WORKLOAD RATE EXPR
	awk -v c="$1" -v base="$2" -v w="$3" -v r="$4" '$2 == w && $3 == r && ($1 == c || $1 == base) {
			v = '"$5"'; if ($1 == c) x[$4] = v; else y[$4] = v }
		END {for (k in x) if (k in y && y[k] > 0) print x[k] / y[k]}' "$RESULTS"
}

# Their median.
ratio() { # CONFIG BASE WORKLOAD RATE EXPR
	round_ratios "$@" | median_of
}

# Their median, and in brackets their range.
ratio_with_range() { # CONFIG BASE WORKLOAD RATE EXPR
	round_ratios "$@" | median_with_range
}

# Median over the rounds of (EXPR under CONFIG) - (EXPR under BASE).
excess() { # CONFIG BASE WORKLOAD RATE EXPR
	awk -v c="$1" -v base="$2" -v w="$3" -v r="$4" '$2 == w && $3 == r && ($1 == c || $1 == base) {
			v = '"$5"'; if ($1 == c) x[$4] = v; else y[$4] = v }
		END {for (k in x) if (k in y) print x[k] - y[k]}' "$RESULTS" | median_of
}

total() { # CONFIG WORKLOAD RATE FIELD: summed over the rounds
	values "$1" "$2" "$3" "\$$4" | awk '$1 != "-" {s += $1} END {print s + 0}'
}

# CPU seconds per million packets on the veth.
TOOL_PER_MPKT='($9 > 0 ? $12 / $9 * 1e6 : 0)'
BUSY_PER_MPKT='($9 > 0 ? $13 / $9 * 1e6 : 0)'
CAPTURED_PCT='($9 > 0 && $10 != "-" ? 100 * $10 / $9 : 0)'

fmt() { # PRINTF_FORMAT VALUE: "-" stays "-"
	if [ "$2" = - ]; then echo -; else printf "$1" "$2"; fi
}

# Lines of the results table for WORKLOAD at RATE, one per configuration.
table_rows() { # WORKLOAD RATE LABEL
	local config tput
	for config in "${CONFIGS[@]}"; do
		if [ "$1" = tcp ]; then
			tput="$(fmt %.2f "$(median $config "$1" "$2" '$5 / 1e9')") Gbit/s"
		else
			tput="$(fmt %.0f "$(median $config "$1" "$2" '$6')") pkt/s"
		fi
		printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$3" "$config" "$tput" \
			"$(fmt %.3f "$(ratio $config none "$1" "$2" "$([ "$1" = tcp ] && echo '$5' || echo '$6')")")" \
			"$(fmt %.0f "$(median $config "$1" "$2" '$9')")" \
			"$([ $config = none ] && echo - || fmt %.2f%% "$(median $config "$1" "$2" "$CAPTURED_PCT")")" \
			"$([ $config = none ] && echo - || total $config "$1" "$2" 11)" \
			"$([ $config = none ] && echo - || fmt %.2f "$(median $config "$1" "$2" "$TOOL_PER_MPKT")")" \
			"$(fmt %.2f "$(median $config "$1" "$2" "$BUSY_PER_MPKT")") ($([ $config = none ] && echo - ||
				fmt %+.2f "$(excess $config none "$1" "$2" "$BUSY_PER_MPKT")"))"
	done
}

TABLE_HEAD="| workload | capture | traffic reached | vs none | packets on the veth | captured | kernel drops (all rounds) | tool CPU s/Mpkt | machine CPU s/Mpkt (+ over none) |
|---|---|---|---|---|---|---|---|---|"

# The targets of issue 6 for WORKLOAD at RATE, ecap-tls against tcpdump.
check_targets() { # NAME WORKLOAD RATE LABEL
	local td ec tput cpu
	td=$(total tcpdump "$2" "$3" 11)
	ec=$(total ecap "$2" "$3" 11)
	target "$1" "$4: no kernel drops where tcpdump has none" "ecap-tls $ec, tcpdump $td" \
		"0 if tcpdump 0" "$([ "$td" != 0 ] || [ "$ec" = 0 ] && echo yes || echo no)"
	tput=$(ratio_with_range ecap tcpdump "$2" "$3" "$([ "$2" = tcp ] && echo '$5' || echo '$6')")
	target "$1" "$4: traffic reached, ecap-tls / tcpdump" "$tput" ">= 0.95" \
		"$(meets "${tput%% *}" ge 0.95)"
	cpu=$(ratio_with_range ecap tcpdump "$2" "$3" "$BUSY_PER_MPKT")
	target "$1" "$4: machine CPU per packet, ecap-tls / tcpdump" "$cpu" "<= 1.00" \
		"$(meets "${cpu%% *}" le 1.0)"
}

# The TC programs' own run time per packet (kernel.bpf_stats_enabled), in one
# extra ecap-tls run not counted above: the statistics cost two clock reads
# per program run, which would be charged to ecap-tls's columns.
bpf_prog_time() { # WORKLOAD RATE: prints "NS_PER_RUN RUNS"
	local old ns
	old=$(sysctl -n kernel.bpf_stats_enabled)
	BPF_STATS_OLD=$old
	sysctl -qw kernel.bpf_stats_enabled=1
	start_capture ecap "$1"
	run_traffic "$1" "$2" >/dev/null
	ns=$(bpftool prog show -j | python3 -c '
import json, sys
runs = ns = 0
for p in json.load(sys.stdin):
    if p.get("type") == "sched_cls" and p.get("name", "").startswith("ecap_"):
        runs += p.get("run_cnt", 0); ns += p.get("run_time_ns", 0)
print(f"{ns / runs:.0f} {runs}" if runs else "- 0")')
	stop_pid $CAP_PID TERM || fail "ecap failed: $(cat "$CAP_LOG")"
	sysctl -qw kernel.bpf_stats_enabled="$old"
	BPF_STATS_OLD=
	rm -f "$CAP_FILE"
	echo "$ns"
}

# Puts kernel.bpf_stats_enabled back if the script stops in the middle.
BPF_STATS_OLD=
restore_bpf_stats() {
	[ -z "$BPF_STATS_OLD" ] || sysctl -qw kernel.bpf_stats_enabled="$BPF_STATS_OLD"
}
# set +e: under errexit the trap itself would stop at the first failing
# command, before cleanup, leaving namespaces and processes behind.
trap 'rc=$?; set +e; restore_bpf_stats; (exit $rc); cleanup' EXIT

legend() {
	cat <<-'EOF'
		Columns: *traffic reached*: iperf3's receiver throughput (TCP) or datagrams
		received per second of sending (UDP); *vs none*: its median ratio to the same round's run
		without capture. *packets on the veth*: the server end's rx + tx packet
		counters during the run (a GSO packet counts once, as both tools see it).
		*captured*: packets in the file (capinfos) over packets on the veth; the
		file also holds the packets of the ~1.2 s after the traffic, so a little
		over 100% is possible. *kernel drops*: tcpdump's "dropped by kernel",
		ecap-tls's isb_osdrop, summed over the rounds. *tool CPU*: user + system
		time of the capture process (/proc/PID/stat) per million packets on the
		veth: tcpdump's and ecap-tls's user-space work and their system calls.
		It leaves out what runs in the softirq of the traffic itself (tcpdump's
		AF_PACKET copy, ecap-tls's TC program and its ring-buffer copy), so
		*machine CPU* is every CPU's busy time (CPUs x wall time - idle - iowait -
		steal of /proc/stat) per million packets, and in brackets its median excess over the
		same round's run without capture. When the traffic saturates both cores
		(TCP bulk, UDP at "max") the machine is busy all the time in every
		configuration and the cost shows up as less traffic, so compare
		per-packet numbers there.
	EOF
}

tcp_section() {
	local bpf
	rounds tcp -
	bpf=$(bpf_prog_time tcp -)
	check_targets packets-tcp tcp - "TCP bulk"
	{
		echo "### TCP bulk"
		echo
		echo "iperf3 -t $TCP_SECONDS, one stream, both tools keeping the first $TCP_SNAPLEN bytes"
		echo "of each packet (\`-s $TCP_SNAPLEN\`); $ROUNDS rounds."
		echo
		echo "$TABLE_HEAD"
		table_rows tcp - "TCP bulk"
		echo
		echo "ecap-tls's TC programs (kernel.bpf_stats_enabled, one extra run): ${bpf%% *} ns per"
		echo "program run, ${bpf##* } runs."
	} >"$BENCH_OUT/packets-tcp.md"
}

# Data for the plots: one line per offered rate, medians per configuration.
udp_plot_data() {
	local rate offered config
	for rate in $UDP_RATES; do
		offered=$(median none udp "$rate" '$7')
		printf '%s' "$(fmt %.0f "$offered")"
		for config in "${CONFIGS[@]}"; do
			printf ' %s %s' "$(fmt %.0f "$(median $config udp "$rate" '$6')")" \
				"$([ $config = none ] && echo 0 || fmt %.3f "$(median $config udp "$rate" "(100 - $CAPTURED_PCT < 0 ? 0 : 100 - $CAPTURED_PCT)")")"
		done
		printf ' %s %s %s\n' \
			"$(fmt %.3f "$(median none udp "$rate" '100 * ($7 - $6) / $7')")" \
			"$(fmt %.3f "$(median tcpdump udp "$rate" '100 * ($7 - $6) / $7')")" \
			"$(fmt %.3f "$(median ecap udp "$rate" '100 * ($7 - $6) / $7')")"
	done
}

# Throughput and loss against offered load, both tools, as PNG.
udp_plots() {
	local data=$WORK/udp.dat
	command -v gnuplot >/dev/null || {
		echo "gnuplot is not installed: no plots" >&2
		return 0
	}
	# offered none_rx none_loss tcpdump_rx tcpdump_loss ecap_rx ecap_loss traffic_loss x3
	udp_plot_data >"$data"
	gnuplot <<-EOF
		set terminal pngcairo size 800,500 font ",10"
		set datafile missing "-"
		set key top left
		set grid
		set xlabel "offered load (UDP datagrams/s, $UDP_PAYLOAD-byte payload)"
		set output "$BENCH_OUT/packets-udp-throughput.png"
		set title "Traffic received while capturing (median of $ROUNDS rounds)"
		set ylabel "datagrams/s received"
		plot "$data" using 1:2 with linespoints title "no capture", \
		     "$data" using 1:4 with linespoints title "tcpdump -w", \
		     "$data" using 1:6 with linespoints title "ecap-tls --no-tls -w"
		set output "$BENCH_OUT/packets-udp-loss.png"
		set yrange [0:*]
		set title "Packets lost (median of $ROUNDS rounds)"
		set ylabel "% lost"
		plot "$data" using 1:5 with linespoints lc 2 title "not in the file: tcpdump -w", \
		     "$data" using 1:7 with linespoints lc 3 title "not in the file: ecap-tls --no-tls -w", \
		     "$data" using 1:8 with lines dt 2 lc 1 title "datagrams the receiver lost: no capture", \
		     "$data" using 1:9 with lines dt 2 lc 2 title "datagrams the receiver lost: tcpdump", \
		     "$data" using 1:10 with lines dt 2 lc 3 title "datagrams the receiver lost: ecap-tls"
	EOF
}

udp_section() {
	local rate bpf
	for rate in $UDP_RATES; do
		rounds udp "$rate"
	done
	local top=${UDP_RATES##* }
	bpf=$(bpf_prog_time udp "$top")
	: >"$BENCH_OUT/packets-udp.targets"
	for rate in $UDP_RATES; do
		check_targets packets-udp udp "$rate" "UDP $([ "$rate" = max ] && echo max || echo "$rate/s")"
	done
	udp_plots
	{
		echo "### Small UDP packets at rising rates"
		echo
		echo "bench/udp_load.c: $UDP_SECONDS s of $UDP_PAYLOAD-byte datagrams at each offered rate (\"max\": as"
		echo "fast as it goes), whole packets captured; $ROUNDS rounds per rate. Its sender (on CPU"
		echo "$CLIENT_CPU) sends batches of sendmmsg() at fixed times, so that a rate it can reach is"
		echo "the rate offered; iperf3's own pacing (-b) reached only ~70000-110000/s here"
		echo "at 100000-400000 offered, less than at -b 0. Its receiver (on CPU $SERVER_CPU) asks"
		echo "for a 32 MiB socket buffer, as high-rate UDP services do: on this virtual"
		echo "machine a wake-up sometimes takes ~100 ms (perf sched), and a 0.2 MiB one"
		echo "lost datagrams at 50000/s without any capture."
		echo
		echo "$TABLE_HEAD"
		for rate in $UDP_RATES; do
			table_rows udp "$rate" "UDP $([ "$rate" = max ] && echo max || echo "$rate/s")"
		done
		echo
		echo "ecap-tls's TC programs at $top (kernel.bpf_stats_enabled, one extra run):"
		echo "${bpf%% *} ns per program run, ${bpf##* } runs."
		echo
		echo "![UDP throughput](packets-udp-throughput.png)"
		echo "![UDP capture loss](packets-udp-loss.png)"
	} >"$BENCH_OUT/packets-udp.md"
}

: >"$RESULTS"
case $WORKLOAD in
tcp | udp | all) ;;
*) fail "usage: $0 [tcp|udp|all [ROUNDS]]" ;;
esac
# Warm-up, not counted: the first iperf3 run of a fresh namespace is slower.
run_tcp >/dev/null
if [ "$WORKLOAD" != udp ]; then
	: >"$BENCH_OUT/packets-tcp.targets"
	tcp_section
	cat "$BENCH_OUT/packets-tcp.md"
fi
if [ "$WORKLOAD" != tcp ]; then
	udp_section
	cat "$BENCH_OUT/packets-udp.md"
fi
legend >"$BENCH_OUT/packets-legend.md"
cp "$RESULTS" "$BENCH_OUT/packets-$WORKLOAD.results"
assert_nothing_left "$NS_A"
