#!/usr/bin/env bash
# libssl files that are not the one already hooked, met only after the capture
# started: a private copy found through LD_LIBRARY_PATH, a copy a "container"
# maps at the system path in its own mount namespace, and the system libssl
# dlopen()ed by python's ssl module. The server is GnuTLS, which we do not
# hook, so every secret must come from the OpenSSL clients: each client's
# requests decrypt only if its own library was found and hooked in time.
#
# Hooking a new file takes the kernel ~10 ms, longer than a curl to a local
# server needs for its handshake: the process that mapped it is held still
# meanwhile. So the first user of each copy here is a curl.
source "$(dirname "$0")/lib.sh"

SYS_LIBDIR=/usr/lib/x86_64-linux-gnu
NS="$NS_PREFIX-t"
netns_add "$NS"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
	-subj /CN=ecap.test -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
mkdir -p "$WORK/private" "$WORK/container"
for lib in libssl.so.3 libcrypto.so.3; do
	cp "$SYS_LIBDIR/$lib" "$WORK/private/$lib"
	cp "$SYS_LIBDIR/$lib" "$WORK/container/$lib"
done

ip netns exec "$NS" "$ECAP_TLS" -i lo -v -w "$WORK/out.pcapng" 2>"$WORK/ecap.log" &
pid=$!
started $pid
wait_for_size "$WORK/out.pcapng" 100

ip netns exec "$NS" gnutls-serv --http --port 8443 --x509certfile "$WORK/cert.pem" \
	--x509keyfile "$WORK/key.pem" >"$WORK/server.log" 2>&1 &
started $!
for _ in $(seq 100); do
	ip netns exec "$NS" ss -ltnH 'sport = :8443' | grep -q . && break
	sleep 0.05
done

python_get() { # URI: a request from python's ssl module, 0.3 s after it started
	python3 -c '
import ssl, sys, time, urllib.request
time.sleep(0.3)
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
urllib.request.urlopen("https://127.0.0.1:8443" + sys.argv[1], context=ctx, timeout=10).read()
' "$1"
}

# 1. A private copy, found through LD_LIBRARY_PATH.
ip netns exec "$NS" env LD_LIBRARY_PATH="$WORK/private" \
	curl -sk --max-time 10 -o /dev/null https://127.0.0.1:8443/private-copy-curl ||
	fail "curl with the private copy failed"
ip netns exec "$NS" env LD_LIBRARY_PATH="$WORK/private" bash -c "$(declare -f python_get);
	python_get /private-copy-python" || fail "python with the private copy failed"

# 2. A container: its own mount namespace maps a different file at the system path.
ip netns exec "$NS" unshare -m --propagation private bash -c "$(declare -f python_get)
	mount --bind '$WORK/container/libssl.so.3' $SYS_LIBDIR/libssl.so.3 &&
	mount --bind '$WORK/container/libcrypto.so.3' $SYS_LIBDIR/libcrypto.so.3 &&
	curl -sk --max-time 10 -o /dev/null https://127.0.0.1:8443/container-curl &&
	python_get /container-python" ||
	fail "the clients in the mount namespace failed"

# 3. python's ssl module dlopen()s libssl after python started.
ip netns exec "$NS" bash -c "$(declare -f python_get); python_get /python-dlopen" ||
	fail "python client failed"

sleep 0.5
stop_pid $pid TERM || fail "ecap-tls failed: $(tail -3 "$WORK/ecap.log")"

hooked=$(grep -c "taking secrets from" "$WORK/ecap.log" || true)
echo "libssl files hooked: $hooked"
grep "taking secrets from" "$WORK/ecap.log" | grep -q "$WORK/private/libssl.so.3" ||
	fail "the private copy was not hooked: $(grep -i secrets "$WORK/ecap.log")"
[ "$hooked" -ge 3 ] || fail "expected the system libssl and two copies hooked, got $hooked"

# Decode-as: 8443 has no dissector, so an ephemeral port that has one (44818
# is EtherNet/IP) would otherwise claim a connection.
uris=$(tshark -r "$WORK/out.pcapng" -d tcp.port==8443,tls -Y http.request -T fields \
	-e http.request.uri 2>/dev/null)
for uri in /private-copy-curl /private-copy-python /container-curl /container-python \
	/python-dlopen; do
	grep -qx "$uri" <<<"$uris" || fail "request $uri not decrypted; decrypted: $(echo $uris)"
done
# The server's side decrypts too: in TLS 1.3 its close_notify alert is encrypted.
alerts=$(tshark -r "$WORK/out.pcapng" -d tcp.port==8443,tls \
	-Y 'tcp.srcport == 8443 && tls.alert_message.desc == 0' 2>/dev/null | wc -l)
[ "$alerts" -eq 5 ] || fail "expected 5 decrypted close_notify alerts from the server, got $alerts"

assert_nothing_left "$NS"
pass
