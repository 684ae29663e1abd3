#!/usr/bin/env bash
# A capture runs as a batch task (SCHED_BATCH): its wake-ups do not preempt
# the processes whose traffic it captures. A policy the user chose, with chrt
# for instance, stays. Once the reader has been late (here: stopped, as a
# virtual machine's host may stop an idle vCPU), it runs on the CPU whose ring
# fills fast; once the traffic stops, where it started.
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

cpus_allowed() { # PID
	awk '$1 == "Cpus_allowed_list:" { print $2 }' "/proc/$1/status"
}

# Waits until NS's processes have sent COUNT UDP datagrams: a sender's
# interpreter may take longer to start than the traffic lasts (a pyenv shim
# takes ~0.3 s).
wait_for_udp_sent() { # NS COUNT
	for _ in $(seq 100); do
		[ "$(ip netns exec "$1" awk '$1 == "Udp:" && $2 ~ /^[0-9]/ { print $5 }' \
			/proc/net/snmp)" -ge "$2" ] && return 0
		sleep 0.05
	done
	fail "no UDP sender in $1 sent $2 datagrams"
}

# -B 512: a ring of 256 KiB a CPU on two CPUs, which a datagram of 8000 bytes
# a millisecond fills fast (half of it in 100 ms) with room to spare: a sixth
# of that rate would do. Stopped for 50 ms, the reader finds more than half
# of it new: it was late.
reader_follows_traffic() {
	local cpu before seen="" after sender
	cpu=$(python3 -c 'import os; print(max(os.sched_getaffinity(0)))')
	rm -f "$WORK/out.pcapng"
	ip netns exec "$NS" "$ECAP_TLS" -i lo --no-tls -B 512 -w "$WORK/out.pcapng" 2>"$WORK/err" &
	pid=$!
	started $pid
	wait_for_size "$WORK/out.pcapng" 100
	before=$(cpus_allowed $pid)
	ip netns exec "$NS" taskset -c "$cpu" python3 "$E2E_DIR/traffic.py" \
		udp-burst 127.0.0.1 9 8000 2000 0.001 &
	sender=$!
	started $sender
	# A tenth of the burst read on time before the reader is late.
	wait_for_udp_sent "$NS" 200
	kill -STOP $pid
	sleep 0.05
	kill -CONT $pid
	while kill -0 $sender 2>/dev/null; do
		seen+=" $(cpus_allowed $pid)"
		sleep 0.05
	done
	wait $sender || fail "the UDP sender failed"
	# Restored after an idle window, on a loop that a busy machine may wake late.
	for _ in $(seq 50); do
		after=$(cpus_allowed $pid)
		[ "$after" = "$before" ] && break
		sleep 0.1
	done
	stop_pid $pid TERM || fail "ecap-tls failed: $(cat "$WORK/err")"
	[[ " $seen " == *" $cpu "* ]] ||
		fail "while CPU $cpu's ring filled after a late read, the reader ran on:$seen (it started on $before)"
	[ "$after" = "$before" ] ||
		fail "after the traffic the reader runs on CPUs $after, not $before as at the start"
}

policy_while_capturing 3              # SCHED_BATCH
policy_while_capturing 2 chrt -r 1    # SCHED_RR, as chrt set it
reader_follows_traffic
assert_nothing_left "$NS"
pass
