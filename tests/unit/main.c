// SPDX-License-Identifier: BSD-2-Clause
/* Runs every registered unit test; argv[1] is the fixture directory. */
#include <stdlib.h>
#include "unit.h"

#define MAX_TESTS 1024

/* Test harness state; unit tests are not part of the etrace binary. */
static const struct unit_test *tests[MAX_TESTS];
static int ntests;
static const char *data_dir = "tests/unit";

void unit_register(const struct unit_test *t)
{
	if (ntests < MAX_TESTS)
		tests[ntests++] = t;
}

const char *unit_data_dir(void)
{
	return data_dir;
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;
	const char *only = argc > 2 ? argv[2] : NULL;

	if (argc > 1)
		data_dir = argv[1];
	for (int i = 0; i < ntests; i++) {
		int bad = 0;

		if (only && !strstr(tests[i]->name, only))
			continue;
		tests[i]->fn(&bad);
		if (bad) {
			fprintf(stderr, "FAIL %s (%s)\n", tests[i]->name, tests[i]->file);
			failed++;
		} else {
			passed++;
		}
	}
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
