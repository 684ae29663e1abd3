#!/usr/bin/env bash
# ecap-tls and tcpdump capture the same interface in the same run: the same
# packets must come out, in the same order, byte for byte. Covers a veth
# between two namespaces (TCP and UDP, IPv4 and IPv6, GSO-sized segments,
# fragments), loopback, a tun device (no link layer: raw IP), kernel-side
# capture filters and one too long for the kernel, which runs in user space.
source "$(dirname "$0")/lib.sh"

two_hosts

# Packets handled on two CPUs a microsecond apart may reach TC and tcpdump's
# tap in different orders; with the traffic on one CPU both see the kernel's
# own order. The captures themselves run anywhere.
PIN="taskset -c 0"

# Sizes chosen around MTU, fragmentation and GSO boundaries.
TCP_SIZES="1 100 1448 1449 5000 65000 200000"
UDP_SIZES="1 100 1472 1473 8000 65000"

start_captures() { # NS IFACE FILTER...
	local ns=$1 iface=$2
	shift 2
	rm -f "$WORK/ours.pcapng" "$WORK/ref.pcap" "$WORK/tcpdump.log"
	ip netns exec "$ns" "$ECAP_TLS" -i "$iface" -w "$WORK/ours.pcapng" "$@" \
		2>"$WORK/ours.log" &
	OURS=$!
	started $OURS
	# A large buffer and immediate mode, so the reference itself loses nothing.
	ip netns exec "$ns" tcpdump -i "$iface" -B 131072 --immediate-mode -U -w "$WORK/ref.pcap" "$@" \
		2>"$WORK/tcpdump.log" &
	REF=$!
	started $REF
	wait_for_size "$WORK/ours.pcapng" 100
	wait_for_tcpdump "$WORK/tcpdump.log"
}

stop_captures() {
	sleep 0.3
	stop_pid $OURS TERM || fail "ecap-tls exited with an error: $(cat "$WORK/ours.log")"
	stop_pid $REF INT || true
}

# tcpdump's decoding and hex of every packet between the two marker datagrams,
# without timestamps, one packet per line.
packets_between_markers() { # FILE BEGIN_PORT END_PORT
	# awk reads to the end: tcpdump must not die of SIGPIPE under pipefail.
	tcpdump -r "$1" -nn -t -xx 2>/dev/null | awk -v b="\\\\.$2: UDP" -v e="\\\\.$3: UDP" '
		done { next }
		/^[^\t]/ && $0 ~ b { on = 1 }
		!on { next }
		/^[^\t]/ { if (pkt != "") print pkt; pkt = $0; if ($0 ~ e) done = 1; next }
		{ pkt = pkt " |" $0 }
		END { if (pkt != "") print pkt }'
}

# The kernel's own multicast listener reports and router solicitations leave
# on a timer, on whichever CPU it fires: their place among the traffic is
# not the same for two taps, so they are compared as a set.
TIMER_SENT='multicast listener report|router solicitation'

compare_lists() { # WHAT REF OURS
	[ "$2" = "$3" ] && return 0
	diff <(echo "$2" | sed 's/ |/\n/g') <(echo "$3" | sed 's/ |/\n/g') | head -40 >&2
	fail "$1: ecap-tls and tcpdump differ (above: < tcpdump, > ecap-tls)"
}

compare() { # WHAT
	local ours ref
	ours=$(packets_between_markers "$WORK/ours.pcapng" 9 19)
	ref=$(packets_between_markers "$WORK/ref.pcap" 9 19)
	[ -n "$ref" ] || fail "$1: tcpdump saw no marked traffic"
	grep -q "^0 packets dropped by kernel" "$WORK/tcpdump.log" ||
		fail "$1: the reference lost packets: $(cat "$WORK/tcpdump.log")"
	compare_lists "$1" "$(grep -Ev "$TIMER_SENT" <<<"$ref" || true)" \
		"$(grep -Ev "$TIMER_SENT" <<<"$ours" || true)"
	compare_lists "$1 (timer-sent)" "$(grep -E "$TIMER_SENT" <<<"$ref" | sort || true)" \
		"$(grep -E "$TIMER_SENT" <<<"$ours" | sort || true)"
	echo "$1: $(echo "$ref" | wc -l) packets identical"
}

echo_servers() { # NS ADDR ADDR6 UDP_COUNT
	local ns=$1
	for addr in "$2" "$3"; do
		rm -f "$WORK/ready"
		ip netns exec "$ns" $PIN python3 "$E2E_DIR/traffic.py" tcp-server "$addr" 5001 \
			"$WORK/ready" &
		started $!
		wait_for_size "$WORK/ready" 0
		rm -f "$WORK/ready"
		ip netns exec "$ns" $PIN python3 "$E2E_DIR/traffic.py" udp-server "$addr" 5002 \
			"$WORK/ready" "$4" &
		started $!
		wait_for_size "$WORK/ready" 0
	done
}

