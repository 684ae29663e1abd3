// SPDX-License-Identifier: GPL-2.0-or-later
/* The code of the tiny shared objects that seed fuzz_elf (make_elf_seeds.sh). */
int seed_answer(void);

int seed_answer(void)
{
	return 42;
}
