/* test-duration.c - the text rules of tunable values: plain numbers,
 * durations for timeouts, and every malformed form with its exact message. */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "scheme.h"
#include "testlib.h"

static const struct {
	const char *text;
	long long seconds;
} good[] = {
	{ "0", 0 },
	{ "43200", 43200 },
	{ "007", 7 },
	{ "90s", 90 },
	{ "30m", 1800 },
	{ "12h", 43200 },
	{ "3d", 259200 },
	{ "2d", 172800 },
	{ "1d", 86400 },
	{ "5d", 432000 },
	{ "1w", 604800 },
	{ "0s", 0 },
	{ "1h30m", 5400 },
	{ "1d12h", 129600 },
	{ "1w2d3h4m5s", 604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5 },
	{ "1m30s", 90 },
	{ "90m", 5400 },
	{ "2147483647", 2147483647 },
	{ "2147483647s", 2147483647 },
	{ "24855d3h14m7s", 2147483647 },
	{ "3550w", 3550LL * 604800 },
	{ "0000000000000000000000000012", 12 },
};

START_TEST(test_parse_good)
{
	ctune_error err = { 0 };
	long long v = -1;
	ck_assert_int_eq(ctune_duration_parse(good[_i].text, CTUNE_DURATION_UNITS, &v, &err), 0);
	ck_assert_msg(v == good[_i].seconds, "%s: got %lld, want %lld", good[_i].text, v, good[_i].seconds);
	ck_assert_str_eq(err.msg, "");
}
END_TEST

static const struct {
	const char *text;
	unsigned flags;
	int code;
	const char *msg;
} bad[] = {
	{ "", CTUNE_DURATION_UNITS, -EINVAL, "empty value: expected a number or a duration such as 12h" },
	{ "", 0, -EINVAL, "empty value: expected a number" },
	{ "12x", CTUNE_DURATION_UNITS, -EINVAL, "12x: unknown unit 'x' (use s, m, h, d or w)" },
	{ "12H", CTUNE_DURATION_UNITS, -EINVAL, "12H: unknown unit 'H' (use s, m, h, d or w)" },
	{ "0x10", CTUNE_DURATION_UNITS, -EINVAL, "0x10: unknown unit 'x' (use s, m, h, d or w)" },
	{ "-5", CTUNE_DURATION_UNITS, -EINVAL, "-5: a sign is not allowed" },
	{ "+5", 0, -EINVAL, "+5: a sign is not allowed" },
	{ "-5", 0, -EINVAL, "-5: a sign is not allowed" },
	{ " 5", 0, -EINVAL, " 5: spaces are not allowed" },
	{ "5 ", 0, -EINVAL, "5 : spaces are not allowed" },
	{ "1h 30m", CTUNE_DURATION_UNITS, -EINVAL, "1h 30m: spaces are not allowed" },
	{ "12 h", CTUNE_DURATION_UNITS, -EINVAL, "12 h: spaces are not allowed" },
	{ "5\n", 0, -EINVAL, "5\n: line breaks are not allowed" },
	{ "5\r\n", 0, -EINVAL, "5\r\n: line breaks are not allowed" },
	{ "\t5", 0, -EINVAL, "\t5: tabs are not allowed" },
	{ "5\f", 0, -EINVAL, "5\f: control characters are not allowed" },
	{ "1.5h", CTUNE_DURATION_UNITS, -EINVAL, "1.5h: fractions are not allowed" },
	{ "1,5", 0, -EINVAL, "1,5: fractions are not allowed" },
	{ "h", CTUNE_DURATION_UNITS, -EINVAL, "h: a number must come before unit 'h'" },
	{ "1hm", CTUNE_DURATION_UNITS, -EINVAL, "1hm: a number must come before unit 'm'" },
	{ "1h30", CTUNE_DURATION_UNITS, -EINVAL, "1h30: '30' needs a unit" },
	{ "30m1h", CTUNE_DURATION_UNITS, -EINVAL, "30m1h: units must go from the largest to the smallest ('h' after 'm')" },
	{ "1h1h", CTUNE_DURATION_UNITS, -EINVAL, "1h1h: unit 'h' appears twice" },
	{ "12h", 0, -EINVAL, "12h: units such as 'h' are only allowed for timeouts" },
	{ "12x", 0, -EINVAL, "12x: not a whole number ('x' is not a digit)" },
	{ "abc", 0, -EINVAL, "abc: not a whole number ('a' is not a digit)" },
	{ "1\xc3\xa9", CTUNE_DURATION_UNITS, -EINVAL, "1\xc3\xa9: unexpected byte 0xc3" },
	{ "2147483648", 0, -ERANGE, "2147483648: too large (more than 2147483647)" },
	{ "9223372036854775808", 0, -ERANGE, "9223372036854775808: too large (more than 2147483647)" },
	{ "99999999999999999999", CTUNE_DURATION_UNITS, -ERANGE,
	  "99999999999999999999: too large (more than 2147483647 seconds)" },
	{ "99999999999d", CTUNE_DURATION_UNITS, -ERANGE, "99999999999d: too large (more than 2147483647 seconds)" },
	{ "24856d", CTUNE_DURATION_UNITS, -ERANGE, "24856d: too large (more than 2147483647 seconds)" },
	{ "3551w", CTUNE_DURATION_UNITS, -ERANGE, "3551w: too large (more than 2147483647 seconds)" },
	{ "24855d3h14m8s", CTUNE_DURATION_UNITS, -ERANGE, "24855d3h14m8s: too large (more than 2147483647 seconds)" },
	{ "1s1s", CTUNE_DURATION_UNITS, -EINVAL, "1s1s: unit 's' appears twice" },
};

