/* test-textfile.c - the textfile module alone, through its public API.
 *
 * The editors (persist.c, bootfiles.c) have their own tests; this one
 * checks the machinery they share with a format of its own: Debian's stock
 * Sysctl lens, once as a file ctune only edits (no directories made, an
 * empty file stays) and once as a file ctune owns (create_dirs,
 * remove_empty).  Edits go straight into the tree under /parsed, as an
 * editor makes them.  Every case builds a scratch root under /tmp and
 * removes it; every case looks at the bytes on disk, the return codes and
 * the messages, and at the directory for a temporary file left behind.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "textfile.h"
#include "testlib.h"

#define F "/etc/t.conf"

static const ctune_textfile_format edited = {
	.lens = "Sysctl.lns",
	.title = "Sysctl",
	.noun = "test file",
	.max_bytes = 256,
	.create_dirs = false,
	.remove_empty = false,
};

static const ctune_textfile_format owned = {
	.lens = "Sysctl.lns",
	.title = "Sysctl",
	.noun = "owned test file",
	.max_bytes = 256,
	.create_dirs = true,
	.remove_empty = true,
};

static char rootdir[256];
static ctune_root root;

static void setup(void)
{
	snprintf(rootdir, sizeof(rootdir), "%s", tl_mkroot());
	char p[512];
	snprintf(p, sizeof(p), "%s/etc", rootdir);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	ck_assert_int_eq(ctune_root_init(&root, rootdir, NULL), 0);
}

static void teardown(void)
{
	/* A case that failed half-way may leave a file immutable. */
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "chattr -R -i -a '%s' >/dev/null 2>&1", rootdir);
	(void)system(cmd);
	tl_rmrf(rootdir);
}

/* --- Augeas, for the edits ---------------------------------------------- */

/* The aug_* calls below are augeas-dl.h's: the library the module loaded on
 * its first open. */

/* --- helpers ------------------------------------------------------------ */

static void put_str(const char *abs, const char *content)
{
	tl_put(rootdir, abs, content, strlen(content), 0644);
}

static void assert_file(const char *abs, const char *want)
{
	size_t len = 0;
	char *got = tl_slurp(tl_host(rootdir, abs), &len);
	ck_assert_msg(got != NULL, "%s does not exist", abs);
	ck_assert_msg(len == strlen(want) && memcmp(got, want, len) == 0, "%s holds (%zu bytes):\n%s\nwant:\n%s", abs,
		      len, got, want);
	free(got);
}

/* The names in absdir that are ctune's temporary files (".name.ctune-*"),
 * into tmp (may be NULL) as a full path; returns how many. */
static int temps(const char *absdir, char *tmp, size_t size)
{
	DIR *d = opendir(tl_host(rootdir, absdir));
	ck_assert_msg(d != NULL, "%s: %s", absdir, strerror(errno));
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] == '.' && strstr(de->d_name, ".ctune-")) {
			n++;
			if (tmp)
				snprintf(tmp, size, "%s/%s", absdir, de->d_name);
		}
	closedir(d);
	return n;
}

