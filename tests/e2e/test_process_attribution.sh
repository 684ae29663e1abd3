#!/usr/bin/env bash
# Every packet of a local TCP or UDP socket carries its process, both
# directions, IPv4 and IPv6: short-lived curl clients, a server, the worker
# of a prefork server (not the process that listened), UDP senders with and
# without connect(), and a connection opened before the capture started; on
# loopback, where a packet is its receiver's, a connected UDP client's
# replies carry the client. From the saved file alone, `ecap.pid == N` (the
# plugin's field) selects exactly the packets of process N's connection, and
# comm, exe and uid are what /proc said.
source "$(dirname "$0")/lib.sh"

two_hosts
PORT_HTTP=8080 PORT_HOLD=7001 PORT_SERVER=7002 PORT_UDP=7003
PORT_FORK=7004 PORT_UDPC=7005 PORT_LO=7006

# Runs ARGS in namespace NS in the foreground, its pid (exec keeps it) in PIDFILE.
run_as() { # NS PIDFILE ARGS...
	local ns=$1 pidfile=$2
	shift 2
	ip netns exec "$ns" bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@"
}

ip netns exec "$NS_B" python3 -m http.server -b "$ADDR_B" $PORT_HTTP >/dev/null 2>&1 &
started $!
ip netns exec "$NS_B" python3 -m http.server -b "$ADDR6_B" $PORT_HTTP >/dev/null 2>&1 &
started $!

# A connection opened before the capture: it sends again during it.
rm -f "$WORK/ready"
ip netns exec "$NS_B" python3 "$E2E_DIR/traffic.py" tcp-server "$ADDR_B" $PORT_HOLD \
	"$WORK/ready" &
