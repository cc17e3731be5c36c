/* test-watch.c - the arithmetic of `ctune watch` (src/watch-sample.h):
 * interval and sample-count parsing, counter deltas across 32-bit wraps
 * and CPU changes, the least-squares trend and the outlook it gives.
 * The sampling itself runs against the kernel in tests/watch.test.sh. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stat.h"
#include "testlib.h"
#include "watch-sample.h"

static const struct {
	const char *text;
	unsigned long long ms;
} good_intervals[] = {
	{ "500ms", 500 }, { "10ms", 10 }, { "1", 1000 }, { "2s", 2000 }, { "1m", 60000 },
	{ "1m30s", 90000 }, { "1d", 86400000 }, { "86400s", 86400000 }, { "86400000ms", 86400000 },
};

START_TEST(test_interval_good)
{
	ctune_error err = { 0 };
	unsigned long long ms = 0;
	ck_assert_int_eq(ctune_watch_parse_interval(good_intervals[_i].text, &ms, &err), 0);
	ck_assert_uint_eq(ms, good_intervals[_i].ms);
}
END_TEST

static const struct {
	const char *text;
	int code;
} bad_intervals[] = {
	{ "0", -ERANGE },     { "0s", -ERANGE },      { "0ms", -ERANGE },     { "9ms", -ERANGE },
	{ "86401s", -ERANGE }, { "2d", -ERANGE },     { "1w", -ERANGE },      { "86400001ms", -ERANGE },
	{ "-1s", -EINVAL },   { "-500ms", -EINVAL },  { "1.5s", -EINVAL },    { "", -EINVAL },
	{ "ms", -EINVAL },    { "5mss", -EINVAL },    { "1sms", -EINVAL },    { "abc", -EINVAL },
	{ " 1s", -EINVAL },   { "99999999999999999999ms", -ERANGE }, { "99999999999d", -ERANGE },
};

START_TEST(test_interval_bad)
{
	ctune_error err = { 0 };
	unsigned long long ms = 7;
	int k = ctune_watch_parse_interval(bad_intervals[_i].text, &ms, &err);
	ck_assert_msg(k < 0, "'%s' accepted", bad_intervals[_i].text);
	ck_assert_msg(k == bad_intervals[_i].code || (bad_intervals[_i].code == -ERANGE && k == -EINVAL &&
						       strlen(bad_intervals[_i].text) > 15),
		      "'%s': %d (%s)", bad_intervals[_i].text, k, err.msg);
	ck_assert_uint_eq(ms, 7);
	ck_assert_msg(strncmp(err.msg, "interval: ", 10) == 0, "%s", err.msg);
}
END_TEST

START_TEST(test_samples)
{
	ctune_error err = { 0 };
	unsigned long long n = 0;
	ck_assert_int_eq(ctune_watch_parse_samples("1", "count", &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(ctune_watch_parse_samples("1000000000", "count", &n, &err), 0);
	ck_assert_int_eq(ctune_watch_parse_samples("0", "count", &n, &err), -ERANGE);
	ck_assert_str_eq(err.msg, "count: 0 is outside 1..1000000000");
	ctune_error_clear(&err);
	ck_assert_int_eq(ctune_watch_parse_samples("1000000001", "samples", &n, &err), -ERANGE);
	ck_assert_int_eq(ctune_watch_parse_samples("-1", "count", &n, NULL), -EINVAL);
	ck_assert_int_eq(ctune_watch_parse_samples("5s", "count", &n, NULL), -EINVAL);
	ck_assert_int_eq(ctune_watch_parse_samples("", "count", &n, NULL), -EINVAL);
}
END_TEST

/* Two CPUs of "entries drop" from text, as the kernel prints it. */
static void stats_of(ctune_stats *st, const char *text)
{
	ctune_error err = { 0 };
	ck_assert_int_eq(ctune_stats_parse(text, strlen(text), st, &err), 0);
}

START_TEST(test_counter_delta)
{
	ctune_stats a, b;
	uint64_t d = 0;
	stats_of(&a, "entries drop early_drop\n00000005 00000010 00000000\n00000005 00000001 00000000\n");
	stats_of(&b, "entries drop early_drop\n00000007 00000015 00000000\n00000007 00000004 00000002\n");
	ck_assert(ctune_watch_counter_delta(&a, &b, "drop", &d));
	ck_assert_uint_eq(d, 5 + 3);
	ck_assert(ctune_watch_counter_delta(&a, &b, "early_drop", &d));
	ck_assert_uint_eq(d, 2);
	ck_assert(!ctune_watch_counter_delta(&a, &b, "insert", &d));
	ctune_stats_free(&a);
	ctune_stats_free(&b);

	/* CPU 0's 32-bit counter wrapped: 0xfffffffe -> 0x00000003 is 5 */
	stats_of(&a, "drop\nfffffffe\n00000000\n");
	stats_of(&b, "drop\n00000003\n00000001\n");
	ck_assert(ctune_watch_counter_delta(&a, &b, "drop", &d));
	ck_assert_uint_eq(d, 5 + 1);
	ctune_stats_free(&a);
	ctune_stats_free(&b);

	/* a CPU came online: totals compared; a total that fell: unknown */
	stats_of(&a, "drop\n00000004\n");
	stats_of(&b, "drop\n00000004\n00000003\n");
	ck_assert(ctune_watch_counter_delta(&a, &b, "drop", &d));
	ck_assert_uint_eq(d, 3);
	ck_assert(!ctune_watch_counter_delta(&b, &a, "drop", &d));
	ctune_stats_free(&a);
	ctune_stats_free(&b);
}
END_TEST

