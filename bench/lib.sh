# Helpers shared by the benchmarks: sourced, not run.
#
# The end-to-end tests' helpers (tests/e2e/lib.sh) give us the work directory,
# namespaces and veth pairs removed on exit, and stopping only our own
# processes by pid; this file adds what measuring needs: medians, CPU time of a
# process and of the whole machine, and where the results go.

BENCH_DIR=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
export ECAP_TLS=${ECAP_TLS:-$ROOT/build/extcap/ecap-tls}
source "$ROOT/tests/e2e/lib.sh"
[ -x "$ECAP_TLS" ] || skip "no ecap-tls at $ECAP_TLS (set ECAP_TLS)"

# Each script writes its section of docs/BENCHMARKS.md (NAME.md) and the
# targets it checks (NAME.targets) here; bench/run.sh assembles them.
BENCH_OUT=${BENCH_OUT:-/tmp/ecap-bench}
mkdir -p "$BENCH_OUT"
CLK_TCK=$(getconf CLK_TCK)

# Reads numbers, one a line; prints their median ("-" for none).
median_of() {
	sort -g | awk '{v[NR] = $1} END {
		if (NR == 0) print "-"
		else if (NR % 2) print v[(NR + 1) / 2]
		else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Reads ratios, one a line; prints their median and, in brackets, their range:
# how far this machine's noise went ("-" for none).
median_with_range() {
	local r
	r=$(sort -g)
	[ -n "$r" ] || { echo -; return; }
	printf '%.3f (rounds %.2f-%.2f)\n' "$(median_of <<<"$r")" "$(head -1 <<<"$r")" "$(tail -1 <<<"$r")"
}

# CPU seconds (user + system) PID has used so far. The command name in
# /proc/PID/stat may hold spaces, so the fields are counted after its ")".
proc_cpu_seconds() { # PID
	awk -v tck="$CLK_TCK" '{ sub(/.*\) /, ""); printf "%.3f\n", ($12 + $13) / tck }' \
		"/proc/$1/stat"
}

# A snapshot of the whole machine's CPU time: "WALL_SECONDS IDLE_SECONDS", idle
# being every CPU's idle + iowait + steal time. Busy time between two snapshots
# is CPUs x wall time - idle: everything else counts, softirq work included
# (where both the TC program and tcpdump's AF_PACKET copy run). The kernel
# measures idle time exactly when a CPU sleeps (NO_HZ), whereas the busy fields
# of /proc/stat are sampled at each tick and miss short bursts. Steal is time
# the hypervisor gave another guest while this one wanted to run: not ours.
machine_cpu_snapshot() {
	echo "$(date +%s.%N) $(awk -v tck="$CLK_TCK" '$1 == "cpu" {printf "%.3f", ($5 + $6 + $9) / tck; exit}' /proc/stat)"
}

machine_busy_between() { # SNAPSHOT0 SNAPSHOT1 (each quoted)
	awk -v a="$1" -v b="$2" -v n="$(nproc)" 'BEGIN {
		split(a, x, " "); split(b, y, " ")
		busy = n * (y[1] - x[1]) - (y[2] - x[2])
		printf "%.3f\n", busy < 0 ? 0 : busy }'
}

# Peak resident memory of PID in KiB (VmHWM).
peak_rss_kib() { # PID
	awk '$1 == "VmHWM:" {print $2}' "/proc/$1/status"
}

# The traffic's two ends each keep a CPU of their own (both CPU 0 on a single
# CPU), so that where the scheduler happens to put them is not part of what is
# measured; the capture runs where it may.
SERVER_CPU=0
CLIENT_CPU=$(($(nproc) > 1 ? 1 : 0))

# HTTPS under wrk, as tls_nginx.sh, pairs.sh and cpu_shares.sh drive it: one
# nginx worker, one wrk thread with WRK_CONNECTIONS connections. The caller
# sources tests/e2e/tls_lib.sh and has made the certificate (tls_make_cert).
WRK_CONNECTIONS=32