START_TEST(test_parse_bad)
{
	ctune_error err = { 0 };
	long long v = 4242;
	ck_assert_int_eq(ctune_duration_parse(bad[_i].text, bad[_i].flags, &v, &err), bad[_i].code);
	ck_assert_int_eq(err.code, bad[_i].code);
	ck_assert_str_eq(err.msg, bad[_i].msg);
	ck_assert_int_eq(v, 4242); /* untouched on failure */
}
END_TEST

START_TEST(test_parse_null_err)
{
	long long v = 0;
	ck_assert_int_eq(ctune_duration_parse("12x", CTUNE_DURATION_UNITS, &v, NULL), -EINVAL);
	ck_assert_int_eq(ctune_duration_parse(NULL, CTUNE_DURATION_UNITS, &v, NULL), -EINVAL);
	ck_assert_int_eq(ctune_duration_parse("12", 0, &v, NULL), 0);
	ck_assert_int_eq(v, 12);
}
END_TEST

START_TEST(test_parse_tunable)
{
	const ctune_tunable *est = ctune_tunable_find("tcp_timeout_established");
	const ctune_tunable *max = ctune_tunable_find("max");
	const ctune_tunable *acct = ctune_tunable_find("acct");
	ck_assert_ptr_nonnull(est);
	ck_assert_ptr_nonnull(max);
	ck_assert_ptr_nonnull(acct);
	ctune_error err = { 0 };
	long long v = 0;

	ck_assert_int_eq(ctune_duration_parse_tunable(est, "12h", &v, &err), 0);
	ck_assert_int_eq(v, 43200);
	ck_assert_int_eq(ctune_duration_parse_tunable(est, "43200", &v, &err), 0);
	ck_assert_int_eq(v, 43200);
	ck_assert_int_eq(ctune_duration_parse_tunable(max, "1210856", &v, &err), 0);
	ck_assert_int_eq(v, 1210856);
	ck_assert_int_eq(ctune_duration_parse_tunable(acct, "1", &v, &err), 0);
	ck_assert_int_eq(v, 1);

	ck_assert_int_eq(ctune_duration_parse_tunable(max, "12h", &v, &err), -EINVAL);
	ck_assert_str_eq(err.msg, "max: 12h: units such as 'h' are only allowed for timeouts");
	ctune_error_clear(&err);
	ck_assert_int_eq(ctune_duration_parse_tunable(est, "0s", &v, &err), -ERANGE);
	ck_assert_str_eq(err.msg, "tcp_timeout_established: 0 is below the minimum 1");
	ctune_error_clear(&err);
	ck_assert_int_eq(ctune_duration_parse_tunable(est, "25d", &v, &err), -ERANGE);
	ck_assert_str_eq(err.msg, "tcp_timeout_established: 2160000 is above the maximum 2147483");
	ctune_error_clear(&err);
	ck_assert_int_eq(ctune_duration_parse_tunable(acct, "2", &v, &err), -ERANGE);
	ck_assert_str_eq(err.msg, "acct: 2 is above the maximum 1");
	ctune_error_clear(&err);
	ck_assert_int_eq(ctune_duration_parse_tunable(max, "99999999999999999999", &v, &err), -ERANGE);
	ck_assert_str_eq(err.msg, "max: 99999999999999999999: too large (more than 2147483647)");
	ctune_error_clear(&err);
	ck_assert_int_eq(ctune_duration_parse_tunable(est, "-1", &v, &err), -EINVAL);
	ck_assert_str_eq(err.msg, "tcp_timeout_established: -1: a sign is not allowed");
	ck_assert_int_eq(v, 1);
}
END_TEST

