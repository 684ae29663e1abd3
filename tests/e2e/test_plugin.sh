#!/usr/bin/env bash
# The ecap Wireshark plugin, as installed by `cmake --install`: tshark loads it
# from the global plugin folder, and on a file whose packets carry ecap/1
# comments (docs/comment-format.md) it gives the ecap.* fields in display
# filters, -T fields and custom columns, flags broken or newer comments as
# expert info, leaves other comments alone, and survives thousands of random
# comments. Needs no kernel: the file is written by pcapng_comments.py.
source "$(dirname "$0")/lib.sh"

plugins_dir=$(tshark -G folders 2>/dev/null | awk -F'\t+' '/^Global Plugins/ {print $2}')
[ -n "$plugins_dir" ] || fail "tshark -G folders names no global plugin folder"
installed="$plugins_dir/epan/ecap.so"
[ -f "$installed" ] || skip "the plugin is not installed in $plugins_dir/epan (cmake --install)"
built="${ECAP_BUILD_DIR:-}/wireshark-plugin/ecap.so"
if [ -f "$built" ] && ! cmp -s "$built" "$installed"; then
	skip "$installed is not the plugin just built (cmake --install)"
fi

tshark -G plugins 2>/dev/null | grep -qP "^ecap\.so\s.*\sdissector\s+\Q$installed\E$" ||
	fail "tshark -G plugins does not list $installed: $(tshark -G plugins 2>&1 | grep ecap)"
tshark -G protocols 2>/dev/null | grep -qP '^Process\tecap\tecap$' ||
	fail "no protocol Process/ecap registered"
for f in pid tid uid comm exe cgroup container; do
	tshark -G fields 2>/dev/null | grep -qP "^F\t[^\t]+\tecap\.$f\t" || fail "no field ecap.$f"
done

# Frame N carries the Nth list of comments.
F="$WORK/comments.pcapng"
full='ecap/1 pid=4242 tid=4243 uid=1000 comm=\"curl\" exe=\"/usr/bin/curl\"'
full+=' cgroup=\"/system.slice/docker-0123abcd.scope\" container=\"0123abcd\"'
python3 "$E2E_DIR/pcapng_comments.py" "$F" \
	"[\"$full\"]" \
	'["ecap/1 pid=4242 uid=1000 comm=\"curl\""]' \
	'["ecap/1 pid=777 uid=0 comm=\"we ird\\\"\\x1b\" exe=\"/opt/café/\\xff\" future=\"ignored\""]' \
	'["ecap/1 pid=1 comm=\"broken"]' \
	'["checked by Alice"]' \
	'["a note of a user", "ecap/1 pid=555 uid=1 comm=\"two\""]' \
	'["ecap/2 pid=9 {something new}"]' \
	'[]'

ts() { # tshark on the file, stderr kept for the failure message
	tshark -r "$F" "$@" 2>"$WORK/tshark.err" || fail "tshark $*: $(cat "$WORK/tshark.err")"
}
# Use as `ts ... | want WHAT WANT`: pipefail and set -e stop the test if
# either side fails.
want() {
	local got
	got=$(cat)
	[ "$got" = "$2" ] || fail "$1: got [$got], want [$2]"
}
T=$'\t'

# Display filters and -T fields.
ts -Y 'ecap.pid == 4242' -T fields -e frame.number -e ecap.pid -e ecap.comm -e ecap.exe |
	want "ecap.pid == 4242" "1${T}4242${T}curl${T}/usr/bin/curl
2${T}4242${T}curl${T}"
ts -Y 'frame.number == 1' -T fields -e ecap.pid -e ecap.tid -e ecap.uid -e ecap.comm -e ecap.exe \
	-e ecap.cgroup -e ecap.container |
	want "all fields of frame 1" \
		"4242${T}4243${T}1000${T}curl${T}/usr/bin/curl${T}/system.slice/docker-0123abcd.scope${T}0123abcd"
