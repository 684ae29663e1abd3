/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The GNU build ID of an ELF file: copies of one build share it. */
#ifndef ECAP_BUILD_ID_H
#define ECAP_BUILD_ID_H

#include <stddef.h>

#define BUILD_ID_MAX 64

/* Writes the build ID of the ELF file open at @fd as hex into @hex. Returns 0 or -1. */
int build_id_hex(int fd, char hex[2 * BUILD_ID_MAX + 1]);

#endif
