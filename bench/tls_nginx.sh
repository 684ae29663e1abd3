#!/usr/bin/env bash
# What a running capture costs an HTTPS server: nginx on loopback (in a
# namespace of its own) driven by wrk, keep-alive and one new TLS connection
# per request (Connection: close), with and without ecap-tls capturing that
# loopback. The configurations alternate round by round in the same run, so
# that drift of the machine hits them alike, and each one runs between two
# runs without capture: this VM's speed moves in phases of seconds to minutes
# (keep-alive without capture has ranged over 120k-230k requests/s in one
# hour), so each measurement's ratio is to the mean of the two runs around it.
# Requests/s are medians over the rounds, ratios medians of those ratios. Prints
# a markdown section and writes it to $BENCH_OUT/tls.md (bench/run.sh puts it
# into docs/BENCHMARKS.md). Not a test: run it by hand, as root.
#
#   flock /tmp/ecap-e2e.lock bench/tls_nginx.sh [ROUNDS [SECONDS]]
#
# Configurations:
#   none      no capture
#   capture   ecap-tls -i lo: every packet and the TLS secrets
#   packets   ecap-tls -i lo --no-tls: packets only
#   secrets   ecap-tls -i lo 'udp port 9': the secrets, no packet passes the filter
#   devnull   ecap-tls -i lo -w /dev/null: every packet and the secrets, all of
#             the capture's work but the file's (the page cache's copy and
#             write-back, ~40% of ecap-tls's CPU under keep-alive)
#   tcpdump   tcpdump -i lo -w FILE, and a second nginx (same configuration,
#             port 8444) that writes a key-log file: nginx reads no
#             SSLKEYLOGFILE, so bench/sslkeylog.c, preloaded, sets OpenSSL's
#             key-log callback; the usual way to get decryptable captures
#             without ecap-tls
# CONFIGS="capture" MODES=close (say) measure a subset, for a quick look; runs
# without capture are always made.
# Targets (issue 3): capture/none >= 0.97 keep-alive, >= 0.90 new connections.
source "$(dirname "$(readlink -f "$0")")/lib.sh"
source "$E2E_DIR/tls_lib.sh"
command -v wrk >/dev/null || skip "wrk is not installed (apt-get install wrk)"
command -v cc >/dev/null || skip "no C compiler for bench/sslkeylog.c"

ROUNDS=${1:-5}
SECONDS_PER_RUN=${2:-5}
CONFIGS=${CONFIGS:-"none capture packets secrets devnull tcpdump"}
MODES=${MODES:-"keepalive close"}
PORT=8443
KEYLOG_PORT=8444
NS="$NS_PREFIX-bench"
netns_add "$NS"

tls_make_cert
cc -shared -fPIC -O2 -o "$WORK/sslkeylog.so" "$BENCH_DIR/sslkeylog.c" -ldl
KEYLOG=$WORK/keys.log
pinned_nginx "$NS" "$WORK/nginx" $PORT
# The "tcpdump" configuration's nginx: bench/sslkeylog.c writes its key log.
pinned_nginx "$NS" "$WORK/nginx-keylog" $KEYLOG_PORT LD_PRELOAD="$WORK/sslkeylog.so" \
	SSLKEYLOGFILE="$KEYLOG"

# One wrk run against PORT (the plain nginx's by default); prints requests/s.
run_wrk() { # MODE [PORT]
	wrk_requests_per_second "$NS" "$1" "${2:-$PORT}" "$SECONDS_PER_RUN"
}

capture_options() { # CONFIG
	case $1 in
	capture) echo "" ;;
	packets) echo "--no-tls" ;;
	secrets) echo "udp port 9" ;;
	devnull) echo "-w /dev/null" ;; # the later -w wins
	esac
}

