#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Wireshark's extcap queries against golden answers (tests/golden/), asked
# inside a network namespace of our own so the interface list is known:
#   lo (up), veth ecapg0 (up, 198.18.0.1/30) and its peer ecapg1 (down, with an
#   alias holding braces, which must not reach the dialog as braces).
# Then the capture filter check, bad input (one stderr line, non-zero exit),
# and, after cmake --install, `tshark -D` listing the interface.
#
# ECAP_UPDATE_GOLDEN=1 rewrites the golden files from this run.

. "$(dirname "$(readlink -f "$0")")/lib.sh"

SOURCE_DIR=${ECAP_SOURCE_DIR:-$(readlink -f "$E2E_DIR/../..")}
GOLDEN="$SOURCE_DIR/tests/golden"
VERSION=$(sed -n 's/^project(ecap-tls VERSION \([0-9.]*\).*/\1/p' "$SOURCE_DIR/CMakeLists.txt")
[ -n "$VERSION" ] || fail "no project version in $SOURCE_DIR/CMakeLists.txt"
NS="$NS_PREFIX-x"
FAILURES=0

failed() {
	echo "FAIL: $TEST_NAME: $*" >&2
	FAILURES=$((FAILURES + 1))
}

# Runs ecap-tls in our namespace: stdout in $WORK/out, stderr in $WORK/err, status in $RC.
run() {
	RC=0
	ip netns exec "$NS" "$ECAP_TLS" "$@" >"$WORK/out" 2>"$WORK/err" || RC=$?
}

# The version and help address vary with the build: the golden files say @VERSION@, @HELP@.
normalize() {
	sed -e "s/{version=$VERSION}/{version=@VERSION@}/" -e 's/{help=[^}]*}/{help=@HELP@}/'
}

# Compares one query's answer with tests/golden/NAME.txt.
golden() {
	local name=$1
	shift
	run "$@"
	normalize <"$WORK/out" >"$WORK/$name.txt"
	if [ "${ECAP_UPDATE_GOLDEN:-}" = 1 ]; then
		cp "$WORK/$name.txt" "$GOLDEN/$name.txt"
		echo "updated $GOLDEN/$name.txt"
	fi
	if [ $RC -ne 0 ] || [ -s "$WORK/err" ]; then
		failed "ecap-tls $*: exit $RC, stderr: $(cat "$WORK/err")"
	elif ! diff -u "$GOLDEN/$name.txt" "$WORK/$name.txt" >"$WORK/$name.diff"; then
		failed "ecap-tls $* differs from $GOLDEN/$name.txt:"
		cat "$WORK/$name.diff" >&2
	fi
}

# Bad input: exactly one line on stderr, starting "ecap-tls: ", nothing on stdout, exit != 0.
rejects() {
	run "$@"
	if [ $RC -eq 0 ]; then
		failed "ecap-tls $*: exit 0, expected an error"
	elif [ "$(wc -l <"$WORK/err")" -ne 1 ] || ! grep -q '^ecap-tls: ' "$WORK/err"; then
		failed "ecap-tls $*: stderr is not one 'ecap-tls: ' line: $(cat "$WORK/err")"
	elif [ -s "$WORK/out" ]; then
		failed "ecap-tls $*: wrote to stdout: $(cat "$WORK/out")"
	fi
}

# Capture filter check, as Wireshark runs it: silence means valid, one line means invalid.
filter_valid() {
	run --extcap-capture-filter "$1" --extcap-interface ecap-tls
	if [ $RC -ne 0 ] || [ -s "$WORK/out" ] || [ -s "$WORK/err" ]; then
		failed "filter '$1' not accepted: exit $RC, stdout '$(cat "$WORK/out")'," \
			"stderr '$(cat "$WORK/err")'"
	fi
}

filter_invalid() {
	run --extcap-capture-filter "$1" --extcap-interface ecap-tls
	if [ $RC -ne 0 ] || [ "$(wc -l <"$WORK/out")" -ne 1 ] || [ -s "$WORK/err" ]; then
		failed "filter '$1' not rejected in one line: exit $RC, stdout '$(cat "$WORK/out")'," \
			"stderr '$(cat "$WORK/err")'"
	fi
}

setup_namespace() {
	netns_add "$NS"
	ip -n "$NS" link add ecapg0 type veth peer name ecapg1
	ip -n "$NS" addr add 198.18.0.1/30 dev ecapg0
	ip -n "$NS" link set ecapg0 up
	ip -n "$NS" link set ecapg1 alias "test peer {kept down}"
}

