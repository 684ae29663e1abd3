#!/usr/bin/env bash
# Capturing as a normal user (README): a user other than root, running a copy
# of the binary with the file capabilities the install option grants, captures
# everyone's packets, but TLS secrets and process comments only of their own
# processes. Root, running the same binary, gets everything. Without the
# capabilities the user gets one line on stderr, a non-zero exit and nothing
# left in the kernel.
#
# Two throwaway users, A and B, and root each make TLS 1.2, TLS 1.3 and plain
# HTTP requests from one namespace to servers (run by root) in another; the
# captures run on the client side's veth.
source "$(dirname "$0")/lib.sh"
source "$E2E_DIR/tls_lib.sh"

for tool in useradd userdel setcap getcap setpriv; do
	command -v "$tool" >/dev/null || skip "$tool is not installed (build.sh installs it)"
done

CAPS=cap_bpf,cap_perfmon,cap_net_admin
USER_A=ecap-a-$$
USER_B=ecap-b-$$
CREATED_USERS=()
PLAIN_PORT=8080

# Runs before lib.sh's cleanup: users go last, once nothing of theirs runs,
# and no file stays behind that a later user of their uid would own.
remove_users() {
	local rc=$? pid user
	set +e
	for pid in "${STARTED_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	rm -rf "$WORK/bin"
	chown -R root:root "$WORK"
	for user in "${CREATED_USERS[@]}"; do
		# Only the test ran anything as these users: whatever still runs is ours.
		for pid in $(ps -o pid= -u "$user" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
		userdel -f "$user" 2>/dev/null
	done
	return $rc
}
trap 'remove_users; cleanup' EXIT

add_user() { # NAME
	useradd --system --no-create-home --shell /usr/sbin/nologin --user-group "$1" ||
		fail "cannot create user $1"
	CREATED_USERS+=("$1")
}

# Runs a command in the client namespace as USER, with no capabilities of root's.
as_user() { # USER COMMAND...
	local user=$1
	shift
	ip netns exec "$NS_A" setpriv --reuid="$user" --regid="$user" --clear-groups -- "$@"
}

# USER's requests: /NAME-1.2 and /NAME-1.3 over TLS, /NAME-plain over plain
# HTTP, each on a connection of its own; "PORT USER KIND" lines go to PORTS.
requests() { # USER NAME PORTS
	local user=$1 name=$2 ports=$3 v port
	for v in 1.2 1.3; do
		port=$(as_user "$user" curl -sS --max-time 20 --http1.1 --cacert "$CERT" \
			--tlsv$v --tls-max $v -o /dev/null -w '%{local_port}' \
			"https://$ADDR_B/$name-$v" 2>"$WORK/curl.log") ||
			fail "curl as $user for /$name-$v: $(cat "$WORK/curl.log")"
		echo "$port $user tls" >>"$ports"
	done
	port=$(as_user "$user" curl -sS --max-time 20 -o /dev/null -w '%{local_port}' \
		"http://$ADDR_B:$PLAIN_PORT/$name-plain" 2>"$WORK/curl.log") ||
		fail "curl as $user for /$name-plain: $(cat "$WORK/curl.log")"
	echo "$port $user plain" >>"$ports"
}

all_requests() { # PORTS
	: >"$1"
	requests "$USER_A" a "$1"
	requests "$USER_B" b "$1"
	requests root root "$1"
}

# Captures IF_A with BIN run as USER while every user makes their requests.
capture() { # USER BIN OUT PORTS
	local user=$1 bin=$2 out=$3 ports=$4 pid
	# Not through as_user: $! must be ecap-tls itself (ip and setpriv exec it).
	ip netns exec "$NS_A" setpriv --reuid="$user" --regid="$user" --clear-groups -- \
		"$bin" -i "$IF_A" -w "$out" 2>"$out.err" </dev/null &
	pid=$!
	started $pid
	wait_for_size "$out" 100
	all_requests "$ports"
	stop_pid $pid || fail "ecap-tls as $user failed: $(cat "$out.err")"
	assert_nothing_left "$NS_A"
}

# "PORT COMMENT" for every TCP packet of FILE, PORT being the client's.
packets_by_port() { # FILE
	tshark -r "$1" -Y tcp -T fields -E separator=/t -e tcp.srcport -e tcp.dstport \
		-e frame.comment 2>/dev/null |
		awk -F '\t' '{ port = ($1 == 443 || $1 == '$PLAIN_PORT') ? $2 : $1; print port "\t" $3 }'
}

# Every connection is in FILE; its packets carry their owner's comment where
# USERS (a space-separated list) may see them, and none elsewhere.
assert_packets() { # FILE PORTS USERS
	local file=$1 ports=$2 users=" $3 " port user kind n with uid
	packets_by_port "$file" >"$WORK/by-port"
	while read -r port user kind; do
		n=$(awk -F '\t' -v p="$port" '$1 == p' "$WORK/by-port" | wc -l)
		[ "$n" -ge 3 ] || fail "$(basename "$file"): $n packets of $user's $kind connection (port $port)"
		with=$(awk -F '\t' -v p="$port" '$1 == p && $2 != ""' "$WORK/by-port" | wc -l)
		if [[ $users == *" $user "* ]]; then
			uid=$(id -u "$user")
			[ "$with" -eq "$n" ] ||
				fail "$(basename "$file"): $with of $n packets of $user's $kind connection have a comment"
			awk -F '\t' -v p="$port" '$1 == p' "$WORK/by-port" | grep -q "uid=$uid comm=\"curl\"" ||
				fail "$(basename "$file"): $user's $kind connection is not curl's of uid $uid"
		else
			[ "$with" -eq 0 ] ||
				fail "$(basename "$file"): $with packets of $user's $kind connection have a comment"
		fi
	done <"$ports"
}

# The secrets in FILE are exactly those of the TLS connections of USERS: each
# handshake's client random, nothing of anyone else's; their HTTP decrypts.
assert_secrets() { # FILE PORTS USERS
	local file=$1 ports=$2 users=" $3 " port user kind random got name want="" uris=""
	tshark -r "$file" -Y 'tls.handshake.type == 1' -T fields -e tcp.srcport \
		-e tls.handshake.random 2>/dev/null | tr -d ':' >"$WORK/hellos"
	while read -r port user kind; do
		[ "$kind" = tls ] || continue
		random=$(awk -v p="$port" '$1 == p { print $2 }' "$WORK/hellos")
		[ -n "$random" ] || fail "$(basename "$file"): no ClientHello of $user's port $port"
		[[ $users == *" $user "* ]] || continue
		want+="$random"$'\n'
	done <"$ports"
	got=$(tls_dsb_lines "$file" | awk '{ print $2 }' | sort -u)
	[ "$got" = "$(printf '%s' "$want" | sort -u)" ] ||
		fail "$(basename "$file"): secrets of client randoms [$(echo $got)], expected [$(echo $want)]"
	for user in $users; do
		name=root
		[ "$user" = "$USER_A" ] && name=a
		[ "$user" = "$USER_B" ] && name=b
		uris+="/$name-1.2 1"$'\n'"/$name-1.3 1"$'\n'
	done
	tls_http_messages "$file" | grep -v -- '-plain' >"$WORK/http" || true
	printf '%s' "$uris" >"$WORK/http-expected"
	tls_assert_http "$WORK/http" "$WORK/http-expected"
}

two_hosts
add_user "$USER_A"
add_user "$USER_B"
tls_make_cert
tls_www_page a-1.2
tls_www_page a-1.3
tls_www_page b-1.2
tls_www_page b-1.3
tls_www_page root-1.2
tls_www_page root-1.3
tls_start_s_server "$NS_B" "$ADDR_B"
ip netns exec "$NS_B" python3 -m http.server "$PLAIN_PORT" --bind "$ADDR_B" \
	--directory "$WORK/www" >"$WORK/http-server.log" 2>&1 </dev/null &
started $!
wait_for_listen "$NS_B" "$ADDR_B" $PLAIN_PORT $! "$WORK/http-server.log"

# The users reach the certificate and their copies of the binary, nothing else of ours.
chmod 711 "$WORK"
mkdir -m 755 "$WORK/bin"
[ -z "$(findmnt -no OPTIONS -T "$WORK/bin" | tr , '\n' | grep -x nosuid)" ] ||
	skip "$WORK is on a nosuid file system, which ignores file capabilities"
install -m 755 "$ECAP_TLS" "$WORK/bin/ecap-tls"
install -m 755 "$ECAP_TLS" "$WORK/bin/ecap-tls-nocaps"
setcap "$CAPS+ep" "$WORK/bin/ecap-tls" || fail "setcap $CAPS failed"
mkdir -m 700 "$WORK/out-a" "$WORK/root-only"
chown "$USER_A:" "$WORK/out-a"

# Without the capabilities: one line that says what to do, nothing loaded, no file.
rc=0
as_user "$USER_A" "$WORK/bin/ecap-tls-nocaps" -i "$IF_A" --duration 1 \
	-w "$WORK/out-a/nocaps.pcapng" 2>"$WORK/nocaps.err" || rc=$?
echo "without capabilities: exit $rc: $(cat "$WORK/nocaps.err")"
[ $rc -ne 0 ] || fail "ecap-tls without capabilities exited 0"
[ "$(wc -l <"$WORK/nocaps.err")" -eq 1 ] && grep -q 'CAP_BPF' "$WORK/nocaps.err" ||
	fail "without capabilities, stderr is not one line naming the capabilities: $(cat "$WORK/nocaps.err")"
[ ! -e "$WORK/out-a/nocaps.pcapng" ] || fail "without capabilities, a capture file was made"
assert_nothing_left "$NS_A"

# The capabilities open no file for the user that they could not open themselves.
for args in "-w $WORK/root-only/x.pcapng" "-w $WORK/out-a/y.pcapng --keylog-file $WORK/root-only/keys"; do
	rc=0
	# shellcheck disable=SC2086
	as_user "$USER_A" "$WORK/bin/ecap-tls" -i "$IF_A" --duration 1 $args 2>"$WORK/denied.err" || rc=$?
	[ $rc -ne 0 ] && grep -q 'Permission denied' "$WORK/denied.err" ||
		fail "as $USER_A, '$args' was not refused: exit $rc: $(cat "$WORK/denied.err")"
	[ -z "$(ls -A "$WORK/root-only")" ] || fail "as $USER_A, '$args' made $(ls "$WORK/root-only")"
	assert_nothing_left "$NS_A"
done

# User A: every packet, but only A's secrets and processes.
capture "$USER_A" "$WORK/bin/ecap-tls" "$WORK/out-a/a.pcapng" "$WORK/ports-a"
assert_packets "$WORK/out-a/a.pcapng" "$WORK/ports-a" "$USER_A"
assert_secrets "$WORK/out-a/a.pcapng" "$WORK/ports-a" "$USER_A"
echo "as $USER_A: every connection captured; secrets and comments of $USER_A's alone"
noise=$(grep -v -e ' packets captured, ' -e '^ecap-tls: TLS: ' -e 'no cgroup v2 socket hooks' \
	"$WORK/out-a/a.pcapng.err" || true)
[ -z "$noise" ] || fail "as $USER_A, stderr says more than expected: $noise"
# The others' handshakes did not wait for secrets that never come (they
# would have timed out, counted as written before their secrets).
grep -q "held for their secrets, 0 connections written before" "$WORK/out-a/a.pcapng.err" ||
	fail "as $USER_A, other users' connections waited for secrets: $(cat "$WORK/out-a/a.pcapng.err")"

# Root, with the same binary: everyone's.
capture root "$WORK/bin/ecap-tls" "$WORK/root.pcapng" "$WORK/ports-root"
assert_packets "$WORK/root.pcapng" "$WORK/ports-root" "$USER_A $USER_B root"
assert_secrets "$WORK/root.pcapng" "$WORK/ports-root" "$USER_A $USER_B root"
echo "as root: secrets and comments of every user"

pass
