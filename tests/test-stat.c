/* test-stat.c - the per-CPU statistics parser (stat.c) alone.
 *
 * Three kernel generations' column sets (current, CentOS 7's 3.10, the
 * 2.6.18 legacy file), looked up by name; `entries` taken from the first CPU
 * and never summed; every way a row can be wrong rejected with its line
 * number; the CPU and column caps; the file read under a root prefix.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stat.h"

#define DATA CTUNE_TEST_DIR "/data/stat/"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	static char buf[1 << 16];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	char *out = malloc(n + 1);
	ck_assert_ptr_nonnull(out);
	memcpy(out, buf, n);
	out[n] = '\0';
	*len = n;
	return out;
}

static int parse_fixture(const char *name, ctune_stats *st, ctune_error *err)
{
	char path[512];
	snprintf(path, sizeof(path), DATA "%s", name);
	size_t len;
	char *text = slurp(path, &len);
	int r = ctune_stats_parse(text, len, st, err);
	free(text);
	return r;
}

static int parse_str(const char *text, ctune_stats *st, ctune_error *err)
{
	ctune_error_clear(err);
	return ctune_stats_parse(text, strlen(text), st, err);
}

/* total of a named column, failing the test when the column is absent */
static uint64_t total(const ctune_stats *st, const char *name)
{
	int c = ctune_stats_col(st, name);
	ck_assert_msg(c >= 0, "no column %s", name);
	return st->total[c];
}

static uint64_t cpu_val(const ctune_stats *st, size_t cpu, const char *name)
{
	int c = ctune_stats_col(st, name);
	ck_assert_msg(c >= 0, "no column %s", name);
	ck_assert_uint_lt(cpu, st->ncpus);
	return ctune_stats_cpu(st, cpu, (size_t)c);
}

START_TEST(test_current_kernel)
{
	static const char *const cols[] = { "entries",     "clashres",      "found",         "new",
					    "invalid",     "ignore",        "delete",        "chainlength",
					    "insert",      "insert_failed", "drop",          "early_drop",
					    "icmp_error",  "expect_new",    "expect_create", "expect_delete",
					    "search_restart" };
	ctune_stats st;
	ctune_error err = { 0 };
	ck_assert_int_eq(parse_fixture("current.txt", &st, &err), 0);
	ck_assert_uint_eq(st.ncols, 17);
	for (size_t i = 0; i < 17; i++) {
		ck_assert_str_eq(st.names[i], cols[i]);
		ck_assert_int_eq(ctune_stats_col(&st, cols[i]), (int)i);
	}
	ck_assert_uint_eq(st.ncpus, 2);
	ck_assert_int_eq(ctune_stats_col(&st, "searched"), -1);
	ck_assert_int_eq(ctune_stats_col(&st, "delete_list"), -1);
	ck_assert_int_eq(ctune_stats_col(&st, ""), -1);

	ck_assert_uint_eq(total(&st, "entries"), 42); /* 0x2a on each CPU: not 84 */
	ck_assert_uint_eq(total(&st, "clashres"), 3);
	ck_assert_uint_eq(total(&st, "found"), 0x10 + 0xf0);
	ck_assert_uint_eq(total(&st, "new"), 0);
	ck_assert_uint_eq(total(&st, "invalid"), 13);
	ck_assert_uint_eq(total(&st, "chainlength"), 6);
	ck_assert_uint_eq(total(&st, "insert_failed"), 1);
	ck_assert_uint_eq(total(&st, "drop"), 7);
	ck_assert_uint_eq(total(&st, "early_drop"), 2);
	ck_assert_uint_eq(total(&st, "icmp_error"), 1);
	ck_assert_uint_eq(total(&st, "search_restart"), 16);

	ck_assert_uint_eq(cpu_val(&st, 0, "entries"), 42);
	ck_assert_uint_eq(cpu_val(&st, 1, "entries"), 42);
	ck_assert_uint_eq(cpu_val(&st, 0, "found"), 0x10);
	ck_assert_uint_eq(cpu_val(&st, 1, "found"), 0xf0);
	ck_assert_uint_eq(cpu_val(&st, 0, "search_restart"), 5);
	ck_assert_uint_eq(cpu_val(&st, 1, "search_restart"), 11);
	ctune_stats_free(&st);
	ck_assert_ptr_null(st.per_cpu);
	ctune_stats_free(&st); /* twice is harmless */
}
END_TEST