START_TEST(test_trend)
{
	ctune_watch_trend tr = { 0 };
	double s = 0;
	ck_assert(!ctune_watch_trend_slope(&tr, &s));
	ctune_watch_trend_add(&tr, 0, 100);
	ck_assert(!ctune_watch_trend_slope(&tr, &s));
	/* a steady ramp of +310/s is its own fit */
	for (int i = 1; i < 25; i++)
		ctune_watch_trend_add(&tr, i, 100 + 310.0 * i);
	ck_assert(ctune_watch_trend_slope(&tr, &s));
	ck_assert_double_eq_tol(s, 310.0, 1e-6);
	ck_assert_uint_eq(tr.n, CTUNE_WATCH_TREND_SAMPLES);

	/* bursts average out: +1000 every other second is +500/s */
	ctune_watch_trend b = { 0 };
	for (int i = 0; i < 10; i++)
		ctune_watch_trend_add(&b, i, 1000.0 * ((i + 1) / 2));
	ck_assert(ctune_watch_trend_slope(&b, &s));
	ck_assert_double_eq_tol(s, 500.0, 40.0);

	/* the window forgets: after ten flat samples the slope is 0 */
	for (int i = 25; i < 35; i++)
		ctune_watch_trend_add(&tr, i, 5000);
	ck_assert(ctune_watch_trend_slope(&tr, &s));
	ck_assert_double_eq_tol(s, 0.0, 1e-9);

	/* all points at one time: no slope */
	ctune_watch_trend z = { 0 };
	ctune_watch_trend_add(&z, 3, 1);
	ctune_watch_trend_add(&z, 3, 9);
	ck_assert(!ctune_watch_trend_slope(&z, &s));

	/* large times and counts keep their precision (centred sums) */
	ctune_watch_trend big = { 0 };
	for (int i = 0; i < 10; i++)
		ctune_watch_trend_add(&big, 1e9 + i * 0.5, 4e9 + 2.0 * i);
	ck_assert(ctune_watch_trend_slope(&big, &s));
	ck_assert_double_eq_tol(s, 4.0, 1e-6);
}
END_TEST

START_TEST(test_outlook)
{
	double to_full = -1;
	ck_assert_int_eq(ctune_watch_outlook(false, 0, 10, true, 100, &to_full), CTUNE_WATCH_UNKNOWN);
	ck_assert_int_eq(ctune_watch_outlook(true, 310, 172500, true, 250000, &to_full), CTUNE_WATCH_GROWING);
	ck_assert_double_eq_tol(to_full, 250.0, 1e-9); /* "full in 4m10s at +310/s" */
	ck_assert_int_eq(ctune_watch_outlook(true, 0.5, 10, true, 100, NULL), CTUNE_WATCH_STABLE);
	ck_assert_int_eq(ctune_watch_outlook(true, -0.5, 10, true, 100, NULL), CTUNE_WATCH_STABLE);
	ck_assert_int_eq(ctune_watch_outlook(true, -40, 10, true, 100, NULL), CTUNE_WATCH_SHRINKING);
	ck_assert_int_eq(ctune_watch_outlook(true, 5, 100, true, 100, NULL), CTUNE_WATCH_FULL);
	ck_assert_int_eq(ctune_watch_outlook(false, 0, 120, true, 100, NULL), CTUNE_WATCH_FULL);
	to_full = -1;
	ck_assert_int_eq(ctune_watch_outlook(true, 5, 10, false, 0, &to_full), CTUNE_WATCH_GROWING);
	ck_assert_double_eq(to_full, -1); /* no max: no time to full */
	ck_assert_str_eq(ctune_watch_state_name(CTUNE_WATCH_GROWING), "growing");
	ck_assert_str_eq(ctune_watch_state_name(CTUNE_WATCH_FULL), "full");
	ck_assert_str_eq(ctune_watch_state_name((ctune_watch_state)99), "unknown");
}
END_TEST

START_TEST(test_seconds)
{
	struct timespec a = { 10, 900000000 }, b = { 12, 100000000 };
	ck_assert_double_eq_tol(ctune_watch_seconds(&a, &b), 1.2, 1e-9);
}
END_TEST

static Suite *watch_suite(void)
{
	Suite *s = suite_create("watch");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, test_interval_good, 0, (int)(sizeof(good_intervals) / sizeof(good_intervals[0])));
	tcase_add_loop_test(tc, test_interval_bad, 0, (int)(sizeof(bad_intervals) / sizeof(bad_intervals[0])));
	tcase_add_test(tc, test_samples);
	tcase_add_test(tc, test_counter_delta);
	tcase_add_test(tc, test_trend);
	tcase_add_test(tc, test_outlook);
	tcase_add_test(tc, test_seconds);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_run(watch_suite());
}