# One measurement: requests/s of MODE under CONFIG; appends to $WORK/results
# "CONFIG MODE RPS LOST SESSIONS ROUND SEQ" (LOST: packets lost in the kernel;
# SESSIONS: distinct client randoms in the capture's secrets; - where none;
# SEQ: the measurement's place in the run).
measure() { # CONFIG MODE ROUND
	local config=$1 mode=$2 rps lost=- sessions=- file=$WORK/bench.pcapng opt
	if [ "$config" = none ]; then
		rps=$(run_wrk "$mode")
	elif [ "$config" = tcpdump ]; then
		# Emptied, not removed: nginx keeps the file open (O_APPEND).
		rm -f "$WORK/bench.pcap"
		: >"$KEYLOG"
		ip netns exec "$NS" tcpdump -i lo -w "$WORK/bench.pcap" 2>"$WORK/tcpdump.log" &
		local capture=$!
		started $capture
		wait_for_tcpdump "$WORK/tcpdump.log"
		rps=$(run_wrk "$mode" $KEYLOG_PORT)
		stop_pid $capture TERM || fail "tcpdump failed: $(cat "$WORK/tcpdump.log")"
		lost=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel.*/\1/p' "$WORK/tcpdump.log")
		sessions=$(awk '{print $2}' "$KEYLOG" | sort -u | wc -l)
		rm -f "$WORK/bench.pcap"
	else
		opt=$(capture_options "$config")
		rm -f "$file"
		ip netns exec "$NS" "$ECAP_TLS" -i lo -w "$file" $opt 2>"$WORK/ecap.log" &
		local capture=$!
		started $capture
		# /dev/null never grows: the first packet is out well within a second.
		if [ "$config" = devnull ]; then sleep 1; else wait_for_size "$file" 100; fi
		sleep 0.5 # let the uprobes reach nginx, which mapped libssl long ago
		rps=$(run_wrk "$mode")
		stop_pid $capture TERM || fail "ecap-tls failed: $(cat "$WORK/ecap.log")"
		# The packets' summary line, not the one of the TLS secrets.
		lost=$(grep -v 'TLS:' "$WORK/ecap.log" | sed -n 's/.* \([0-9]*\) lost in the kernel.*/\1/p' | head -1)
		if [ "$config" != packets ] && [ "$config" != devnull ]; then
			sessions=$(python3 "$E2E_DIR/pcapng_secrets.py" lines "$file" | awk '{print $2}' |
				sort -u | wc -l)
		fi
		rm -f "$file"
	fi
	SEQ=$((SEQ + 1))
	echo "$config $mode $rps ${lost:--} $sessions $3 $SEQ" >>"$WORK/results"
	printf '%-8s %-9s %10.0f req/s  lost %s  sessions with secrets %s\n' \
		"$config" "$mode" "$rps" "${lost:--}" "$sessions" >&2
}

: >"$WORK/results"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
VERSION=$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)
# Warm-up, not counted.
run_wrk keepalive >/dev/null
# Each round starts with the next configuration, so none of them always runs
# first or after the same one; a run without capture before and after each.
read -ra configs <<<"${CONFIGS//none/}"
SEQ=0
for round in $(seq "$ROUNDS"); do
	echo "round $round of $ROUNDS" >&2
	for mode in $MODES; do
		measure none "$mode" "$round"
		for i in "${!configs[@]}"; do
			measure "${configs[$(((i + round) % ${#configs[@]}))]}" "$mode" "$round"
			measure none "$mode" "$round"
		done
	done
done

median() { # CONFIG MODE COLUMN
	awk -v c="$1" -v m="$2" -v k="$3" '$1 == c && $2 == m && $k != "-" {print $k}' \
		"$WORK/results" | median_of
}

# Each of CONFIG's runs: its requests/s over the mean of the two runs without
# capture around it.
run_ratios() { # CONFIG MODE
	awk -v c="$1" -v m="$2" '$2 == m && $1 == "none" {none[$7] = $3}
		$2 == m && $1 == c {rps[$7] = $3}
		END {for (s in rps) if ((s - 1) in none && (s + 1) in none)
			print rps[s] / ((none[s - 1] + none[s + 1]) / 2)}' "$WORK/results"
}

# Their median.
ratio() { # CONFIG MODE
	local r
	r=$(run_ratios "$@" | median_with_range)
	echo "${r%% *}"
}

spread() { # CONFIG MODE: lowest and highest requests/s over the rounds
	awk -v c="$1" -v m="$2" '$1 == c && $2 == m {print $3}' "$WORK/results" | sort -g |
		awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%.0f-%.0f", lo, hi}'
}

lost() { # CONFIG MODE: packets lost in the kernel, every round together
	awk -v c="$1" -v m="$2" '$1 == c && $2 == m && $4 != "-" {s += $4} END {print s + 0}' \
		"$WORK/results"
}

rounded() { # NUMBER or -
	[ "$1" = - ] && echo - || printf '%.0f' "$1"
}

