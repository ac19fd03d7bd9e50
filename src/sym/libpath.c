// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sym/libpath.h"
#include "util.h"

#define LD_CACHE "/etc/ld.so.cache"

/* glibc's two cache layouts (elf/cache.c): the old one may carry the new one after it. */
#define OLD_MAGIC "ld.so-1.7.0"
#define NEW_MAGIC "glibc-ld.so.cache1.1"
#define OLD_HEADER 16		/* magic[11], padding, nlibs */
#define OLD_ENTRY 12		/* flags, key, value */
#define NEW_HEADER 48		/* magic[17], version[3], nlibs, len_strings, flags... */
#define NEW_ENTRY 24		/* flags, key, value, osversion, hwcap */

#define FLAG_TYPE_MASK 0x00ff
#define FLAG_ELF_LIBC6 0x0003
#define FLAG_ARCH_MASK 0xff00
#if defined(__x86_64__)
#define FLAG_THIS_ARCH 0x0300	/* FLAG_X8664_LIB64 */
#elif defined(__aarch64__)
#define FLAG_THIS_ARCH 0x0a00	/* FLAG_AARCH64_LIB64 */
#endif

static uint32_t u32_at(const char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* A NUL-terminated string at @off of [@base, @end), or NULL. */
static const char *str_at(const char *base, const char *end, uint32_t off)
{
	const char *s = base + off;

	if (off >= (size_t)(end - base) || !memchr(s, '\0', (size_t)(end - s)))
		return NULL;
	return s;
}

static void each_entry(const char *strings, const char *end, const char *entry,
		       const char *prefix, void (*fn)(const char *, const char *, void *),
		       void *arg)
{
	uint32_t flags = u32_at(entry);
	const char *key = str_at(strings, end, u32_at(entry + 4));
	const char *value = str_at(strings, end, u32_at(entry + 8));

	if ((flags & FLAG_TYPE_MASK) != FLAG_ELF_LIBC6 ||
	    (flags & FLAG_ARCH_MASK) != FLAG_THIS_ARCH || !key || !value)
		return;
	if (!strncmp(key, prefix, strlen(prefix)))
		fn(key, value, arg);
}

int libpath_cache_each(const char *cache, const char *prefix,
		       void (*fn)(const char *name, const char *path, void *arg), void *arg)
{
	size_t len, off;
	char *buf = read_file(cache, &len);
	const char *end, *p;
	uint32_t n;

	if (!buf)
		return -errno;
	end = buf + len;
	p = buf;
	if (len >= OLD_HEADER && !memcmp(buf, OLD_MAGIC, strlen(OLD_MAGIC))) {
		n = u32_at(buf + 12);
		if (n > (len - OLD_HEADER) / OLD_ENTRY)
			goto bad;
		off = OLD_HEADER + (size_t)n * OLD_ENTRY;
		/* A new-format cache after the old entries wins: it is what glibc reads. */
		p = buf + ((off + 7) & ~(size_t)7);
		if ((size_t)(end - p) < NEW_HEADER || memcmp(p, NEW_MAGIC, strlen(NEW_MAGIC))) {
			for (uint32_t i = 0; i < n; i++)
				each_entry(buf + off, end, buf + OLD_HEADER + (size_t)i * OLD_ENTRY,
					   prefix, fn, arg);
			free(buf);
			return 0;
		}
	}
	if ((size_t)(end - p) < NEW_HEADER || memcmp(p, NEW_MAGIC, strlen(NEW_MAGIC)))
		goto bad;
	n = u32_at(p + 20);
	if (n > (size_t)(end - p - NEW_HEADER) / NEW_ENTRY)
		goto bad;
	/* String offsets count from the new header. */
	for (uint32_t i = 0; i < n; i++)
		each_entry(p, end, p + NEW_HEADER + (size_t)i * NEW_ENTRY, prefix, fn, arg);
	free(buf);
	return 0;
bad:
	free(buf);
	return -EINVAL;
}

static bool is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* With -p: the path as the process sees it, through its root. */
static char *in_root(pid_t pid, const char *path)
{
	return pid ? xasprintf("/proc/%d/root%s", (int)pid, path) : xstrdup(path);
}

/*
 * A library the process has mapped whose file name is @name, or starts
 * with "lib@name." or "lib@name-" (libc.so.6, libpthread-2.31.so).
 */
static char *from_maps(const char *name, pid_t pid)
{
	char *path = xasprintf("/proc/%d/maps", (int)pid), *maps = read_file(path, NULL);
	char *lib = xasprintf("lib%s", name), *save = NULL, *line, *found = NULL;
	size_t liblen = strlen(lib);

	free(path);
	for (line = maps ? strtok_r(maps, "\n", &save) : NULL; line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		char *file = strchr(line, '/'), *base;

		if (!file || strstr(file, " (deleted)"))
			continue;
		base = strrchr(file, '/') + 1;
		if (!strcmp(base, name) ||
		    (!strncmp(base, lib, liblen) && (base[liblen] == '.' || base[liblen] == '-')))
			found = in_root(pid, file);
	}
	free(maps);
	free(lib);
	return found;
}

struct first {
	pid_t pid;
	char *found;		/* as etrace opens it */
};

static void first_path(const char *name, const char *path, void *arg)
{
	struct first *f = arg;
	char *real;

	(void)name;
	if (f->found)
		return;
	real = in_root(f->pid, path);
	if (is_file(real))
		f->found = real;
	else
		free(real);
}

/* "c" -> libc.so.6 through the cache (the process's own with -p); "libc.so.6" itself too. */
static char *from_cache(const char *name, pid_t pid)
{
	char *prefix = strncmp(name, "lib", 3) ? xasprintf("lib%s.so", name) : xstrdup(name);
	char *cache = in_root(pid, LD_CACHE);
	struct first f = { .pid = pid };

	libpath_cache_each(cache, prefix, first_path, &f);
	free(prefix);
	free(cache);
	return f.found;
}

static char *from_path_env(const char *name, pid_t pid)
{
	const char *env = getenv("PATH");
	char *dirs = xstrdup(env && *env ? env : "/usr/local/bin:/usr/bin:/bin"), *save = NULL;
	char *found = NULL;

	for (char *d = strtok_r(dirs, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		char *cand = xasprintf("%s/%s", d, name), *real = in_root(pid, cand);

		if (*d == '/' && is_file(real) && access(real, X_OK) == 0)
			found = real;
		else
			free(real);
		free(cand);
	}
	free(dirs);
	return found;
}

char *libpath_resolve(const char *name, pid_t pid, char *err, size_t errlen)
{
	char *found;

	if (!*name) {
		snprintf(err, errlen, "no library or binary named");
		return NULL;
	}
	if (strchr(name, '/')) {
		found = name[0] == '/' ? in_root(pid, name) : xstrdup(name);
		if (is_file(found))
			return found;
		snprintf(err, errlen, "%s: %s", name, errno == ENOENT || !errno ?
			 "no such file" : strerror(errno));
		free(found);
		return NULL;
	}
	if ((pid && (found = from_maps(name, pid))) || (found = from_cache(name, pid)) ||
	    (found = from_path_env(name, pid)))
		return found;
	snprintf(err, errlen, "cannot find library or program '%s'%s", name,
		 pid ? " in the process's maps, the ld.so cache or PATH" :
		 " in the ld.so cache or PATH");
	return NULL;
}