/* How many entries absdir holds (without "." and ".."). */
static int entries(const char *absdir)
{
	DIR *d = opendir(tl_host(rootdir, absdir));
	ck_assert_msg(d != NULL, "%s: %s", absdir, strerror(errno));
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void open_ok(ctune_textfile *f, const char *abs, const ctune_textfile_format *fmt)
{
	memset(f, 0, sizeof(*f));
	ctune_error err = { 0 };
	int r = ctune_textfile_open(f, &root, abs, fmt, &err);
	ck_assert_msg(r == 0, "open %s: %d %s", abs, r, err.msg);
	ck_assert_int_eq(err.code, 0);
}

/* An edit as an editor makes it: set /parsed/<key>, mark the tree dirty. */
static void set(ctune_textfile *f, const char *key, const char *value)
{
	char path[256];
	snprintf(path, sizeof(path), "/parsed/%s", key);
	ck_assert_int_eq(aug_set(f->aug, path, value), 0);
	f->dirty = true;
}

/* Remove every entry and comment of the file. */
static void remove_all(ctune_textfile *f)
{
	strv m = { 0 };
	ck_assert_int_eq(ctune_textfile_match(f, "/parsed/*", &m, "list the nodes", NULL), 0);
	ck_assert_int_gt(m.n, 0);
	ck_assert_int_eq(ctune_textfile_remove(f, m.v, m.n, "remove a node", NULL), 0);
	strv_done(&m);
}

static void assert_render(ctune_textfile *f, int changed, const char *want)
{
	const char *text = NULL;
	size_t len = 0;
	ctune_error err = { 0 };
	int r = ctune_textfile_render(f, &text, &len, &err);
	ck_assert_msg(r == changed, "render: %d (%s), want %d", r, err.msg, changed);
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(len == strlen(want) && memcmp(text, want, len) == 0, "rendered (%zu bytes):\n%s\nwant:\n%s",
		      len, text, want);
}

static void assert_original(const ctune_textfile *f, const char *want)
{
	size_t len = 99;
	const char *o = ctune_textfile_original(f, &len);
	ck_assert_uint_eq(len, strlen(want));
	ck_assert_str_eq(o, want);
}

/* --- reading ------------------------------------------------------------- */

START_TEST(test_read_missing)
{
	ctune_error err = { 0 };
	char *out = (char *)"untouched";
	ck_assert_int_eq(ctune_textfile_read(tl_host(rootdir, "/etc/none"), "/etc/none", 256, "test file", &out, NULL,
					     NULL, &err),
			 -ENOENT);
	ck_assert_int_eq(err.code, 0); /* no message: a missing file is the caller's to judge */
	ck_assert_str_eq(err.msg, "");
	ck_assert_str_eq(out, "untouched");

	/* open() takes a missing file as empty; nothing is made on disk. */
	ctune_textfile f;
	open_ok(&f, F, &edited);
	ck_assert(!f.exists);
	ck_assert(!f.dos);
	ck_assert_str_eq(f.path, F);
	ck_assert_str_eq(f.target, F);
	assert_original(&f, "");
	assert_render(&f, 0, "");
	ck_assert_int_eq(ctune_textfile_prepare(&f, NULL), 0);
	ctune_textfile_done(&f);
	ck_assert(!tl_exists(rootdir, F));
	ck_assert_int_eq(entries("/etc"), 0);
}
END_TEST

START_TEST(test_read_contents_and_status)
{
	tl_put(rootdir, F, "a = 1\nb = 2\n", 12, 0640);
	ctune_error err = { 0 };
	char *out = NULL;
	size_t len = 0;
	struct stat st;
	ck_assert_int_eq(ctune_textfile_read(tl_host(rootdir, F), F, 256, "test file", &out, &len, &st, &err), 0);
	ck_assert_uint_eq(len, 12);
	ck_assert_str_eq(out, "a = 1\nb = 2\n");
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	ck_assert_uint_eq(st.st_ino, tl_stat(rootdir, F).st_ino);
	free(out);

	/* A link is refused here: open() resolves links first. */
	ck_assert_int_eq(symlink("t.conf", tl_host(rootdir, "/etc/link.conf")), 0);
	ck_assert_int_eq(ctune_textfile_read(tl_host(rootdir, "/etc/link.conf"), "/etc/link.conf", 256, "test file",
					     &out, NULL, NULL, &err),
			 -ELOOP);
	ck_assert_str_eq(err.msg, "/etc/link.conf: Too many levels of symbolic links");
}
END_TEST

START_TEST(test_read_size_cap)
{
	char big[300];
	memset(big, '#', sizeof(big));
	big[sizeof(big) - 1] = '\n';

	/* One byte over the cap: refused, with the size. */
	tl_put(rootdir, F, big, 257, 0644);
	ctune_error err = { 0 };
	char *out = NULL;
	ck_assert_int_eq(ctune_textfile_read(tl_host(rootdir, F), F, 256, "test file", &out, NULL, NULL, &err), -EFBIG);
	ck_assert_str_eq(err.msg, "/etc/t.conf: too large for a test file (257 bytes)");
	ck_assert_ptr_null(out);

	ctune_textfile f = { 0 };
	ctune_error_clear(&err);
	ck_assert_int_eq(ctune_textfile_open(&f, &root, F, &edited, &err), -EFBIG);
	ck_assert_str_eq(err.msg, "/etc/t.conf: too large for a test file (257 bytes)");
	ctune_textfile_done(&f);

	/* Exactly at the cap: read whole. */
	tl_put(rootdir, F, big, 256, 0644);
	size_t len = 0;
	ctune_error_clear(&err);
	int r = ctune_textfile_read(tl_host(rootdir, F), F, 256, "test file", &out, &len, NULL, &err);
	ck_assert_msg(r == 0, "a file of exactly max_bytes: %d %s", r, err.msg);
	ck_assert_uint_eq(len, 256);
	ck_assert_uint_eq(strlen(out), 256);
	free(out);

	/* Well under it: read whole. */
	tl_put(rootdir, F, big + 200, 100, 0644);
	ck_assert_int_eq(ctune_textfile_read(tl_host(rootdir, F), F, 256, "test file", &out, &len, NULL, NULL), 0);
	ck_assert_uint_eq(len, 100);
	ck_assert_uint_eq(strlen(out), 100);
	free(out);
}
END_TEST

START_TEST(test_read_nul_refused)
{
	tl_put(rootdir, F, "a = 1\n\0b = 2\n", 13, 0644);
	ctune_error err = { 0 };
	char *out = NULL;
	ck_assert_int_eq(ctune_textfile_read(tl_host(rootdir, F), F, 256, "test file", &out, NULL, NULL, &err),
			 -EBADMSG);
	ck_assert_str_eq(err.msg, "/etc/t.conf: contains a NUL byte, not a test file");
	ck_assert_ptr_null(out);

	ctune_textfile f = { 0 };
	ctune_error_clear(&err);
	ck_assert_int_eq(ctune_textfile_open(&f, &root, F, &owned, &err), -EBADMSG);
	ck_assert_str_eq(err.msg, "/etc/t.conf: contains a NUL byte, not a owned test file");
	ctune_textfile_done(&f);
	size_t len = 0;
	char *s = tl_slurp(tl_host(rootdir, F), &len);
	ck_assert_uint_eq(len, 13);
	ck_assert_int_eq(memcmp(s, "a = 1\n\0b = 2\n", 13), 0);
	free(s);
}
END_TEST

START_TEST(test_read_not_a_file)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/etc/dir.conf", rootdir);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	ctune_textfile f = { 0 };
	ctune_error err = { 0 };
	ck_assert_int_eq(ctune_textfile_open(&f, &root, "/etc/dir.conf", &edited, &err), -EINVAL);
	ck_assert_str_eq(err.msg, "/etc/dir.conf: not a regular file");
	ctune_textfile_done(&f);

	/* A FIFO is refused at once, not waited on for a writer. */
	snprintf(p, sizeof(p), "%s/etc/fifo.conf", rootdir);
	ck_assert_int_eq(mkfifo(p, 0644), 0);
	memset(&f, 0, sizeof(f));
	ctune_error_clear(&err);
	alarm(10);
	ck_assert_int_eq(ctune_textfile_open(&f, &root, "/etc/fifo.conf", &edited, &err), -EINVAL);
	alarm(0);
	ck_assert_str_eq(err.msg, "/etc/fifo.conf: not a regular file");
	ctune_textfile_done(&f);

	memset(&f, 0, sizeof(f));
	ctune_error_clear(&err);
	ck_assert_int_eq(ctune_textfile_open(&f, &root, "etc/t.conf", &edited, &err), -EINVAL);
	ck_assert_str_eq(err.msg, "\"etc/t.conf\" is not an absolute file path");
	ctune_textfile_done(&f);
}
END_TEST

