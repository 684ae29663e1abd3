#!/usr/bin/env bash
# A container of a newer distribution: Debian 13's root filesystem (from
# tests/fixtures.sh) with its own glibc 2.41 and OpenSSL 3.5, where the SSL
# object became SSL_CONNECTION. Its openssl s_server and s_client start, each
# chrooted in a mount namespace of its own, after the capture. Its libcrypto
# cannot load with our older C library, so the probe must run inside the
# container's root, with the container's dynamic loader; then every request
# and response decrypts from the file alone, with secrets only from 3.5.
source "$(dirname "$0")/lib.sh"
source "$E2E_DIR/tls_lib.sh"

ROOTFS=$FIXTURES/debian13
[ -x "$ROOTFS/usr/bin/openssl" ] || skip "no Debian 13 root in $FIXTURES (tests/fixtures.sh)"
chroot "$ROOTFS" openssl version | grep -q '^OpenSSL 3\.[2-9]' ||
	fail "the container's OpenSSL is not 3.2 or later: $(chroot "$ROOTFS" openssl version)"

NS="$NS_PREFIX-t"
netns_add "$NS"
tls_make_cert
mkdir -p "$WORK/www"

# COMMAND... in the container: chrooted, with $WORK at /mnt (seen by this process alone).
# Called in a pipeline or in the background only: it becomes COMMAND, so that $! is COMMAND.
in_container() {
	exec ip netns exec "$NS" unshare -m --propagation private sh -c \
		'mount --bind "$1" "$0/mnt" && shift && exec chroot "$0" sh -c "cd /mnt/www && exec \"\$@\"" sh "$@"' \
		"$ROOTFS" "$WORK" "$@"
}

container_client() { # URI LOG [S_CLIENT_OPTIONS...]
	local uri=$1 log=$2
	shift 2
	printf 'GET %s HTTP/1.1\r\nHost: ecap.test\r\nConnection: close\r\n\r\n' "$uri" |
		in_container timeout 20 openssl s_client -connect 127.0.0.1:$HTTPS_PORT \
			-CAfile /mnt/cert.pem -verify_return_error -ign_eof "$@" >"$log" 2>&1 ||
		fail "s_client $* $uri in the container: $(tail -5 "$log")"
	grep -qx hello "$log" || fail "s_client $* $uri: no hello in the answer: $(tail -5 "$log")"
}

ip netns exec "$NS" "$ECAP_TLS" -i lo -v -w "$WORK/out.pcapng" 2>"$WORK/ecap.log" &
pid=$!
started $pid
wait_for_size "$WORK/out.pcapng" 100

in_container openssl s_server -accept 127.0.0.1:$HTTPS_PORT -cert /mnt/cert.pem \
	-key /mnt/key.pem -HTTP >"$WORK/s_server.log" 2>&1 </dev/null &
started $!
wait_for_listen "$NS" 127.0.0.1 $HTTPS_PORT $! "$WORK/s_server.log"
tls_three_sessions container_client /mnt/session

sleep 0.3
stop_pid $pid TERM || fail "ecap-tls failed: $(tail -3 "$WORK/ecap.log")"
tls_assert_three_sessions "$WORK/out.pcapng" "$WORK/ecap.log" "(OpenSSL 3\.[2-9]"
pass
