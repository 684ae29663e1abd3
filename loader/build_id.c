// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include "build_id.h"
#include "hex.h"

static int note_build_id(Elf_Data *data, char *hex)
{
	GElf_Nhdr note;
	size_t off = 0, name_off, desc_off;

	while ((off = gelf_getnote(data, off, &note, &name_off, &desc_off)) > 0) {
		const unsigned char *desc = (const unsigned char *)data->d_buf + desc_off;

		if (note.n_type != NT_GNU_BUILD_ID || note.n_namesz != 4 ||
		    memcmp((const char *)data->d_buf + name_off, "GNU", 4) ||
		    note.n_descsz == 0 || note.n_descsz > BUILD_ID_MAX)
			continue;
		*hex_put(hex, desc, note.n_descsz) = '\0';
		return 0;
	}
	return -1;
}

int build_id_hex(int fd, char hex[2 * BUILD_ID_MAX + 1])
{
	Elf_Scn *scn = NULL;
	int ret = -1;
	Elf *elf;

	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf)
		return -1;
	while (ret && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr shdr;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_NOTE)
			continue;
		data = elf_getdata(scn, NULL);
		if (data)
			ret = note_build_id(data, hex);
	}
	elf_end(elf);
	return ret;
}
