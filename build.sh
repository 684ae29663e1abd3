#!/usr/bin/env bash
# ecap-tls developer entry point, for a fresh Debian 12 machine (run as root):
#   ./build.sh run [ecap-tls options]   install what is missing, build, install, capture
#   ./build.sh test                     install what is missing, build, install, run every
#                                       test, then again under ASan and UBSan
#   ./build.sh install-caps             install what is missing, build, install with the file
#                                       capabilities that let users other than root capture
#   ./build.sh bench                    install what is missing and the benchmark tools,
#                                       build, run bench/run.sh: rewrites docs/BENCHMARKS.md
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"

BUILD_DIR=${BUILD_DIR:-build}
PACKAGES=(
	build-essential cmake pkg-config clang llvm bpftool
	libbpf-dev libelf-dev zlib1g-dev libpcap-dev libglib2.0-dev libssl-dev
	wireshark-dev libwireshark-dev tshark tcpdump
	iproute2 python3
	openssl curl nginx gnutls-bin wrk libclang-rt-14-dev util-linux libcap2-bin
	debootstrap
)
# What bench/ needs besides: load generators and the plots.
BENCH_PACKAGES=(iperf3 gnuplot-nox)

install_packages() {
	local missing=()
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return
	echo "build.sh: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# tshark asks whether non-root users may capture; answer it ahead.
	echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

build() { # [CMAKE_OPTIONS...]
	cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
	cmake --build "$BUILD_DIR" -j"$(nproc)"
	cmake --install "$BUILD_DIR" >/dev/null
}

# The suite again under AddressSanitizer and UndefinedBehaviorSanitizer, any
# report failing its test; less the tests that run the installed extcap or
# plugin, which are the normal build's.
sanitized_tests() {
	local dir=$BUILD_DIR-asan
	cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS="-fsanitize=address,undefined \
-fno-sanitize-recover=undefined -fno-omit-frame-pointer" >/dev/null
	cmake --build "$dir" -j"$(nproc)"
	cd "$dir"
	ctest --output-on-failure -E 'live|plugin|extcap_protocol|fuzz'
}

case "${1:-}" in
run)
	shift
	install_packages
	build
	out=${ECAP_OUTPUT:-ecap-tls.pcapng}
	echo "build.sh: capturing every interface into $out; stop with Ctrl-C"
	exec "$BUILD_DIR/extcap/ecap-tls" -w "$out" "$@"
	;;
install-caps)
	install_packages
	build -DECAP_SETCAP=ON
	echo "build.sh: $(getcap "$(cmake -L -N "$BUILD_DIR" | sed -n 's/^ECAP_EXTCAP_DIR:PATH=//p')/ecap-tls")"
	echo "build.sh: users other than root may now capture; README, \"Capturing as a normal user\""
	;;
bench)
	PACKAGES+=("${BENCH_PACKAGES[@]}")
	install_packages
	build
	exec bench/run.sh
	;;
test)
	install_packages
	tests/fixtures.sh
	build
	(cd "$BUILD_DIR" && ctest --output-on-failure)
	sanitized_tests
	;;
*)
	echo "usage: $0 run [ecap-tls options] | test | install-caps | bench" >&2
	exit 2
	;;
esac
