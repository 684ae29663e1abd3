#!/usr/bin/env bash
# TLS secrets taken from OpenSSL while capturing: the saved pcapng decrypts on
# its own, in one pass. Host A runs the capture and the clients, host B the
# OpenSSL servers (openssl s_server, nginx); every server and client starts
# after the capture and none is told anything (no SSLKEYLOGFILE). OpenSSL
# clients: curl (TLS 1.2 and 1.3, IPv4 and IPv6), python3's ssl, openssl
# s_client with several TLS 1.2 and 1.3 suites, resumed sessions and key
# updates, and two clients that use a private copy of libssl. GnuTLS on the
# other side (gnutls-serv, gnutls-cli) proves the client side and the server
# side each on its own. From the file alone, read once by tshark: every
# request and every response is decrypted, every handshake has its secrets,
# each secret comes before the packets it decrypts, none is empty or repeated.
# --keylog-file writes the same secrets; --no-tls writes none.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/tls_lib.sh"

two_hosts
# s_server on 198.18.0.2, nginx on 198.18.0.3 and fd00::3: each on port 443.
ip -n "$NS_B" addr add 198.18.0.3/24 dev "$IF_B"
ip -n "$NS_B" addr add fd00::3/64 dev "$IF_B" nodad
S_ADDR=198.18.0.2 N_ADDR=198.18.0.3 N_ADDR6=fd00::3
tls_make_cert
# A second, RSA certificate for s_server, for TLS 1.2's RSA key exchange.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=ecap.test \
	-addext subjectAltName=IP:$S_ADDR -keyout "$WORK/rsa-key.pem" -out "$WORK/rsa-cert.pem" \
	2>>"$WORK/openssl-req.log" || fail "no RSA certificate: $(tail -3 "$WORK/openssl-req.log")"
cat "$CERT" "$WORK/rsa-cert.pem" >"$WORK/both-certs.pem"

start_capture() { # FILE ECAP_OPTIONS...
	local file=$1
	shift
	ip netns exec "$NS_A" "$ECAP_TLS" -i "$IF_A" -w "$file" "$@" 2>"$file.log" &
	CAPTURE=$!
	started $CAPTURE
	wait_for_size "$file" 100
}

stop_capture() { # FILE
	sleep 0.5
	stop_pid $CAPTURE TERM || fail "ecap-tls exited with an error: $(cat "$1.log")"
	capinfos "$1" >/dev/null 2>&1 || fail "$1 is not a valid capture: $(capinfos "$1" 2>&1)"
}

# What the clients asked for: URI and number of requests, in $EXPECTED.
EXPECTED=$WORK/expected
: >"$EXPECTED"
HANDSHAKES=0
made() { # URI COUNT: that many requests for URI made on this run
	echo "$1 $2" >>"$EXPECTED"
}

# 1. Capture with secrets; servers and clients start afterwards. Clients in
# host A reach s_server and nginx in host B over the veth, and gnutls-serv in
# host A itself over loopback.
CAP=$WORK/tls.pcapng
start_capture "$CAP" -i lo --keylog-file "$WORK/ecap.keylog" -v
# s_server also offers the two CCM suites, which OpenSSL does not enable by default.
TLS13_SUITES=(TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384 TLS_CHACHA20_POLY1305_SHA256
	TLS_AES_128_CCM_SHA256 TLS_AES_128_CCM_8_SHA256)
tls_start_s_server "$NS_B" "$S_ADDR" -dcert "$WORK/rsa-cert.pem" -dkey "$WORK/rsa-key.pem" \
	-ciphersuites "$(IFS=:; echo "${TLS13_SUITES[*]}")"
tls_start_nginx "$NS_B" "$N_ADDR" "$N_ADDR6"
tls_start_gnutls_serv "$NS_A"
G_ADDR=127.0.0.1

# 1a. OpenSSL on both sides: either side's secrets decrypt, and both sides
# log the same lines, which must come out once.