static const struct {
	long long seconds;
	const char *text;
} fmt[] = {
	{ 0, "0s" },
	{ 1, "1s" },
	{ 59, "59s" },
	{ 60, "1m" },
	{ 90, "1m30s" },
	{ 3600, "1h" },
	{ 5400, "1h30m" },
	{ 43200, "12h" },
	{ 86400, "1d" },
	{ 90061, "1d1h1m1s" },
	{ 172800, "2d" },
	{ 259200, "3d" },
	{ 432000, "5d" },
	{ 604800, "7d" },
	{ 1209600, "14d" },
	{ 2147483, "24d20h31m23s" },
	{ -5, "-5s" },
	{ -5400, "-1h30m" },
	{ LLONG_MAX, "106751991167300d15h30m7s" },
	{ LLONG_MIN, "-106751991167300d15h30m8s" },
};

START_TEST(test_format)
{
	char buf[32];
	int n = ctune_duration_format(fmt[_i].seconds, buf, sizeof(buf));
	ck_assert_int_eq(n, (int)strlen(fmt[_i].text));
	ck_assert_str_eq(buf, fmt[_i].text);

	/* What the parser accepts parses back to the same number. */
	if (fmt[_i].seconds >= 0 && fmt[_i].seconds <= CTUNE_DURATION_MAX) {
		long long back = -1;
		ck_assert_int_eq(ctune_duration_parse(buf, CTUNE_DURATION_UNITS, &back, NULL), 0);
		ck_assert_msg(back == fmt[_i].seconds, "%s: parsed back %lld", buf, back);
	}
}
END_TEST

START_TEST(test_format_small_buffer)
{
	char buf[16];
	ck_assert_int_eq(ctune_duration_format(90061, buf, 9), 8); /* "1d1h1m1s" + NUL fits exactly */
	ck_assert_str_eq(buf, "1d1h1m1s");
	ck_assert_int_eq(ctune_duration_format(90061, buf, 8), -ENOBUFS);
	ck_assert_int_eq(ctune_duration_format(5, buf, 2), -ENOBUFS);
	ck_assert_int_eq(ctune_duration_format(5, buf, 3), 2);
	ck_assert_str_eq(buf, "5s");
}
END_TEST

static Suite *duration_suite(void)
{
	Suite *s = suite_create("duration");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, test_parse_good, 0, (int)(sizeof(good) / sizeof(good[0])));
	tcase_add_loop_test(tc, test_parse_bad, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_parse_null_err);
	tcase_add_test(tc, test_parse_tunable);
	tcase_add_loop_test(tc, test_format, 0, (int)(sizeof(fmt) / sizeof(fmt[0])));
	tcase_add_test(tc, test_format_small_buffer);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_run(duration_suite());
}
