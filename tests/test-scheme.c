/* test-scheme.c - the tunable table: lookups, key spellings, invariants. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "scheme.h"

START_TEST(test_find_by_name)
{
	const ctune_tunable *t = ctune_tunable_find("tcp_timeout_established");
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->key[CTUNE_SCHEME_MODERN], "net.netfilter.nf_conntrack_tcp_timeout_established");
	ck_assert_str_eq(t->key[CTUNE_SCHEME_LEGACY], "net.ipv4.netfilter.ip_conntrack_tcp_timeout_established");
	ck_assert_int_eq(t->unit, CTUNE_UNIT_SECONDS);
	ck_assert_int_eq(t->kind, CTUNE_KIND_TIMEOUT);
	ck_assert_ptr_null(ctune_tunable_find("nope"));
	ck_assert_ptr_null(ctune_tunable_find(""));
}
END_TEST

START_TEST(test_max_aliases)
{
	const ctune_tunable *t = ctune_tunable_find("max");
	ck_assert_str_eq(t->alias[CTUNE_SCHEME_MODERN], "net.nf_conntrack_max");
	ck_assert_str_eq(t->alias[CTUNE_SCHEME_LEGACY], "net.ipv4.ip_conntrack_max");
	ck_assert(t->flags & CTUNE_TF_INIT_NS);
	ck_assert(ctune_tunable_find("count")->flags & CTUNE_TF_READONLY);
}
END_TEST

START_TEST(test_by_key_spellings)
{
	ctune_scheme s = CTUNE_SCHEME_NONE;
	const ctune_tunable *max = ctune_tunable_find("max");
	ck_assert_ptr_eq(ctune_tunable_by_key("net.netfilter.nf_conntrack_max", &s), max);
	ck_assert_int_eq(s, CTUNE_SCHEME_MODERN);
	ck_assert_ptr_eq(ctune_tunable_by_key("-net.netfilter.nf_conntrack_max", &s), max);
	ck_assert_ptr_eq(ctune_tunable_by_key("net/netfilter/nf_conntrack_max", &s), max);
	ck_assert_ptr_eq(ctune_tunable_by_key("net.nf_conntrack_max", &s), max);
	ck_assert_int_eq(s, CTUNE_SCHEME_MODERN);
	ck_assert_ptr_eq(ctune_tunable_by_key("net.ipv4.ip_conntrack_max", &s), max);
	ck_assert_int_eq(s, CTUNE_SCHEME_LEGACY);
	ck_assert_ptr_eq(ctune_tunable_by_key("-net/ipv4/netfilter/ip_conntrack_max", &s), max);
	ck_assert_int_eq(s, CTUNE_SCHEME_LEGACY);
	ck_assert_ptr_null(ctune_tunable_by_key("net.ipv4.ip_forward", NULL));
	ck_assert_ptr_null(ctune_tunable_by_key("", NULL));
}
END_TEST

START_TEST(test_procpath)
{
	char buf[128];
	ck_assert_int_eq(ctune_key_procpath("net.netfilter.nf_conntrack_max", buf, sizeof(buf)),
			 (int)strlen("/proc/sys/net/netfilter/nf_conntrack_max"));
	ck_assert_str_eq(buf, "/proc/sys/net/netfilter/nf_conntrack_max");
	ck_assert_int_lt(ctune_key_procpath("net.netfilter.nf_conntrack_max", buf, 12), 0);
	ck_assert_int_eq(ctune_key_normalize("-a/b.c", buf, sizeof(buf)), 5);
	ck_assert_str_eq(buf, "a.b.c");
}
END_TEST

/* Invariants every consumer relies on: unique names and keys, sane ranges,
 * timeouts in seconds, every legacy key under the legacy prefix. */
START_TEST(test_table_invariants)
{
	size_t n;
	const ctune_tunable *t = ctune_tunables(&n);
	ck_assert_uint_ge(n, 40);
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(t[i].min <= t[i].max, "%s range", t[i].name);
		ck_assert_ptr_nonnull(t[i].key[CTUNE_SCHEME_MODERN]);
		if (t[i].kind == CTUNE_KIND_TIMEOUT) {
			ck_assert_int_eq(t[i].unit, CTUNE_UNIT_SECONDS);
			ck_assert_msg(strstr(t[i].name, "timeout"), "%s", t[i].name);
		}
		if (t[i].key[CTUNE_SCHEME_LEGACY])
			ck_assert(strncmp(t[i].key[CTUNE_SCHEME_LEGACY], "net.ipv4.netfilter.ip_conntrack_", 32) == 0);
		ck_assert_ptr_eq(ctune_tunable_find(t[i].name), &t[i]);
		for (int s = 0; s < CTUNE_SCHEME_COUNT; s++)
			if (t[i].key[s])
				ck_assert_ptr_eq(ctune_tunable_by_key(t[i].key[s], NULL), &t[i]);
		for (size_t j = i + 1; j < n; j++)
			ck_assert_str_ne(t[i].name, t[j].name);
	}
}
END_TEST

START_TEST(test_scheme_names_and_files)
{
	ck_assert_int_eq(ctune_scheme_from_name("legacy"), CTUNE_SCHEME_LEGACY);
	ck_assert_int_eq(ctune_scheme_from_name("modern"), CTUNE_SCHEME_MODERN);
	ck_assert_int_eq(ctune_scheme_from_name("Modern"), CTUNE_SCHEME_NONE);
	ck_assert_str_eq(ctune_scheme_name(CTUNE_SCHEME_NONE), "none");
	ck_assert_str_eq(ctune_scheme_table_file(CTUNE_SCHEME_LEGACY), "/proc/net/ip_conntrack");
	ck_assert_str_eq(ctune_scheme_stat_file(CTUNE_SCHEME_MODERN), "/proc/net/stat/nf_conntrack");
	ck_assert_str_eq(ctune_scheme_module(CTUNE_SCHEME_LEGACY), "ip_conntrack");
	ck_assert_ptr_null(ctune_scheme_table_file(CTUNE_SCHEME_NONE));
	ck_assert_str_eq(ctune_unit_name(CTUNE_UNIT_SECONDS), "seconds");
	ck_assert_ptr_null(ctune_unit_name(CTUNE_UNIT_NONE));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("scheme");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_find_by_name);
	tcase_add_test(tc, test_max_aliases);
	tcase_add_test(tc, test_by_key_spellings);
	tcase_add_test(tc, test_procpath);
	tcase_add_test(tc, test_table_invariants);
	tcase_add_test(tc, test_scheme_names_and_files);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
