#!/usr/bin/env bash
# The live view: `tshark -i ecap-tls -Y http`, through Wireshark's own
# machinery and the installed extcap, shows HTTPS requests and responses
# decrypted while they happen. nginx (host B) and the clients (host A: curl
# with TLS 1.3 and 1.2, python3's ssl) start after the capture and are told
# nothing.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"

extcap_dir=$(tshark -G folders 2>/dev/null | awk -F'\t+' '/^Extcap path/ {print $2}')
[ -x "$extcap_dir/ecap-tls" ] || skip "ecap-tls is not installed in $extcap_dir (cmake --install)"

two_hosts
tls_make_cert
OUT=$WORK/live.txt
MARKER=ecap-tls-live-$$

# tshark runs inside host A: the extcap's default interfaces are lo and the
# veth. It prints each HTTP message, and the marker datagrams that tell us the
# capture runs, as soon as it sees them (-l). Autostop bounds the run.
ip netns exec "$NS_A" tshark -l -i ecap-tls -a duration:60 \
	-Y "http || (udp.port == 9 && frame contains \"$MARKER\")" \
	-T fields -E separator=' ' -e udp.dstport -e http.request.uri -e http.response_for.uri \
	-e http.response.code -e http.file_data >"$OUT" 2>"$WORK/tshark.log" &
TSHARK=$!
started $TSHARK

# What tshark showed so far, one message a line, blanks squeezed:
#   9            a marker
#   /URI         a request
#   URI 200 BODY a response (to a request for URI; scheme and host cut)
shown() {
	awk '{ $1 = $1; sub(/^[a-z]+:\/\/[^\/]*/, ""); sub(/\\n$/, ""); print }' "$OUT"
}

# Waits until LINES lines tshark showed match the extended regular expression RE.
wait_for_output() { # RE LINES SECONDS WHAT
	local i
	for i in $(seq $(($3 * 10))); do
		[ "$(shown | grep -cE "$1" || true)" -ge "$2" ] && return 0
		kill -0 $TSHARK 2>/dev/null || fail "tshark ended: $(tail -3 "$WORK/tshark.log")"
		# A marker each second until the capture shows one.
		[ "$4" = marker ] && [ $((i % 10)) -eq 1 ] &&
			ip netns exec "$NS_A" python3 "$E2E_DIR/traffic.py" udp-send "$ADDR_B" 9 "$MARKER"
		sleep 0.1
	done
	fail "tshark -i ecap-tls did not show $4 within $3 s: $(shown) $(tail -3 "$WORK/tshark.log")"
}
wait_for_output '^9$' 1 20 marker

# Only now the server and the clients.
tls_start_nginx "$NS_B" "$ADDR_B"
tls_curl "$NS_A" "https://$ADDR_B/$MARKER-curl-13" -- --tlsv1.3
tls_curl "$NS_A" "https://$ADDR_B/$MARKER-curl-12" -- --tlsv1.2 --tls-max 1.2
tls_python "$NS_A" "$ADDR_B" 1.3 - "/$MARKER-python-1" "/$MARKER-python-2"

# Each request and its "200 hello" answer, decrypted, while tshark still runs.
uris="curl-13 curl-12 python-1 python-2"
wait_for_output "^/$MARKER-.* 200 hello$" 4 15 "the decrypted responses"
for uri in $uris; do
	shown | grep -x "/$MARKER-$uri" >/dev/null || fail "request /$MARKER-$uri not shown decrypted: $(shown)"
	shown | grep -x "/$MARKER-$uri 200 hello" >/dev/null ||
		fail "response to /$MARKER-$uri not shown decrypted: $(shown)"
done
stop_pid $TSHARK INT || true

assert_nothing_left "$NS_A"
pass "$(grep -c "$MARKER-" "$OUT") decrypted HTTP messages shown live"