# nginx on 127.0.0.1:PORT in namespace NS, its files in DIR; ENV (e.g.
# LD_PRELOAD=... SSLKEYLOGFILE=...) reaches its workers too.
pinned_nginx() { # NS DIR PORT [ENV...]
	local ns=$1 dir=$2 port=$3 pid
	shift 3
	tls_nginx_conf "$dir" "listen 127.0.0.1:$port ssl;" "master_process on; worker_processes 1;"
	# nginx clears its workers' environment but for the variables named here.
	[ $# -eq 0 ] || sed -i "s|^daemon off;|daemon off; env LD_PRELOAD; env SSLKEYLOGFILE;|" "$dir/nginx.conf"
	ip netns exec "$ns" env "$@" taskset -c $SERVER_CPU nginx -p "$dir" -e "$dir/error.log" \
		-c "$dir/nginx.conf" >"$dir/stdout.log" 2>&1 </dev/null &
	pid=$!
	started $pid
	wait_for_listen "$ns" 127.0.0.1 "$port" $pid "$dir/error.log"
}

# One wrk run of SECONDS against https://127.0.0.1:PORT/ in NS; prints
# requests/s. MODE close makes every request a new TLS connection (Connection:
# close), keepalive keeps them. Error replies fail; socket errors are reported.
wrk_requests_per_second() { # NS MODE PORT SECONDS
	local header=() out rps
	[ "$2" = close ] && header=(-H "Connection: close")
	out=$(ip netns exec "$1" taskset -c $CLIENT_CPU wrk -t1 -c$WRK_CONNECTIONS -d"$4"s \
		"${header[@]}" "https://127.0.0.1:$3/" 2>&1) || fail "wrk failed: $out"
	! grep -qE "Non-2xx|Socket errors: .*[1-9]" <<<"$out" || echo "wrk ($2): $out" >&2
	! grep -q "Non-2xx" <<<"$out" || fail "wrk ($2) got error replies: $out"
	rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
	[ -n "$rps" ] || fail "no requests/s in wrk's output: $out"
	echo "$rps"
}

# Waits until the capture PID is ready: tcpdump says "listening on" in LOG,
# ecap-tls has written its file header (it attaches before opening the file).
wait_capture_ready() { # TOOL LOG FILE
	case $1 in
	tcpdump) wait_for_tcpdump "$2" ;;
	ecap) wait_for_size "$3" 100 ;;
	esac
}

# Kernel drops a capture reported: tcpdump prints them at exit, ecap-tls
# writes them into its Interface Statistics Blocks (isb_osdrop).
capture_drops() { # TOOL LOG FILE
	case $1 in
	tcpdump) sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel.*/\1/p' "$2" | head -1 ;;
	ecap) python3 "$E2E_DIR/pcapng_stats.py" "$3" |
		awk '{for (i = 2; i <= NF; i++) if ($i ~ /^os_drop=/) {sub(/.*=/, "", $i); s += $i}}
			END {print s + 0}' ;;
	esac
}

# Packets in a capture file, as Wireshark's capinfos counts them.
file_packets() { # FILE
	capinfos -M -c "$1" 2>/dev/null | awk -F': *' '/Number of packets/ {print $2}'
}

# One target line for run.sh's summary: WHAT|MEASURED|TARGET|yes or no.
target() { # NAME WHAT MEASURED TARGET MET
	echo "$2|$3|$4|$5" >>"$BENCH_OUT/$1.targets"
}

# Whether VALUE OP LIMIT holds (OP: ge or le), as yes or no.
meets() { # VALUE OP LIMIT
	awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
		if (v == "-" || v == "") {print "no"; exit}
		ok = (op == "ge") ? (v + 0 >= l + 0) : (v + 0 <= l + 0)
		print ok ? "yes" : "no" }'
}

machine_line() {
	echo "$(nproc) CPUs ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)), Linux $(uname -r)"
}
