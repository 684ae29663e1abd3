#!/usr/bin/env bash
# OpenSSL builds other than the system's 3.0 for the end-to-end tests, from
# Debian's archive, unpacked (never installed) into $ECAP_FIXTURES:
#
#   openssl-1.1.1/   Debian 11's OpenSSL 1.1.1: libssl.so.1.1, libcrypto.so.1.1
#                    and the openssl command, run through bin/openssl, which
#                    points the dynamic loader at them
#   debian13/        a Debian 13 root filesystem (debootstrap, minbase) with its
#                    openssl: OpenSSL 3.5, where the SSL object became
#                    SSL_CONNECTION, on glibc 2.41, newer than Debian 12's: the
#                    root of a container of a newer distribution
#
# Run by `./build.sh test`; does nothing when they are there already. Needs
# the network to deb.debian.org, as apt itself does.
set -euo pipefail

FIXTURES=${ECAP_FIXTURES:-/var/cache/ecap-tls/fixtures}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

# Downloads PACKAGE/SUITE... from Debian's archive into DIR, with an apt
# configuration of its own: the machine's sources and state are not touched.
download_debs() { # DIR SUITE PACKAGE...
	local dir=$1 suite=$2 apt
	shift 2
	apt=$(mktemp -d)
	mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$dir"
	echo "deb $DEBIAN_MIRROR $suite main" >"$apt/sources.list"
	local opts=(-o Dir::Etc::sourcelist="$apt/sources.list" -o Dir::Etc::sourceparts=-
		-o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt" -o APT::Sandbox::User=root)
	apt-get "${opts[@]}" update -qq
	(cd "$dir" && apt-get "${opts[@]}" download -qq "${@/%//$suite}")
	rm -rf "$apt"
}

openssl_111() {
	local dir=$FIXTURES/openssl-1.1.1 debs
	[ -x "$dir/bin/openssl" ] && return
	debs=$(mktemp -d)
	download_debs "$debs" bullseye libssl1.1 openssl
	rm -rf "$dir.new"
	mkdir -p "$dir.new/bin"
	for deb in "$debs"/*.deb; do
		dpkg-deb -x "$deb" "$dir.new/root"
	done
	cat >"$dir.new/bin/openssl" <<-EOF
		#!/bin/sh
		LD_LIBRARY_PATH=$dir/root/usr/lib/x86_64-linux-gnu exec $dir/root/usr/bin/openssl "\$@"
	EOF
	chmod +x "$dir.new/bin/openssl"
	rm -rf "$dir" "$debs"
	mv "$dir.new" "$dir"
	echo "fixtures.sh: $("$dir/bin/openssl" version) in $dir"
}

debian13_root() {
	local dir=$FIXTURES/debian13
	[ -x "$dir/usr/bin/openssl" ] && return
	rm -rf "$dir.new"
	mkdir -p "$FIXTURES"
	debootstrap --variant=minbase --include=openssl trixie "$dir.new" "$DEBIAN_MIRROR" \
		>"$FIXTURES/debootstrap.log" 2>&1 || {
		tail -5 "$FIXTURES/debootstrap.log" >&2
		exit 1
	}
	mv "$dir.new" "$dir"
	echo "fixtures.sh: $(chroot "$dir" openssl version) in $dir"
}

openssl_111
debian13_root
