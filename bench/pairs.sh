#!/usr/bin/env bash
# Whether one build or set of options of ecap-tls costs HTTPS less than
# another: keep-alive HTTPS as in tls_nginx.sh (nginx pinned to CPU 0, wrk to
# CPU 1), each variant's capture run between two runs without capture, the
# variants' order rotating round by round. Prints each run's ratio to the mean
# of the runs around it, then each variant's median ratio and, for each two
# variants, the median of their rounds' ratios to each other and in how many
# rounds the first came out ahead. On this VM one round's ratio spreads by
# +-5-10%: a difference of 1% takes some 40 rounds to show, and the count of
# rounds ahead says more than the medians (where-the-time-goes.md, session
# 21). Not a test and not part of run.sh: a tool for trying a change by hand,
# as root.
#
#   flock -o /tmp/ecap-e2e.lock bench/pairs.sh ROUNDS 'NAME=PROGRAM [OPTIONS...]'...
#
# e.g. bench/pairs.sh 40 "head=build/extcap/ecap-tls" "new=/tmp/ecap-tls-new"
#      bench/pairs.sh 40 "file=build/extcap/ecap-tls" "null=build/extcap/ecap-tls -w /dev/null"
# Each capture is "PROGRAM -i lo -w FILE OPTIONS..."; a -w in OPTIONS comes
# later and wins. MODE=close makes every request a new TLS connection;
# SECONDS_PER_RUN (5) is each wrk run's length.
source "$(dirname "$(readlink -f "$0")")/lib.sh"
source "$E2E_DIR/tls_lib.sh"
command -v wrk >/dev/null || skip "wrk is not installed (apt-get install wrk)"
[ "$(nproc)" -ge 2 ] || skip "needs two CPUs: one for nginx, one for wrk"
[ $# -ge 3 ] || fail "usage: bench/pairs.sh ROUNDS 'NAME=PROGRAM [OPTIONS...]' 'NAME=...'..."

ROUNDS=$1
shift
VARIANTS=("$@")
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
NS="$NS_PREFIX-pairs"
netns_add "$NS"

tls_make_cert
pinned_nginx "$NS" "$WORK/nginx" 8443
requests_per_second() {
	wrk_requests_per_second "$NS" "${MODE:-keepalive}" 8443 "$SECONDS_PER_RUN"
}

# Requests/s under one variant's capture; a capture that lost packets says so.
measure() { # NAME=PROGRAM [OPTIONS...]
	local program options file=$WORK/capture.pcapng rps capture
	read -r program options <<<"${1#*=}"
	rm -f "$file"
	# shellcheck disable=SC2086 # the options are words
	ip netns exec "$NS" "$program" -i lo -w "$file" $options 2>"$WORK/ecap.log" &
	capture=$!
	started $capture
	if [[ " $options " == *" -w "* ]]; then sleep 1; else wait_for_size "$file" 100; fi
	sleep 0.5 # let the uprobes reach nginx, which mapped libssl long ago
	rps=$(requests_per_second)
	stop_pid $capture TERM || fail "${1%%=*} failed: $(cat "$WORK/ecap.log")"
	! grep -q " [1-9][0-9]* lost in the kernel" "$WORK/ecap.log" ||
		echo "${1%%=*} lost packets: $(grep 'lost in the kernel' "$WORK/ecap.log" | head -1)" >&2
	rm -f "$file"
	echo "$rps"
}

requests_per_second >/dev/null # warm-up
before=$(requests_per_second)
[ -n "$before" ] || fail "wrk failed before the first round"
for round in $(seq "$ROUNDS"); do
	for i in "${!VARIANTS[@]}"; do
		variant=${VARIANTS[$(((i + round) % ${#VARIANTS[@]}))]}
		rps=$(measure "$variant")
		after=$(requests_per_second)
		# fail in $(...) ends only the subshell.
		[[ -n $rps && -n $after ]] || fail "round $round of ${variant%%=*} failed"
		awk -v n="${variant%%=*}" -v r="$round" -v c="$rps" -v a="$before" -v b="$after" \
			'BEGIN {printf "%s round %d: %.3f (%.0f requests/s; without %.0f, %.0f)\n",
				n, r, c / ((a + b) / 2), c, a, b}' | tee -a "$WORK/rounds"
		before=$after
	done
done
echo
awk '{ratio[$1, $3] = $4; names[$1] = 1; rounds[$3] = 1}
	END {
		for (a in names) {
			n = 0
			for (r in rounds) if ((a, r) in ratio) v[++n] = ratio[a, r]
			printf "%s: median %.3f of %d rounds\n", a, median(v, n), n
			for (b in names) {
				if (b <= a) continue
				n = ahead = 0
				for (r in rounds) if ((a, r) in ratio && (b, r) in ratio) {
					v[++n] = ratio[a, r] / ratio[b, r]
					ahead += v[n] > 1
				}
				pairs[a "/" b] = sprintf("%s/%s: median %.3f, %s ahead in %d of %d rounds",
					a, b, median(v, n), a, ahead, n)
			}
		}
		for (p in pairs) print pairs[p]
	}
	function median(v, n,    i, j, t) {
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
		return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	}' "$WORK/rounds"