# curl: TLS 1.2 with two requests on one connection, TLS 1.3 over IPv6 and to
# s_server.
tls_curl "$NS_A" "https://$N_ADDR/curl-12-a" "https://$N_ADDR/curl-12-b" -- --tlsv1.2 --tls-max 1.2
made /curl-12-a 1
made /curl-12-b 1
tls_curl "$NS_A" "https://[$N_ADDR6]/curl-13-v6" -- --tlsv1.3
made /curl-13-v6 1
tls_www_page curl-13-s
tls_curl "$NS_A" "https://$S_ADDR/curl-13-s" -- --tlsv1.3
made /curl-13-s 1
HANDSHAKES=$((HANDSHAKES + 3))

# python3: three requests on one TLS 1.3 connection, and TLS 1.2.
tls_python "$NS_A" "$N_ADDR" 1.3 - /py-13-1 /py-13-2 /py-13-3
made /py-13-1 1
made /py-13-2 1
made /py-13-3 1
tls_www_page py-12
tls_python "$NS_A" "$S_ADDR" 1.2 - /py-12
made /py-12 1
HANDSHAKES=$((HANDSHAKES + 2))

# openssl s_client: every TLS 1.3 suite (RFC 8446 B.4)...
for suite in "${TLS13_SUITES[@]}"; do
	tls_www_page "sc-$suite"
	tls_s_client "$NS_A" "$S_ADDR" "/sc-$suite" "$WORK/s_client-$suite.log" -tls1_3 -ciphersuites "$suite"
	grep -q "^New, TLSv1.3, Cipher is $suite" "$WORK/s_client-$suite.log" ||
		fail "s_client did not negotiate $suite: $(grep -E '^(New|Reused)' "$WORK/s_client-$suite.log")"
	made "/sc-$suite" 1
	HANDSHAKES=$((HANDSHAKES + 1))
done
# ...and TLS 1.2 suites: AEADs and a CBC one.
for suite in ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-ECDSA-AES256-GCM-SHA384 \
	ECDHE-ECDSA-CHACHA20-POLY1305 ECDHE-ECDSA-AES256-SHA384; do
	tls_s_client "$NS_A" "$N_ADDR" "/sc-$suite" "$WORK/s_client-$suite.log" -tls1_2 -cipher "$suite"
	grep -q "^New, TLSv1.2, Cipher is $suite" "$WORK/s_client-$suite.log" ||
		fail "s_client did not negotiate $suite: $(grep -E '^(New|Reused)' "$WORK/s_client-$suite.log")"
	made "/sc-$suite" 1
	HANDSHAKES=$((HANDSHAKES + 1))
done
# ...and TLS 1.2 with RSA key exchange, to s_server's RSA certificate: OpenSSL
# also logs an "RSA" line (the premaster secret), which is no line of ours.
tls_www_page sc-rsa-kx
tls_s_client "$NS_A" "$S_ADDR" /sc-rsa-kx "$WORK/s_client-rsa-kx.log" -tls1_2 \
	-cipher AES128-GCM-SHA256 -CAfile "$WORK/both-certs.pem"
grep -q "^New, TLSv1.2, Cipher is AES128-GCM-SHA256" "$WORK/s_client-rsa-kx.log" ||
	fail "s_client did not negotiate RSA key exchange: $(grep -E '^(New|Reused)' "$WORK/s_client-rsa-kx.log")"
made /sc-rsa-kx 1
HANDSHAKES=$((HANDSHAKES + 1))

# Resumed sessions (from a ticket) of s_client with s_server: TLS 1.3 and 1.2.
resumed_s_client() { # ADDR NAME VERSION
	local addr=$1 name=$2 version=$3
	tls_www_page "$name-full-$version"
	tls_www_page "$name-resumed-$version"
	tls_s_client "$NS_A" "$addr" "/$name-full-$version" "$WORK/$name-full-$version.log" \
		"-tls$version" -sess_out "$WORK/$name-session-$version"
	tls_s_client "$NS_A" "$addr" "/$name-resumed-$version" "$WORK/$name-resumed-$version.log" \
		"-tls$version" -sess_in "$WORK/$name-session-$version"
	grep -q "^Reused, TLSv${version/_/.}," "$WORK/$name-resumed-$version.log" ||
		fail "$name: TLS ${version/_/.} session not resumed: $(grep -E '^(New|Reused)' \
			"$WORK/$name-resumed-$version.log")"
	made "/$name-full-$version" 1
	made "/$name-resumed-$version" 1
	HANDSHAKES=$((HANDSHAKES + 2))
}
resumed_s_client "$S_ADDR" sc 1_3
resumed_s_client "$S_ADDR" sc 1_2

