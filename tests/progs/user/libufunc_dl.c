// SPDX-License-Identifier: BSD-2-Clause
/* libufunc_dl.so: a library the ufunc fixture opens with dlopen. */
__attribute__((noinline)) int uf_dl(int x)
{
	__asm__ volatile("" ::: "memory");
	return x + 200;
}
