#!/usr/bin/env bash
# Whatever the attach mode and however a capture stops, nothing of ours stays
# in the kernel, and a qdisc or filter someone else installed survives.
source "$(dirname "$0")/lib.sh"

two_hosts

tc_state() { # IFACE: qdiscs and filters as tc lists them, handles and ids masked
	{
		tc -n "$NS_A" qdisc show dev "$1"
		tc -n "$NS_A" filter show dev "$1" ingress
		tc -n "$NS_A" filter show dev "$1" egress
	} 2>/dev/null | sed -E 's/(id|tag) [0-9a-f]+/\1 N/g'
}

capture() { # ARGS...: a capture of a second, stopped by --duration
	ip netns exec "$NS_A" "$ECAP_TLS" -w "$WORK/c.pcapng" --duration 1 "$@" \
		2>"$WORK/err" || fail "ecap-tls $* failed: $(cat "$WORK/err")"
	capinfos "$WORK/c.pcapng" >/dev/null 2>&1 || fail "ecap-tls $*: output is not valid pcapng"
}

# Someone else's clsact qdisc and filters on the veth.
tc -n "$NS_A" qdisc add dev "$IF_A" clsact
tc -n "$NS_A" filter add dev "$IF_A" ingress prio 7 u32 match u32 0 0 flowid 1:1
tc -n "$NS_A" filter add dev "$IF_A" egress prio 9 u32 match u32 0 0 flowid 1:1
before_veth=$(tc_state "$IF_A")
before_lo=$(tc_state lo)

for mode in clsact tcx auto; do
	capture -i "$IF_A" -i lo --attach $mode
	[ "$(tc_state "$IF_A")" = "$before_veth" ] ||
		fail "--attach $mode changed $IF_A's tc state: $(tc_state "$IF_A")"
	[ "$(tc_state lo)" = "$before_lo" ] || fail "--attach $mode left on lo: $(tc_state lo)"
	assert_nothing_left "$NS_A"
done

# While a clsact capture runs, our filters sit beside the others.
rm -f "$WORK/c.pcapng"
ip netns exec "$NS_A" "$ECAP_TLS" -i "$IF_A" --attach clsact -w "$WORK/c.pcapng" 2>"$WORK/err" &
pid=$!
started $pid
wait_for_size "$WORK/c.pcapng" 100
during=$(tc_state "$IF_A")
grep -q "ecap_ingress" <<<"$during" || fail "no ecap_ingress filter during a clsact capture"
grep -q "ecap_egress" <<<"$during" || fail "no ecap_egress filter during a clsact capture"
[ "$(grep -c u32 <<<"$during")" -ge 2 ] || fail "existing filters gone during the capture"
# Ours runs before the existing filters, which would end classification.
ip netns exec "$NS_A" python3 "$E2E_DIR/traffic.py" udp-send "$ADDR_B" 9 clsact-marker
sleep 0.3
stop_pid $pid INT || fail "ecap-tls failed on SIGINT: $(cat "$WORK/err")"
[ -n "$(tshark -r "$WORK/c.pcapng" -Y 'frame contains "clsact-marker"' 2>/dev/null)" ] ||
	fail "the clsact capture missed a packet sent during it"
[ "$(tc_state "$IF_A")" = "$before_veth" ] || fail "SIGINT left: $(tc_state "$IF_A")"
assert_nothing_left "$NS_A"

# Stopped by --count, and by a reader that goes away.
send_until_exit() { # PID: loopback datagrams until PID exits (at most 100)
	for _ in $(seq 100); do
		kill -0 "$1" 2>/dev/null || return 0
		ip netns exec "$NS_A" python3 "$E2E_DIR/traffic.py" udp-send 127.0.0.1 9 \
			"$(printf 'x%.0s' $(seq 200))"
	done
	fail "process $1 did not stop"
}