START_TEST(test_centos7)
{
	ctune_stats st;
	ctune_error err = { 0 };
	ck_assert_int_eq(parse_fixture("centos7.txt", &st, &err), 0);
	ck_assert_uint_eq(st.ncols, 17);
	ck_assert_uint_eq(st.ncpus, 4);
	ck_assert_str_eq(st.names[1], "searched");
	ck_assert_str_eq(st.names[7], "delete_list");
	ck_assert_str_eq(st.names[16], "search_restart");
	ck_assert_int_eq(ctune_stats_col(&st, "clashres"), -1);
	ck_assert_uint_eq(total(&st, "entries"), 12345);
	ck_assert_uint_eq(total(&st, "searched"), 0x1e240 + 0xffff + 1);
	ck_assert_uint_eq(total(&st, "found"), 1030);
	ck_assert_uint_eq(total(&st, "new"), 2054);
	ck_assert_uint_eq(total(&st, "invalid"), 10);
	ck_assert_uint_eq(total(&st, "ignore"), 3);
	ck_assert_uint_eq(total(&st, "delete"), 1542);
	ck_assert_uint_eq(total(&st, "delete_list"), 1542);
	ck_assert_uint_eq(total(&st, "insert"), 2054);
	ck_assert_uint_eq(total(&st, "insert_failed"), 1);
	ck_assert_uint_eq(total(&st, "drop"), 4);
	ck_assert_uint_eq(total(&st, "early_drop"), 1);
	ck_assert_uint_eq(total(&st, "icmp_error"), 2);
	ck_assert_uint_eq(total(&st, "expect_new"), 1);
	ck_assert_uint_eq(total(&st, "search_restart"), 4);
	ck_assert_uint_eq(cpu_val(&st, 3, "found"), 0x103);
	ck_assert_uint_eq(cpu_val(&st, 2, "drop"), 4);
	ctune_stats_free(&st);
}
END_TEST

START_TEST(test_legacy_2618)
{
	ctune_stats st;
	ctune_error err = { 0 };
	ck_assert_int_eq(parse_fixture("legacy.txt", &st, &err), 0);
	ck_assert_uint_eq(st.ncols, 16);
	ck_assert_uint_eq(st.ncpus, 2);
	ck_assert_str_eq(st.names[15], "expect_delete");
	ck_assert_int_eq(ctune_stats_col(&st, "search_restart"), -1);
	ck_assert_uint_eq(total(&st, "entries"), 0xfff0);
	ck_assert_uint_eq(total(&st, "searched"), 0x0a0b0c0dull + 1);
	ck_assert_uint_eq(total(&st, "found"), 4097);
	ck_assert_uint_eq(total(&st, "new"), 8193);
	ck_assert_uint_eq(total(&st, "invalid"), 17);
	ck_assert_uint_eq(total(&st, "ignore"), 33);
	ck_assert_uint_eq(total(&st, "delete"), 8177);
	ck_assert_uint_eq(total(&st, "delete_list"), 8177);
	ck_assert_uint_eq(total(&st, "insert"), 8193);
	ck_assert_uint_eq(total(&st, "insert_failed"), 1);
	ck_assert_uint_eq(total(&st, "drop"), 6);
	ck_assert_uint_eq(total(&st, "early_drop"), 7);
	ck_assert_uint_eq(total(&st, "icmp_error"), 8);
	ck_assert_uint_eq(total(&st, "expect_new"), 2);
	ck_assert_uint_eq(total(&st, "expect_create"), 3);
	ck_assert_uint_eq(total(&st, "expect_delete"), 4);
	ctune_stats_free(&st);
}
END_TEST

START_TEST(test_entries_not_summed)
{
	ctune_stats st;
	ctune_error err;
	/* The kernel repeats one global count; if two CPU lines were read
	 * across an insert they may differ: the first line wins. */
	ck_assert_int_eq(parse_str("found entries drop\n"
				   "00000001 00000010 00000002\n"
				   "00000001 00000011 00000002\n"
				   "00000001 00000012 00000002\n"
				   "00000001 00000013 00000002\n",
				   &st, &err),
			 0);
	ck_assert_uint_eq(st.ncpus, 4);
	ck_assert_uint_eq(total(&st, "entries"), 0x10);
	ck_assert_uint_eq(total(&st, "found"), 4);
	ck_assert_uint_eq(total(&st, "drop"), 8);
	ck_assert_uint_eq(cpu_val(&st, 3, "entries"), 0x13);
	ctune_stats_free(&st);
}
END_TEST

