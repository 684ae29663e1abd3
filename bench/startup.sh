#!/usr/bin/env bash
# Start-up time and memory of a capture.
#
# Start-up: from the fork and exec of the capture to the first packet readable
# in its file (bench/first_packet.py polls the file every 0.2 ms), while a
# steady 1000 datagrams/s flow on the loopback of a namespace of ours, which
# is what the capture listens on. ecap-tls with TLS on first scans every
# process of the machine for libssl files and establishes the layout of each
# build (loader/tls_probe.c: a throwaway child runs TLS handshakes with it), so
# the libraries mapped at that moment matter: besides whatever the machine
# runs, COPIES processes (openssl s_server) each map a private copy of the
# system's libssl.so.3 and libcrypto.so.3 through LD_LIBRARY_PATH:
#   same build    the copies are byte for byte the system's: the first one is
#                 probed, the others have its build ID and come from the cache
#   distinct builds   each copy's GNU build ID is altered (nothing else), so
#                 each counts as a build of its own and is probed: the cost
#                 of COPIES different libssl builds, as containers bring them
# The cache of layouts by build ID lives in the ecap-tls process's memory
# (loader/tls_source.c, src->layouts): it starts empty at every start, there
# is no cache on disk, so every start is a cold one; "warm" exists only for
# further copies of a build already probed in the same run (the "same build"
# case).
#
# Memory: peak resident memory (VmHWM) of the capture process after
# MEM_SECONDS of traffic on that loopback, TLS on: iperf3 TCP at 1 Gbit/s
# (whole packets), 20000 UDP datagrams/s, and one new TLS connection after
# another (openssl s_time -new) so that secrets flow; tcpdump under the same
# traffic for comparison.
#
#   flock /tmp/ecap-e2e.lock bench/startup.sh
#
# Settings (environment): ECAP_TLS, ROUNDS (5), COPIES (4), MEM_SECONDS (10),
# BENCH_OUT.
source "$(dirname "$(readlink -f "$0")")/lib.sh"
source "$E2E_DIR/tls_lib.sh"
command -v iperf3 >/dev/null || skip "iperf3 is not installed (./build.sh bench installs it)"

ROUNDS=${ROUNDS:-5}
COPIES=${COPIES:-4}
MEM_SECONDS=${MEM_SECONDS:-10}
NS="$NS_PREFIX-start"
RESULTS=$WORK/results
FILE=$WORK/start.pcapng
SSL_DIR=/usr/lib/x86_64-linux-gnu
COPY_PIDS=()

netns_add "$NS"
tls_make_cert

# 1000 datagrams a second to a port nobody listens on, for at most an hour:
# the capture's first packet is never more than a millisecond away.
ip netns exec "$NS" python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end = time.monotonic() + 3600
while time.monotonic() < end:
    s.sendto(b"tick", ("127.0.0.1", 9))
    time.sleep(0.001)
' &
started $!

# Changes the GNU build ID of the library at PATH (its last byte becomes N):
# the code stays the system's, but ecap-tls takes it for another build.
alter_build_id() { # PATH N
	python3 - "$1" "$2" <<-'EOF'
		import re, subprocess, sys
		path, n = sys.argv[1], int(sys.argv[2])
		out = subprocess.run(["readelf", "-n", path], capture_output=True, text=True).stdout
		bid = bytes.fromhex(re.search(r"Build ID: ([0-9a-f]+)", out).group(1))
		data = bytearray(open(path, "rb").read())
		at = data.find(b"GNU\0" + bid)
		assert at > 0 and data.find(b"GNU\0" + bid, at + 1) < 0, "build ID not found once"
		data[at + 4 + len(bid) - 1] = n & 0xFF
		open(path, "wb").write(data)
	EOF
}

# Starts COPIES openssl s_server processes, each mapping its own copy of
# libssl and libcrypto (KIND: same or distinct builds).
start_copies() { # KIND
	local i dir
	for i in $(seq "$COPIES"); do
		dir=$WORK/libs-$1-$i
		mkdir -p "$dir"
		cp "$SSL_DIR/libssl.so.3" "$SSL_DIR/libcrypto.so.3" "$dir/"
		[ "$1" = same ] || alter_build_id "$dir/libssl.so.3" "$i"
		ip netns exec "$NS" env LD_LIBRARY_PATH="$dir" openssl s_server -www -quiet \
			-accept 127.0.0.1:$((4430 + i)) -cert "$CERT" -key "$KEY" \
			>"$WORK/s_server-$1-$i.log" 2>&1 </dev/null &
		COPY_PIDS+=($!)
		started $!
		wait_for_listen "$NS" 127.0.0.1 $((4430 + i)) $! "$WORK/s_server-$1-$i.log"
		grep -q "$dir/libssl.so.3" /proc/$!/maps || fail "s_server does not map $dir/libssl.so.3"
	done
}

