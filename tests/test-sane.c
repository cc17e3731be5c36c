/* test-sane.c - the ranges of sane.h: every kind of tunable at and past
 * its edges, and the strict number parser the advice reads with. */
#include <check.h>
#include <errno.h>
#include <stdint.h>

#include "sane.h"
#include "scheme.h"
#include "testlib.h"

START_TEST(test_tunable_ranges)
{
	static const struct {
		const char *name;
		long long v;
		bool sane;
	} cases[] = {
		{ "count", 0, true },
		{ "count", 4294967295LL, true },
		{ "count", 4294967296LL, false },
		{ "count", -1, false },
		{ "max", 9223372036854775807LL, false },
		{ "buckets", 4294967295LL, true },
		{ "tcp_timeout_established", 2147483647LL, true },
		{ "tcp_timeout_established", 2147483648LL, false },
		{ "udp_timeout", -30, false },
		{ "frag6_high_thresh", 1LL << 48, true },
		{ "frag6_high_thresh", (1LL << 48) + 1, false },
		{ "acct", 2147483647LL, true },
		{ "acct", 2147483648LL, false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const ctune_tunable *t = ctune_tunable_find(cases[i].name);
		ck_assert_ptr_nonnull(t);
		long long lo = -1, hi = -1;
		ck_assert_msg(ctune_sane_tunable(t, cases[i].v, &lo, &hi) == cases[i].sane, "%s = %lld", cases[i].name,
			      cases[i].v);
		ck_assert_int_eq(lo, 0);
		ck_assert_int_gt(hi, 0);
	}
}
END_TEST

START_TEST(test_parse_u64)
{
	uint64_t v = 7;
	ck_assert_int_eq(ctune_sane_parse_u64(" 42\n", 100, &v), 0);
	ck_assert_uint_eq(v, 42);
	ck_assert_int_eq(ctune_sane_parse_u64("18446744073709551615", UINT64_MAX, &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	v = 7;
	ck_assert_int_eq(ctune_sane_parse_u64("18446744073709551616", UINT64_MAX, &v), -ERANGE);
	ck_assert_int_eq(ctune_sane_parse_u64("99999999999999999999", UINT64_MAX, &v), -ERANGE);
	ck_assert_int_eq(ctune_sane_parse_u64("101", 100, &v), -ERANGE);
	ck_assert_uint_eq(v, 7); /* untouched on failure */
	ck_assert_int_eq(ctune_sane_parse_u64("", 100, &v), -EINVAL);
	ck_assert_int_eq(ctune_sane_parse_u64("-1", 100, &v), -EINVAL);
	ck_assert_int_eq(ctune_sane_parse_u64("+1", 100, &v), -EINVAL);
	ck_assert_int_eq(ctune_sane_parse_u64("0x10", 100, &v), -EINVAL);
	ck_assert_int_eq(ctune_sane_parse_u64("1 2", 100, &v), -EINVAL);
	ck_assert_int_eq(ctune_sane_parse_u64("12abc", 100, &v), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sane");
	TCase *tc = tcase_create("ranges");
	tcase_add_test(tc, test_tunable_ranges);
	tcase_add_test(tc, test_parse_u64);
	suite_add_tcase(s, tc);
	return tl_run(s);
}