# TLS 1.3 key updates: s_client's K command updates its keys and asks the
# server to update its own, before the request. The file holds no secret for
# them: Wireshark derives each next generation from the traffic secrets of the
# handshake, so request and response decrypt only if it followed both.
tls_www_page sc-key-update
log=$WORK/s_client-key-update.log
{
	printf 'K\n'
	sleep 0.5
	printf 'GET /sc-key-update HTTP/1.1\r\nHost: ecap.test\r\nConnection: close\r\n\r\n'
	sleep 2 # the answer, before EOF on stdin ends s_client
} | ip netns exec "$NS_A" timeout 20 openssl s_client -connect "$S_ADDR:$HTTPS_PORT" \
	-CAfile "$CERT" -verify_return_error -tls1_3 >"$log" 2>&1 ||
	fail "s_client with a key update: $(tail -5 "$log")"
grep -qx KEYUPDATE "$log" && grep -qx hello "$log" ||
	fail "s_client: no key update or no answer: $(tail -5 "$log")"
made /sc-key-update 1
HANDSHAKES=$((HANDSHAKES + 1))

# 1b. OpenSSL clients alone (gnutls-serv gives no secrets): curl, python3,
# a resumed s_client session.
tls_curl "$NS_A" "https://$G_ADDR/g-curl-13" -- --tlsv1.3
made /g-curl-13 1
tls_python "$NS_A" "$G_ADDR" 1.2 - /g-py-12
made /g-py-12 1
HANDSHAKES=$((HANDSHAKES + 2))
resumed_s_client "$G_ADDR" g-sc 1_3

# A private copy of libssl, in a directory of its own, which no process had
# mapped when the capture started; against gnutls-serv, so that only the
# client can give the secrets. python3 is the first process to map that file
# and makes its handshake at once, as a program with its own libssl started
# during a capture does; curl then uses the same file.
PRIVATE=$WORK/private
mkdir -p "$PRIVATE"
cp "$(readlink -f /usr/lib/x86_64-linux-gnu/libssl.so.3)" "$PRIVATE/libssl.so.3"
cp "$(readlink -f /usr/lib/x86_64-linux-gnu/libcrypto.so.3)" "$PRIVATE/libcrypto.so.3"
TLS_CLIENT_ENV=("LD_LIBRARY_PATH=$PRIVATE")
tls_python "$NS_A" "$G_ADDR" 1.3 "$WORK/private.maps" /private-py
[ "$(cat "$WORK/private.maps")" = "$(printf '%s\n' "$PRIVATE/libcrypto.so.3" "$PRIVATE/libssl.so.3")" ] ||
	fail "python3 did not use the private libssl: $(cat "$WORK/private.maps")"
made /private-py 1
env LD_LIBRARY_PATH="$PRIVATE" ldd "$(command -v curl)" | grep "libssl.so.3 => $PRIVATE/libssl.so.3" >/dev/null ||
	fail "curl would not use the private libssl: $(env LD_LIBRARY_PATH="$PRIVATE" ldd "$(command -v curl)")"
tls_curl "$NS_A" "https://$G_ADDR/private-curl" -- --tlsv1.2 --tls-max 1.2
made /private-curl 1
TLS_CLIENT_ENV=()
HANDSHAKES=$((HANDSHAKES + 2))

# 1c. OpenSSL servers alone (gnutls-cli gives no secrets): s_server and
# nginx, TLS 1.3 and 1.2, and a resumed session (-r: a handshake alone, then
# the request in a resumed session).
tls_www_page gc-13
# s_server may answer GnuTLS with its RSA certificate.
tls_gnutls_cli "$NS_A" "$S_ADDR" /gc-13 "$WORK/gnutls-cli-13.log" --priority NORMAL:-VERS-ALL:+VERS-TLS1.3 \
	--x509cafile="$WORK/both-certs.pem"
