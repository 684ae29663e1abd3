#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds the seeds of fuzz_elf into DIR: tiny shared objects with a build ID,
# one per ELF class and byte order (clang cross-compiles without sysroots,
# since they link nothing), and copies of one cut short, as a library being
# written or a damaged file would be.
# Usage: make_elf_seeds.sh CLANG SOURCE DIR
set -eu
cc=$1 src=$2 dir=$3

mkdir -p "$dir"
for target in x86_64-linux-gnu i386-linux-gnu aarch64-linux-gnu powerpc64-linux-gnu; do
	"$cc" --target=$target -shared -nostdlib -fuse-ld=lld -Wl,--build-id=sha1 -Os \
		-o "$dir/$target.so" "$src"
done
# No build ID at all
"$cc" --target=x86_64-linux-gnu -shared -nostdlib -fuse-ld=lld -Wl,--build-id=none -Os \
	-o "$dir/no-build-id.so" "$src"
for n in 16 64 512 1024 1800; do
	head -c $n "$dir/x86_64-linux-gnu.so" >"$dir/cut-$n.so"
done
