/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The event loop: ring-buffer records, SIGINT/SIGTERM (through a
 * signalfd, so no handler and no global flag) and the state of stdout.
 */
#ifndef __ETRACE_EVENTS_H
#define __ETRACE_EVENTS_H

#include "session.h"

/* Block the termination signals and create the signalfd; call early. */
int events_setup_signals(struct session *s);

/* Create the ring-buffer reader and the epoll set. */
int events_open(struct session *s);

/* Run until a signal, -M, or a closed stdout. Returns 0 or ERR_RUNTIME. */
int events_loop(struct session *s);

#endif /* __ETRACE_EVENTS_H */