started $!
wait_for_size "$WORK/ready" 0
mkfifo "$WORK/go"
ip netns exec "$NS_A" bash -c 'echo $$ >"$0"; exec python3 -c "
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=20)
s.sendall(b\"before\"); s.recv(100)
open(sys.argv[3]).read()
s.sendall(b\"during\"); s.recv(100)
" "$@"' "$WORK/held.pid" "$ADDR_B" $PORT_HOLD "$WORK/go" &
held_job=$!
started $held_job
for _ in $(seq 100); do [ -s "$WORK/held.pid" ] && break; sleep 0.05; done
sleep 0.5
held_pid=$(cat "$WORK/held.pid")
held_proc=$(cat "/proc/$held_pid/comm")
py_exe=$(readlink "/proc/$held_pid/exe")

ip netns exec "$NS_A" "$ECAP_TLS" -i "$IF_A" -i lo --no-tls -w "$WORK/out.pcapng" \
	2>"$WORK/ecap.log" &
ecap=$!
started $ecap
wait_for_size "$WORK/out.pcapng" 100

# A server in A, connected to from B.
rm -f "$WORK/ready"
ip netns exec "$NS_A" bash -c 'echo $$ >"$0"; exec python3 "$@"' "$WORK/server.pid" \
	"$E2E_DIR/traffic.py" tcp-server "$ADDR_A" $PORT_SERVER "$WORK/ready" &
started $!
wait_for_size "$WORK/ready" 0
ip netns exec "$NS_B" python3 "$E2E_DIR/traffic.py" tcp-client "$ADDR_A" $PORT_SERVER 10 2000

# A prefork server in A: the worker it forks after listen() serves the connection.
rm -f "$WORK/ready"
ip netns exec "$NS_A" bash -c 'echo $$ >"$0"; exec python3 "$@"' "$WORK/master.pid" \
	"$E2E_DIR/traffic.py" tcp-prefork-server "$ADDR_A" $PORT_FORK "$WORK/ready" "$WORK/worker.pid" &
started $!
wait_for_size "$WORK/ready" 0
ip netns exec "$NS_B" python3 "$E2E_DIR/traffic.py" tcp-client "$ADDR_A" $PORT_FORK 10 2000

# Short-lived clients, IPv4 and IPv6, and a UDP client.
for i in 1 2 3; do
	run_as "$NS_A" "$WORK/curl$i.pid" curl -s -o /dev/null --max-time 5 \
		"http://$ADDR_B:$PORT_HTTP/" || fail "curl $i failed"
done
run_as "$NS_A" "$WORK/curl6.pid" curl -s -o /dev/null --max-time 5 \
	"http://[$ADDR6_B]:$PORT_HTTP/" || fail "curl over IPv6 failed"
rm -f "$WORK/ready"
ip netns exec "$NS_B" python3 "$E2E_DIR/traffic.py" udp-server "$ADDR_B" $PORT_UDP "$WORK/ready" 3 &
started $!
wait_for_size "$WORK/ready" 0
run_as "$NS_A" "$WORK/udp.pid" python3 "$E2E_DIR/traffic.py" udp-client "$ADDR_B" $PORT_UDP 10 20 30 ||
	fail "the UDP client failed"
rm -f "$WORK/ready"
ip netns exec "$NS_B" python3 "$E2E_DIR/traffic.py" udp-server "$ADDR_B" $PORT_UDPC \
	"$WORK/ready" 2 &
started $!
wait_for_size "$WORK/ready" 0
run_as "$NS_A" "$WORK/udpc.pid" python3 "$E2E_DIR/traffic.py" udp-connected-client "$ADDR_B" \
	$PORT_UDPC 10 20 || fail "the connected UDP client failed"
rm -f "$WORK/ready"
run_as "$NS_A" "$WORK/udp-lo-server.pid" python3 "$E2E_DIR/traffic.py" udp-server 127.0.0.1 \
	$PORT_LO "$WORK/ready" 2 &
started $!
wait_for_size "$WORK/ready" 0
run_as "$NS_A" "$WORK/udp-lo.pid" python3 "$E2E_DIR/traffic.py" udp-connected-client 127.0.0.1 \
	$PORT_LO 10 20 || fail "the connected UDP client on loopback failed"
echo go >"$WORK/go"
wait $held_job || fail "the connection from before the capture failed"
sleep 0.5
stop_pid $ecap TERM || fail "ecap-tls failed: $(cat "$WORK/ecap.log")"

# The packets of one connection (by its local port in A) and those the plugin gives pid N.
frames() { # DISPLAY_FILTER
	tshark -r "$WORK/out.pcapng" -Y "$1" -T fields -e frame.number 2>/dev/null | tr '\n' ' '
}
# ecap.pid == PID selects exactly the packets FLOW_FILTER selects, and some.
check_selects() { # WHAT PID FLOW_FILTER
	local what=$1 pid=$2 flow=$3 by_flow by_pid
	by_flow=$(frames "$flow")
	by_pid=$(frames "ecap.pid == $pid")
	[ -n "$by_flow" ] || fail "$what: no packets of its connection ($flow)"
	[ "$by_pid" = "$by_flow" ] || fail "$what (pid $pid): ecap.pid selects [$by_pid], its \
connection is [$by_flow]"
	echo "$what: pid $pid, $(wc -w <<<"$by_flow") packets"
}
check_process() { # WHAT PID FLOW_FILTER COMM EXE
	local what=$1 pid=$2 flow=$3 comm=$4 exe=$5 values
	check_selects "$what" "$pid" "$flow"
	frames "ecap.pid == $pid && ip.src == $ADDR_A || ecap.pid == $pid && ipv6.src == $ADDR6_A" |
		grep -q . || fail "$what: no packet from A carries pid $pid"
	frames "ecap.pid == $pid && ip.dst == $ADDR_A || ecap.pid == $pid && ipv6.dst == $ADDR6_A" |
		grep -q . || fail "$what: no packet to A carries pid $pid"
	values=$(tshark -r "$WORK/out.pcapng" -Y "ecap.pid == $pid" -T fields -e ecap.comm \
		-e ecap.exe -e ecap.uid 2>/dev/null | sort -u)
	[ "$values" = "$(printf '%s\t%s\t0' "$comm" "$exe")" ] ||
		fail "$what: comm/exe/uid are [$values], want [$comm $exe 0]"
	echo "$what: both directions, comm, exe and uid as /proc said"
}

# A client's connection is the TCP stream its SYN opened: its ephemeral port
# alone may also be one that a client in B picked for another connection.
syn_stream() { # DISPLAY_FILTER
	tshark -r "$WORK/out.pcapng" -Y "$1 && tcp.flags.syn == 1 && tcp.flags.ack == 0" \
		-T fields -e tcp.stream 2>/dev/null | head -1
}
curl_exe=$(readlink -f "$(command -v curl)")
for i in 1 2 3; do
	pid=$(cat "$WORK/curl$i.pid")
	stream=$(syn_stream "ecap.pid == $pid")
	[ -n "$stream" ] || fail "curl $i (pid $pid): its SYN carries no pid"
	check_process "curl $i" "$pid" "tcp.stream == $stream" curl "$curl_exe"
done
stream=$(syn_stream "ipv6 && tcp.dstport == $PORT_HTTP")
check_process "curl over IPv6" "$(cat "$WORK/curl6.pid")" "tcp.stream == $stream" curl "$curl_exe"
check_process "server" "$(cat "$WORK/server.pid")" "tcp.port == $PORT_SERVER" python3 "$py_exe"
# Until the worker first uses it, an accepted connection is its listener's:
# packets written before then may carry the master, every one from its first reply the worker.
worker=$(cat "$WORK/worker.pid") master=$(cat "$WORK/master.pid")
reply=$(frames "tcp.srcport == $PORT_FORK && tcp.len > 0" | cut -d' ' -f1)
check_process "prefork worker" "$worker" \
	"tcp.port == $PORT_FORK && (frame.number >= ${reply:-0} || ecap.pid == $worker)" python3 \
	"$py_exe"
early=$(frames "tcp.port == $PORT_FORK && !(ecap.pid == $worker || ecap.pid == $master)")
[ -z "$early" ] || fail "prefork: packets [$early] carry neither the worker nor the master"
check_process "UDP client" "$(cat "$WORK/udp.pid")" "udp.port == $PORT_UDP" python3 "$py_exe"
check_process "connected UDP client" "$(cat "$WORK/udpc.pid")" "udp.port == $PORT_UDPC" python3 \
	"$py_exe"
# Each side's flow is the datagrams going to it.
check_selects "loopback UDP client" "$(cat "$WORK/udp-lo.pid")" "udp.srcport == $PORT_LO"
check_selects "loopback UDP server" "$(cat "$WORK/udp-lo-server.pid")" "udp.dstport == $PORT_LO"
echo "loopback UDP: each datagram carries its receiver, the connected client included"
check_process "connection from before" "$held_pid" "tcp.port == $PORT_HOLD" "$held_proc" "$py_exe"

# No socket event was lost on the way (the first ISB's comment counts them).
isb=$(python3 "$E2E_DIR/pcapng_stats.py" "$WORK/out.pcapng" | sed -n 1p)
grep -q "processes: 0 socket events lost in the kernel" <<<"$isb" ||
	fail "socket events lost, or not counted: $isb"

assert_nothing_left "$NS_A"
pass