made /gc-13 1
tls_gnutls_cli "$NS_A" "$N_ADDR" /gc-12 "$WORK/gnutls-cli-12.log" --priority NORMAL:-VERS-ALL:+VERS-TLS1.2
made /gc-12 1
tls_gnutls_cli "$NS_A" "$N_ADDR" /gc-13-resumed "$WORK/gnutls-cli-13-resumed.log" -r \
	--priority NORMAL:-VERS-ALL:+VERS-TLS1.3
grep -q "This is a resumed session" "$WORK/gnutls-cli-13-resumed.log" ||
	fail "gnutls-cli did not resume its session with nginx: $(grep -i resum "$WORK/gnutls-cli-13-resumed.log")"
made /gc-13-resumed 1
HANDSHAKES=$((HANDSHAKES + 4))

stop_capture "$CAP"
for pid in $S_SERVER $NGINX $GNUTLS_SERV; do
	stop_pid "$pid" TERM || true
done

# One uprobe per handshake on every libssl (the system's and the private
# copy), unless test_tls_per_secret.sh asked for one per secret.
hook=tls_finish_handshake
[ -n "${ECAP_TLS_PER_SECRET:-}" ] && hook=nss_keylog_int
hooked=$(grep -c "^ecap-tls: taking secrets from .*uprobe in $hook " "$CAP.log" || true)
others=$(grep "^ecap-tls: taking secrets from " "$CAP.log" | grep -vc "uprobe in $hook " || true)
[ "$hooked" -ge 2 ] && [ "$others" -eq 0 ] ||
	fail "$hooked libssl files hooked in $hook, $others elsewhere: $(grep 'taking secrets' "$CAP.log")"

# Every handshake in the file has all its secrets, each before the packets it
# decrypts; no DSB line is empty, malformed or repeated.
hellos=$(tshark -r "$CAP" -Y 'tls.handshake.type == 1' 2>/dev/null | wc -l)
[ "$hellos" -eq $HANDSHAKES ] || fail "$hellos ClientHellos in the capture, $HANDSHAKES handshakes made"
summary=$(tls_check_secrets "$CAP")
echo "secrets: $summary"
grep -q "^handshakes=$HANDSHAKES with_secrets=$HANDSHAKES " <<<"$summary" ||
	fail "sessions with secrets differ from handshakes: $summary"

# Every request and every response, decrypted in one pass from the file alone.
tls_http_messages "$CAP" >"$WORK/http.txt"
tls_assert_http "$WORK/http.txt" "$EXPECTED"
echo "decrypted from the file alone: $REQUESTS requests and $REQUESTS responses"
# The key updates themselves (handshake type 24), each side's, decrypted.
key_updates=$(tshark -r "$CAP" -Y 'tls.handshake.type == 24' 2>/dev/null | wc -l)
[ "$key_updates" -ge 2 ] || fail "$key_updates KeyUpdate messages decrypted, 2 made"
echo "key updates decrypted: $key_updates"

# --keylog-file: the same secrets as the DSBs.
tls_dsb_lines "$CAP" >"$WORK/dsb.lines"
[ -s "$WORK/ecap.keylog" ] || fail "--keylog-file wrote nothing"
grep -v '^#' "$WORK/ecap.keylog" | grep -v '^$' | sort >"$WORK/keylog.lines"
if ! cmp -s "$WORK/dsb.lines" "$WORK/keylog.lines"; then
	diff "$WORK/dsb.lines" "$WORK/keylog.lines" | head -10 >&2
	fail "--keylog-file and the DSBs differ (above: < DSB, > key log file)"
fi
[ "$(uniq -d "$WORK/keylog.lines" | wc -l)" -eq 0 ] || fail "--keylog-file repeats secrets"
other=$(awk '$1 !~ /^(CLIENT_RANDOM|(CLIENT|SERVER)_HANDSHAKE_TRAFFIC_SECRET|(CLIENT|SERVER)_TRAFFIC_SECRET_0|EXPORTER_SECRET)$/' \
	"$WORK/dsb.lines")
[ -z "$other" ] || fail "DSB lines with labels of no secret we take: $(head -3 <<<"$other")"

