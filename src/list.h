/* SPDX-License-Identifier: BSD-2-Clause */
/* -l: list what can be probed (the patterns are the positional arguments). */
#ifndef __ETRACE_LIST_H
#define __ETRACE_LIST_H

#include "session.h"

/* Print the listing; 0, or ERR_* with the message printed. */
int list_run(struct session *s);

#endif /* __ETRACE_LIST_H */
