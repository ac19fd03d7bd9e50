// SPDX-License-Identifier: BSD-2-Clause
/*
 * Escaping of untrusted text (for terminals and JSON), the string buffer,
 * and the non-blocking output sink against a pipe whose reader does not
 * read.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "output/sink.h"
#include "runtime/loader.h"
#include "unit.h"
#include "util.h"

static const char *esc(const char *s, size_t len, bool backslash)
{
	static char out[512];
	struct strbuf sb = { 0 };

	sb_append_escaped(&sb, s, len, backslash);
	snprintf(out, sizeof(out), "%s", sb.buf);
	sb_free(&sb);
	return out;
}

#define ESC(lit) esc(lit, sizeof(lit) - 1, true)

UNIT_TEST(util_escape)
{
	CHECK_EQ_STR(ESC("plain text 123"), "plain text 123");
	CHECK_EQ_STR(ESC("a\nb\tc\rd"), "a\\nb\\tc\\rd");
	CHECK_EQ_STR(ESC("\x1b[2J\x07\x7f"), "\\x1b[2J\\x07\\x7f");
	CHECK_EQ_STR(ESC("a\0b"), "a\\x00b");
	CHECK_EQ_STR(ESC("back\\slash"), "back\\\\slash");
	CHECK_EQ_STR(esc("back\\slash", 10, false), "back\\slash");
	/* UTF-8: 2, 3 and 4 byte characters are kept. */
	CHECK_EQ_STR(ESC("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	/* C1 controls (U+0080..U+009F), overlong forms, surrogates, > U+10FFFF. */
	CHECK_EQ_STR(ESC("\xc2\x9b"), "\\xc2\\x9b");
	CHECK_EQ_STR(ESC("\xc0\xaf"), "\\xc0\\xaf");
	CHECK_EQ_STR(ESC("\xe0\x80\xaf"), "\\xe0\\x80\\xaf");
	CHECK_EQ_STR(ESC("\xed\xa0\x80"), "\\xed\\xa0\\x80");
	CHECK_EQ_STR(ESC("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");
	/* Cut in the middle of a character. */
	CHECK_EQ_STR(ESC("x\xe2\x82"), "x\\xe2\\x82");
	CHECK_EQ_STR(ESC("\xff\xfe"), "\\xff\\xfe");
	CHECK(text_is_safe("abc", 3));
	CHECK(!text_is_safe("a\\c", 3));
	CHECK(!text_is_safe("a\nc", 3));
	CHECK(!text_is_safe("\xc3\xa9", 2));
}

static const char *json(const char *s, size_t len)
{
	static char out[512];
	struct strbuf sb = { 0 };

	sb_append_json_str(&sb, s, len);
	snprintf(out, sizeof(out), "%s", sb.buf);
	sb_free(&sb);
	return out;
}

#define JSON(lit) json(lit, sizeof(lit) - 1)

UNIT_TEST(util_json_string)
{
	CHECK_EQ_STR(JSON(""), "\"\"");
	CHECK_EQ_STR(JSON("plain text 123 /x"), "\"plain text 123 /x\"");
	CHECK_EQ_STR(JSON("say \"hi\""), "\"say \\\"hi\\\"\"");
	CHECK_EQ_STR(JSON("C:\\dir\\"), "\"C:\\\\dir\\\\\"");
	CHECK_EQ_STR(JSON("a\nb\tc\rd\be\ff"), "\"a\\nb\\tc\\rd\\be\\ff\"");
	/* Other control bytes, NUL and DEL as \u00XX. */
	CHECK_EQ_STR(JSON("\x1b[2J\x07\x01\x1f\x7f"), "\"\\u001b[2J\\u0007\\u0001\\u001f\\u007f\"");
	CHECK_EQ_STR(JSON("a\0b"), "\"a\\u0000b\"");
	/* Valid UTF-8 is kept: 2, 3 and 4 bytes. */
	CHECK_EQ_STR(JSON("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"),
		     "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
	/* C1 controls escaped; U+00A0 kept. */
	CHECK_EQ_STR(JSON("\xc2\x9b\xc2\x80\xc2\xa0"), "\"\\u009b\\u0080\xc2\xa0\"");
	/* U+2028 and U+2029 end lines in JavaScript; U+2027 and U+202A are kept. */
	CHECK_EQ_STR(JSON("a\xe2\x80\xa8" "b\xe2\x80\xa9" "c\xe2\x80\xa7\xe2\x80\xaa"),
		     "\"a\\u2028b\\u2029c\xe2\x80\xa7\xe2\x80\xaa\"");
	/* Invalid UTF-8: one U+FFFD per byte. */
	CHECK_EQ_STR(JSON("a\xff" "b"), "\"a\xef\xbf\xbd" "b\"");
	CHECK_EQ_STR(JSON("\xc0\xaf"), "\"\xef\xbf\xbd\xef\xbf\xbd\"");
	CHECK_EQ_STR(JSON("\xed\xa0\x80"), "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
	CHECK_EQ_STR(JSON("\xf4\x90\x80\x80"),
		     "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
	/* A character cut at the end, a lone continuation byte. */
	CHECK_EQ_STR(JSON("x\xe2\x82"), "\"x\xef\xbf\xbd\xef\xbf\xbd\"");
	CHECK_EQ_STR(JSON("\x80z"), "\"\xef\xbf\xbdz\"");
	/* Only @len bytes are read. */
	CHECK_EQ_STR(json("abc\"def", 3), "\"abc\"");
}

UNIT_TEST(util_json_string_appends)
{
	struct strbuf sb = { 0 };

	sb_append(&sb, "{\"k\":", 5);
	sb_append_json_str(&sb, "v\n", 2);
	sb_append(&sb, "}", 1);
	CHECK_EQ_STR(sb.buf, "{\"k\":\"v\\n\"}");
	CHECK_EQ_INT(sb.len, strlen(sb.buf));
	sb_free(&sb);
}

UNIT_TEST(util_strbuf)
{
	struct strbuf sb = { 0 };
	char big[5000];

	sb_printf(&sb, "%d-%s", 42, "x");
	CHECK_EQ_STR(sb.buf, "42-x");
	memset(big, 'b', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	sb_printf(&sb, "%s", big);
	CHECK_EQ_INT(sb.len, 4 + 4999);
	CHECK_EQ_INT(strlen(sb.buf), sb.len);
	sb_reset(&sb);
	CHECK_EQ_STR(sb.buf, "");
	sb_append(&sb, "ab", 2);
	CHECK_EQ_STR(sb.buf, "ab");
	sb_free(&sb);
	CHECK(!sb.buf && !sb.len);

	/* printf-free numbers and padding, appended to a buffer that starts empty. */
	sb_append_i64(&sb, INT64_MIN);
	sb_append(&sb, " ", 1);
	sb_append_u64(&sb, UINT64_MAX, 16, true);
	sb_append(&sb, " ", 1);
	sb_append_u64(&sb, 0, 10, false);
	CHECK_EQ_STR(sb.buf, "-9223372036854775808 FFFFFFFFFFFFFFFF 0");
	sb_reset(&sb);
	sb_append(&sb, "[", 1);
	sb_append_i64(&sb, -42);
	sb_pad_to(&sb, 1, 7);
	sb_append(&sb, "]", 1);
	sb_pad_to(&sb, 0, 3);
	CHECK_EQ_STR(sb.buf, "[-42    ]");
	sb_free(&sb);
}

/* A pipe nobody reads: the sink takes what fits, keeps the rest, never blocks. */
UNIT_TEST(util_sink_stalled_pipe)
{
	int fds[2], saved = dup(STDOUT_FILENO);
	struct sink k;
	char chunk[4096];
	size_t left;

	/* etrace ignores SIGPIPE: a closed pipe is an EPIPE error. */
	signal(SIGPIPE, SIG_IGN);
	memset(chunk, 'x', sizeof(chunk));
	CHECK(pipe(fds) == 0);
	dup2(fds[1], STDOUT_FILENO);
	close(fds[1]);
	CHECK_EQ_INT(sink_open(&k, STDOUT_FILENO, 1 << 20), 0);
	CHECK(k.nonblocking);
	for (int i = 0; i < 64; i++)
		sink_write(&k, chunk, sizeof(chunk));
	CHECK(!sink_full(&k));
	left = sink_flush(&k);
	/* A pipe holds 64 KiB by default: the rest waits, and the call returned. */
	CHECK(left > 0 && left < 64 * sizeof(chunk));
	CHECK_EQ_INT(k.err, 0);
	CHECK_EQ_INT(sink_drain(&k, -1, 50), left);
	for (int i = 0; i < 256; i++)
		sink_write(&k, chunk, sizeof(chunk));
	CHECK(sink_full(&k));
	/* The reader goes away: EPIPE, and what was pending is dropped. */
	close(fds[0]);
	CHECK_EQ_INT(sink_flush(&k), 0);
	CHECK_EQ_INT(k.err, EPIPE);
	sink_close(&k);
	dup2(saved, STDOUT_FILENO);
	close(saved);
}

/* A verifier that writes a long log: the reason is at its end. */
struct fake_load {
	size_t log_len;		/* bytes of log the verifier wants to write */
	int calls;
	size_t last_size;
};

static int fake_load(void *arg, char *log, size_t size)
{
	struct fake_load *f = arg;
	size_t n;

	f->calls++;
	f->last_size = size;
	if (!log)
		return -EINVAL;
	/* Like a kernel before 6.4: the start of the log, cut, and ENOSPC. */
	n = f->log_len < size - 1 ? f->log_len : size - 1;
	memset(log, 'x', n);
	log[n] = '\0';
	if (f->log_len >= size)
		return -ENOSPC;
	memcpy(log + n - 6, "\nWHY\n", 6);
	return -EACCES;
}

UNIT_TEST(loader_log_grows_until_the_reason_fits)
{
	struct fake_load f = { .log_len = 5u << 20 };
	char *log;
	int ret = loader_load_logged(fake_load, &f, &log);

	CHECK_EQ_INT(ret, -EACCES);
	CHECK(log != NULL);
	if (log)
		CHECK_EQ_STR(loader_log_reason(log), "WHY");
	/* Without a log, then 1 MiB and 4 MiB (ENOSPC), then 16 MiB. */
	CHECK_EQ_INT(f.calls, 4);
	CHECK_EQ_INT(f.last_size, 16u << 20);
	free(log);
	/* A log that never fits stops at the cap. */
	f = (struct fake_load){ .log_len = 1u << 30 };
	ret = loader_load_logged(fake_load, &f, &log);
	CHECK_EQ_INT(ret, -ENOSPC);
	CHECK_EQ_INT(f.last_size, LOADER_LOG_MAX);
	free(log);
}

/* Did-you-mean: names around the word first, then typos. */
static const char *suggest_of(const char *word, const char *const *cands, size_t n)
{
	static char out[64];
	struct suggest sg;

	suggest_init(&sg, word);
	for (size_t i = 0; i < n; i++)
		suggest_add(&sg, cands[i]);
	snprintf(out, sizeof(out), "%s", sg.best ? sg.best : "(none)");
	suggest_free(&sg);
	return out;
}

UNIT_TEST(util_suggest_ranking)
{
	static const char *const k[] = {
		"__alloc", "__kmalloc_node_noprof", "__kmalloc_noprof", "kmalloc_trace",
		"kfree_skb_list_reason", "kfree_skb_reason", "kfree_skb_partial",
		"__x64_sys_read", "vfs_read", "vfs_write",
	};

	CHECK_EQ_STR(suggest_of("__kmalloc", k, ARRAY_SIZE(k)), "__kmalloc_noprof");
	CHECK_EQ_STR(suggest_of("kfree_skb", k, ARRAY_SIZE(k)), "kfree_skb_reason");
	CHECK_EQ_STR(suggest_of("x64_sys_read", k, ARRAY_SIZE(k)), "__x64_sys_read");
	/* No name around it: the nearest typo, as before. */
	CHECK_EQ_STR(suggest_of("vfs_raed", k, ARRAY_SIZE(k)), "vfs_read");
	/* Short words match nothing around them ("read" is in too many names). */
	CHECK_EQ_STR(suggest_of("rea", k, ARRAY_SIZE(k)), "(none)");
	/* The word itself is no suggestion. */
	CHECK_EQ_STR(suggest_of("vfs_read", k, ARRAY_SIZE(k)), "(none)");
}