rm -f "$WORK/c.pcapng"
ip netns exec "$NS_A" "$ECAP_TLS" -i lo -c 3 -w "$WORK/c.pcapng" 2>"$WORK/err" &
pid=$!
started $pid
wait_for_size "$WORK/c.pcapng" 100
send_until_exit $pid
wait $pid || fail "-c 3 exited with an error: $(cat "$WORK/err")"
[ "$(tshark -r "$WORK/c.pcapng" 2>/dev/null | wc -l)" = 3 ] || fail "-c 3 did not write 3 packets"

ip netns exec "$NS_A" bash -o pipefail -c "'$ECAP_TLS' -i lo -w - 2>'$WORK/err' | head -c 2000 >/dev/null" &
pid=$!
started $pid
sleep 0.5
send_until_exit $pid
wait $pid || fail "a closed reader is not a clean stop: $(cat "$WORK/err")"
assert_nothing_left "$NS_A"

# Waits until a packet holding TEXT is in FILE, while the capture runs.
wait_for_packet() { # FILE TEXT
	for _ in $(seq 100); do
		grep -qa "$2" "$1" && return 0
		sleep 0.05
	done
	fail "$1 did not get the packet with \"$2\" while the capture ran"
}

# SIGKILL: with tcx links (and uprobe, tracepoint and cgroup links), the
# kernel removes everything of ours with the process. What the file had is
# valid pcapng: a file gets its first packet at once and, the capture's
# buffers filling slowly, the later ones a poll or two after.
rm -f "$WORK/c.pcapng"
ip netns exec "$NS_A" "$ECAP_TLS" -i "$IF_A" -i lo -w "$WORK/c.pcapng" 2>"$WORK/err" &
pid=$!
started $pid
wait_for_size "$WORK/c.pcapng" 100
ip netns exec "$NS_A" python3 "$E2E_DIR/traffic.py" udp-send 127.0.0.1 9 first-of-killed
wait_for_packet "$WORK/c.pcapng" first-of-killed
for i in $(seq 5); do
	ip netns exec "$NS_A" python3 "$E2E_DIR/traffic.py" udp-send 127.0.0.1 9 "killed-$i"
done
wait_for_packet "$WORK/c.pcapng" killed-5
stop_pid $pid KILL || true
assert_nothing_left "$NS_A"
capinfos "$WORK/c.pcapng" >/dev/null 2>&1 || fail "a SIGKILLed capture is not valid pcapng"
[ "$(tshark -r "$WORK/c.pcapng" -Y 'frame contains "killed-"' 2>/dev/null | wc -l)" -ge 5 ] ||
	fail "a SIGKILLed capture's file lost packets it had"

# SIGTERM stops a capture with its TLS hooks in place quickly, the file
# complete with one ISB per interface. The slack is generous: the figure
# itself belongs to the benchmarks.
rm -f "$WORK/c.pcapng"
ip netns exec "$NS_A" "$ECAP_TLS" -i "$IF_A" -i lo -w "$WORK/c.pcapng" 2>"$WORK/err" &
pid=$!
started $pid
wait_for_size "$WORK/c.pcapng" 100
t0=$(date +%s%N)
stop_pid $pid TERM || fail "ecap-tls failed on SIGTERM: $(cat "$WORK/err")"
stop_ms=$((($(date +%s%N) - t0) / 1000000))
[ $stop_ms -lt 2000 ] || fail "SIGTERM took $stop_ms ms to stop the capture"
[ "$(python3 "$E2E_DIR/pcapng_stats.py" "$WORK/c.pcapng" | wc -l)" = 2 ] ||
	fail "not one ISB per interface after SIGTERM"
assert_nothing_left "$NS_A"

# SIGKILL with clsact: the kernel keeps a filter after its process, so the
# next capture removes what a killed one left as it starts, and --cleanup does
# it on demand; filters of a capture that still runs, and others', stay.
killed_clsact_capture() { # FILTERS: ours on the veth afterwards
	rm -f "$WORK/k.pcapng"
	ip netns exec "$NS_A" "$ECAP_TLS" -i "$IF_A" --attach clsact -w "$WORK/k.pcapng" \
		2>"$WORK/err" &
	local pid=$!
	started $pid
	wait_for_size "$WORK/k.pcapng" 100
	stop_pid $pid KILL || true
	[ "$(tc_state "$IF_A" | grep -c 'ecap_')" = "$1" ] ||
		fail "a killed clsact capture left no filters to clean up: $(tc_state "$IF_A")"
}
ip netns exec "$NS_A" "$ECAP_TLS" -i "$IF_A" --attach clsact -w "$WORK/c.pcapng" 2>"$WORK/err" &
pid=$!
started $pid
wait_for_size "$WORK/c.pcapng" 100
killed_clsact_capture 4
ip netns exec "$NS_A" "$ECAP_TLS" --cleanup >"$WORK/out" 2>"$WORK/cleanup.err" ||
	fail "--cleanup failed: $(cat "$WORK/cleanup.err")"
