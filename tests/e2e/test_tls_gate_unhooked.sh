#!/usr/bin/env bash
# A handshake in which no hooked library takes part (gnutls-cli against
# gnutls-serv) brings no secrets. Its packets, and every packet after them,
# wait only as long as a peer in another network namespace would take to
# hand its secrets over, not the whole --tls-wait: a live view keeps up.
# (OpenSSL clients against gnutls-serv, whose ClientHellos can belong to
# gnutls-serv and so wait that short while, still decrypt in one pass:
# test_tls_decrypt.sh.)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"

NS="$NS_PREFIX-u"
netns_add "$NS"
tls_make_cert
tls_start_gnutls_serv "$NS"

ip netns exec "$NS" "$ECAP_TLS" -i lo --tls-wait 30000 -w "$WORK/out.pcapng" 2>"$WORK/err" &
pid=$!
started $pid
wait_for_size "$WORK/out.pcapng" 100

tls_gnutls_cli "$NS" 127.0.0.1 /unhooked "$WORK/gnutls-cli.log"
ip netns exec "$NS" python3 "$E2E_DIR/traffic.py" udp-burst 127.0.0.1 9 100 1 0 ||
	fail "the datagram could not be sent"
# Behind the handshake's packets in time: in the file once their wait is over.
datagrams() {
	tshark -r "$WORK/out.pcapng" -Y "udp.dstport == 9 && !icmp" 2>/dev/null | wc -l
}
give_up=$((SECONDS + 10))
while [ "$(datagrams)" -eq 0 ] && [ $SECONDS -lt $give_up ]; do
	sleep 0.1
done
[ "$(datagrams)" -gt 0 ] ||
	fail "a handshake without secrets held the output for 10 s of --tls-wait's 30: $(cat "$WORK/err")"

stop_pid $pid TERM || fail "ecap-tls failed: $(cat "$WORK/err")"
cat "$WORK/err"
grep -qE " [1-9][0-9]* connections written before their secrets came" "$WORK/err" ||
	fail "the handshake did not wait for its secrets at all: $(cat "$WORK/err")"
tshark -r "$WORK/out.pcapng" -T fields -e frame.time_epoch 2>/dev/null |
	sort -c -g || fail "the file is not in time order"
echo "ok: the handshake's wait ended long before --tls-wait"
