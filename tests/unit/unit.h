/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A minimal unit-test harness. Each test file defines tests with
 * UNIT_TEST(name) { ... } and checks with CHECK()/CHECK_EQ_INT()/
 * CHECK_EQ_STR(); main.c runs them all and prints
 * "unit: N passed, N failed".
 */
#ifndef __ETRACE_UNIT_H
#define __ETRACE_UNIT_H

#include <stdio.h>
#include <string.h>

struct unit_test {
	const char *name;
	const char *file;
	void (*fn)(int *failed);
};

void unit_register(const struct unit_test *t);

/* Directory holding fixture files (tests/unit), set by the harness. */
const char *unit_data_dir(void);

#define UNIT_TEST(name)							\
	static void unit_##name(int *unit_failed);			\
	static const struct unit_test unit_desc_##name = {		\
		#name, __FILE__, unit_##name };				\
	__attribute__((constructor)) static void unit_reg_##name(void)	\
	{ unit_register(&unit_desc_##name); }				\
	static void unit_##name(int *unit_failed)

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "  %s:%d: CHECK(%s) failed\n",	\
				__FILE__, __LINE__, #cond);		\
			*unit_failed = 1;				\
		}							\
	} while (0)

#define CHECK_EQ_INT(a, b)						\
	do {								\
		long long _a = (long long)(a), _b = (long long)(b);	\
		if (_a != _b) {						\
			fprintf(stderr, "  %s:%d: %s == %lld, want %lld\n", \
				__FILE__, __LINE__, #a, _a, _b);	\
			*unit_failed = 1;				\
		}							\
	} while (0)

#define CHECK_EQ_STR(a, b)						\
	do {								\
		const char *_a = (a), *_b = (b);			\
		if (!_a || !_b || strcmp(_a, _b)) {			\
			fprintf(stderr, "  %s:%d: %s == \"%s\", want \"%s\"\n", \
				__FILE__, __LINE__, #a, _a ? _a : "(null)", \
				_b ? _b : "(null)");			\
			*unit_failed = 1;				\
		}							\
	} while (0)

#endif /* __ETRACE_UNIT_H */