/* The reader underneath, from a pipe (no size to go by, like /proc): whole
 * up to the cap, across the first page, and refused one byte over it. */
static int read_pipe(size_t n, size_t max, char **out, size_t *len)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	char *data = malloc(n);
	ck_assert_ptr_nonnull(data);
	for (size_t i = 0; i < n; i++)
		data[i] = (char)('a' + i % 26);
	ck_assert_int_eq(write(p[1], data, n), (ssize_t)n);
	close(p[1]);
	free(data);
	int r = ctune_read_all_fd(p[0], max, out, len);
	close(p[0]);
	return r;
}

START_TEST(test_read_all_fd)
{
	static const size_t sizes[] = { 0, 1, 4094, 4095, 4096, 4097, 10000 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i], len = 99;
		char *out = NULL;
		ck_assert_msg(read_pipe(n, n, &out, &len) == 0, "%zu bytes, cap %zu", n, n);
		ck_assert_uint_eq(len, n);
		ck_assert_uint_eq(strlen(out), n);
		if (n > 0)
			ck_assert_int_eq(out[n - 1], 'a' + (int)((n - 1) % 26));
		free(out);
		out = NULL;
		if (n > 0) {
			ck_assert_int_eq(read_pipe(n, n - 1, &out, &len), -EFBIG);
			ck_assert_ptr_null(out);
		}
	}
	/* A regular file: the same whole text through its size. */
	tl_put(rootdir, F, "a = 1\n", 6, 0644);
	int fd = open(tl_host(rootdir, F), O_RDONLY);
	ck_assert_int_ge(fd, 0);
	char *out = NULL;
	ck_assert_int_eq(ctune_read_all_fd(fd, 6, &out, NULL), 0);
	ck_assert_str_eq(out, "a = 1\n");
	free(out);
	close(fd);
}
END_TEST

/* --- line endings ---------------------------------------------------------- */

START_TEST(test_crlf)
{
	const char *dos = "# made on Windows\r\na = 1\r\nb = 2\r\n";
	put_str(F, dos);
	ctune_textfile f;
	open_ok(&f, F, &edited);
	ck_assert(f.exists);
	ck_assert(f.dos);
	assert_original(&f, dos);
	/* The tree has no "\r" of its own. */
	const char *v = NULL;
	ck_assert_int_eq(aug_get(f.aug, "/parsed/a", &v), 1);
	ck_assert_str_eq(v, "1");
	assert_render(&f, 0, dos);

	set(&f, "a", "10");
	set(&f, "c", "3");
	assert_render(&f, 1, "# made on Windows\r\na = 10\r\nb = 2\r\nc = 3\r\n");
	ck_assert_int_eq(ctune_textfile_save(&f, NULL), 1);
	assert_file(F, "# made on Windows\r\na = 10\r\nb = 2\r\nc = 3\r\n");
	ck_assert(f.dos);
	ctune_textfile_done(&f);

	/* Mixed endings: not dos, the "\r" stays in the text. */
	put_str(F, "a = 1\r\nb = 2\n");
	open_ok(&f, F, &edited);
	ck_assert(!f.dos);
	set(&f, "b", "5");
	assert_render(&f, 1, "a = 1\r\nb = 5\n");
	ctune_textfile_done(&f);

	/* No final newline: the lens gets one; the file gets one when it
	 * changes, and keeps its bytes when it does not. */
	put_str(F, "a = 1");
	open_ok(&f, F, &edited);
	assert_render(&f, 0, "a = 1");
	set(&f, "a", "2");
	assert_render(&f, 1, "a = 2\n");
	ctune_textfile_done(&f);
}
END_TEST

/* --- rendering --------------------------------------------------------------- */