stop_copies() {
	local pid
	for pid in "${COPY_PIDS[@]}"; do
		stop_pid "$pid" TERM || true
	done
	COPY_PIDS=()
}

# libssl files (distinct inodes) that the machine's processes map right now.
libssl_files_mapped() {
	# Processes come and go while we read: a vanished one is not an error.
	{ cat /proc/[0-9]*/maps 2>/dev/null || true; } | awk '$6 ~ /\/libssl\.so/ {print $4, $5}' | sort -u | wc -l
}

# The capture command of CONFIG, writing $FILE.
capture_command() { # CONFIG
	case $1 in
	# Without these the first packet waits for a full buffer or libpcap's
	# 1 s block time-out: -U writes each packet at once, immediate mode
	# hands each one over at once.
	tcpdump) echo "tcpdump -i lo --immediate-mode -U -w $FILE" ;;
	no-tls) echo "$ECAP_TLS -i lo --no-tls -w $FILE" ;;
	tls) echo "$ECAP_TLS -i lo -w $FILE" ;;
	esac
}

# One start of CONFIG; appends "CASE CONFIG ROUND HEADER_MS FIRST_MS LIBS".
start_once() { # CASE CONFIG ROUND
	local times libs
	libs=$(libssl_files_mapped)
	# shellcheck disable=SC2046 # the command is split on purpose
	times=$(ip netns exec "$NS" python3 "$BENCH_DIR/first_packet.py" "$FILE" 20 \
		$(capture_command "$2") 2>"$WORK/capture.log") ||
		fail "$2 wrote no packet: $(tail -3 "$WORK/capture.log")"
	echo "$1 $2 $3 $times $libs" >>"$RESULTS"
	echo "$1 $2 round $3: header $(cut -d' ' -f1 <<<"$times") ms, first packet $(cut -d' ' -f2 <<<"$times") ms, $libs libssl files mapped" >&2
	rm -f "$FILE"
}

startup_rounds() { # CASE CONFIG...
	local case=$1 round i
	shift
	local configs=("$@")
	for round in $(seq "$ROUNDS"); do
		for i in "${!configs[@]}"; do
			start_once "$case" "${configs[$(((i + round) % ${#configs[@]}))]}" "$round"
		done
	done
}

median() { # CASE CONFIG FIELD
	awk -v c="$1" -v k="$2" -v f="$3" '$1 == c && $2 == k {print $f}' "$RESULTS" | median_of
}

spread() { # CASE CONFIG FIELD
	awk -v c="$1" -v k="$2" -v f="$3" '$1 == c && $2 == k {print $f}' "$RESULTS" | sort -g |
		awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%.0f-%.0f", lo, hi}'
}

# Peak RSS of CONFIG's capture under the traffic: sets MEM_HWM and MEM_RSS
# (KiB), and TLS_CONNECTIONS (made during the run).
memory_once() { # CONFIG
	local cap hwm rss srv
	rm -f "$FILE"
	# shellcheck disable=SC2046
	ip netns exec "$NS" $(capture_command "$1") 2>"$WORK/capture.log" &
	cap=$!
	started $cap
	if [ "$1" = tcpdump ]; then wait_for_tcpdump "$WORK/capture.log"; else wait_for_size "$FILE" 100; fi
	ip netns exec "$NS" iperf3 -s -1 -B 127.0.0.1 >/dev/null 2>&1 &
	srv=$!
	started $srv
	sleep 0.3
	ip netns exec "$NS" iperf3 -c 127.0.0.1 -t "$MEM_SECONDS" -b 1G >/dev/null 2>&1 &
	local tcp=$!
	started $tcp
	ip netns exec "$NS" iperf3 -s -1 -p 5202 -B 127.0.0.1 >/dev/null 2>&1 &
	local srv2=$!
	started $srv2
	sleep 0.2
	ip netns exec "$NS" iperf3 -c 127.0.0.1 -p 5202 -u -l 64 -b $((20000 * 64 * 8)) \
		-t "$MEM_SECONDS" >/dev/null 2>&1 &
	local udp=$!
	started $udp
	ip netns exec "$NS" openssl s_time -connect 127.0.0.1:4431 -new -time "$MEM_SECONDS" \
		>"$WORK/s_time.log" 2>&1 || true
	wait $tcp $udp || true
	wait $srv $srv2 || true
	hwm=$(peak_rss_kib $cap)
	rss=$(awk '$1 == "VmRSS:" {print $2}' /proc/$cap/status)
	stop_pid $cap TERM || fail "$1 failed: $(tail -3 "$WORK/capture.log")"
	TLS_CONNECTIONS=$(awk '/connections in/ {print $1; exit}' "$WORK/s_time.log")
	rm -f "$FILE"
	MEM_HWM=$hwm MEM_RSS=$rss
}

: >"$RESULTS"
: >"$BENCH_OUT/startup.targets"
# The system's own libssl in a process too, as on any machine using TLS.
ip netns exec "$NS" openssl s_server -www -quiet -accept 127.0.0.1:4430 -cert "$CERT" \
	-key "$KEY" >"$WORK/s_server-system.log" 2>&1 </dev/null &
