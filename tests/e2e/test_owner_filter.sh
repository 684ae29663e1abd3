#!/usr/bin/env bash
# The process filters, evaluated in the kernel: with --pid, --comm, --uid or
# --follow-children, packets of other processes are absent from the file
# (and never reached user space: the ISB's filter_accept counts only them).
source "$(dirname "$0")/lib.sh"

two_hosts
PORT=7100

# A UDP sender that runs until told to stop, its pid in FILE.
sender() { # PIDFILE PAYLOAD_SIZE [as USER]
	local pidfile=$1 size=$2
	shift 2
	# setpriv and python3 exec in turn: the pid written stays the sender's.
	ip netns exec "$NS_A" bash -c \
		'echo $$ >"$0"; exec '"${1:+setpriv --reuid=$1 --regid=$1 --clear-groups}"' /usr/bin/python3 -c "
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(750):
    s.sendto(b\"x\" * int(sys.argv[2]), (sys.argv[1], 7100))
    time.sleep(0.02)
" "$@"' "$pidfile" "$ADDR_B" "$size" &
	started $!
	for _ in $(seq 100); do [ -s "$pidfile" ] && return; sleep 0.02; done
	fail "sender did not start"
}

capture() { # OUT ARGS...: two seconds of the veth, with a process filter
	local out=$1
	shift
	ip netns exec "$NS_A" "$ECAP_TLS" -i "$IF_A" --no-tls --duration 2 -w "$out" "$@" \
		2>"$WORK/err" || fail "ecap-tls $* failed: $(cat "$WORK/err")"
}

sizes_by_pid() { # FILE: "udp_payload_size pid" pairs, counted
	tshark -r "$1" -Y udp -T fields -e udp.length -e ecap.pid 2>/dev/null | sort | uniq -c
}

sender "$WORK/a.pid" 11
sender "$WORK/b.pid" 22
sender "$WORK/nobody.pid" 33 65534
a=$(cat "$WORK/a.pid") b=$(cat "$WORK/b.pid") nobody=$(cat "$WORK/nobody.pid")
sleep 0.3

capture "$WORK/pid.pcapng" --pid "$a"
got=$(sizes_by_pid "$WORK/pid.pcapng")
echo "--pid $a: $(echo $got)"
[ "$(awk '{print $2, $3}' <<<"$got")" = "19 $a" ] || fail "--pid $a let through: $got"
[ "$(awk '{print $1}' <<<"$got")" -ge 20 ] || fail "--pid $a: too few packets: $got"
accepted=$(python3 "$E2E_DIR/pcapng_stats.py" "$WORK/pid.pcapng" | grep -o 'filter_accept=[0-9]*')
[ "${accepted#*=}" = "$(awk '{print $1}' <<<"$got")" ] ||
	fail "the kernel accepted $accepted, the file has $got"

capture "$WORK/uid.pcapng" --uid 65534
got=$(sizes_by_pid "$WORK/uid.pcapng")
echo "--uid 65534: $(echo $got)"
[ "$(awk '{print $2, $3}' <<<"$got")" = "41 $nobody" ] || fail "--uid 65534 let through: $got"

# The same interpreter under another file name has another command name.
cp "$(readlink -f /usr/bin/python3)" "$WORK/ecapsender"
ip netns exec "$NS_A" "$WORK/ecapsender" -c "
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(150):
    s.sendto(b'c' * 44, ('$ADDR_B', 7100)); time.sleep(0.02)
" &
started $!
sleep 0.3
capture "$WORK/comm.pcapng" --comm ecapsender
got=$(sizes_by_pid "$WORK/comm.pcapng" | awk '{print $2}' | sort -u | tr '\n' ' ')
echo "--comm ecapsender: sizes $got"
[ "$got" = "52 " ] || fail "--comm ecapsender gave payload sizes $got"

# A parent given by --pid, a child it starts once the capture runs (at "go").
ip netns exec "$NS_A" bash -c 'echo $$ >"$0"
for _ in $(seq 250); do [ -e "$1" ] && break; sleep 0.02; done
exec /usr/bin/python3 -c "
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(30):
    s.sendto(b\"k\" * 55, (\"'"$ADDR_B"'\", 7100)); time.sleep(0.02)
" & wait' "$WORK/parent.pid" "$WORK/go" &
started $!
for _ in $(seq 100); do [ -s "$WORK/parent.pid" ] && break; sleep 0.02; done
capture "$WORK/children.pcapng" --pid "$(cat "$WORK/parent.pid")" --follow-children &
children_capture=$!
started $children_capture
wait_for_size "$WORK/children.pcapng" 100
touch "$WORK/go"
wait $children_capture || fail "the --follow-children capture failed"
got=$(sizes_by_pid "$WORK/children.pcapng")
echo "--pid parent --follow-children: $(echo $got)"
[ "$(awk '{print $2}' <<<"$got" | sort -u)" = 63 ] || fail "--follow-children: $got"

# Secrets too belong to processes: with --comm curl, only curl's session has them
# (the OpenSSL server's copies of them, and python's, are not taken).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
	-subj /CN=ecap.test -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
ip netns exec "$NS_B" openssl s_server -accept 4433 -cert "$WORK/cert.pem" \
	-key "$WORK/key.pem" -www -quiet >/dev/null 2>&1 &
started $!
for _ in $(seq 100); do
	ip netns exec "$NS_B" ss -ltnH 'sport = :4433' | grep -q . && break
	sleep 0.05
done
ip netns exec "$NS_A" "$ECAP_TLS" -i "$IF_A" --comm curl --duration 3 -w "$WORK/tls.pcapng" \
	2>"$WORK/err" &
ecap=$!
started $ecap
wait_for_size "$WORK/tls.pcapng" 100
sleep 0.3
ip netns exec "$NS_A" curl -sk --max-time 5 -o /dev/null "https://$ADDR_B:4433/" ||
	fail "curl over TLS failed"
ip netns exec "$NS_A" /usr/bin/python3 -c "
import ssl, urllib.request
ctx = ssl._create_unverified_context()
urllib.request.urlopen('https://$ADDR_B:4433/', context=ctx, timeout=5).read()
" || fail "python over TLS failed"
wait $ecap || fail "ecap-tls --comm curl failed: $(cat "$WORK/err")"
randoms=$(python3 "$E2E_DIR/pcapng_secrets.py" lines "$WORK/tls.pcapng" | awk '{print $2}' | sort -u)
# Decode-as: 4433 has no dissector, so an ephemeral port that has one (44818
# is EtherNet/IP) would otherwise claim the connection.
curl_random=$(tshark -r "$WORK/tls.pcapng" -d tcp.port==4433,tls -Y 'tls.handshake.type == 1' \
	-T fields -e tls.handshake.random 2>/dev/null | tr -d ':' | head -1)
echo "--comm curl: secrets of $(wc -w <<<"$randoms") session(s)"
[ -n "$curl_random" ] && [ "$randoms" = "$curl_random" ] ||
	fail "--comm curl took secrets of [$randoms], curl's session is [$curl_random]"

assert_nothing_left "$NS_A"
pass
