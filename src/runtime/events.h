/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The event loop: ring-buffer records, termination signals (through a
 * signalfd, so no handler and no global flag) and stdout, which is written
 * without blocking so that a stalled reader never delays a signal.
 */
#ifndef __ETRACE_EVENTS_H
#define __ETRACE_EVENTS_H

#include "session.h"

/* Block the termination signals and create the signalfd; call early. */
int events_setup_signals(struct session *s);

/* Take over stdout, create the ring-buffer reader and the epoll set. */
int events_open(struct session *s);

/* Run until a signal, -M, or a closed stdout (s->stop says which). 0 or ERR_RUNTIME. */
int events_loop(struct session *s);

/* Record why tracing ends (the first reason wins). */
void events_stop(struct session *s, enum stop_reason why);

/* Read pending signals off the signalfd; true if there was one. */
bool events_take_signal(struct session *s);

/* Read what the ring buffer holds now (stops early when output is full). */
int events_consume(struct session *s);

#endif /* __ETRACE_EVENTS_H */
