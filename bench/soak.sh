#!/usr/bin/env bash
# Soak (issue 5): one ecap-tls capture left running while new TLS connections
# arrive at a steady rate, to show that its resident memory and its
# deduplication state stay bounded and that nothing is lost on the way.
#
# Two network namespaces joined by a veth (198.18.0.1 - 198.18.0.2): nginx on
# 198.18.0.1:443 in the first, python3's ssl in the second making one new
# connection after another (full handshake, one GET, Connection: close), half
# of them TLS 1.3 and half TLS 1.2, paced to SOAK_RATE a second. ecap-tls
# captures the server's end of the veth into a file for the whole run; every
# SOAK_INTERVAL seconds we note its VmRSS, the entries of its kernel maps that
# grow with connections (tls_seen: the secrets' dedupe, a fixed array of 4096;
# owners and tuples: socket owners, LRUs written only under an owner filter,
# so here only by the seeding from /proc at start), the file's size and the
# handshakes made so far.
# At the end the file is checked, from the file alone, for every handshake's
# secrets (tests/e2e/pcapng_secrets.py check), and ecap-tls's own counts of
# lost and late secrets and of packets lost in the kernel are read.
#
# Not visible from outside: the user-space dedupe ring of secrets
# (extcap/secrets.c, 16384 keys) and the TLS gate's rings. They are mapped
# and populated at start (extcap/fifo_map.c), so they are in RSS from the
# first sample. What still grows in the first minutes is the heap, which
# levels off: at eight times the default rate, RssAnon stayed at 16-17 MiB
# from the first minute on (bench/where-the-time-goes.md, session 19).
#
#   flock -o /tmp/ecap-e2e.lock bench/soak.sh [SECONDS]
#
# It holds the lock for SECONDS (600 by default) plus about a minute.
# Settings (environment): ECAP_TLS, SOAK_SECONDS (600; the argument wins),
# SOAK_RATE (new connections per second, 300), SOAK_INTERVAL (seconds between
# samples, 10), SOAK_SNAPLEN (bytes kept of each packet, 0: whole packets),
# SOAK_LEAK_BYTES (RSS growth per new connection still called flat, 16: a
# leak per connection costs at least one heap chunk, 32 bytes in glibc, so
# less than half of that is pages coming and going, not a leak),
# BENCH_OUT (where the section, results and plot go).
source "$(dirname "$(readlink -f "$0")")/lib.sh"
source "$E2E_DIR/tls_lib.sh"
command -v bpftool >/dev/null || skip "bpftool is not installed"

SOAK_SECONDS=${1:-${SOAK_SECONDS:-600}}
SOAK_RATE=${SOAK_RATE:-300}
SOAK_INTERVAL=${SOAK_INTERVAL:-10}
SOAK_SNAPLEN=${SOAK_SNAPLEN:-0}
SOAK_LEAK_BYTES=${SOAK_LEAK_BYTES:-16}
FILE=$WORK/soak.pcapng
CAP_LOG=$WORK/ecap.log
SAMPLES=$WORK/samples
# The slope is taken over the last 5 minutes, or the last half of a shorter
# run: the first minutes fill rings and LRU maps and are not a leak.
SLOPE_WINDOW=$((SOAK_SECONDS / 2 < 300 ? SOAK_SECONDS / 2 : 300))

# The client: one process per TLS version, each making RATE connections a
# second on a fixed schedule (it catches up after a slow one, never bursts
# beyond one behind). Each connection is a full handshake, a request and the
# answer read to the server's close; every second it replaces PROGRESS with
# "MADE FAILED", and prints its totals when SECONDS are over.
write_client() {
	cat >"$WORK/client.py" <<-'EOF'
		import os, socket, ssl, sys, time
		addr, cafile, version, rate, seconds, progress = sys.argv[1:7]
		rate, seconds = float(rate), float(seconds)
		ctx = ssl.create_default_context(cafile=cafile)
		if version == "1.2":
		    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
		else:
		    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
		request = b"GET / HTTP/1.1\r\nHost: ecap.test\r\nConnection: close\r\n\r\n"
		made = failed = 0
		errors = {}

		def one():
		    with socket.create_connection((addr, 443), timeout=10) as raw:
		        with ctx.wrap_socket(raw, server_hostname="ecap.test") as s:
		            s.sendall(request)
		            answer = b""
		            while chunk := s.recv(4096):
		                answer += chunk
		    if not (answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"\nhello\n")):
		        raise ValueError(f"unexpected answer {answer[:60]!r}")

		def note():
		    with open(progress + ".new", "w") as f:
		        f.write(f"{made} {failed}\n")
		    os.replace(progress + ".new", progress)

		start = time.monotonic()
		end = start + seconds
		last_note = start
		i = 0
		while True:
		    now = time.monotonic()
		    if now >= end:
		        break
		    due = start + i / rate
		    if due > now:
		        time.sleep(due - now)
		    elif now - due > 1 / rate:
		        i = int((now - start) * rate)  # late: skip what is missed, no burst
		    i += 1
		    try:
		        one()
		        made += 1
		    except (OSError, ValueError) as e:
		        failed += 1
		        errors[type(e).__name__] = errors.get(type(e).__name__, 0) + 1
		    if time.monotonic() - last_note >= 1:
		        note()
		        last_note = time.monotonic()
		note()
		print(f"tls{version} made={made} failed={failed} seconds={time.monotonic() - start:.1f}"
		      f" errors={errors or '-'}")
	EOF
}