START_TEST(test_render_after_edit)
{
	const char *before = "# keep me\na = 1\nb = 2\n";
	put_str(F, before);
	tl_age(rootdir, F);
	ctune_textfile f;
	open_ok(&f, F, &edited);
	assert_render(&f, 0, before);

	set(&f, "b", "20");
	set(&f, "c", "3");
	ck_assert(f.dirty);
	assert_render(&f, 1, "# keep me\na = 1\nb = 20\nc = 3\n");
	ck_assert(!f.dirty);
	/* Again without a change: the same text, still "changed". */
	assert_render(&f, 1, "# keep me\na = 1\nb = 20\nc = 3\n");
	/* Only a render: the file and the original are as read. */
	assert_original(&f, before);
	assert_file(F, before);
	ck_assert_int_eq(tl_stat(rootdir, F).st_mtim.tv_sec, 978307200);

	/* match and remove, last first. */
	strv m = { 0 };
	ck_assert_int_eq(ctune_textfile_match(&f, "/parsed/*[label() != '#comment']", &m, "list", NULL), 0);
	ck_assert_int_eq(m.n, 3);
	ck_assert_str_eq(m.v[0], "/parsed/a");
	ck_assert_str_eq(m.v[2], "/parsed/c");
	ck_assert_int_eq(ctune_textfile_remove(&f, m.v, 2, "remove", NULL), 0);
	strv_done(&m);
	assert_render(&f, 1, "# keep me\nc = 3\n");

	/* Undoing every change renders the original again: nothing to do. */
	ck_assert_int_eq(aug_rm(f.aug, "/parsed/c"), 1);
	set(&f, "a", "1");
	set(&f, "b", "2");
	assert_render(&f, 0, before);
	ck_assert_int_eq(ctune_textfile_prepare(&f, NULL), 0);
	ctune_textfile_done(&f);
	assert_file(F, before);
}
END_TEST

START_TEST(test_failure_message)
{
	put_str(F, "a = 1\n");
	ctune_textfile f;
	open_ok(&f, F, &edited);
	ck_assert_int_lt(aug_set(f.aug, "/parsed/a[", "2"), 0);
	ctune_error err = { 0 };
	ck_assert_int_eq(ctune_textfile_failure(&f, -EIO, "set a value", &err), -EIO);
	ck_assert_int_eq(err.code, -EIO);
	ck_assert_msg(strncmp(err.msg, "/etc/t.conf: Augeas could not set a value: Invalid path expression", 66) == 0,
		      "%s", err.msg);

	strv m = { 0 };
	ctune_error_clear(&err);
	ck_assert_int_eq(ctune_textfile_match(&f, "/parsed/[", &m, "list the entries", &err), -EIO);
	ck_assert_msg(strstr(err.msg, "/etc/t.conf: Augeas could not list the entries: ") == err.msg, "%s", err.msg);
	ctune_textfile_done(&f);
}
END_TEST

/* --- nothing to do ------------------------------------------------------------ */

START_TEST(test_nothing_to_do)
{
	const char *text = "# untouched\na = 1\n";
	put_str(F, text);
	tl_age(rootdir, F);
	struct stat before = tl_stat(rootdir, F);
	ctune_textfile f;
	open_ok(&f, F, &edited);
	ck_assert(!f.dirty);
	ctune_error err = { 0 };
	ck_assert_int_eq(ctune_textfile_prepare(&f, &err), 0);
	ck_assert_int_eq(temps("/etc", NULL, 0), 0);
	ck_assert_int_eq(ctune_textfile_commit(&f, &err), 0);
	ck_assert_int_eq(ctune_textfile_save(&f, &err), 0);

	/* An edit that sets what is there already is no change either. */
	set(&f, "a", "1");
	ck_assert_int_eq(ctune_textfile_save(&f, &err), 0);
	ck_assert_int_eq(err.code, 0);
	ctune_textfile_done(&f);

	struct stat after = tl_stat(rootdir, F);
	ck_assert_uint_eq(after.st_ino, before.st_ino);
	ck_assert_int_eq(after.st_mtim.tv_sec, 978307200);
	ck_assert_int_eq(after.st_mtim.tv_nsec, 0);
	assert_file(F, text);
	ck_assert_int_eq(entries("/etc"), 1);
}
END_TEST

/* --- changed under us ---------------------------------------------------------- */

START_TEST(test_stale)
{
	put_str(F, "a = 1\n");
	ctune_textfile f;
	ctune_error err = { 0 };

	/* Rewritten by someone else between open and prepare. */
	open_ok(&f, F, &edited);
	set(&f, "a", "2");
	put_str(F, "a = 7\nz = 9\n");
	ck_assert_int_eq(ctune_textfile_prepare(&f, &err), -ESTALE);
	ck_assert_str_eq(err.msg, "/etc/t.conf: changed on disk since it was read; not saved");
	ck_assert_int_eq(ctune_textfile_save(&f, NULL), -ESTALE);
	ctune_textfile_done(&f);
	assert_file(F, "a = 7\nz = 9\n");
	ck_assert_int_eq(temps("/etc", NULL, 0), 0);

	/* Only touched: same bytes, a newer time is enough. */
	tl_age(rootdir, F);
	open_ok(&f, F, &edited);
	set(&f, "a", "2");
	ck_assert_int_eq(utimensat(AT_FDCWD, tl_host(rootdir, F), NULL, 0), 0);
	ck_assert_int_eq(ctune_textfile_prepare(&f, NULL), -ESTALE);
	ctune_textfile_done(&f);
	assert_file(F, "a = 7\nz = 9\n");

	/* Removed. */
	open_ok(&f, F, &edited);
	set(&f, "a", "2");
	ck_assert_int_eq(unlink(tl_host(rootdir, F)), 0);
	ctune_error_clear(&err);
	ck_assert_int_eq(ctune_textfile_prepare(&f, &err), -ESTALE);
	ck_assert_str_eq(err.msg, "/etc/t.conf: removed since it was read; not saved");
	ctune_textfile_done(&f);
	ck_assert(!tl_exists(rootdir, F));

	/* Missing when read, present at prepare. */
	open_ok(&f, F, &edited);
	set(&f, "a", "2");
	put_str(F, "theirs = 1\n");
	ck_assert_int_eq(ctune_textfile_prepare(&f, NULL), -ESTALE);
	ctune_textfile_done(&f);
	assert_file(F, "theirs = 1\n");

	/* Changed between prepare and commit: the prepared file goes. */
	open_ok(&f, F, &edited);
	set(&f, "a", "2");
	ck_assert_int_eq(ctune_textfile_prepare(&f, NULL), 1);
	ck_assert_int_eq(temps("/etc", NULL, 0), 1);
	put_str(F, "theirs = 2\n");
	ctune_error_clear(&err);
	ck_assert_int_eq(ctune_textfile_commit(&f, &err), -ESTALE);
	ck_assert_str_eq(err.msg, "/etc/t.conf: changed on disk since it was read; not saved");
	ck_assert_int_eq(temps("/etc", NULL, 0), 0);
	ck_assert_int_eq(ctune_textfile_commit(&f, NULL), 0); /* nothing prepared any more */
	ctune_textfile_done(&f);
	assert_file(F, "theirs = 2\n");
	ck_assert_int_eq(entries("/etc"), 1);
}
END_TEST

