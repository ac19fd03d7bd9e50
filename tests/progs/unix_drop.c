// SPDX-License-Identifier: BSD-2-Clause
/*
 * unix_drop [N]: send N datagrams (default 1) over a UNIX socket pair and
 * close it unread, so that the kernel frees each queued skb (kfree_skb).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1, sv[2];

	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv)) {
		perror("socketpair");
		return 1;
	}
	for (int i = 0; i < n; i++)
		if (send(sv[0], "x", 1, 0) != 1) {
			perror("send");
			return 1;
		}
	close(sv[0]);
	close(sv[1]);
	return 0;
}
