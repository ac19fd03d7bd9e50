// SPDX-License-Identifier: BSD-2-Clause
#include <stdio.h>
#include <string.h>

#include "types/renames.h"
#include "util.h"

static const struct rename renames[] = {
	{ RN_FUNCTION, NULL, "do_sys_open", "do_sys_openat2", true, "5.6",
	  "do_sys_open is inlined into the open system calls, so a probe on it never fires; "
	  "do_sys_openat2 has the same arg1 and arg2, and flags and mode in arg3->flags "
	  "and arg3->mode" },
	{ RN_FUNCTION, NULL, "kfree_skb", "kfree_skb_reason", false, "5.17",
	  "kfree_skb became an inline wrapper of kfree_skb_reason (arg2: the drop reason)" },
	{ RN_FUNCTION, NULL, "kfree_skb", "sk_skb_reason_drop", false, "6.11",
	  "kfree_skb and kfree_skb_reason became inline wrappers of sk_skb_reason_drop "
	  "(arg2: the skb, arg3: the drop reason)" },
	{ RN_FUNCTION, NULL, "kfree_skb_reason", "sk_skb_reason_drop", false, "6.11",
	  "kfree_skb_reason became an inline wrapper of sk_skb_reason_drop "
	  "(arg2: the skb, arg3: the drop reason)" },
	{ RN_FUNCTION, NULL, "*", "*_noprof", false, "6.10",
	  "memory allocation profiling renamed the allocators; the old names are macros" },
	{ RN_TYPE, NULL, "struct timespec", "struct __kernel_timespec", false, "5.6",
	  "the kernel's own struct timespec was removed for the year-2038 work" },
	{ RN_TYPE, NULL, "struct timeval", "struct __kernel_old_timeval", false, "5.6",
	  "the kernel's own struct timeval was removed for the year-2038 work" },
	{ RN_MEMBER, "sock", "sk_*", "__sk_common.skc_*", false, NULL,
	  "struct sock's sk_* names of struct sock_common are macros of include/net/sock.h, "
	  "which BTF does not have" },
	{ RN_MEMBER, "inet_timewait_sock", "tw_*", "__tw_common.skc_*", false, NULL,
	  "tw_* names of struct sock_common are macros of include/net/inet_timewait_sock.h" },
	{ RN_MEMBER, "inet_sock", "inet_daddr", "sk.__sk_common.skc_daddr", false, NULL,
	  "a macro of include/net/inet_sock.h" },
	{ RN_MEMBER, "inet_sock", "inet_rcv_saddr", "sk.__sk_common.skc_rcv_saddr", false, NULL,
	  "a macro of include/net/inet_sock.h" },
	{ RN_MEMBER, "inet_sock", "inet_dport", "sk.__sk_common.skc_dport", false, NULL,
	  "a macro of include/net/inet_sock.h" },
	{ RN_MEMBER, "inet_sock", "inet_num", "sk.__sk_common.skc_num", false, NULL,
	  "a macro of include/net/inet_sock.h" },
};

/* @pattern "pre*" against @name: the part the '*' stands for, or NULL. */
static const char *star_match(const char *pattern, const char *name)
{
	const char *star = strchr(pattern, '*');

	if (!star)
		return strcmp(pattern, name) ? NULL : "";
	if (strncmp(pattern, name, (size_t)(star - pattern)) || !name[star - pattern])
		return NULL;
	return name + (star - pattern);
}

/* @pattern with its '*' replaced by @stem. */
static bool star_fill(const char *pattern, const char *stem, char *out, size_t len)
{
	const char *star = strchr(pattern, '*');
	int n;

	if (!star)
		n = snprintf(out, len, "%s", pattern);
	else
		n = snprintf(out, len, "%.*s%s%s", (int)(star - pattern), pattern, stem, star + 1);
	return n >= 0 && (size_t)n < len;
}

const struct rename *rename_find(enum rename_kind kind, const char *scope, const char *name,
				 bool present, bool (*exists)(void *ctx, const char *to),
				 void *ctx, char *out, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(renames); i++) {
		const struct rename *r = &renames[i];
		const char *stem;

		if (r->kind != kind || (present && !r->even_if_present))
			continue;
		if (r->scope && (!scope || strcmp(r->scope, scope)))
			continue;
		stem = star_match(r->from, name);
		if (stem && star_fill(r->to, stem, out, len) && exists(ctx, out))
			return r;
	}
	return NULL;
}

bool rename_reverse(const struct rename *r, const char *to, char *out, size_t len)
{
	const char *stem = star_match(r->to, to);

	return stem && star_fill(r->from, stem, out, len);
}

void rename_notice(struct session *s, int index, int col, const struct rename *r,
		   const char *from, const char *to)
{
	char key[512];

	/* Programs may be compiled more than once (mechanism fallback): say it once. */
	snprintf(key, sizeof(key), "\n%d %s", index, from);
	if (s->notices.buf && strstr(s->notices.buf, key))
		return;
	sb_append(&s->notices, key, strlen(key));
	if (r->since)
		pr_err("probe %d, column %d: using '%s' for '%s' (changed in Linux %s%s)", index,
		       col, to, from, r->since, s->opt.verbose ? "" : "; -v says why");
	else
		pr_err("probe %d, column %d: using '%s' for '%s' (a macro of the kernel's headers, "
		       "which BTF does not have)", index, col, to, from);
	pr_verbose(s->opt.verbose, "probe %d: %s -> %s: %s\n", index, from, to, r->why);
}