/* --- prepare, commit, discard --------------------------------------------------- */

START_TEST(test_prepare_commit)
{
	tl_put(rootdir, F, "a = 1\n", 6, 0640);
	bool root_user = geteuid() == 0;
	if (root_user)
		ck_assert_int_eq(chown(tl_host(rootdir, F), 1234, 5678), 0);
	tl_age(rootdir, F);
	struct stat before = tl_stat(rootdir, F);

	ctune_textfile f;
	open_ok(&f, F, &edited);
	set(&f, "a", "2");
	set(&f, "b", "3");
	ctune_error err = { 0 };
	ck_assert_int_eq(ctune_textfile_prepare(&f, &err), 1);

	/* Prepared: a hidden file beside the target holds the new text with
	 * the target's owner and mode; the target is untouched. */
	char tmp[512];
	ck_assert_int_eq(temps("/etc", tmp, sizeof(tmp)), 1);
	ck_assert_msg(strncmp(tmp, "/etc/.t.conf.ctune-", 19) == 0, "temporary file %s", tmp);
	assert_file(tmp, "a = 2\nb = 3\n");
	struct stat ts = tl_stat(rootdir, tmp);
	ck_assert_uint_eq(ts.st_mode & 07777, 0640);
	ck_assert_uint_eq(ts.st_uid, before.st_uid);
	ck_assert_uint_eq(ts.st_gid, before.st_gid);
	assert_file(F, "a = 1\n");
	ck_assert_uint_eq(tl_stat(rootdir, F).st_ino, before.st_ino);

	ck_assert_int_eq(ctune_textfile_commit(&f, &err), 1);
	ck_assert_int_eq(err.code, 0);
	assert_file(F, "a = 2\nb = 3\n");
	struct stat after = tl_stat(rootdir, F);
	ck_assert_uint_eq(after.st_ino, ts.st_ino); /* renamed into place, not rewritten */
	ck_assert_uint_eq(after.st_mode & 07777, 0640);
	ck_assert_uint_eq(after.st_uid, before.st_uid);
	ck_assert_uint_eq(after.st_gid, before.st_gid);
	if (root_user) {
		ck_assert_uint_eq(after.st_uid, 1234);
		ck_assert_uint_eq(after.st_gid, 5678);
	}
	ck_assert(!tl_exists(rootdir, tmp));
	ck_assert_int_eq(entries("/etc"), 1);
	ck_assert_int_eq(ctune_textfile_commit(&f, NULL), 0);

	/* The session goes on from the file as written: no change left, and
	 * a further edit saves without being taken for someone else's. */
	assert_original(&f, "a = 2\nb = 3\n");
	assert_render(&f, 0, "a = 2\nb = 3\n");
	set(&f, "b", "4");
	ck_assert_int_eq(ctune_textfile_save(&f, &err), 1);
	ctune_textfile_done(&f);
	assert_file(F, "a = 2\nb = 4\n");
	ck_assert_int_eq(entries("/etc"), 1);

	/* A new file gets mode 0644. */
	open_ok(&f, "/etc/new.conf", &edited);
	set(&f, "x", "1");
	ck_assert_int_eq(ctune_textfile_save(&f, NULL), 1);
	ck_assert(f.exists);
	ctune_textfile_done(&f);
	assert_file("/etc/new.conf", "x = 1\n");
	ck_assert_uint_eq(tl_stat(rootdir, "/etc/new.conf").st_mode & 07777, 0644);
}
END_TEST

/* An edit between prepare and commit: the prepared file no longer holds
 * what the caller last rendered, so commit refuses (and discards it)
 * rather than write the older text or record the newer one as written. */
