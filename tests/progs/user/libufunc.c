// SPDX-License-Identifier: BSD-2-Clause
/* libufunc.so: a shared library the ufunc fixture links with. */
__attribute__((noinline)) int uf_lib(int x)
{
	__asm__ volatile("" ::: "memory");
	return x + 100;
}
