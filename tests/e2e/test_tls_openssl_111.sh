#!/usr/bin/env bash
# OpenSSL 1.1.1 (Debian 11's, from tests/fixtures.sh), server and client alike,
# started after the capture: the same probe finds the end of its handshakes
# and where it keeps its secrets, and they decrypt every request and response
# from the file alone. In 1.1.1 the SSL object holds a pointer to its s3
# state, not the state itself, so the client random is not at an offset of
# the object but behind that pointer.
source "$(dirname "$0")/lib.sh"
source "$E2E_DIR/tls_lib.sh"

OPENSSL_111=$FIXTURES/openssl-1.1.1
[ -x "$OPENSSL_111/bin/openssl" ] || skip "no OpenSSL 1.1.1 in $FIXTURES (tests/fixtures.sh)"
"$OPENSSL_111/bin/openssl" version | grep -q '^OpenSSL 1\.1\.1' ||
	fail "$OPENSSL_111/bin/openssl is not OpenSSL 1.1.1: $("$OPENSSL_111/bin/openssl" version)"

NS="$NS_PREFIX-t"
netns_add "$NS"
tls_make_cert

ip netns exec "$NS" "$ECAP_TLS" -i lo -v -w "$WORK/out.pcapng" 2>"$WORK/ecap.log" &
pid=$!
started $pid
wait_for_size "$WORK/out.pcapng" 100

# Both ends 1.1.1: a secret reaches the file only through 1.1.1's uprobe.
PATH=$OPENSSL_111/bin:$PATH
client() { # URI LOG [S_CLIENT_OPTIONS...]
	tls_s_client "$NS" 127.0.0.1 "$@"
}
tls_start_s_server "$NS" 127.0.0.1
tls_three_sessions client "$WORK/session"

sleep 0.3
stop_pid $pid TERM || fail "ecap-tls failed: $(tail -3 "$WORK/ecap.log")"
tls_assert_three_sessions "$WORK/out.pcapng" "$WORK/ecap.log" "libssl.so.1.1 (OpenSSL 1.1.1"
pass