START_TEST(test_edit_after_prepare)
{
	put_str(F, "a = 1\n");
	ctune_textfile f;
	open_ok(&f, F, &edited);
	set(&f, "a", "2222222222");
	ctune_error err = { 0 };
	ck_assert_int_eq(ctune_textfile_prepare(&f, &err), 1);
	set(&f, "a", "3");
	ck_assert_int_eq(ctune_textfile_commit(&f, &err), -EBUSY);
	ck_assert_msg(strstr(err.msg, "edited after it was prepared"), "%s", err.msg);
	assert_file(F, "a = 1\n");
	ck_assert_int_eq(entries("/etc"), 1); /* the prepared file is gone */
	ctune_error_clear(&err);
	ck_assert_int_eq(ctune_textfile_save(&f, &err), 1);
	assert_file(F, "a = 3\n");
	assert_original(&f, "a = 3\n");

	/* An edit undone before commit leaves the prepared text right. */
	set(&f, "a", "4");
	ck_assert_int_eq(ctune_textfile_prepare(&f, &err), 1);
	set(&f, "a", "5");
	set(&f, "a", "4");
	ck_assert_int_eq(ctune_textfile_commit(&f, &err), 1);
	assert_file(F, "a = 4\n");
	ctune_textfile_done(&f);

	/* The same for a removal prepared by remove_empty. */
	open_ok(&f, F, &owned);
	remove_all(&f);
	ck_assert_int_eq(ctune_textfile_prepare(&f, &err), 1);
	set(&f, "b", "6");
	ck_assert_int_eq(ctune_textfile_commit(&f, &err), -EBUSY);
	assert_file(F, "a = 4\n");
	ctune_textfile_done(&f);
	assert_file(F, "a = 4\n");
}
END_TEST

START_TEST(test_prepare_then_discard)
{
	put_str(F, "a = 1\n");
	tl_age(rootdir, F);
	ctune_textfile f;
	open_ok(&f, F, &edited);
	set(&f, "a", "2");
	ck_assert_int_eq(ctune_textfile_prepare(&f, NULL), 1);
	/* Prepared again: still one temporary file, the first one gone. */
	char first[512], second[512];
	ck_assert_int_eq(temps("/etc", first, sizeof(first)), 1);
	set(&f, "a", "3");
	ck_assert_int_eq(ctune_textfile_prepare(&f, NULL), 1);
	ck_assert_int_eq(temps("/etc", second, sizeof(second)), 1);
	assert_file(second, "a = 3\n");

	/* Closed without a commit: the original stays, nothing beside it. */
	ctune_textfile_done(&f);
	assert_file(F, "a = 1\n");
	ck_assert_int_eq(tl_stat(rootdir, F).st_mtim.tv_sec, 978307200);
	ck_assert_int_eq(temps("/etc", NULL, 0), 0);
	ck_assert_int_eq(entries("/etc"), 1);

	/* The same for a file that did not exist. */
	open_ok(&f, "/etc/new.conf", &owned);
	set(&f, "x", "1");
	ck_assert_int_eq(ctune_textfile_prepare(&f, NULL), 1);
	ck_assert_int_eq(temps("/etc", NULL, 0), 1);
	ck_assert(!tl_exists(rootdir, "/etc/new.conf"));
	ctune_textfile_done(&f);
	ck_assert(!tl_exists(rootdir, "/etc/new.conf"));
	ck_assert_int_eq(entries("/etc"), 1);
}
END_TEST

/* --- remove_empty and create_dirs ------------------------------------------------ */

START_TEST(test_remove_empty)
{
	/* Owned: a file rendered empty is removed at commit, not before. */
	put_str(F, "# only\na = 1\n");
	ctune_textfile f;
	open_ok(&f, F, &owned);
	remove_all(&f);
	assert_render(&f, 1, "");
	ck_assert_int_eq(ctune_textfile_prepare(&f, NULL), 1);
	assert_file(F, "# only\na = 1\n");
	ck_assert_int_eq(temps("/etc", NULL, 0), 0);
	ck_assert_int_eq(ctune_textfile_commit(&f, NULL), 1);
	ck_assert(!tl_exists(rootdir, F));
	ck_assert(!f.exists);
	assert_original(&f, "");
	assert_render(&f, 0, "");
	ctune_textfile_done(&f);
	ck_assert_int_eq(entries("/etc"), 0);

	/* Prepared for removal, then closed: the file stays. */
	put_str(F, "a = 1\n");
	open_ok(&f, F, &owned);
	remove_all(&f);
	ck_assert_int_eq(ctune_textfile_prepare(&f, NULL), 1);
	ctune_textfile_done(&f);
	assert_file(F, "a = 1\n");

	/* Through a link the file is emptied, and the link kept. */
	ck_assert_int_eq(symlink("t.conf", tl_host(rootdir, "/etc/link.conf")), 0);
	open_ok(&f, "/etc/link.conf", &owned);
	ck_assert_str_eq(f.target, F);
	remove_all(&f);
	ck_assert_int_eq(ctune_textfile_save(&f, NULL), 1);
	ctune_textfile_done(&f);
	ck_assert(S_ISLNK(tl_stat(rootdir, "/etc/link.conf").st_mode));
	assert_file(F, "");

	/* Not owned: the file stays, empty. */
	tl_put(rootdir, F, "a = 1\n", 6, 0600);
	open_ok(&f, F, &edited);
	remove_all(&f);
	ck_assert_int_eq(ctune_textfile_save(&f, NULL), 1);
	ck_assert(f.exists);
	ctune_textfile_done(&f);
	assert_file(F, "");
	ck_assert_uint_eq(tl_stat(rootdir, F).st_mode & 07777, 0600);
	ck_assert_int_eq(entries("/etc"), 2);
}
END_TEST

