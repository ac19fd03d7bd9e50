// SPDX-License-Identifier: BSD-2-Clause
/*
 * first_line [-n N] [-H HOLD_MS] [-T TIMEOUT_MS] COMMAND [ARG...]
 *
 * Start-up timer for tracers (bench/, the VM lab's bench mode): runs COMMAND
 * with its stdout on a pipe and measures, with CLOCK_MONOTONIC, the time from
 * just before fork() to the arrival of its Nth event line (default 1). An
 * event line starts with a digit (etrace's and BCC trace's PID column), so
 * headers and "Attaching 1 probe..." are skipped. It then keeps draining the
 * output for HOLD_MS (default 1000), reads the child's peak RSS (VmHWM, or the
 * Rss of smaps_rollup if that is larger: see hwm_kb) and
 * stops it with SIGINT (SIGKILL after 5 s). COMMAND's stderr is inherited.
 * Prints one line on stdout:
 *
 *	first_ms=12.345 hwm_kb=2345 lines=N status=S
 *
 * (first_ms=none when no event line came within TIMEOUT_MS, default 20000;
 * then the exit status is 1). status is the child's exit status, or 128+sig.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long proc_field_kb(pid_t pid, const char *file, const char *field)
{
	char path[64], line[256];
	size_t len = strlen(field);
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, len))
			kb = strtol(line + len, NULL, 10);
	fclose(f);
	return kb;
}

/*
 * Peak RSS so far: VmHWM, but never less than the current Rss counted from
 * the page tables (smaps_rollup). Before Linux 6.2 the counters behind
 * VmHWM/VmRSS were kept per thread and folded into the process's only every
 * 64 page faults, so a small process could show "VmHWM: 4 kB".
 */
static long hwm_kb(pid_t pid)
{
	long hwm = proc_field_kb(pid, "status", "VmHWM:");
	long rss = proc_field_kb(pid, "smaps_rollup", "Rss:");

	return rss > hwm ? rss : hwm;
}

static int usage(void)
{
	fprintf(stderr, "usage: first_line [-n N] [-H HOLD_MS] [-T TIMEOUT_MS] COMMAND [ARG...]\n");
	return 2;
}

/* Line splitting state: whether we are at the start of a line. */
static int at_bol = 1;

/* Count event lines in buf; stop counting once want is reached. */
static void scan(const char *buf, ssize_t n, long *lines, long want, double *t_first,
		 double t)
{
	for (ssize_t i = 0; i < n; i++) {
		if (at_bol && buf[i] >= '0' && buf[i] <= '9') {
			if (++*lines == want && *t_first < 0)
				*t_first = t;
		}
		at_bol = buf[i] == '\n';
	}
}

int main(int argc, char **argv)
{
	long want = 1, hold = 1000, timeout = 20000, lines = 0, hwm = -1, h;
	double t0, t_first = -1, t, stop_at = -1;
	int opt, fds[2], status = 0, code;
	char buf[65536];
	pid_t pid;

	while ((opt = getopt(argc, argv, "+n:H:T:")) != -1) {
		switch (opt) {
		case 'n': want = atol(optarg); break;
		case 'H': hold = atol(optarg); break;
		case 'T': timeout = atol(optarg); break;
		default: return usage();
		}
	}
	if (optind >= argc || want < 1 || hold < 0 || timeout < 1)
		return usage();
	if (pipe2(fds, O_CLOEXEC) < 0) {
		perror("first_line: pipe");
		return 2;
	}
	t0 = now_ms();
	pid = fork();
	if (pid < 0) {
		perror("first_line: fork");
		return 2;
	}
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "first_line: %s: %s\n", argv[optind], strerror(errno));
		_exit(127);
	}
	close(fds[1]);

	/* Read until the Nth event line, then HOLD_MS more, or EOF, or timeout. */
	for (;;) {
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		double deadline = t_first < 0 ? t0 + timeout : t_first + hold;
		ssize_t n;
		int r;

		t = now_ms();
		if (t >= deadline)
			break;
		r = poll(&pfd, 1, (int)(deadline - t) + 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		n = read(fds[0], buf, sizeof(buf));
		if (n <= 0)
			break;
		scan(buf, n, &lines, want, &t_first, now_ms());
		if (t_first >= 0 && hwm < 0)
			hwm = hwm_kb(pid);
	}
	h = hwm_kb(pid);
	if (h > hwm)
		hwm = h;

	/* Stop it as a user would, keep draining so it cannot block on us. */
	kill(pid, SIGINT);
	stop_at = now_ms();
	for (;;) {
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		ssize_t n;

		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		if (now_ms() - stop_at > 5000) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			break;
		}
		if (poll(&pfd, 1, 20) > 0) {
			n = read(fds[0], buf, sizeof(buf));
			if (n > 0)
				scan(buf, n, &lines, want, &t_first, now_ms());
			else if (n == 0)
				usleep(10000);  /* EOF: just wait for the exit */
		}
	}
	close(fds[0]);
	code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (t_first < 0)
		printf("first_ms=none hwm_kb=%ld lines=%ld status=%d\n", hwm, lines, code);
	else
		printf("first_ms=%.3f hwm_kb=%ld lines=%ld status=%d\n", t_first - t0, hwm,
		       lines, code);
	return t_first < 0;
}