# Starts both clients in the client namespace for SOAK_SECONDS.
start_clients() {
	local v
	CLIENT_PIDS=()
	for v in 1.3 1.2; do
		ip netns exec "$NS_B" python3 "$WORK/client.py" "$ADDR_A" "$CERT" $v \
			"$(awk -v r="$SOAK_RATE" 'BEGIN {print r / 2}')" "$SOAK_SECONDS" \
			"$WORK/progress-$v" >"$WORK/client-$v.log" 2>&1 </dev/null &
		started $!
		CLIENT_PIDS+=($!)
	done
}

# Connections made and failed so far by both clients: "MADE FAILED".
client_progress() {
	cat "$WORK"/progress-* 2>/dev/null | awk '{m += $1; f += $2} END {print m + 0, f + 0}'
}

# ecap-tls on the server's end of the veth, writing $FILE; sets CAP_PID.
start_capture() {
	ip netns exec "$NS_A" "$ECAP_TLS" -i "$IF_A" -s "$SOAK_SNAPLEN" -w "$FILE" 2>"$CAP_LOG" &
	CAP_PID=$!
	started $CAP_PID
	wait_for_size "$FILE" 100
	# Let the uprobes reach nginx, which mapped libssl before the capture began.
	sleep 0.5
}

# The ids of PID's BPF maps named NAME (from the map fds it holds), so that
# another capture running on the machine is never counted.
map_id_of() { # PID NAME
	local id ids
	ids=$(cat /proc/"$1"/fdinfo/* 2>/dev/null | awk '$1 == "map_id:" {print $2}' | sort -un)
	for id in $ids; do
		bpftool map show id "$id" 2>/dev/null |
			awk -v n="$2" -v id="$id" '$3 == "name" && $4 == n {print id; exit}'
	done | head -1
}

# Entries in the BPF map with id ID ("-" without one).
map_entries() { # ID
	[ -n "$1" ] || {
		echo -
		return
	}
	# JSON: with BTF, bpftool's plain dump has no element count.
	bpftool -j map dump id "$1" 2>/dev/null |
		python3 -c 'import json, sys; print(len(json.load(sys.stdin) or []))' 2>/dev/null || echo -
}

# A /proc/PID/status field in KiB.
status_kib() { # PID FIELD
	awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"
}

# One line of $SAMPLES:
#   SECONDS RSS_KIB RSS_ANON_KIB TLS_SEEN OWNERS TUPLES FILE_BYTES MADE FAILED CPU_S FDS
# (FDS: ecap-tls's open file descriptors, one more kind of state that must
# not grow with connections).
sample() { # SECONDS
	echo "$1 $(status_kib $CAP_PID VmRSS) $(status_kib $CAP_PID RssAnon)" \
		"$(map_entries "$SEEN_ID") $(map_entries "$OWNERS_ID") $(map_entries "$TUPLES_ID")" \
		"$(stat -c %s "$FILE") $(client_progress) $(proc_cpu_seconds $CAP_PID)" \
		"$(find /proc/$CAP_PID/fd -mindepth 1 -maxdepth 1 | wc -l)" >>"$SAMPLES"
	tail -1 "$SAMPLES" | awk '{printf "%4d s: RSS %d KiB (anon %d), tls_seen %s, owners %s, tuples %s, file %.1f MB, %d connections (%d failed), CPU %.1f s, %d fds\n",
		$1, $2, $3, $4, $5, $6, $7 / 1e6, $8, $9, $10, $11}' >&2
}

# Samples every SOAK_INTERVAL seconds, on a fixed schedule from T0, until
# SOAK_SECONDS are over.
sample_loop() {
	local next=$SOAK_INTERVAL now
	sample 0
	while [ "$next" -le "$SOAK_SECONDS" ]; do
		now=$(awk -v t0="$T0" -v now="$(date +%s.%N)" 'BEGIN {print now - t0}')
		sleep "$(awk -v n="$next" -v now="$now" 'BEGIN {d = n - now; printf "%.3f\n", (d > 0 ? d : 0)}')"
		kill -0 $CAP_PID 2>/dev/null || fail "ecap-tls died: $(tail -5 "$CAP_LOG")"
		sample "$next"
		next=$((next + SOAK_INTERVAL))
	done
}

# Least-squares slope of RSS (KiB per minute) over samples from second FROM on.
rss_slope() { # FROM
	awk -v from="$1" '$1 >= from {n++; x = $1 / 60; sx += x; sy += $2; sxx += x * x; sxy += x * $2}
		END {d = n * sxx - sx * sx; printf "%.1f\n", ((n > 1 && d > 0) ? (n * sxy - sx * sy) / d : 0)}' "$SAMPLES"
}

# Field K of the sample nearest to second T.
at() { # T K
	awk -v t="$1" -v k="$2" '{d = $1 - t; if (d < 0) d = -d; if (best == "" || d < best) {best = d; v = $k}}
		END {print v}' "$SAMPLES"
}

plot() {
	command -v gnuplot >/dev/null || {
		echo "gnuplot is not installed: no plot" >&2
		return 0
	}
	gnuplot <<-EOF
		set terminal pngcairo size 800,500 font ",10" noenhanced
		set output "$BENCH_OUT/soak-rss.png"
		set title "ecap-tls during $(minutes "$SOAK_SECONDS") of new TLS connections ($SOAK_RATE/s)"
		set xlabel "minutes"
		set ylabel "resident memory (MiB)"
		set y2label "kernel map entries"
		set ytics nomirror
		set y2tics
		set yrange [0:*]
		set y2range [0:*]
		set grid
		set key outside below horizontal
		set xlabel offset 0,0.5
		plot "$SAMPLES" using (\$1 / 60):(\$2 / 1024) with linespoints lw 2 title "VmRSS", \
		     "$SAMPLES" using (\$1 / 60):(\$3 / 1024) with lines dt 2 title "RssAnon", \
		     "$SAMPLES" using (\$1 / 60):4 axes x1y2 with lines title "tls_seen entries (array, 4096)", \
		     "$SAMPLES" using (\$1 / 60):5 axes x1y2 with lines title "owners entries (LRU; 64 without a filter)", \
		     "$SAMPLES" using (\$1 / 60):6 axes x1y2 with lines title "tuples entries (LRU; 64 without a filter)"
	EOF
}

# The sample table for the document: about ten rows, the last sample always.
sample_rows() {
	local n step
	n=$(wc -l <"$SAMPLES")
	step=$(((n + 9) / 10))
	awk -v step="$step" -v n="$n" '(NR - 1) % step == 0 || NR == n {
		printf "| %d:%02d | %d | %d | %d | %s | %s | %s | %d | %.1f |\n", $1 / 60, $1 % 60, $8, $2, $3, $4, $5, $6, $11, $7 / 1e6 }' \
		"$SAMPLES"
}

# Runs the soak; leaves the numbers the report needs in global variables.
soak() {
	two_hosts
	tls_make_cert
	tls_start_nginx "$NS_A" "$ADDR_A"
	write_client
	start_capture
	SEEN_ID=$(map_id_of $CAP_PID tls_seen)
	OWNERS_ID=$(map_id_of $CAP_PID owners)
	TUPLES_ID=$(map_id_of $CAP_PID tuples)
	[ -n "$SEEN_ID" ] || fail "no tls_seen map held by ecap-tls (pid $CAP_PID)"
	: >"$SAMPLES"
	LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
	T0=$(date +%s.%N)
	BUSY0=$(machine_cpu_snapshot)
	start_clients
	sample_loop
	local pid
	for pid in "${CLIENT_PIDS[@]}"; do
		wait "$pid" || fail "a client failed: $(cat "$WORK"/client-*.log)"
	done
	BUSY1=$(machine_cpu_snapshot)
	LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
	# The last connections' packets and secrets are written after at most the
	# TLS wait; then the final counts.
	sleep 1
	sample "$(awk -v t0="$T0" -v now="$(date +%s.%N)" 'BEGIN {printf "%d", now - t0}')"
	HWM=$(status_kib $CAP_PID VmHWM)
	stop_pid $CAP_PID TERM || fail "ecap-tls failed: $(tail -5 "$CAP_LOG")"
}

# Reads the results of the run: the clients', ecap-tls's summary, the file's.
collect() {
	read -r MADE FAILED <<<"$(client_progress)"
	PKT_LINE=$(grep -v 'TLS:' "$CAP_LOG" | grep 'packets captured' | tail -1 | sed 's/^ecap-tls: //')
	TLS_LINE=$(grep 'TLS:' "$CAP_LOG" | tail -1 | sed 's/^ecap-tls: //')
	SECRETS_LOST=$(sed -n 's/.* \([0-9]*\) lost in the kernel;.*/\1/p' <<<"$TLS_LINE")
	LATE=$(sed -n 's/.* \([0-9]*\) connections written before.*/\1/p' <<<"$TLS_LINE")
	SECRETS_LOST=${SECRETS_LOST:--} LATE=${LATE:--}
	OS_DROP=$(capture_drops ecap "$CAP_LOG" "$FILE")
	FILE_BYTES=$(stat -c %s "$FILE")
	PACKETS=$(sed -n 's/^\([0-9]*\) packets captured.*/\1/p' <<<"$PKT_LINE")
	local t0=$SECONDS rc=0
	python3 "$E2E_DIR/pcapng_secrets.py" check "$FILE" >"$WORK/check.txt" 2>&1 || rc=$?
	CHECK_SECONDS=$((SECONDS - t0))
	CHECK_LINE=$(tail -1 "$WORK/check.txt")
	CHECK_PROBLEMS=$(($(wc -l <"$WORK/check.txt") - 1))
	[ $rc -eq 0 ] || [ "$CHECK_PROBLEMS" -gt 0 ] || fail "secrets check failed: $CHECK_LINE"
	# 0 if the check broke before its summary: counted as lost, not hidden.
	HANDSHAKES=$(sed -n 's/.*handshakes=\([0-9]*\).*/\1/p' <<<"$CHECK_LINE")
	HANDSHAKES=${HANDSHAKES:-0}
	WITH_SECRETS=$(sed -n 's/.*with_secrets=\([0-9]*\).*/\1/p' <<<"$CHECK_LINE")
	WITH_SECRETS=${WITH_SECRETS:-0}
	echo "clients: $(cat "$WORK"/client-*.log | tr '\n' ' ')" >&2
	echo "ecap-tls: $PKT_LINE; $TLS_LINE" >&2
	echo "check ($CHECK_SECONDS s): $CHECK_LINE" >&2
	[ "$CHECK_PROBLEMS" -eq 0 ] || head -5 "$WORK/check.txt" >&2
}

verdicts() {
	local end=${LAST_T}
	SLOPE=$(rss_slope $((end - SLOPE_WINDOW)))
	# Bytes per connection at the rate the clients reached, to tell a leak
	# per connection (bytes each) from noise (a page now and then).
	RATE_REACHED=$(awk -v m="$MADE" -v t="$SOAK_SECONDS" 'BEGIN {printf "%.0f", m / t}')
	PER_CONN=$(awk -v s="$SLOPE" -v r="$RATE_REACHED" 'BEGIN {printf "%.2f", (r > 0 ? s * 1024 / (r * 60) : 0)}')
	RSS_FLAT=$(meets "$(awk -v p="$PER_CONN" 'BEGIN {print (p < 0 ? -p : p)}')" le "$SOAK_LEAK_BYTES")
	# The largest bounded table takes one entry per connection (the TLS
	# gate's 65536 client randoms). Its pages are in RSS from the start, but
	# until it has turned over once the capture has not reached the steady
	# state of evictions that a leak is judged against.
	FILL_SECONDS=$(awk -v r="$RATE_REACHED" 'BEGIN {printf "%.0f", (r > 0 ? 65536 / r : 0)}')
	TOO_SHORT=
	[ $((LAST_T - SLOPE_WINDOW)) -ge "$FILL_SECONDS" ] ||
		TOO_SHORT="; too short to judge: at $RATE_REACHED connections/s the bounded tables fill for ~$FILL_SECONDS s, the window starts at $((LAST_T - SLOPE_WINDOW)) s"
	BUSY_PCT=$(awk -v b="$(machine_busy_between "$BUSY0" "$BUSY1")" -v t="$SOAK_SECONDS" -v n="$(nproc)" \
		'BEGIN {printf "%.0f", 100 * b / (t * n)}')
	NOTHING_LOST=no
	if [ "$FAILED" = 0 ] && [ "$MADE" = "$HANDSHAKES" ] && [ "$HANDSHAKES" = "$WITH_SECRETS" ] &&
		[ "$CHECK_PROBLEMS" = 0 ] && [ "$SECRETS_LOST" = 0 ] && [ "$LATE" = 0 ] && [ "$OS_DROP" = 0 ]; then
		NOTHING_LOST=yes
	fi
}

# SECONDS as "N min", "N s" or "N min M s".
minutes() { # SECONDS
	if [ $(($1 % 60)) = 0 ]; then
		echo "$(($1 / 60)) min"
	elif [ "$1" -lt 60 ]; then
		echo "$1 s"
	else
		echo "$(($1 / 60)) min $(($1 % 60)) s"
	fi
}

section() {
	local mid
	mid=$(at $((LAST_T / 2)) 1)
	echo "## Soak: $(minutes "$SOAK_SECONDS") of new TLS connections"
	echo
	echo "\`bench/soak.sh $SOAK_SECONDS\`: one ecap-tls capture (\`-i VETH$([ "$SOAK_SNAPLEN" = 0 ] || echo " -s $SOAK_SNAPLEN") -w FILE\`,"
	echo "packets and secrets) on the server's end of a veth between two namespaces while"
	echo "python3's ssl makes new connections to nginx at $SOAK_RATE a second, half TLS 1.3 and half"
	echo "TLS 1.2, each a full handshake, one request and the server's close. Sampled every"
	echo "$SOAK_INTERVAL s: ecap-tls's resident memory (VmRSS, RssAnon) and the entries of its kernel maps"
	echo "that grow with connections: \`tls_seen\` (the secrets' dedupe, a fixed array of 4096),"
	echo "\`owners\` and \`tuples\` (socket owners by cookie and by addresses, LRUs of 65536"
	echo "that only an owner filter such as --pid fills: without one, as here, they have 64"
	echo "entries and stay empty)."
	echo "The user-space dedupe of secrets (a ring of 16384 keys) and the TLS gate's"
	echo "ring of client randoms (65536, one per connection) are not visible from outside;"
	echo "they are mapped and populated at start, so they are in RSS from the first sample."
	echo "The slope of RSS is taken over the last $(minutes "$SLOPE_WINDOW") of the run, once the"
	echo "heap has levelled off."
	echo
	echo "| time | connections made | VmRSS KiB | RssAnon KiB | tls_seen | owners | tuples | open fds | file MB |"
	echo "|---|---|---|---|---|---|---|---|---|"
	sample_rows
	echo
	echo "- RSS: $(at 0 2) KiB at the start, $(at "$mid" 2) KiB at $((mid / 60)):$(printf %02d $((mid % 60))), $(at "$LAST_T" 2) KiB at the end;"
	echo "  peak (VmHWM) $HWM KiB. Slope over the last $(minutes $SLOPE_WINDOW): $SLOPE KiB/min"
	echo "  ($PER_CONN bytes per new connection)."
	echo "- Connections: $MADE made ($RATE_REACHED/s; $FAILED failed), $HANDSHAKES handshakes in the file,"
	echo "  $WITH_SECRETS with all their secrets in time ($CHECK_LINE)."
	echo "- ecap-tls: $PKT_LINE."
	echo "- ecap-tls: $TLS_LINE."
	echo "- Packets lost in the kernel (ISB os_drop): $OS_DROP. File: $(awk -v b="$FILE_BYTES" 'BEGIN {printf "%.0f", b / 1e6}') MB,"
	echo "  $PACKETS packets. ecap-tls used $(at "$LAST_T" 10) s of CPU; the machine was $BUSY_PCT% busy (all"
	echo "  $(nproc) CPUs, clients and nginx included); load average $LOAD_BEFORE before, $LOAD_AFTER after."
	echo
	echo "RSS flat: $RSS_FLAT ($SLOPE KiB/min over the last $(minutes $SLOPE_WINDOW), $PER_CONN bytes per new connection; flat: at most $SOAK_LEAK_BYTES bytes per connection$TOO_SHORT)"
	echo
	echo "nothing lost: $NOTHING_LOST ($FAILED connections failed, $((MADE - HANDSHAKES)) made but not in the file,"
	echo "$((HANDSHAKES - WITH_SECRETS)) without their secrets, $CHECK_PROBLEMS problems in the check, $SECRETS_LOST secrets lost"
	echo "in the kernel, $LATE connections written before their secrets, $OS_DROP packets lost)"
	echo
	echo "![ecap-tls resident memory during the soak](soak-rss.png)"
}

soak
LAST_T=$(tail -1 "$SAMPLES" | cut -d' ' -f1)
collect
verdicts
plot
section >"$BENCH_OUT/soak.md"
cat "$BENCH_OUT/soak.md"
cp "$SAMPLES" "$BENCH_OUT/soak.results"
rm -f "$FILE"
assert_nothing_left "$NS_A"