ts -Y ecap -T fields -e frame.number | tr '\n' ' ' | want "frames with a Process" "1 2 3 4 6 7 "
ts -Y ecap.pid -T fields -e frame.number | tr '\n' ' ' | want "frames with a pid" "1 2 3 6 "
ts -Y 'ecap.uid == 0' -T fields -e ecap.pid | want "uid 0" 777
ts -Y 'frame.number == 2 && ecap.tid' | want "no tid where none" ""
# Escapes decoded; bytes that are not UTF-8 become U+FFFD, as Wireshark does.
ts -Y 'ecap.comm == "we ird\"\x1b"' -T fields -e frame.number | want "escaped comm" 3
ts -Y 'ecap.exe == "/opt/café/\xef\xbf\xbd"' -T fields -e frame.number | want "bad UTF-8" 3
# Another comment beside ours, and ours beside another.
ts -Y 'frame.number == 5 && ecap' | want "user comment only" ""
ts -Y 'frame.number == 6' -T fields -e ecap.pid -e ecap.comm | want "two comments" "555${T}two"
# Two passes (as Wireshark does), no field asked for: the filter alone primes the tree.
ts -2 -Y 'ecap.comm == "curl"' | wc -l | want "two passes" 2

# Custom columns, by title in -T fields and in the one-line summary.
columns='gui.column.format:"No.","%m","Process","%Cus:ecap.comm","PID","%Cus:ecap.pid"'
ts -o "$columns" -Y 'frame.number <= 2' -T fields -e _ws.col.Process -e _ws.col.PID |
	want "custom column" "curl${T}4242
curl${T}4242"
ts -o "$columns" -Y 'frame.number == 6' | xargs | want "summary line" "6 two 555"

# Expert info: malformed (frame 4), unknown version (frame 7), and no field
# from either; nothing else from ecap.
ts -Y ecap.malformed -T fields -e frame.number | want "malformed" 4
ts -Y ecap.unknown_version -T fields -e frame.number | want "unknown version" 7
ts -Y '(frame.number == 4 || frame.number == 7) && ecap.pid' | want "fields of bad comments" ""
ts -q -z expert >"$WORK/expert.txt"
malformed='Malformed ecap process comment: unterminated string, at byte 18'
grep -qP "^\\s+1\\s+Malformed\\s+ecap\\s+\\Q$malformed\\E$" "$WORK/expert.txt" ||
	fail "no malformed expert info in: $(cat "$WORK/expert.txt")"
grep -qP '^\s+1\s+Undecoded\s+ecap\s+ecap/2 process comment' "$WORK/expert.txt" ||
	fail "no unknown-version expert info in: $(cat "$WORK/expert.txt")"
grep -cP '^\s+\d+\s+\w+\s+ecap\s' "$WORK/expert.txt" | want "ecap expert infos" 2

# The whole tree, and random comments: no crash, no dissector bug.
ts -V >"$WORK/verbose.txt"
grep -q '^Process: curl (pid 4242)$' "$WORK/verbose.txt" ||
	fail "no Process subtree in tshark -V"
python3 "$E2E_DIR/pcapng_comments.py" "$WORK/random.pcapng" --random 3000 1
tshark -r "$WORK/random.pcapng" -V >"$WORK/random.txt" 2>&1 ||
	fail "tshark -V on random comments failed: $(tail -5 "$WORK/random.txt")"
if grep -qE 'Dissector bug|Malformed Packet' "$WORK/random.txt"; then
	fail "on random comments: $(grep -m3 -E 'Dissector bug|Malformed Packet' "$WORK/random.txt")"
fi
[ "$(grep -c '^Process' "$WORK/random.txt")" -gt 100 ] ||
	fail "random comments never reached the parser"

pass "$(tshark -G plugins 2>/dev/null | grep -P '^ecap\.so' | cut -f1,2 | xargs)"