table() {
	local mode label target none rps
	echo "| workload | no capture | ecap-tls (packets + secrets) | ratio | target | packets only (--no-tls) | ratio | secrets only | ratio | ecap-tls -w /dev/null | ratio | tcpdump -w + key-log file | ratio |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	for mode in $MODES; do
		if [ $mode = keepalive ]; then
			label="keep-alive requests/s"
			target=0.97
		else
			label="new-connection requests/s"
			target=0.90
		fi
		none=$(median none $mode 3)
		printf '| %s | %s ' "$label" "$(rounded "$none")"
		for config in capture packets secrets devnull tcpdump; do
			rps=$(median $config $mode 3)
			printf '| %s | %s ' "$(rounded "$rps")" "$(ratio $config $mode)"
			[ $config = capture ] && printf '| >= %s ' $target
		done
		echo "|"
	done
}

summary() {
	local close_rps close_sessions
	close_rps=$(median capture close 3)
	close_sessions=$(median capture close 5)
	echo "Medians of $ROUNDS rounds of ${SECONDS_PER_RUN} s per cell, configurations alternating"
	echo "within each round, each between two runs without capture (its ratio: to their"
	echo "mean; \"no capture\" is the median of all of them); wrk -t1 -c$WRK_CONNECTIONS on CPU"
	echo "$CLIENT_CPU, one nginx worker on CPU $SERVER_CPU, ecap-tls unpinned; HTTPS on loopback in a network namespace, a 6-byte"
	echo "body, TLS 1.3 (wrk's default). \"secrets only\" captures with a filter that no"
	echo "packet passes: the uprobes and the socket hooks, no packet copied or written."
	echo "\"ecap-tls -w /dev/null\" does all the capture's work but writing the file. Packets lost in the kernel (ring"
	echo "buffer full), all rounds: keep-alive $(lost capture keepalive) with capture,"
	echo "$(lost packets keepalive) packets only, $(lost devnull keepalive) to /dev/null, $(lost tcpdump keepalive) with tcpdump;"
	echo "new connections $(lost capture close), $(lost packets close), $(lost devnull close) and $(lost tcpdump close). \"tcpdump -w + key-log file\" is"
	echo "tcpdump -i lo -w FILE (its defaults) while a second, identical nginx preloads"
	echo "bench/sslkeylog.c (nginx reads no SSLKEYLOGFILE) and appends each secret to a"
	echo "key-log file; its ratio is to the plain nginx without capture. In the"
	echo "new-connection runs with ecap-tls, the secrets of a"
	echo "median $close_sessions TLS sessions went into the file for"
	echo "$(awk -v r="$close_rps" -v s="$SECONDS_PER_RUN" 'BEGIN {printf "%.0f", r * s}') requests (one connection each)."
	echo "Noise: without capture, keep-alive ranged over $(spread none keepalive) requests/s"
	echo "and new connections over $(spread none close) across the rounds; load average"
	echo "$LOAD_BEFORE before the run, $(cut -d' ' -f1-3 /proc/loadavg) after."
	echo
	echo "Machine: $(nproc) CPUs ($(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)),"
	echo "Linux $(uname -r), nginx $(nginx -v 2>&1 | sed 's/.*\///'), $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}'),"
	echo "ecap-tls $VERSION, $(date -u +%Y-%m-%d)."
}

section=$BENCH_OUT/tls.md
{
	echo "## TLS cost"
	echo
	echo "\`bench/tls_nginx.sh $ROUNDS $SECONDS_PER_RUN\`: nginx over HTTPS driven by wrk, without"
	echo "capture, with an ecap-tls capture running, and with tcpdump plus a key-log file."
	echo
	table
	echo
	summary
} >"$section"
cat "$section"

: >"$BENCH_OUT/tls.targets"
for mode in $MODES; do
	r=$(run_ratios capture $mode | median_with_range)
	if [ $mode = keepalive ]; then
		target tls "HTTPS keep-alive requests/s, ecap-tls / no capture" "$r" ">= 0.97" \
			"$(meets "${r%% *}" ge 0.97)"
	else
		target tls "HTTPS new connections/s, ecap-tls / no capture" "$r" ">= 0.90" \
			"$(meets "${r%% *}" ge 0.90)"
	fi
done
cp "$WORK/results" "$BENCH_OUT/tls.results"
