/* testlib.h - small helpers the unit tests share: scratch roots made of
 * plain files, built and removed by the test itself. */
#ifndef CTUNE_TESTLIB_H
#define CTUNE_TESTLIB_H

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Create a scratch directory; the returned path is static storage. */
static inline const char *tl_mkroot(void)
{
	static char dir[256];
	snprintf(dir, sizeof(dir), "/tmp/ctune-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	return dir;
}

/* root/abs: where abs, an absolute path inside the scratch root, is on this
 * machine (never cut short).  The result lives in one of eight buffers used
 * in turn, so a call may hold a few of them at once. */
static inline const char *tl_host(const char *root, const char *abs)
{
	static char buf[8][1024];
	static int next;
	char *b = buf[next++ % 8];
	int n = snprintf(b, sizeof(buf[0]), "%s%s", root, abs);
	ck_assert_msg(n >= 0 && (size_t)n < sizeof(buf[0]), "path too long: %s%s", root, abs);
	return b;
}

/* A whole file, NUL-terminated, its size in *len (len may be NULL); NULL
 * when it cannot be opened, with fopen's errno. */
static inline char *tl_read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t cap = 0, n = 0;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap * 2 + 8192;
			buf = realloc(buf, cap);
			ck_assert_ptr_nonnull(buf);
		}
		size_t k = fread(buf + n, 1, cap - n - 1, f);
		n += k;
		if (k == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* tl_read_all of a file that may be missing (NULL) but not unreadable. */
static inline char *tl_slurp(const char *path, size_t *len)
{
	char *s = tl_read_all(path, len);
	if (!s)
		ck_assert_int_eq(errno, ENOENT);
	return s;
}

/* Write exactly len bytes (NUL bytes too) at root/abs, whose directory
 * exists, with mode whatever the umask. */
static inline void tl_put(const char *root, const char *abs, const void *content, size_t len, mode_t mode)
{
	const char *path = tl_host(root, abs);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(write(fd, content, len), (ssize_t)len);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

/* root/abs exists (a dangling link too). */
static inline bool tl_exists(const char *root, const char *abs)
{
	struct stat st;
	return lstat(tl_host(root, abs), &st) == 0;
}

/* lstat of root/abs, which must exist. */
static inline struct stat tl_stat(const char *root, const char *abs)
{
	struct stat st;
	ck_assert_msg(lstat(tl_host(root, abs), &st) == 0, "%s: %s", abs, strerror(errno));
	return st;
}

/* Put root/abs's times in 2001, so an untouched file is easy to tell. */
static inline void tl_age(const char *root, const char *abs)
{
	struct timespec t[2] = { { 978307200, 0 }, { 978307200, 0 } };
	ck_assert_int_eq(utimensat(AT_FDCWD, tl_host(root, abs), t, AT_SYMLINK_NOFOLLOW), 0);
}

/* The golden file dir/name (dir ends in '/'), which must exist. */
static inline char *tl_fixture(const char *dir, const char *name, size_t *len)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s%s", dir, name);
	char *s = tl_slurp(path, len);
	ck_assert_msg(s != NULL, "missing fixture %s", path);
	return s;
}

/* got (called what in the message) is the golden file dir/name byte for
 * byte. */
static inline void tl_assert_same(const char *dir, const char *what, const char *got, size_t got_len,
				  const char *name)
{
	size_t len;
	char *want = tl_fixture(dir, name, &len);
	ck_assert_msg(got_len == len && memcmp(got, want, len) == 0,
		      "%s differs from %s:\n--- got (%zu bytes) ---\n%.*s\n--- want (%zu bytes) ---\n%s", what, name,
		      got_len, (int)got_len, got, len, want);
	free(want);
}

/* root/abs is the golden file dir/name byte for byte. */
static inline void tl_assert_file(const char *root, const char *dir, const char *abs, const char *name)
{
	size_t len = 0;
	char *got = tl_slurp(tl_host(root, abs), &len);
	ck_assert_msg(got != NULL, "%s does not exist", abs);
	tl_assert_same(dir, abs, got, len, name);
	free(got);
}

/* mkdir -p of the directory part of root/rel, then write content with mode. */
static inline void tl_write_mode(const char *root, const char *rel, const char *content, mode_t mode)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", root, rel[0] == '/' ? rel + 1 : rel);
	for (char *p = path + strlen(root) + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0755);
			*p = '/';
		}
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
	ck_assert_int_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	chmod(path, mode);
}

static inline void tl_write(const char *root, const char *rel, const char *content)
{
	tl_write_mode(root, rel, content, 0644);
}

static inline void tl_rmrf(const char *root)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
}

/* Run a suite made of one tcase and return the process exit status. */
static inline int tl_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
