#!/usr/bin/env bash
# Where a capture's cost lands, CPU by CPU: keep-alive HTTPS (nginx pinned to
# CPU 0, wrk to CPU 1, as in tls_nginx.sh) under `perf record -a` with the
# cpu-clock event, which needs no PMU. Prints, for each CPU, the share of its
# samples that went to the traffic (nginx, wrk), to ecap-tls, to each of our
# eBPF programs with the helpers and kernel functions they call (from the
# call chains of `perf record -g`), to the tracepoint dispatch in front of the
# socket hooks, and idle time. With both programs pinned, the CPU that is
# never idle limits requests/s, and only what runs there costs requests
# (where-the-time-goes.md, session 10). Not a test and not part of run.sh:
# a tool for profiling by hand, as root.
#
#   flock -o /tmp/ecap-e2e.lock bench/cpu_shares.sh [SECONDS [ECAP_TLS_OPTIONS...]]
#
# MODE=close makes every request a new TLS connection (Connection: close),
# tls_nginx.sh's second workload, where the uprobes on OpenSSL run too.
source "$(dirname "$(readlink -f "$0")")/lib.sh"
source "$E2E_DIR/tls_lib.sh"
command -v wrk >/dev/null || skip "wrk is not installed (apt-get install wrk)"
command -v perf >/dev/null || skip "perf is not installed (apt-get install linux-perf)"

SECONDS_PER_RUN=${1:-5}
shift || true
NS="$NS_PREFIX-shares"
netns_add "$NS"
[ "$(nproc)" -ge 2 ] || skip "needs two CPUs: one for nginx, one for wrk"

tls_make_cert
pinned_nginx "$NS" "$WORK/nginx" 8443

ip netns exec "$NS" "$ECAP_TLS" -i lo -w "$WORK/capture.pcapng" "$@" 2>"$WORK/ecap.log" &
capture=$!
started $capture
wait_for_size "$WORK/capture.pcapng" 100
# The profile starts once wrk runs: its start-up (and ecap-tls's look at it) is not the cost.
wrk_requests_per_second "$NS" "${MODE:-keepalive}" 8443 $((SECONDS_PER_RUN + 2)) >"$WORK/rps" &
load=$!
started $load
sleep 1
perf record -q -a -g -e cpu-clock -F 2999 -o "$WORK/perf.data" -- sleep "$SECONDS_PER_RUN" \
	2>"$WORK/perf.log" || fail "perf record failed: $(cat "$WORK/perf.log")"
wait $load || fail "the wrk run failed"
stop_pid $capture TERM || fail "ecap-tls failed: $(cat "$WORK/ecap.log")"

echo "$(cat "$WORK/rps") requests/s; per CPU, % of its samples:"
# A sample inside one of our programs, or in a helper or kernel function it
# called (the clock behind bpf_ktime_get_ns(), the copy behind
# bpf_skb_load_bytes()), counts for that program: the call chains say which.
perf script -i "$WORK/perf.data" -F comm,cpu,ip,sym 2>/dev/null | awk '
	function account() {
		if (cpu == "") return
		if (prog != "") what = prog
		else if (comm == "swapper") what = "idle"
		else if (comm == "ecap-tls") what = "ecap-tls"
		else if (leaf == "bpf_trace_run3") what = "tracepoint dispatch"
		else if (comm == "nginx" || comm == "wrk") what = comm " (the rest)"
		else what = "other"
		share[cpu, what]++; total[cpu]++; names[what] = 1
		cpu = ""
	}
	/^[^ \t]/ {
		account()
		comm = $0; sub(/ *\[[0-9]+\] *$/, "", comm)
		cpu = $NF; gsub(/[^0-9]/, "", cpu); cpu += 0
		leaf = ""; prog = ""
		next
	}
	NF >= 2 && cpu != "" {
		sym = $2; sub(/\+0x[0-9a-f]*$/, "", sym)
		if (leaf == "") leaf = sym
		if (prog == "" && sym ~ /^bpf_prog_[0-9a-f]*_ecap_/) {
			prog = sym; sub(/^bpf_prog_[0-9a-f]*_/, "", prog)
		}
	}
	END {
		account()
		n = split("nginx (the rest)|wrk (the rest)|ecap-tls|ecap_ingress|ecap_egress|" \
			  "ecap_sock_ops|tracepoint dispatch|ecap_sock_state|ecap_handshake_done|" \
			  "other|idle", order, "|")
		for (c = 0; c in total; c++) {
			printf "CPU %d:", c
			for (i = 1; i <= n; i++) {
				w = order[i]; shown[w] = 1
				if (share[c, w] * 100 / total[c] >= 0.01)
					printf "  %s %.2f", w, share[c, w] * 100 / total[c]
			}
			for (w in names)
				if (!(w in shown) && share[c, w] * 100 / total[c] >= 0.01)
					printf "  %s %.2f", w, share[c, w] * 100 / total[c]
			printf "\n"
		}
	}'
