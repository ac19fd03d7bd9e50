/* SPDX-License-Identifier: BSD-2-Clause */
/* Command-line options, compatible with BCC trace. */
#ifndef __ETRACE_CLI_H
#define __ETRACE_CLI_H

#include "session.h"

enum cli_result {
	CLI_RUN,	/* options parsed, go trace */
	CLI_EXIT_OK,	/* --help / --version printed */
	CLI_EXIT_FAIL,	/* --help / --version could not be written: exit 1 */
	CLI_USAGE,	/* bad usage, message already printed: exit 2 */
};

enum cli_result cli_parse(int argc, char **argv, struct options *opt);

#endif /* __ETRACE_CLI_H */