grep -q "^ecap-tls: 2 TC filters of killed captures removed$" "$WORK/out" ||
	fail "--cleanup: $(cat "$WORK/out" "$WORK/cleanup.err")"
[ "$(tc_state "$IF_A" | grep -c 'ecap_')" = 2 ] ||
	fail "--cleanup removed a running capture's filters: $(tc_state "$IF_A")"
stop_pid $pid TERM || fail "the capture beside --cleanup failed: $(cat "$WORK/err")"
[ "$(tc_state "$IF_A")" = "$before_veth" ] || fail "after --cleanup: $(tc_state "$IF_A")"
assert_nothing_left "$NS_A"

killed_clsact_capture 2
capture -i "$IF_A"
[ "$(grep -c "removed the TC filter a killed capture left on $IF_A" "$WORK/err")" = 2 ] ||
	fail "a new capture did not remove a killed one's filters: $(cat "$WORK/err")"
[ "$(tc_state "$IF_A")" = "$before_veth" ] || fail "after a new capture: $(tc_state "$IF_A")"
assert_nothing_left "$NS_A"

# Bad input: one line on stderr, a non-zero exit, nothing attached.
bad_input() { # WHAT ARGS...
	local what=$1 rc=0
	shift
	ip netns exec "$NS_A" "$ECAP_TLS" -w "$WORK/bad.pcapng" "$@" 2>"$WORK/err" || rc=$?
	[ $rc -ne 0 ] || fail "$what: exit status 0"
	[ "$(wc -l <"$WORK/err")" = 1 ] || fail "$what: not one line on stderr: $(cat "$WORK/err")"
	assert_nothing_left "$NS_A"
	[ "$(tc_state "$IF_A")" = "$before_veth" ] || fail "$what: left $(tc_state "$IF_A")"
}
bad_input "missing interface" -i no-such-if0
bad_input "bad filter" -i "$IF_A" "tcp port"
bad_input "snaplen out of range" -i "$IF_A" -s 300000
bad_input "unwritable output" -i "$IF_A" -w /proc/no/such/dir/x.pcapng
bad_input "non-numeric pid" -i "$IF_A" --pid abc
bad_input "pid without a value" -i "$IF_A" --pid
bad_input "no such process" -i "$IF_A" --pid 4194303
printf 'not an ELF file\n' >"$WORK/libssl.so.3"
bad_input "non-ELF --tls-lib" -i "$IF_A" --tls-lib "$WORK/libssl.so.3"
bad_input "missing --tls-lib" -i "$IF_A" --tls-lib "$WORK/no/libssl.so.3"
bad_input "--tls-lib naming a folder" -i "$IF_A" --tls-lib "$WORK"
# No BTF: the kernel's type information hidden in a mount namespace of its own.
ECAP_TLS_REAL=$ECAP_TLS
ECAP_TLS=$WORK/no-btf.sh
cat >"$ECAP_TLS" <<EOF
#!/bin/sh
exec unshare -m sh -c 'mount -t tmpfs none /sys/kernel/btf && exec "\$0" "\$@"' "$ECAP_TLS_REAL" "\$@"
EOF
chmod +x "$ECAP_TLS"
bad_input "no BTF" -i "$IF_A"
grep -q "no BTF" "$WORK/err" || fail "no BTF: not named: $(cat "$WORK/err")"
ECAP_TLS=$ECAP_TLS_REAL

pass "stopped by SIGTERM in $stop_ms ms"
