#!/usr/bin/env bash
# One capture of two interfaces while traffic runs on both CPUs at once: one
# Interface Description Block each, every packet once on its own interface
# (the same packets tcpdump sees there), and time order across CPUs.
source "$(dirname "$0")/lib.sh"

two_hosts

# Our flows only: ARP and link-local IPv6 chatter come whenever they like,
# possibly while only one of the captures runs.
FILTER="tcp"
REFS=()

ip netns exec "$NS_A" "$ECAP_TLS" -i lo -i "$IF_A" -w "$WORK/ours.pcapng" "$FILTER" \
	2>"$WORK/ours.log" &
OURS=$!
started $OURS
for iface in lo "$IF_A"; do
	ip netns exec "$NS_A" tcpdump -i "$iface" -B 131072 --immediate-mode -U \
		-w "$WORK/ref-$iface.pcap" "$FILTER" 2>"$WORK/tcpdump-$iface.log" &
	started $!
	REFS+=($!)
	wait_for_tcpdump "$WORK/tcpdump-$iface.log"
done
wait_for_size "$WORK/ours.pcapng" 100

# Two flows at once, on whichever CPUs the scheduler picks.
servers=()
for server in "$NS_B $ADDR_B" "$NS_A 127.0.0.1"; do
	set -- $server
	rm -f "$WORK/ready"
	ip netns exec "$1" python3 "$E2E_DIR/traffic.py" tcp-server "$2" 5001 "$WORK/ready" &
	servers+=($!)
	started $!
	wait_for_size "$WORK/ready" 0
done
flows=()
for addr in "$ADDR_B" 127.0.0.1; do
	ip netns exec "$NS_A" python3 "$E2E_DIR/traffic.py" tcp-client "$addr" 5001 \
		$(seq 1000 3000 300000) &
	flows+=($!)
done
# The servers' exits end their connections' packets (their FINs).
for pid in "${flows[@]}" "${servers[@]}"; do
	wait "$pid" || fail "a traffic flow failed"
done
sleep 0.3
stop_pid $OURS TERM || fail "ecap-tls failed: $(cat "$WORK/ours.log")"
for pid in "${REFS[@]}"; do
	stop_pid "$pid" INT || true
done

# One IDB per interface, in the order given, both Ethernet.
idbs=$(tshark -r "$WORK/ours.pcapng" -T fields -e frame.interface_id -e frame.interface_name \
	-e frame.encap_type 2>/dev/null | sort -u)
[ "$idbs" = "$(printf '0\tlo\t1\n1\t%s\t1' "$IF_A")" ] || fail "interfaces: $idbs"

# Non-decreasing timestamps across the whole file.
tshark -r "$WORK/ours.pcapng" -T fields -e frame.time_epoch 2>/dev/null >"$WORK/times"
sort -c "$WORK/times" || fail "timestamps go backwards"

# The same packets as tcpdump on each interface (order across CPUs may differ there).
hashes() { # FILE [DISPLAY_FILTER]
	tshark -r "$1" -o frame.generate_md5_hash:TRUE ${2:+-Y "$2"} -T fields -e frame.md5_hash \
		2>/dev/null | sort
}
for iface in lo "$IF_A"; do
	grep -q "^0 packets dropped by kernel" "$WORK/tcpdump-$iface.log" ||
		fail "the reference lost packets on $iface"
	ref=$(hashes "$WORK/ref-$iface.pcap")
	ours=$(hashes "$WORK/ours.pcapng" "frame.interface_name == \"$iface\"")
	[ "$(wc -l <<<"$ref")" -gt 100 ] || fail "$iface: too little traffic: $(wc -l <<<"$ref")"
	[ "$ours" = "$ref" ] || fail "$iface: packets differ from tcpdump's: $(diff <(echo "$ref") \
		<(echo "$ours") | head -5)"
	echo "$iface: $(wc -l <<<"$ref") packets, the same as tcpdump's"
done

assert_nothing_left "$NS_A"
pass
