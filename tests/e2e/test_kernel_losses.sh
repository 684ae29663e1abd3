#!/usr/bin/env bash
# Packets the kernel could not hand over (ring full) are counted, per
# interface, in the Interface Statistics Block and in the summary on stderr:
# every accepted packet is either in the file or counted as lost. And where
# the rings have room, nothing is lost.
source "$(dirname "$0")/lib.sh"

netns_add "$NS_PREFIX-l"
NS="$NS_PREFIX-l"

# With a filter the TC program counts what it sees and accepts; without
# one it counts only losses, and ecap-tls counts what it reads.
losses_counted() { # [FILTER]
	rm -f "$WORK/out.pcapng"
	# The smallest ring (64 KiB) holds one 65000-byte packet at a time.
	ip netns exec "$NS" "$ECAP_TLS" -i lo -B 64 -w "$WORK/out.pcapng" "$@" 2>"$WORK/err" &
	pid=$!
	started $pid
	wait_for_size "$WORK/out.pcapng" 100
	# Stopped, the reader cannot keep up however fast it is: the ring holds one such packet.
	kill -STOP $pid
	burst=0
	ip netns exec "$NS" python3 "$E2E_DIR/traffic.py" udp-burst 127.0.0.1 9 65000 200 || burst=$?
	kill -CONT $pid
	[ $burst = 0 ] || fail "the UDP burst failed ($burst)"
	sleep 0.3
	stop_pid $pid TERM || fail "ecap-tls failed: $(cat "$WORK/err")"

	stats=$(python3 "$E2E_DIR/pcapng_stats.py" "$WORK/out.pcapng")
	echo "ISB: $stats"
	field() { grep -o "$1=[0-9]*" <<<"$stats" | cut -d= -f2; }
	written=$(tshark -r "$WORK/out.pcapng" 2>/dev/null | wc -l)

	[ "$(field if_recv)" -ge 200 ] || fail "the hook saw fewer than 200 packets: $stats"
	[ "$(field filter_accept)" -ge 200 ] || fail "the filter accepted fewer than 200: $stats"
	[ "$(field os_drop)" -gt 0 ] || fail "a 64 KiB ring lost nothing of 200 65000-byte packets?"
	[ "$(field usr_deliv)" = "$written" ] || fail "usr_deliv $(field usr_deliv) != $written in file"
	[ $(($(field usr_deliv) + $(field os_drop))) = "$(field filter_accept)" ] ||
		fail "accepted packets neither written nor counted as lost: $stats"
	grep -q "$(field os_drop) lost in the kernel (raise --buffer-size)" "$WORK/err" ||
		fail "stderr does not report the losses: $(cat "$WORK/err")"
}

# A CPU's small ring takes its packets while it has room, its big one the
# rest (SMALL_RING_SIZE in bpf/packets.h): a burst of 2000 datagrams from
# one CPU while the reader stands still, with loopback's ICMP errors 3.4 MB,
# past the small ring and half the big one (which then spills), is all there
# afterwards, in the order sent.
burst_past_small_ring() {
	local cpus numbers
	# Big rings of 4 MiB a CPU, as the default gives two CPUs.
	cpus=$(($(sed 's/.*-//' /sys/devices/system/cpu/possible) + 1))
	rm -f "$WORK/out.pcapng"
	ip netns exec "$NS" "$ECAP_TLS" -i lo --no-tls -B $((4096 * cpus)) -w "$WORK/out.pcapng" \
		2>"$WORK/err" &
	pid=$!
	started $pid
	wait_for_size "$WORK/out.pcapng" 100
	kill -STOP $pid
	burst=0
	ip netns exec "$NS" taskset -c 0 python3 "$E2E_DIR/traffic.py" udp-burst 127.0.0.1 9 1000 2000 ||
		burst=$?
	kill -CONT $pid
	[ $burst = 0 ] || fail "the UDP burst failed ($burst)"
	sleep 0.3
	stop_pid $pid TERM || fail "ecap-tls failed: $(cat "$WORK/err")"
	grep -q " 0 lost in the kernel" "$WORK/err" || fail "packets were lost: $(cat "$WORK/err")"
	numbers=$(tshark -r "$WORK/out.pcapng" -Y 'udp.dstport == 9 && !icmp' -T fields -e udp.payload \
		2>/dev/null | cut -c1-8 | while read -r hex; do echo $((16#$hex)); done)
	[ "$(wc -l <<<"$numbers")" = 2000 ] || fail "$(wc -l <<<"$numbers") datagrams of 2000 written"
	[ "$numbers" = "$(seq 0 1999)" ] || fail "the datagrams are not in the order sent"
}

losses_counted udp
losses_counted
burst_past_small_ring

assert_nothing_left "$NS"
pass
