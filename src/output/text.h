/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * BCC trace's text output: the header and one line per event, with the
 * optional TIME and CPU columns and kernel stacks.
 */
#ifndef __ETRACE_TEXT_H
#define __ETRACE_TEXT_H

#include <stddef.h>

#include "session.h"

/* Print the column header (once all probes are attached). */
void output_header(struct session *s);

/*
 * Print one ring-buffer record. Returns 0, or 1 when -M has been reached
 * and the session should stop.
 */
int output_event(struct session *s, const void *data, size_t len);

#endif /* __ETRACE_TEXT_H */