START_TEST(test_create_dirs)
{
	const char *deep = "/etc/new.d/deeper/t.conf";
	ctune_textfile f;
	ctune_error err = { 0 };

	/* Not owned: a missing directory is an error at open. */
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(ctune_textfile_open(&f, &root, deep, &edited, &err), -ENOENT);
	ck_assert_str_eq(err.msg, "/etc/new.d/deeper/t.conf: /etc/new.d: No such file or directory");
	ctune_textfile_done(&f);

	/* Owned: opened as an empty file; nothing made until prepare. */
	open_ok(&f, deep, &owned);
	ck_assert(!f.exists);
	ck_assert_str_eq(f.target, deep);
	set(&f, "a", "1");
	assert_render(&f, 1, "a = 1\n");
	ck_assert(!tl_exists(rootdir, "/etc/new.d"));
	ck_assert_int_eq(ctune_textfile_prepare(&f, &err), 1);
	ck_assert_uint_eq(tl_stat(rootdir, "/etc/new.d").st_mode & 07777, 0755);
	ck_assert(S_ISDIR(tl_stat(rootdir, "/etc/new.d/deeper").st_mode));
	ck_assert_int_eq(temps("/etc/new.d/deeper", NULL, 0), 1);
	ck_assert(!tl_exists(rootdir, deep));
	ck_assert_int_eq(ctune_textfile_commit(&f, &err), 1);
	ctune_textfile_done(&f);
	assert_file(deep, "a = 1\n");
	ck_assert_uint_eq(tl_stat(rootdir, deep).st_mode & 07777, 0644);
	ck_assert_int_eq(entries("/etc/new.d/deeper"), 1);

	/* Owned, closed without a save: no directory made. */
	open_ok(&f, "/etc/other.d/t.conf", &owned);
	set(&f, "a", "1");
	ctune_textfile_done(&f);
	ck_assert(!tl_exists(rootdir, "/etc/other.d"));
}
END_TEST

/* --- backup -------------------------------------------------------------------- */

START_TEST(test_backup)
{
	tl_put(rootdir, F, "a = 1\n", 6, 0600);
	tl_age(rootdir, F);
	ctune_textfile f;
	open_ok(&f, F, &edited);
	char path[512] = "junk";
	ctune_error err = { 0 };
	ck_assert_int_eq(ctune_textfile_backup(&f, path, sizeof(path), &err), 1);

	char re[128];
	snprintf(re, sizeof(re), "^/etc/t\\.conf\\.%ld\\.[0-9]{4}-[0-9]{2}-[0-9]{2}@[0-9]{2}:[0-9]{2}:[0-9]{2}~$",
		 (long)getpid());
	regex_t rx;
	ck_assert_int_eq(regcomp(&rx, re, REG_EXTENDED | REG_NOSUB), 0);
	ck_assert_msg(regexec(&rx, path, 0, NULL, 0) == 0, "backup name %s", path);
	regfree(&rx);
	assert_file(path, "a = 1\n");
	struct stat b = tl_stat(rootdir, path);
	ck_assert_uint_eq(b.st_mode & 07777, 0600);
	ck_assert_int_eq(b.st_mtim.tv_sec, 978307200);

	/* The same name again (within the second): refused, the first kept. */
	char again[512];
	ctune_error_clear(&err);
	int r = ctune_textfile_backup(&f, again, sizeof(again), &err);
	if (r == -EEXIST) {
		ck_assert_str_eq(again, "");
		ck_assert_msg(strstr(err.msg, "cannot create backup") != NULL, "%s", err.msg);
		assert_file(path, "a = 1\n");
	} else {
		ck_assert_int_eq(r, 1); /* the clock moved on */
		ck_assert_str_ne(again, path);
		ck_assert_int_eq(unlink(tl_host(rootdir, again)), 0);
	}

	/* No room for the name: refused before anything is made. */
	char small[8];
	ctune_error_clear(&err);
	ck_assert_int_eq(ctune_textfile_backup(&f, small, sizeof(small), &err), -ENOBUFS);
	ck_assert_str_eq(err.msg, "/etc/t.conf: no room for the backup path");
	ck_assert_int_eq(entries("/etc"), 2);

	/* A backup does not count as a change of the file. */
	set(&f, "a", "2");
	ck_assert_int_eq(ctune_textfile_save(&f, NULL), 1);
	ctune_textfile_done(&f);
	assert_file(F, "a = 2\n");
	assert_file(path, "a = 1\n");

	/* A missing file has no backup. */
	open_ok(&f, "/etc/none.conf", &edited);
	ck_assert_int_eq(ctune_textfile_backup(&f, path, sizeof(path), NULL), 0);
	ck_assert_str_eq(path, "");
	ctune_textfile_done(&f);
	ck_assert_int_eq(entries("/etc"), 2);
}
END_TEST

/* --- parse errors --------------------------------------------------------------- */

START_TEST(test_parse_error)
{
	put_str(F, "a = 1\n# fine\nthis is no sysctl line\nb = 2\n");
	ctune_textfile f = { 0 };
	ctune_error err = { 0 };
	ck_assert_int_eq(ctune_textfile_open(&f, &root, F, &edited, &err), -EBADMSG);
	ck_assert_str_eq(err.msg, "/etc/t.conf: the Sysctl lens cannot parse line 3, character 4 "
				  "(\"this is no sysctl line\"): Iterated lens matched less than it should; "
				  "the file is left as it is");
	ctune_textfile_done(&f);
	assert_file(F, "a = 1\n# fine\nthis is no sysctl line\nb = 2\n");

	/* A long line is quoted up to 80 characters. */
	char line[200];
	memset(line, 'x', 120);
	snprintf(line + 120, sizeof(line) - 120, " y\n");
	put_str(F, line);
	memset(&f, 0, sizeof(f));
	ctune_error_clear(&err);
	ck_assert_int_eq(ctune_textfile_open(&f, &root, F, &edited, &err), -EBADMSG);
	char want[512];
	snprintf(want, sizeof(want), "/etc/t.conf: the Sysctl lens cannot parse line 1, character 120 (\"%.80s...\")",
		 line);
	ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "got  %s\nwant %s", err.msg, want);
	ctune_textfile_done(&f);
}
END_TEST

