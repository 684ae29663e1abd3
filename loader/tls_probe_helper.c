// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ecap-tls-probe: loader/tls_probe.c's side of the probe as a program of its
 * own, which ecap-tls carries inside (tls_probe_helper.S) and starts for each
 * probe: a fresh process, not a fork of the capture's. A container's dynamic
 * loader runs it, so that the container's libssl is probed with the
 * container's C library. Its only dependencies are the C library and
 * libgcc_s, which every glibc root has.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tls_probe.h"

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "ecap-tls-probe: run by ecap-tls: OUT_FD SSL_FD CRYPTO_FD any|per-secret\n");
		return 2;
	}
	tls_probe_child(atoi(argv[1]), atoi(argv[2]), atoi(argv[3]), !strcmp(argv[4], "per-secret"));
}
