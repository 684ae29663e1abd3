#!/usr/bin/env bash
# A capture runs as a batch task (SCHED_BATCH): its wake-ups do not preempt
# the processes whose traffic it captures. A policy the user chose, with chrt
# for instance, stays.
source "$(dirname "$0")/lib.sh"

NS="$NS_PREFIX-s"
netns_add "$NS"

# Field 41 of /proc/PID/stat, counted after the comm, which may hold spaces.
policy_of() { # PID
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $39 }'
}

policy_while_capturing() { # EXPECTED [COMMAND PREFIX...]
	local expected=$1
	shift
	rm -f "$WORK/out.pcapng"
	"$@" ip netns exec "$NS" "$ECAP_TLS" -i lo --no-tls -w "$WORK/out.pcapng" 2>"$WORK/err" &
	pid=$!
	started $pid
	wait_for_size "$WORK/out.pcapng" 100
	ip netns exec "$NS" python3 "$E2E_DIR/traffic.py" udp-send 127.0.0.1 9 while-batch
	sleep 0.3
	policy=$(policy_of $pid)
	stop_pid $pid TERM || fail "ecap-tls failed: $(cat "$WORK/err")"
	[ "$policy" = "$expected" ] ||
		fail "${*:-ecap-tls} ran with scheduling policy $policy, not $expected"
	[ "$(tshark -r "$WORK/out.pcapng" -Y 'frame contains "while-batch"' 2>/dev/null | wc -l)" -ge 1 ] ||
		fail "${*:-ecap-tls} captured nothing"
}

policy_while_capturing 3              # SCHED_BATCH
policy_while_capturing 2 chrt -r 1    # SCHED_RR, as chrt set it
assert_nothing_left "$NS"
pass
