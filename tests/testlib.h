/* testlib.h - small helpers the unit tests share: scratch roots made of
 * plain files, built and removed by the test itself. */
#ifndef CTUNE_TESTLIB_H
#define CTUNE_TESTLIB_H

#include <check.h>
#include <errno.h>
#include <fcntl.h>
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
