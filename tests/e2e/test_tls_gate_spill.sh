#!/usr/bin/env bash
# Packets stay in the kernel's ring until written, so while a handshake's
# packets wait for secrets (here: ones that never come), every later packet
# waits in the ring too. Past half full, a ring's packets are copied out and
# its space goes back: nothing is lost, however small the ring, and all is
# written once the wait is over, in time order.
source "$(dirname "$0")/lib.sh"

NS="$NS_PREFIX-s"
netns_add "$NS"
COUNT=600 # of 200-byte datagrams: ~170 KiB of records, each CPU's ring is 64 KiB
# 3 ms apart: a ring fills in over a second, not in a stall of the reader's wake-up.
GAP=0.003

ip netns exec "$NS" "$ECAP_TLS" -i lo -B 128 --tls-wait 3000 -w "$WORK/out.pcapng" \
	2>"$WORK/err" &
pid=$!
started $pid
wait_for_size "$WORK/out.pcapng" 100

ip netns exec "$NS" python3 "$E2E_DIR/traffic.py" tls-echo-server 127.0.0.1 4433 "$WORK/ready" &
server=$!
started $server
wait_for_size "$WORK/ready" 0
ip netns exec "$NS" python3 "$E2E_DIR/traffic.py" tls-hello 127.0.0.1 4433 ||
	fail "the ClientHello exchange failed"
# The server's close ends the connection's packets only once it has run.
wait $server || fail "the echo server failed"
# Written behind the held handshake: 3 s of waiting, far less of sending.
ip netns exec "$NS" python3 "$E2E_DIR/traffic.py" udp-burst 127.0.0.1 9 200 $COUNT $GAP ||
	fail "the UDP burst failed"
sleep 3.5
stop_pid $pid TERM || fail "ecap-tls failed: $(cat "$WORK/err")"
cat "$WORK/err"

stats=$(python3 "$E2E_DIR/pcapng_stats.py" "$WORK/out.pcapng")
field() { grep -o "$1=[0-9]*" <<<"$stats" | cut -d= -f2; }
[ "$(field os_drop)" = 0 ] || fail "packets lost in the kernel while the handshake waited: $stats"
udp=$(tshark -r "$WORK/out.pcapng" -Y "udp.dstport == 9 && !icmp" 2>/dev/null | wc -l)
[ "$udp" = $COUNT ] || fail "$udp of $COUNT datagrams in the file"
# Both directions of the exchange wait: the echo looks like a ClientHello too.
grep -qE " [1-9][0-9]* connections written before their secrets came" "$WORK/err" ||
	fail "the handshake did not wait for its secrets: $(cat "$WORK/err")"
# In time order, the held handshake first.
tshark -r "$WORK/out.pcapng" -T fields -e frame.time_epoch 2>/dev/null |
	sort -c -g || fail "the file is not in time order"
first_udp=$(tshark -r "$WORK/out.pcapng" -Y "udp && !icmp" -T fields -e frame.number 2>/dev/null | head -1)
last_tcp=$(tshark -r "$WORK/out.pcapng" -Y "tcp.port == 4433" -T fields -e frame.number 2>/dev/null |
	tail -1)
[ "$last_tcp" -lt "$first_udp" ] || fail "the handshake's packets are not before the datagrams"

assert_nothing_left "$NS"
pass
