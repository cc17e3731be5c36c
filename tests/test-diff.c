/* test-diff.c - the unified diff of `ctune set --diff` on a terminal
 * (plugin/diff.c): exact output for the shapes a sysctl file change takes,
 * byte for byte what GNU `diff -u` writes for them (headers aside). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"

/* The diff of a and b under the name "f", as a string (freed by the caller). */
static char *diff(const char *a, const char *b, bool color)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(ctune_unified_diff(m, "f", a, b, color), 0);
	fclose(m);
	return text;
}

static void expect(const char *a, const char *b, const char *want)
{
	char *got = diff(a, b, false);
	ck_assert_msg(strcmp(got, want) == 0, "diff of\n%s\nand\n%s\ngave\n%s\nwanted\n%s", a, b, got, want);
	free(got);
}

START_TEST(test_equal)
{
	expect("", "", "");
	expect("a\nb\n", "a\nb\n", "");
}
END_TEST

START_TEST(test_append)
{
	expect("a\nb\nc\nd\n", "a\nb\nc\nd\nx = 1\n",
	       "--- f\n+++ f\n@@ -2,3 +2,4 @@\n b\n c\n d\n+x = 1\n");
	expect("", "x = 1\n", "--- f\n+++ f\n@@ -0,0 +1 @@\n+x = 1\n");
}
END_TEST

START_TEST(test_change_in_middle)
{
	expect("1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nfive\n6\n7\n8\n9\n",
	       "--- f\n+++ f\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
}
END_TEST

START_TEST(test_remove_first_and_last)
{
	expect("a\nb\nc\n", "b\n", "--- f\n+++ f\n@@ -1,3 +1 @@\n-a\n b\n-c\n");
	expect("a\n", "", "--- f\n+++ f\n@@ -1 +0,0 @@\n-a\n");
}
END_TEST

START_TEST(test_two_hunks_and_one)
{
	/* Changes 8 unchanged lines apart: two hunks; 6 apart: one. */
	expect("x\n1\n2\n3\n4\n5\n6\n7\n8\ny\n", "X\n1\n2\n3\n4\n5\n6\n7\n8\nY\n",
	       "--- f\n+++ f\n@@ -1,4 +1,4 @@\n-x\n+X\n 1\n 2\n 3\n@@ -7,4 +7,4 @@\n 6\n 7\n 8\n-y\n+Y\n");
	expect("x\n1\n2\n3\n4\n5\n6\ny\n", "X\n1\n2\n3\n4\n5\n6\nY\n",
	       "--- f\n+++ f\n@@ -1,8 +1,8 @@\n-x\n+X\n 1\n 2\n 3\n 4\n 5\n 6\n-y\n+Y\n");
}
END_TEST

START_TEST(test_no_final_newline)
{
	expect("a\nb", "a\nb\nc\n",
	       "--- f\n+++ f\n@@ -1,2 +1,3 @@\n a\n-b\n\\ No newline at end of file\n+b\n+c\n");
}
END_TEST

START_TEST(test_escapes_and_colour)
{
	/* A hostile file's escape sequence is shown, not sent; tabs kept. */
	expect("k\t= 1\n", "k\t= 2\033]0;x\n", "--- f\n+++ f\n@@ -1 +1 @@\n-k\t= 1\n+k\t= 2\\x1b]0;x\n");
	char *got = diff("a\n", "b\n", true);
	ck_assert_ptr_nonnull(strstr(got, "\033[31m-a\033[0m\n"));
	ck_assert_ptr_nonnull(strstr(got, "\033[32m+b\033[0m\n"));
	ck_assert_ptr_nonnull(strstr(got, "\033[36m@@ -1 +1 @@\033[0m\n"));
	free(got);
}
END_TEST

START_TEST(test_large_middle)
{
	/* 3000 lines against 3000 other lines: past the LCS table's size, the
	 * middle is all removed then all added, still a correct diff. */
	size_t n = 3000;
	char *a = malloc(n * 8 + 1), *b = malloc(n * 8 + 1);
	size_t la = 0, lb = 0;
	for (size_t i = 0; i < n; i++) {
		la += (size_t)sprintf(a + la, "a%05zu\n", i);
		lb += (size_t)sprintf(b + lb, "b%05zu\n", i);
	}
	char *got = diff(a, b, false);
	ck_assert_ptr_nonnull(strstr(got, "@@ -1,3000 +1,3000 @@\n-a00000\n"));
	ck_assert_ptr_nonnull(strstr(got, "-a02999\n+b00000\n"));
	free(got);
	free(a);
	free(b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("diff");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_equal);
	tcase_add_test(tc, test_append);
	tcase_add_test(tc, test_change_in_middle);
	tcase_add_test(tc, test_remove_first_and_last);
	tcase_add_test(tc, test_two_hunks_and_one);
	tcase_add_test(tc, test_no_final_newline);
	tcase_add_test(tc, test_escapes_and_colour);
	tcase_add_test(tc, test_large_middle);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
