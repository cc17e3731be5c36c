/* test-suggest.c - did-you-mean distances and the spellings of a tunable
 * (src/suggest.c). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "suggest.h"

START_TEST(test_distance)
{
	ck_assert_uint_eq(ctune_edit_distance("max", "max", 3), 0);
	ck_assert_uint_eq(ctune_edit_distance("mx", "max", 3), 1);       /* insertion */
	ck_assert_uint_eq(ctune_edit_distance("maxx", "max", 3), 1);     /* deletion */
	ck_assert_uint_eq(ctune_edit_distance("mox", "max", 3), 1);      /* substitution */
	ck_assert_uint_eq(ctune_edit_distance("amx", "max", 3), 1);      /* a swap of neighbours: Damerau */
	ck_assert_uint_eq(ctune_edit_distance("", "abc", 5), 3);
	ck_assert_uint_eq(ctune_edit_distance("kitten", "sitting", 5), 3);
	/* Above the limit: limit + 1, early. */
	ck_assert_uint_eq(ctune_edit_distance("abcdefgh", "zzzzzzzz", 2), 3);
	ck_assert_uint_eq(ctune_edit_distance("a", "abcdefgh", 2), 3);
	/* Words past 128 bytes are never near anything. */
	char big[300];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_uint_eq(ctune_edit_distance(big, big, 3), 4);
}
END_TEST

START_TEST(test_suggest)
{
	const char *verbs[] = { "facts", "set", "tunables", "help" };
	ck_assert_str_eq(ctune_suggest("fact", verbs, 4, NULL), "facts");
	ck_assert_str_eq(ctune_suggest("tunable", verbs, 4, NULL), "tunables");
	ck_assert_str_eq(ctune_suggest("FACTS", verbs, 4, NULL), "facts"); /* case */
	ck_assert_ptr_null(ctune_suggest("frobnicate", verbs, 4, NULL));
	ck_assert_ptr_null(ctune_suggest("xy", verbs, 4, NULL)); /* 2 letters: no guess from nothing */
	const char *opts[] = { "persist", "live", "max" };
	unsigned d;
	ck_assert_str_eq(ctune_suggest("persistent", opts, 3, &d), "persist");
	ck_assert_uint_eq(d, 3);
	ck_assert_str_eq(ctune_suggest("maximum", opts, 3, NULL), "max"); /* a known word's prefix */
	ck_assert_ptr_null(ctune_suggest("", opts, 3, NULL));
}
END_TEST

START_TEST(test_resolve)
{
	const ctune_tunable *max = ctune_tunable_find("max");
	const char *max_names[] = { "max",
				    "net.netfilter.nf_conntrack_max",
				    "net.nf_conntrack_max",
				    "nf_conntrack_max",
				    "net.ipv4.netfilter.ip_conntrack_max",
				    "net.ipv4.ip_conntrack_max",
				    "ip_conntrack_max",
				    "net/netfilter/nf_conntrack_max",
				    "/proc/sys/net/netfilter/nf_conntrack_max",
				    "/proc/sys/net/ipv4/netfilter/ip_conntrack_max",
				    "/proc/sys/net/nf_conntrack_max" };
	for (size_t i = 0; i < sizeof(max_names) / sizeof(max_names[0]); i++)
		ck_assert_msg(ctune_tunable_resolve(max_names[i]) == max, "%s", max_names[i]);
	ck_assert_ptr_eq(ctune_tunable_resolve("nf_conntrack_tcp_timeout_established"),
			 ctune_tunable_find("tcp_timeout_established"));
	ck_assert_ptr_eq(ctune_tunable_resolve("ip_conntrack_udp_timeout"), ctune_tunable_find("udp_timeout"));
	/* Not conntrack's, or not a spelling sysctl knows. */
	const char *bad[] = { "", "vm.swappiness", "net.ipv4.ip_forward", "-net.netfilter.nf_conntrack_max",
			      "../../etc/passwd", ".max", "nf_conntrack_*", "MAX", "/proc/sys/", "conntrack_max",
			      "net.netfilter.nf_conntrack_max.x" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(ctune_tunable_resolve(bad[i]) == NULL, "%s", bad[i]);
	char huge[5000];
	memset(huge, 'n', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	ck_assert_ptr_null(ctune_tunable_resolve(huge));
	/* Every key of every tunable resolves to it. */
	size_t n;
	const ctune_tunable *t = ctune_tunables(&n);
	for (size_t i = 0; i < n; i++)
		for (int s = 0; s < CTUNE_SCHEME_COUNT; s++)
			if (t[i].key[s])
				ck_assert_ptr_eq(ctune_tunable_resolve(t[i].key[s]), &t[i]);
}
END_TEST

START_TEST(test_tunable_suggest)
{
	char buf[300];
	ck_assert_str_eq(ctune_tunable_suggest("mx", buf, sizeof(buf)), "max");
	ck_assert_str_eq(ctune_tunable_suggest("udp_timout", buf, sizeof(buf)), "udp_timeout");
	ck_assert_str_eq(ctune_tunable_suggest("nf_conntrack_mx", buf, sizeof(buf)), "nf_conntrack_max");
	/* Said back in the form it was written. */
	ck_assert_str_eq(ctune_tunable_suggest("net.netfilter.nf_conntrack_mux", buf, sizeof(buf)),
			 "net.netfilter.nf_conntrack_max");
	ck_assert_str_eq(ctune_tunable_suggest("net/netfilter/nf_conntrack_mux", buf, sizeof(buf)),
			 "net/netfilter/nf_conntrack_max");
	ck_assert_str_eq(ctune_tunable_suggest("/proc/sys/net/netfilter/nf_conntrack_mux", buf, sizeof(buf)),
			 "/proc/sys/net/netfilter/nf_conntrack_max");
	ck_assert_ptr_null(ctune_tunable_suggest("zzzzzzzz", buf, sizeof(buf)));
	ck_assert_ptr_null(ctune_tunable_suggest("vm.swappiness", buf, sizeof(buf)));
	/* A buffer too small: nothing rather than a cut name. */
	ck_assert_ptr_null(ctune_tunable_suggest("net.netfilter.nf_conntrack_mux", buf, 8));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("suggest");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_distance);
	tcase_add_test(tc, test_suggest);
	tcase_add_test(tc, test_resolve);
	tcase_add_test(tc, test_tunable_suggest);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
