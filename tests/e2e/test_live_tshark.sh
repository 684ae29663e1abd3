#!/usr/bin/env bash
# Through Wireshark's own machinery: `tshark -i ecap-tls` runs the installed
# extcap, sees traffic made during the run, and stopping tshark (autostop or
# Ctrl-C) leaves nothing of ours in the kernel.
source "$(dirname "$0")/lib.sh"

extcap_dir=$(tshark -G folders 2>/dev/null | awk -F'\t+' '/^Extcap path/ {print $2}')
[ -x "$extcap_dir/ecap-tls" ] || skip "ecap-tls is not installed in $extcap_dir (cmake --install)"

two_hosts

# tshark runs inside host A, so the extcap's default (every interface that is
# up) is lo and the veth: nothing outside this test is captured.
live_capture() { # OUTPUT TSHARK_ARGS...
	local out=$1
	shift
	ip netns exec "$NS_A" tshark -i ecap-tls -w "$out" "$@" 2>"$WORK/tshark.log" &
	TSHARK=$!
	started $TSHARK
	# tshark writes its file once the extcap has sent the pcapng header.
	wait_for_size "$out" 200
	sleep 0.3
}

send_marker() { # TEXT
	for _ in 1 2 3; do
		ip netns exec "$NS_A" python3 "$E2E_DIR/traffic.py" udp-send "$ADDR_B" 9 "$1"
		ip netns exec "$NS_A" python3 "$E2E_DIR/traffic.py" udp-send 127.0.0.1 9 "$1"
	done
}

assert_marker() { # FILE TEXT
	local seen
	seen=$(tshark -r "$1" -Y "udp.port == 9 && frame contains \"$2\"" \
		-T fields -e frame.interface_name 2>/dev/null | sort | uniq -c)
	grep -q "$IF_A" <<<"$seen" || fail "marker '$2' not seen on $IF_A: $seen"
	grep -q " lo$" <<<"$seen" || fail "marker '$2' not seen on lo: $seen"
}

# 1. tshark's autostop ends the capture.
live_capture "$WORK/auto.pcapng" -a duration:4
send_marker ecap-live-autostop
wait $TSHARK || fail "tshark failed: $(cat "$WORK/tshark.log")"
assert_marker "$WORK/auto.pcapng" ecap-live-autostop
assert_nothing_left "$NS_A"

# 2. Ctrl-C on tshark: it stops the extcap with SIGTERM.
live_capture "$WORK/int.pcapng"
send_marker ecap-live-interrupt
sleep 0.5
stop_pid $TSHARK INT || true
assert_marker "$WORK/int.pcapng" ecap-live-interrupt
assert_nothing_left "$NS_A"

pass
