#!/usr/bin/env bash
# An interface that disappears mid-capture (a container's veth going away)
# ends its part cleanly; the rest of the capture goes on, and the file is
# complete, with statistics for both interfaces.
source "$(dirname "$0")/lib.sh"

ATTACH=${1:-auto}
two_hosts

ip netns exec "$NS_A" "$ECAP_TLS" -i "$IF_A" -i lo --no-tls --attach "$ATTACH" \
	-w "$WORK/out.pcapng" 2>"$WORK/err" &
pid=$!
started $pid
wait_for_size "$WORK/out.pcapng" 100

send() { # ADDR TEXT
	ip netns exec "$NS_A" python3 "$E2E_DIR/traffic.py" udp-send "$1" 9 "$2"
}
send "$ADDR_B" before-removal
send 127.0.0.1 before-removal
sleep 0.3
ip -n "$NS_A" link del "$IF_A"
sleep 0.3
send 127.0.0.1 after-removal
sleep 0.3
kill -0 $pid 2>/dev/null || fail "ecap-tls stopped when $IF_A went away: $(cat "$WORK/err")"
stop_pid $pid TERM || fail "ecap-tls failed: $(cat "$WORK/err")"

seen() { # TEXT IFACE
	tshark -r "$WORK/out.pcapng" -Y "frame contains \"$1\" && frame.interface_name == \"$2\"" \
		2>/dev/null | wc -l
}
[ "$(seen before-removal "$IF_A")" -ge 1 ] || fail "nothing captured on $IF_A before it went"
[ "$(seen before-removal lo)" -ge 1 ] || fail "nothing captured on lo before"
[ "$(seen after-removal lo)" -ge 1 ] || fail "lo was not captured after $IF_A went away"
[ "$(python3 "$E2E_DIR/pcapng_stats.py" "$WORK/out.pcapng" | wc -l)" = 2 ] ||
	fail "no statistics block for each interface"
assert_nothing_left "$NS_A"
if [ "$ATTACH" = auto ]; then
	# The same with cls_bpf filters, which the kernel drops with the device too.
	bash "$0" clsact || exit 1
fi
pass "--attach $ATTACH"