START_TEST(test_lens_missing)
{
	static const ctune_textfile_format nolens = {
		.lens = "Nosuch.lns", .title = "Nosuch", .noun = "file", .max_bytes = 256,
	};
	put_str(F, "a = 1\n");
	ctune_textfile f = { 0 };
	ctune_error err = { 0 };
	int r = ctune_textfile_open(&f, &root, F, &nolens, &err);
	ck_assert_int_lt(r, 0);
	ck_assert_msg(strstr(err.msg, "/etc/t.conf: Augeas could not load the Nosuch.lns lens: ") == err.msg, "%s",
		      err.msg);
	ctune_textfile_done(&f);
	assert_file(F, "a = 1\n");
}
END_TEST

/* --- targets a rename cannot replace ------------------------------------------------ */

/* chattr the path under the root; false (and why, on stderr) when this
 * filesystem or this user cannot. */
static bool chattr(const char *flags, const char *abs)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "chattr %s '%s' 2>&1", flags, tl_host(rootdir, abs));
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	char out[512] = "";
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	int st = pclose(p);
	if (st != 0)
		fprintf(stderr, "test-textfile: chattr %s refused here (%s), not checked: %s", flags,
			geteuid() == 0 ? "root" : "not root", out[0] ? out : "no output\n");
	return st == 0;
}

START_TEST(test_unreplaceable)
{
	put_str(F, "a = 1\n");
	tl_age(rootdir, F);
	ctune_textfile f;
	ctune_error err = { 0 };
	int checked = 0;

	if (chattr("+i", F)) {
		open_ok(&f, F, &edited);
		set(&f, "a", "2");
		ck_assert_int_eq(ctune_textfile_prepare(&f, &err), -EPERM);
		ck_assert_str_eq(err.msg, "/etc/t.conf is immutable (chattr): Operation not permitted; "
					  "nothing was changed");
		ck_assert_int_eq(temps("/etc", NULL, 0), 0);
		ck_assert_int_eq(ctune_textfile_commit(&f, NULL), 0);
		ctune_textfile_done(&f);
		ck_assert(chattr("-i", F));
		assert_file(F, "a = 1\n");
		ck_assert_int_eq(tl_stat(rootdir, F).st_mtim.tv_sec, 978307200);
		checked++;
	}
	if (chattr("+a", F)) {
		open_ok(&f, F, &owned);
		remove_all(&f);
		ctune_error_clear(&err);
		ck_assert_int_eq(ctune_textfile_save(&f, &err), -EPERM);
		ck_assert_str_eq(err.msg, "/etc/t.conf is append-only (chattr): Operation not permitted; "
					  "nothing was changed");
		ctune_textfile_done(&f);
		ck_assert(chattr("-a", F));
		assert_file(F, "a = 1\n");
		checked++;
	}

	/* A directory nothing can be created in: the temporary file is
	 * refused, the target untouched. */
	bool dir_locked = geteuid() == 0 ? chattr("+i", "/etc") : chmod(tl_host(rootdir, "/etc"), 0555) == 0;
	if (dir_locked) {
		open_ok(&f, F, &edited);
		set(&f, "a", "2");
		ctune_error_clear(&err);
		int r = ctune_textfile_prepare(&f, &err);
		ck_assert_msg(r == -EPERM || r == -EACCES, "prepare in a locked directory: %d %s", r, err.msg);
		ck_assert_msg(strstr(err.msg, "/etc/t.conf: cannot create a temporary file beside it: ") == err.msg,
			      "%s", err.msg);
		ctune_textfile_done(&f);
		if (geteuid() == 0)
			ck_assert(chattr("-i", "/etc"));
		else
			ck_assert_int_eq(chmod(tl_host(rootdir, "/etc"), 0755), 0);
		assert_file(F, "a = 1\n");
		ck_assert_int_eq(entries("/etc"), 1);
		checked++;
	}
	if (checked == 0)
		fprintf(stderr, "test-textfile: no immutable or unwritable target could be made here; "
				"the refusal at prepare is not checked\n");
}
END_TEST

static Suite *textfile_suite(void)
{
	Suite *s = suite_create("textfile");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_read_missing);
	tcase_add_test(tc, test_read_contents_and_status);
	tcase_add_test(tc, test_read_size_cap);
	tcase_add_test(tc, test_read_nul_refused);
	tcase_add_test(tc, test_read_not_a_file);
	tcase_add_test(tc, test_read_all_fd);
	tcase_add_test(tc, test_crlf);
	tcase_add_test(tc, test_render_after_edit);
	tcase_add_test(tc, test_failure_message);
	tcase_add_test(tc, test_nothing_to_do);
	tcase_add_test(tc, test_stale);
	tcase_add_test(tc, test_prepare_commit);
	tcase_add_test(tc, test_edit_after_prepare);
	tcase_add_test(tc, test_prepare_then_discard);
	tcase_add_test(tc, test_remove_empty);
	tcase_add_test(tc, test_create_dirs);
	tcase_add_test(tc, test_backup);
	tcase_add_test(tc, test_parse_error);
	tcase_add_test(tc, test_lens_missing);
	tcase_add_test(tc, test_unreplaceable);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_run(textfile_suite());
}
