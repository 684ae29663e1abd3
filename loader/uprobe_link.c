// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include "uprobe_link.h"

/* BPF_LINK_CREATE's attributes for a uprobe_multi link, newer than the system's <linux/bpf.h>. */
struct uprobe_multi_attr {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__aligned_u64 path;
	__aligned_u64 offsets;
	__aligned_u64 ref_ctr_offsets;
	__aligned_u64 cookies;
	__u32 cnt;
	__u32 multi_flags;
	__u32 pid;
};

bool uprobe_link_needed(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct caps[_LINUX_CAPABILITY_U32S_3] = { 0 };

	if (syscall(SYS_capget, &hdr, caps))
		return true;
	return !(caps[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective & CAP_TO_MASK(CAP_SYS_ADMIN));
}

/* The value of the function symbol @name in @elf's symbol tables, 0 if none. */
static GElf_Addr symbol_value(Elf *elf, const char *name)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data = elf_getdata(scn, NULL);
		GElf_Shdr shdr;
		GElf_Sym sym;

		if (!gelf_getshdr(scn, &shdr) || !data || !shdr.sh_entsize ||
		    (shdr.sh_type != SHT_DYNSYM && shdr.sh_type != SHT_SYMTAB))
			continue;
		for (size_t i = 0; i < shdr.sh_size / shdr.sh_entsize; i++) {
			const char *sym_name;

			if (!gelf_getsym(data, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
			    !sym.st_value)
				continue;
			sym_name = elf_strptr(elf, shdr.sh_link, sym.st_name);
			if (sym_name && !strcmp(sym_name, name))
				return sym.st_value;
		}
	}
	return 0;
}

/* A uprobe is placed by file offset: the one of the loadable segment holding @addr. */
static int addr_to_offset(Elf *elf, GElf_Addr addr, uint64_t *offset)
{
	size_t n;

	if (elf_getphdrnum(elf, &n))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr phdr;

		if (!gelf_getphdr(elf, (int)i, &phdr) || phdr.p_type != PT_LOAD ||
		    addr < phdr.p_vaddr || addr >= phdr.p_vaddr + phdr.p_filesz)
			continue;
		*offset = addr - phdr.p_vaddr + phdr.p_offset;
		return 0;
	}
	return -ENOENT;
}

static int function_offset(const char *path, const char *func, uint64_t *offset)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = -ENOENT;
	GElf_Addr addr;
	Elf *elf;

	if (fd < 0)
		return -errno;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf && (addr = symbol_value(elf, func)))
		err = addr_to_offset(elf, addr, offset);
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}

int uprobe_link_attach(int prog_fd, const char *path, uint64_t offset, const char *func,
		       uint64_t cookie)
{
	struct uprobe_multi_attr attr;
	int fd, err;

	if (func) {
		err = function_offset(path, func, &offset);
		if (err)
			return err;
	}
	memset(&attr, 0, sizeof(attr));
	attr.prog_fd = prog_fd;
	attr.attach_type = UPROBE_LINK_ATTACH_TYPE;
	attr.path = (uintptr_t)path;
	attr.offsets = (uintptr_t)&offset;
	attr.cookies = (uintptr_t)&cookie;
	attr.cnt = 1;
	fd = syscall(SYS_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : fd;
}
