/* test-render.c - a tree the lens cannot write back (a render, or "put",
 * failure) is reported with the entry it stopped at and the line of the
 * file that entry came from, never "line ?, character ?" and line 1
 * (issue 14).  Augeas reports a put failure by tree path, not by line, so
 * the message is built from that path. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "augeas-dl.h"
#include "textfile.h"
#include "testlib.h"

static const ctune_textfile_format sysctl = {
	.lens = "Sysctl.lns",
	.title = "Sysctl",
	.noun = "test file",
	.max_bytes = 4096,
};

START_TEST(test_render_error_names_the_entry)
{
	const char *dir = tl_mkroot();
	ctune_root root;
	ck_assert_int_eq(ctune_root_init(&root, dir, NULL), 0);
	const char *text = "# one\n# two\nkernel.a = 1\nnet.x.y = 2\nkernel.b = 3\n";
	char etc[512];
	snprintf(etc, sizeof(etc), "%s/etc", dir);
	ck_assert_int_eq(mkdir(etc, 0755), 0);
	tl_put(dir, "/etc/t.conf", text, strlen(text), 0644);
	ctune_textfile f = { 0 };
	ctune_error err = { 0 };
	ck_assert_int_eq(ctune_textfile_open(&f, &root, "/etc/t.conf", &sysctl, &err), 0);
	/* A value with a line break: the Sysctl lens has no way to write it. */
	ck_assert_int_eq(aug_set(f.aug, "/parsed/net.x.y", "2\n3"), 0);
	f.dirty = true;
	ck_assert_int_lt(ctune_textfile_render(&f, NULL, NULL, &err), 0);
	ck_assert_msg(strstr(err.msg, "line 4") != NULL, "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "\"net.x.y = 2\"") != NULL, "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "# one") == NULL, "%s", err.msg);
	ck_assert_msg(strchr(err.msg, '\n') == NULL, "one line: %s", err.msg);
	ck_assert_str_eq(err.msg, "/etc/t.conf: the Sysctl lens cannot render the entry net.x.y of line 4 "
				  "(\"net.x.y = 2\"): Unexpected node '/parsed/net.x.y': can not match tree; "
				  "the file is left as it is");
	ctune_textfile_done(&f);

	/* The second of two entries of one key: its own line. */
	text = "a = 1\n\na = 2\n";
	tl_put(dir, "/etc/t.conf", text, strlen(text), 0644);
	memset(&f, 0, sizeof(f));
	ctune_error_clear(&err);
	ck_assert_int_eq(ctune_textfile_open(&f, &root, "/etc/t.conf", &sysctl, &err), 0);
	ck_assert_int_eq(aug_set(f.aug, "/parsed/a[2]", "x\ny"), 0);
	f.dirty = true;
	ck_assert_int_lt(ctune_textfile_render(&f, NULL, NULL, &err), 0);
	ck_assert_msg(strstr(err.msg, "entry a[2] of line 3 (\"a = 2\")") != NULL, "%s", err.msg);
	ctune_textfile_done(&f);

	/* An entry the editor added has no line to quote, and says so. */
	memset(&f, 0, sizeof(f));
	ctune_error_clear(&err);
	ck_assert_int_eq(ctune_textfile_open(&f, &root, "/etc/t.conf", &sysctl, &err), 0);
	ck_assert_int_eq(aug_set(f.aug, "/parsed/b", "x\ny"), 0);
	f.dirty = true;
	ck_assert_int_lt(ctune_textfile_render(&f, NULL, NULL, &err), 0);
	ck_assert_msg(strstr(err.msg, "entry b (a new line, not in the file)") != NULL, "%s", err.msg);
	ctune_textfile_done(&f);
}
END_TEST

static Suite *render_suite(void)
{
	Suite *s = suite_create("render");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_render_error_names_the_entry);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_run(render_suite());
}