# The counts pcapng has no field for, in the first ISB's comment and on
# stderr: every secret written, none lost, no connection sent before its secrets.
tls_counts="TLS: $(wc -l <"$WORK/dsb.lines") secrets, 0 lost in the kernel; "
isb=$(python3 "$E2E_DIR/pcapng_stats.py" "$CAP" | sed -n 1p)
grep -qF "comment=$tls_counts" <<<"$isb" || fail "first ISB lacks '$tls_counts': $isb"
grep -q " 0 connections written before their secrets came" <<<"$isb" ||
	fail "connections went out before their secrets: $isb"
grep -qF "ecap-tls: $tls_counts" "$CAP.log" || fail "no TLS summary on stderr: $(cat "$CAP.log")"

# Each TLS 1.3 handshake's server handshake secret was held against the
# server's first encrypted record (EncryptedExtensions): none failed, and at
# least one was checked. A handshake whose record went in a later segment than
# its ServerHello cannot be checked, so not every one need be.
re='; ([0-9]+) handshakes checked against their traffic, ([0-9]+) failed, ([0-9]+) could not be checked'
[[ $isb =~ $re ]] || fail "first ISB lacks the handshake checks: $isb"
checked=${BASH_REMATCH[1]} failed=${BASH_REMATCH[2]} unchecked=${BASH_REMATCH[3]}
tls13=$(tshark -r "$CAP" -Y 'tls.handshake.type == 2 && tls.handshake.extensions.supported_version == 0x0304' \
	2>/dev/null | wc -l)
echo "TLS 1.3 handshakes: $tls13; checked against their traffic: $checked, failed: $failed, could not be checked: $unchecked"
[ "$failed" -eq 0 ] || fail "$failed handshakes' secrets did not decrypt their traffic: $(cat "$CAP.log")"
[ "$checked" -ge 1 ] || fail "no handshake was checked against its traffic: $isb"
[ $((checked + unchecked)) -le "$tls13" ] ||
	fail "$checked checked and $unchecked unchecked handshakes, but $tls13 TLS 1.3 ServerHellos"
grep -q "did not decrypt their connection" "$CAP.log" && fail "a library was distrusted: $(cat "$CAP.log")"

# 2. --no-tls: the same kind of traffic, no secrets and nothing decrypted.
CAP=$WORK/no-tls.pcapng
start_capture "$CAP" --no-tls
# s_server also offers the two CCM suites, which OpenSSL does not enable by default.
TLS13_SUITES=(TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384 TLS_CHACHA20_POLY1305_SHA256
	TLS_AES_128_CCM_SHA256 TLS_AES_128_CCM_8_SHA256)
tls_start_s_server "$NS_B" "$S_ADDR" -dcert "$WORK/rsa-cert.pem" -dkey "$WORK/rsa-key.pem" \
	-ciphersuites "$(IFS=:; echo "${TLS13_SUITES[*]}")"
tls_start_nginx "$NS_B" "$N_ADDR"
tls_curl "$NS_A" "https://$N_ADDR/no-tls-curl" -- --tlsv1.3
tls_python "$NS_A" "$N_ADDR" 1.2 - /no-tls-py
tls_www_page no-tls-sc
tls_s_client "$NS_A" "$S_ADDR" /no-tls-sc "$WORK/s_client-no-tls.log"
stop_capture "$CAP"
for pid in $S_SERVER $NGINX; do
	stop_pid "$pid" TERM || true
done
hellos=$(tshark -r "$CAP" -Y 'tls.handshake.type == 1' 2>/dev/null | wc -l)
[ "$hellos" -eq 3 ] || fail "--no-tls: $hellos ClientHellos in the capture, 3 handshakes made"
dsbs=$(python3 "$E2E_DIR/pcapng_secrets.py" list "$CAP" | wc -l)
[ "$dsbs" -eq 0 ] || fail "--no-tls: $dsbs secrets in the capture"
# Finished (20) and EncryptedExtensions (8) are only ever seen decrypted.
decrypted=$(tshark -r "$CAP" -Y 'http || tls.handshake.type == 20 || tls.handshake.type == 8' \
	2>/dev/null | wc -l)
[ "$decrypted" -eq 0 ] || fail "--no-tls: $decrypted packets decrypted"

assert_nothing_left "$NS_A"
pass "$HANDSHAKES handshakes, $REQUESTS requests"
