# Shared helpers for the end-to-end tests: sourced, not run.
#
# Each test builds its own hosts (network namespaces, veth pairs, addresses from
# 198.18.0.0/15 and fd00::/8) and removes them on exit, failed or not. Only
# processes the test started are stopped, by pid.

set -euo pipefail

ECAP_TLS=${ECAP_TLS:?set ECAP_TLS to the ecap-tls binary}
E2E_DIR=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
TEST_NAME=$(basename "$0" .sh)
WORK=$(mktemp -d "/tmp/ecap-$TEST_NAME.XXXXXX")
NS_PREFIX="ecap$$"
# Other builds of the libraries we hook, unpacked by tests/fixtures.sh.
FIXTURES=${ECAP_FIXTURES:-/var/cache/ecap-tls/fixtures}
CREATED_NETNS=()
STARTED_PIDS=()

fail() {
	echo "FAIL: $TEST_NAME: $*" >&2
	exit 1
}

# A test that cannot run here: a failure in CI, where nothing may be skipped.
skip() {
	if [ "${CI:-}" = true ]; then
		fail "cannot run in CI: $*"
	fi
	echo "SKIP: $TEST_NAME: $*" >&2
	exit 77
}

pass() {
	echo "PASS: $TEST_NAME${1:+: $1}"
}

cleanup() {
	local rc=$?
	for pid in "${STARTED_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
		kill -CONT "$pid" 2>/dev/null || true # one a test stopped gets the TERM
	done
	for pid in "${STARTED_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	for ns in "${CREATED_NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null || true
	done
	# A failure keeps its files to look at; a pass or a skip (77) has none worth keeping.
	if [ $rc -eq 0 ] || [ $rc -eq 77 ]; then
		rm -rf "$WORK"
	else
		echo "($TEST_NAME: files kept in $WORK)" >&2
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" -eq 0 ] || skip "needs root to load eBPF programs"

# Remembers a background process of ours, to be stopped at exit.
started() {
	STARTED_PIDS+=("$1")
}

# Stops one of our processes and waits for it; returns its exit status.
stop_pid() {
	local pid=$1 sig=${2:-TERM} rc=0
	kill -"$sig" "$pid" 2>/dev/null || true
	wait "$pid" || rc=$?
	return $rc
}

netns_add() {
	ip netns add "$1"
	CREATED_NETNS+=("$1")
	ip -n "$1" link set lo up
}

# Two hosts joined by a veth pair:
#   $NS_A: veth $IF_A, 198.18.0.1/24, fd00::1/64
#   $NS_B: veth $IF_B, 198.18.0.2/24, fd00::2/64
two_hosts() {
	NS_A="$NS_PREFIX-a"
	NS_B="$NS_PREFIX-b"
	IF_A=ecapa0
	IF_B=ecapb0
	netns_add "$NS_A"
	netns_add "$NS_B"
	ip link add "$IF_A" netns "$NS_A" type veth peer name "$IF_B" netns "$NS_B"
	for side in A B; do
		local ns_var="NS_$side" if_var="IF_$side" n
		n=$([ $side = A ] && echo 1 || echo 2)
		# No router solicitations, duplicate address detection or autoconf chatter:
		# the traffic is ours alone. The veth exists already: "default" is not its.
		ip netns exec "${!ns_var}" sysctl -qw net.ipv6.conf.all.accept_ra=0 \
			net.ipv6.conf.default.accept_ra=0 "net.ipv6.conf.${!if_var}.accept_ra=0" \
			"net.ipv6.conf.${!if_var}.accept_dad=0" \
			"net.ipv6.conf.${!if_var}.router_solicitations=0"
		ip -n "${!ns_var}" addr add "198.18.0.$n/24" dev "${!if_var}"
		ip -n "${!ns_var}" addr add "fd00::$n/64" dev "${!if_var}" nodad
		ip -n "${!ns_var}" link set "${!if_var}" up
	done
	ADDR_A=198.18.0.1 ADDR_B=198.18.0.2 ADDR6_A=fd00::1 ADDR6_B=fd00::2
}

# Waits until FILE holds at least BYTES bytes (a capture has written its header).
wait_for_size() {
	local file=$1 bytes=$2
	for _ in $(seq 100); do
		[ -f "$file" ] && [ "$(stat -c %s "$file")" -ge "$bytes" ] && return 0
		sleep 0.05
	done
	fail "$file did not reach $bytes bytes"
}

# Waits until tcpdump (stderr in FILE) says it is listening.
wait_for_tcpdump() {
	local log=$1
	for _ in $(seq 100); do
		grep -q "listening on" "$log" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "tcpdump did not start: $(cat "$log")"
}

# Our eBPF programs and maps (bpf/*.bpf.c) still in the kernel.
our_programs() {
	bpftool prog show 2>/dev/null | grep -Eo 'name ecap_[a-z_]+' || true
	bpftool map show 2>/dev/null | grep -Eo 'name (packets_\.rodata|filter_regs)' || true
}

# Fails unless nothing of ours is attached or loaded. The kernel frees a
# program shortly after its last reference goes, so allow it a moment.
assert_nothing_left() {
	local left
	for _ in $(seq 40); do
		left=$(our_programs)
		[ -z "$left" ] && break
		sleep 0.05
	done
	[ -z "$left" ] || fail "eBPF programs or maps left in the kernel: $left"
	for ns in "$@"; do
		left=$(ip netns exec "$ns" bpftool net show 2>/dev/null | grep -E 'ecap_' || true)
		[ -z "$left" ] || fail "left attached in $ns: $left"
	done
}

traffic() {
	python3 "$E2E_DIR/traffic.py" "$@"
}