started $!
wait_for_listen "$NS" 127.0.0.1 4430 $! "$WORK/s_server-system.log"

start_copies same
startup_rounds same tcpdump no-tls tls
LIBS_SAME=$(median same tls 6)
memory_once tcpdump
MEM_TCPDUMP="$MEM_HWM $MEM_RSS"
memory_once tls
MEM_ECAP="$MEM_HWM $MEM_RSS"
stop_copies
start_copies distinct
startup_rounds distinct tcpdump tls
LIBS_DISTINCT=$(median distinct tls 6)
stop_copies

ms() { printf '%.0f' "$1"; }

section() {
	echo "## Start-up and memory"
	echo
	echo "\`bench/startup.sh\` ($ROUNDS rounds): milliseconds from the fork and exec of the"
	echo "capture to the first packet readable in its file (pcap record or Enhanced"
	echo "Packet Block, polled every 0.2 ms by bench/first_packet.py), with 1000"
	echo "datagrams/s on the captured loopback; the file header's time in brackets."
	echo "ecap-tls may hold a packet up to 5 ms to write them in order, and polls"
	echo "every 2 ms until its first packet is out; that is part"
	echo "of its time to the first packet. tcpdump runs with --immediate-mode -U (each"
	echo "packet handed over and written at once; without them its first packet"
	echo "waits up to libpcap's 1 s block time-out or a full buffer)."
	echo
	echo "| libssl mapped on the machine | tcpdump --immediate-mode -U -w | ecap-tls --no-tls | ecap-tls (TLS on) | target |"
	echo "|---|---|---|---|---|"
	printf '| %s files: system + %s copies of one build | %s (%s) | %s (%s) | %s (%s), range %s | < 300 |\n' \
		"$LIBS_SAME" "$COPIES" \
		"$(ms "$(median same tcpdump 5)")" "$(ms "$(median same tcpdump 4)")" \
		"$(ms "$(median same no-tls 5)")" "$(ms "$(median same no-tls 4)")" \
		"$(ms "$(median same tls 5)")" "$(ms "$(median same tls 4)")" "$(spread same tls 5)"
	printf '| %s files: system + %s distinct builds | %s (%s) | - | %s (%s), range %s | < 300 |\n' \
		"$LIBS_DISTINCT" "$COPIES" \
		"$(ms "$(median distinct tcpdump 5)")" "$(ms "$(median distinct tcpdump 4)")" \
		"$(ms "$(median distinct tls 5)")" "$(ms "$(median distinct tls 4)")" "$(spread distinct tls 5)"
	echo
	echo "\"Files\" counts distinct libssl inodes mapped by any process of the machine"
	echo "at the start (other processes' included). The layout cache (by build ID) is"
	echo "in ecap-tls's memory and empty at each start, so every start is cold: the"
	echo "first row probes one build (the copies hit the cache within that start),"
	echo "the second probes $((COPIES + 1))."
	echo
	echo "Peak resident memory (VmHWM) after ${MEM_SECONDS} s of iperf3 TCP at 1 Gbit/s, 20000"
	echo "UDP datagrams/s and new TLS connections (openssl s_time -new, $TLS_CONNECTIONS"
	echo "connections in the ecap-tls run) on the captured loopback, whole packets:"
	echo
	echo "| | tcpdump --immediate-mode -U -w | ecap-tls (TLS on) | target |"
	echo "|---|---|---|---|"
	printf '| VmHWM | %.1f MiB | %.1f MiB | < 50 MiB |\n' \
		"$(awk -v k="${MEM_TCPDUMP% *}" 'BEGIN {print k / 1024}')" \
		"$(awk -v k="${MEM_ECAP% *}" 'BEGIN {print k / 1024}')"
	printf '| VmRSS at the end | %.1f MiB | %.1f MiB | |\n' \
		"$(awk -v k="${MEM_TCPDUMP#* }" 'BEGIN {print k / 1024}')" \
		"$(awk -v k="${MEM_ECAP#* }" 'BEGIN {print k / 1024}')"
}

section | tee "$BENCH_OUT/startup.md"
for case in same distinct; do
	t=$(median $case tls 5)
	target startup "Start-up to first packet, TLS on, $([ $case = same ] && echo "$COPIES copies of one build" ||
		echo "$COPIES distinct builds")" "$(ms "$t") ms" "< 300 ms" "$(meets "$t" le 299.999)"
done
hwm=$(awk -v k="${MEM_ECAP% *}" 'BEGIN {printf "%.1f", k / 1024}')
target startup "Peak RSS under traffic, TLS on" "$hwm MiB" "< 50 MiB" "$(meets "$hwm" le 49.999)"
cp "$RESULTS" "$BENCH_OUT/startup.results"
assert_nothing_left "$NS"