client_traffic() { # NS ADDR ADDR6 MARK_ADDR
	local ns=$1
	ip netns exec "$ns" $PIN python3 "$E2E_DIR/traffic.py" udp-send "$4" 9 begin
	for addr in "$2" "$3"; do
		ip netns exec "$ns" $PIN python3 "$E2E_DIR/traffic.py" tcp-client "$addr" 5001 \
			$TCP_SIZES
		ip netns exec "$ns" $PIN python3 "$E2E_DIR/traffic.py" udp-client "$addr" 5002 \
			$UDP_SIZES
	done
	ip netns exec "$ns" $PIN python3 "$E2E_DIR/traffic.py" udp-send "$4" 19 end
}

udp_count=$(echo $UDP_SIZES | wc -w)

# 1. A veth between two hosts.
echo_servers "$NS_B" "$ADDR_B" "$ADDR6_B" "$udp_count"
start_captures "$NS_A" "$IF_A"
client_traffic "$NS_A" "$ADDR_B" "$ADDR6_B" "$ADDR_B"
stop_captures
compare "veth"

# Direction: what host A sent is outbound on its veth, the rest inbound.
mac_a=$(ip -n "$NS_A" -br link show "$IF_A" | awk '{print $3}')
tshark -r "$WORK/ours.pcapng" -T fields -e eth.src -e frame.packet_flags_direction \
	>"$WORK/directions" 2>/dev/null
awk -v a="$mac_a" '{ want = ($1 == a) ? "0x00000002" : "0x00000001"; if ($2 != want) bad++ }
	END { exit bad > 0 }' "$WORK/directions" ||
	fail "direction flags wrong: $(head -5 "$WORK/directions")"
[ -s "$WORK/directions" ] || fail "no packets in the capture"

# 2. Loopback: each packet once, as tcpdump shows it.
echo_servers "$NS_A" 127.0.0.1 ::1 "$udp_count"
start_captures "$NS_A" lo
client_traffic "$NS_A" 127.0.0.1 ::1 127.0.0.1
stop_captures
compare "loopback"

# 3. A capture filter, evaluated in the kernel.
echo_servers "$NS_B" "$ADDR_B" "$ADDR6_B" "$udp_count"
start_captures "$NS_A" "$IF_A" "udp or (tcp and ip6)"
client_traffic "$NS_A" "$ADDR_B" "$ADDR6_B" "$ADDR_B"
stop_captures
compare "filter"
filtered=$(packets_between_markers "$WORK/ours.pcapng" 9 19)
grep -q "^IP6 .* Flags" <<<"$filtered" || fail "filter: no IPv6 TCP packet captured"
! grep -q "^IP .* Flags" <<<"$filtered" || fail "filter: IPv4 TCP packets were not filtered out"

# 4. A filter too long for the in-kernel interpreter runs in user space.
long="udp"
for i in $(seq 1 150); do long="$long or host 198.19.$((i / 250)).$((i % 250 + 1))"; done
echo_servers "$NS_B" "$ADDR_B" "$ADDR6_B" "$udp_count"
start_captures "$NS_A" "$IF_A" "$long"
client_traffic "$NS_A" "$ADDR_B" "$ADDR6_B" "$ADDR_B"
stop_captures
compare "long filter"

# 5. A device without a link layer: raw IP, both directions.
TUN=ecaptun0
ip -n "$NS_A" tuntap add mode tun "$TUN"
rm -f "$WORK/ready"
ip netns exec "$NS_A" $PIN python3 "$E2E_DIR/traffic.py" tun-reflect "$TUN" "$WORK/ready" &
started $!
wait_for_size "$WORK/ready" 0
ip -n "$NS_A" addr add 198.19.0.1/24 dev "$TUN"
ip -n "$NS_A" link set "$TUN" up
start_captures "$NS_A" "$TUN"
ip netns exec "$NS_A" $PIN python3 "$E2E_DIR/traffic.py" udp-send 198.19.0.2 9 begin
for size in $UDP_SIZES; do
	ip netns exec "$NS_A" $PIN python3 "$E2E_DIR/traffic.py" udp-send 198.19.0.2 5002 \
		"$(head -c "$size" /dev/zero | tr '\0' x)"
done
ip netns exec "$NS_A" $PIN python3 "$E2E_DIR/traffic.py" udp-send 198.19.0.2 19 end
stop_captures
compare "tun"
[ "$(tshark -r "$WORK/ours.pcapng" -T fields -e frame.encap_type 2>/dev/null | sort -u)" = 7 ] ||
	fail "tun: link type is not raw IP"

assert_nothing_left "$NS_A"
pass
