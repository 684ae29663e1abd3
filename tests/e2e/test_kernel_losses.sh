#!/usr/bin/env bash
# Packets the kernel could not hand over (ring full) are counted, per
# interface, in the Interface Statistics Block and in the summary on stderr:
# every accepted packet is either in the file or counted as lost.
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

losses_counted udp
losses_counted

assert_nothing_left "$NS"
pass
