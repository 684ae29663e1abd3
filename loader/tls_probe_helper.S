/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The ecap-tls-probe program's bytes, for tls_probe.c to run from a memfd. */
	.section .rodata
	.balign 16
	.global tls_probe_helper_start
	.global tls_probe_helper_end
tls_probe_helper_start:
	.incbin ECAP_PROBE_HELPER
tls_probe_helper_end:
	.section .note.GNU-stack,"",@progbits