START_TEST(test_wrong_field_count)
{
	ctune_stats st;
	ctune_error err;
	ck_assert_int_eq(parse_str("entries found drop\n"
				   "00000001 00000002 00000003\n"
				   "00000001 00000002\n",
				   &st, &err),
			 -EINVAL);
	ck_assert_int_eq(err.code, -EINVAL);
	ck_assert_msg(strstr(err.msg, "line 3") != NULL, "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "2 fields") != NULL, "%s", err.msg);
	ck_assert_uint_eq(st.ncpus, 0);
	ck_assert_ptr_null(st.per_cpu);
	ctune_stats_free(&st); /* still safe */

	ck_assert_int_eq(parse_str("entries found drop\n"
				   "00000001 00000002 00000003 00000004\n",
				   &st, &err),
			 -EINVAL);
	ck_assert_msg(strstr(err.msg, "line 2") != NULL, "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "4 fields") != NULL, "%s", err.msg);

	/* blank lines are not rows: they neither count nor fail */
	ck_assert_int_eq(parse_str("\n\nentries found\n\n0000000a 00000001\n   \n0000000a 00000002\n\n", &st, &err),
			 0);
	ck_assert_uint_eq(st.ncpus, 2);
	ck_assert_uint_eq(total(&st, "found"), 3);
	ctune_stats_free(&st);
	/* and line numbers count them */
	ck_assert_int_eq(parse_str("entries found\n\n0000000a\n", &st, &err), -EINVAL);
	ck_assert_msg(strstr(err.msg, "line 3") != NULL, "%s", err.msg);
}
END_TEST

START_TEST(test_not_hex)
{
	static const char *const bad[] = { "0000zz00", "0x10", "-1", "1.5", "00000000000000001" /* 17 digits */,
					   "+1", "0000000g" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[256];
		snprintf(text, sizeof(text), "entries found drop\n00000001 00000002 00000003\n00000001 %s 00000003\n",
			 bad[i]);
		ctune_stats st;
		ctune_error err;
		ck_assert_int_eq(parse_str(text, &st, &err), -EINVAL);
		ck_assert_msg(strstr(err.msg, "line 3") != NULL, "%s: %s", bad[i], err.msg);
		ck_assert_msg(strstr(err.msg, "field 2") != NULL, "%s: %s", bad[i], err.msg);
		ck_assert_ptr_null(st.per_cpu);
	}
	/* upper-case hex and 16 digits are fine */
	ctune_stats st;
	ctune_error err;
	ck_assert_int_eq(parse_str("entries found\nABCDEF 0000000000000010\nabcdef ffffffffffffffff\n", &st, &err), 0);
	ck_assert_uint_eq(total(&st, "entries"), 0xabcdef);
	ck_assert_uint_eq(total(&st, "found"), UINT64_MAX); /* saturates, does not wrap */
	ck_assert_uint_eq(cpu_val(&st, 1, "found"), UINT64_MAX);
	ctune_stats_free(&st);
}
END_TEST

START_TEST(test_empty_and_header_only)
{
	ctune_stats st;
	ctune_error err;
	ck_assert_int_eq(parse_str("", &st, &err), -EINVAL);
	ck_assert_msg(strstr(err.msg, "header") != NULL, "%s", err.msg);
	ck_assert_int_eq(parse_str("\n \n\t\n", &st, &err), -EINVAL);
	ck_assert_int_eq(ctune_stats_parse(NULL, 0, &st, NULL), -EINVAL);

	/* a header alone: columns known, no CPU, totals zero */
	ck_assert_int_eq(parse_str("entries found drop\n", &st, &err), 0);
	ck_assert_uint_eq(st.ncols, 3);
	ck_assert_uint_eq(st.ncpus, 0);
	ck_assert_uint_eq(total(&st, "entries"), 0);
	ck_assert_uint_eq(total(&st, "drop"), 0);
	ctune_stats_free(&st);

	/* data without a header is refused, not read as names */
	ck_assert_int_eq(parse_str("0000002a 00000001\n0000002a 00000001\n", &st, &err), -EINVAL);
	ck_assert_msg(strstr(err.msg, "line 1") != NULL, "%s", err.msg);
	/* a header name that is not a name */
	ck_assert_int_eq(parse_str("entries fo=und\n00000001 00000002\n", &st, &err), -EINVAL);
	ck_assert_msg(strstr(err.msg, "fo=und") != NULL, "%s", err.msg);
	/* a name too long for the struct */
	ck_assert_int_eq(parse_str("entries a_column_name_of_24_chars\n1 2\n", &st, &err), -EINVAL);
	ck_assert_msg(strstr(err.msg, "too long") != NULL, "%s", err.msg);
	/* 23 characters fit */
	ck_assert_int_eq(parse_str("entries a_column_name_of_23_chr\n1 2\n", &st, &err), 0);
	ck_assert_uint_eq(total(&st, "a_column_name_of_23_chr"), 2);
	ctune_stats_free(&st);
}
END_TEST

START_TEST(test_line_endings)
{
	ctune_stats st;
	ctune_error err;
	/* CRLF, tabs, no final newline */
	ck_assert_int_eq(parse_str("entries\tfound  drop\r\n0000002a\t00000001  00000002\r\n0000002a 00000003 00000004",
				   &st, &err),
			 0);
	ck_assert_uint_eq(st.ncols, 3);
	ck_assert_uint_eq(st.ncpus, 2);
	ck_assert_str_eq(st.names[2], "drop");
	ck_assert_uint_eq(total(&st, "entries"), 42);
	ck_assert_uint_eq(total(&st, "found"), 4);
	ck_assert_uint_eq(total(&st, "drop"), 6);
	ctune_stats_free(&st);
}
END_TEST

static char *many_cpus(size_t ncpus, size_t *len)
{
	size_t cap = 256 + ncpus * 40, n = 0;
	char *t = malloc(cap);
	ck_assert_ptr_nonnull(t);
	n += (size_t)sprintf(t, "entries found drop\n");
	for (size_t i = 0; i < ncpus; i++)
		n += (size_t)sprintf(t + n, "%08x %08zx %08x\n", 77u, i, 1u);
	*len = n;
	return t;
}

START_TEST(test_many_cpus)
{
	ctune_stats st;
	ctune_error err = { 0 };
	size_t len;
	char *t = many_cpus(CTUNE_STAT_MAX_CPUS, &len);
	ck_assert_int_eq(ctune_stats_parse(t, len, &st, &err), 0);
	ck_assert_uint_eq(st.ncpus, CTUNE_STAT_MAX_CPUS);
	ck_assert_uint_eq(total(&st, "entries"), 77);
	ck_assert_uint_eq(total(&st, "found"), (uint64_t)CTUNE_STAT_MAX_CPUS * (CTUNE_STAT_MAX_CPUS - 1) / 2);
	ck_assert_uint_eq(total(&st, "drop"), CTUNE_STAT_MAX_CPUS);
	ck_assert_uint_eq(cpu_val(&st, CTUNE_STAT_MAX_CPUS - 1, "found"), CTUNE_STAT_MAX_CPUS - 1);
	ctune_stats_free(&st);
	free(t);

	t = many_cpus(CTUNE_STAT_MAX_CPUS + 1, &len);
	ck_assert_int_eq(ctune_stats_parse(t, len, &st, &err), -EINVAL);
	ck_assert_msg(strstr(err.msg, "line 8194") != NULL, "%s", err.msg);
	ck_assert_ptr_null(st.per_cpu);
	free(t);
}
END_TEST

START_TEST(test_many_columns)
{
	/* 40 columns: the first 32 are kept, all 40 are checked. */
	char text[4096];
	size_t n = 0;
	for (int c = 0; c < 40; c++)
		n += (size_t)sprintf(text + n, "%scol%d", c ? " " : "", c);
	n += (size_t)sprintf(text + n, "\n");
	for (int cpu = 0; cpu < 2; cpu++) {
		for (int c = 0; c < 40; c++)
			n += (size_t)sprintf(text + n, "%s%08x", c ? " " : "", c + 100 * cpu);
		n += (size_t)sprintf(text + n, "\n");
	}
	ctune_stats st;
	ctune_error err = { 0 };
	ck_assert_int_eq(ctune_stats_parse(text, n, &st, &err), 0);
	ck_assert_uint_eq(st.ncols, CTUNE_STAT_MAX_COLS);
	ck_assert_uint_eq(st.ncpus, 2);
	ck_assert_str_eq(st.names[31], "col31");
	ck_assert_int_eq(ctune_stats_col(&st, "col32"), -1);
	ck_assert_uint_eq(total(&st, "col0"), 100);
	ck_assert_uint_eq(total(&st, "col31"), 31 + 131);
	ck_assert_uint_eq(cpu_val(&st, 1, "col31"), 131);
	ctune_stats_free(&st);

	/* a row of only the stored 32 columns is still short */
	n = (size_t)(strchr(text, '\n') - text) + 1;
	for (int c = 0; c < 32; c++)
		n += (size_t)sprintf(text + n, "%s%08x", c ? " " : "", c);
	ck_assert_int_eq(ctune_stats_parse(text, n, &st, &err), -EINVAL);
	ck_assert_msg(strstr(err.msg, "32 fields") != NULL, "%s", err.msg);
}
END_TEST

/* ---- the file under a root ---------------------------------------------- */

static void put(const char *root, const char *rel, const char *content)
{
	char path[512];
	static const char *const dirs[] = { "/proc", "/proc/net", "/proc/net/stat" };
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s%s", root, dirs[i]);
		mkdir(path, 0755);
	}
	snprintf(path, sizeof(path), "%s%s", root, rel);
	FILE *f = fopen(path, "w");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	fputs(content, f);
	fclose(f);
}

START_TEST(test_read_root)
{
	char dir[] = "/tmp/ctune-test-stat-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ctune_root r;
	ctune_error err = { 0 };
	ck_assert_int_eq(ctune_root_init(&r, dir, &err), 0);
	ctune_stats st;

	ck_assert_int_eq(ctune_stats_read(&r, CTUNE_SCHEME_MODERN, &st, &err), -ENOENT);
	ck_assert_msg(strstr(err.msg, "/proc/net/stat/nf_conntrack") != NULL, "%s", err.msg);
	ck_assert_ptr_null(st.per_cpu);
	ck_assert_int_eq(ctune_stats_read(&r, CTUNE_SCHEME_NONE, &st, NULL), -ENOENT);

	size_t len;
	char *cur = slurp(DATA "current.txt", &len);
	char *leg = slurp(DATA "legacy.txt", &len);
	put(dir, "/proc/net/stat/nf_conntrack", cur);
	put(dir, "/proc/net/stat/ip_conntrack", leg);

	ck_assert_int_eq(ctune_stats_read(&r, CTUNE_SCHEME_MODERN, &st, NULL), 0);
	ck_assert_uint_eq(st.ncols, 17);
	ck_assert_uint_eq(total(&st, "entries"), 42);
	ctune_stats_free(&st);
	ck_assert_int_eq(ctune_stats_read(&r, CTUNE_SCHEME_LEGACY, &st, NULL), 0);
	ck_assert_uint_eq(st.ncols, 16);
	ck_assert_uint_eq(total(&st, "entries"), 0xfff0);
	ctune_stats_free(&st);

	/* a parse error names the file and the line */
	put(dir, "/proc/net/stat/nf_conntrack", "entries found\n0000002a\n");
	ctune_error_clear(&err);
	ck_assert_int_eq(ctune_stats_read(&r, CTUNE_SCHEME_MODERN, &st, &err), -EINVAL);
	ck_assert_msg(strstr(err.msg, dir) != NULL && strstr(err.msg, "/proc/net/stat/nf_conntrack") != NULL,
		      "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "line 2") != NULL, "%s", err.msg);

	char path[512];
	snprintf(path, sizeof(path), "%s/proc/net/stat/nf_conntrack", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/proc/net/stat/ip_conntrack", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/proc/net/stat", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/proc/net", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/proc", dir);
	rmdir(path);
	ck_assert_int_eq(rmdir(dir), 0);
	free(cur);
	free(leg);
}
END_TEST

static Suite *stat_suite(void)
{
	Suite *s = suite_create("stat");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_current_kernel);
	tcase_add_test(tc, test_centos7);
	tcase_add_test(tc, test_legacy_2618);
	tcase_add_test(tc, test_entries_not_summed);
	tcase_add_test(tc, test_wrong_field_count);
	tcase_add_test(tc, test_not_hex);
	tcase_add_test(tc, test_empty_and_header_only);
	tcase_add_test(tc, test_line_endings);
	tcase_add_test(tc, test_many_cpus);
	tcase_add_test(tc, test_many_columns);
	tcase_add_test(tc, test_read_root);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(stat_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