test_golden() {
	golden extcap-interfaces --extcap-interfaces --extcap-version=4.0
	golden extcap-interfaces --extcap-interfaces
	golden extcap-dlts --extcap-dlts --extcap-interface ecap-tls
	golden extcap-config --extcap-config --extcap-interface ecap-tls
	# As the dialog asks: the call without "--", the current settings along.
	golden extcap-reload-interface --extcap-config --extcap-interface ecap-tls \
		--extcap-reload-option interface --interface lo,ecapg0 --snaplen 65535
}

# The help address is not in the golden files; it must still be one Wireshark can open.
test_help_address() {
	run --extcap-interfaces --extcap-version=4.0
	grep -Eq '^extcap \{version=[^}]+\}\{help=(file|https?)://[^}]+\}$' "$WORK/out" ||
		failed "no usable help address: $(head -1 "$WORK/out")"
}

# The dialog's interface list is the live one: what comes up is checked by default.
test_live_values() {
	local line
	ip -n "$NS" link set ecapg1 up
	run --extcap-config --extcap-interface ecap-tls --extcap-reload-option interface
	line=$(grep '{value=ecapg1}' "$WORK/out" || true)
	[[ $line == *"(ecapg1, Ethernet, up)"*"{default=true}" ]] ||
		failed "ecapg1 up is not checked by default: '$line'"
	ip -n "$NS" link set ecapg1 down

	if [ ! -c /dev/net/tun ]; then
		echo "note: no /dev/net/tun, the raw IP device check is skipped"
		return
	fi
	ip -n "$NS" tuntap add dev ecapg2 mode tun
	ip -n "$NS" link set ecapg2 up
	run --extcap-config --extcap-interface ecap-tls --extcap-reload-option interface
	line=$(grep '{value=ecapg2}' "$WORK/out" || true)
	[ "$line" = "value {arg=0}{value=ecapg2}{display=ecapg2 (IP, no link layer, up)}{enabled=true}{default=true}" ] ||
		failed "tun device ecapg2 listed as '$line'"
	ip -n "$NS" link del ecapg2
}

test_filters() {
	filter_valid "tcp port 443"
	filter_valid "ip6 and udp and not port 53"
	filter_valid "vlan and tcp"
	filter_invalid "tcp port"
	filter_invalid "no such primitive"
	filter_invalid "port 99999"
}

test_bad_input() {
	rejects --extcap-dlts --extcap-interface nosuchif
	rejects --extcap-config --extcap-interface nosuchif
	rejects --extcap-interfaces --no-such-option
	rejects --extcap-config --extcap-interface ecap-tls --extcap-reload-option nosuchoption
	rejects --capture --extcap-interface ecap-tls
	rejects --capture --extcap-interface ecap-tls --fifo "$WORK/fifo" --snaplen 262145
	rejects --capture --extcap-interface ecap-tls --fifo "$WORK/fifo" --count -1
	rejects --capture --extcap-interface ecap-tls --fifo "$WORK/fifo" --attach nope
	rejects -i lo -f tcp udp
}

# After cmake --install, Wireshark's own discovery finds us.
test_tshark_lists_us() {
	local dirs dir installed=
	dirs=$(tshark -G folders 2>/dev/null | sed -n 's/^[A-Za-z ]*[Ee]xtcap path:[[:space:]]*//p')
	for dir in $dirs; do
		[ -x "$dir/ecap-tls" ] && installed="$dir/ecap-tls" && break
	done
	if [ -z "$installed" ]; then
		[ "${CI:-}" = true ] && { failed "ecap-tls is not installed in: $dirs"; return; }
		echo "note: ecap-tls is not installed in $dirs; run cmake --install to check tshark -D"
		return
	fi
	cmp -s "$installed" "$ECAP_TLS" ||
		echo "note: $installed differs from $ECAP_TLS; run cmake --install to test this build"
	tshark -D 2>/dev/null | grep -Eq '^[0-9]+\. ecap-tls \(eBPF TLS capture\)$' ||
		failed "tshark -D does not list 'ecap-tls (eBPF TLS capture)'"
}

setup_namespace
test_golden
test_help_address
test_live_values
test_filters
test_bad_input
test_tshark_lists_us

[ $FAILURES -eq 0 ] || fail "$FAILURES check(s) failed"
pass
