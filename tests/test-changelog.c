/* test-changelog.c - the syslog lines of an applied plan (src/changelog.c):
 * one per change, what, old -> new, live and which file; nothing for what
 * did not change; control characters from files never split a record. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "changelog.h"

typedef struct lines {
	size_t n;
	char text[8][1024];
} lines;

static void collect(const char *line, void *ctx)
{
	lines *l = ctx;
	ck_assert_uint_lt(l->n, 8);
	snprintf(l->text[l->n++], sizeof(l->text[0]), "%s", line);
}

static ctune_plan *plan_with(size_t n)
{
	ctune_plan *p = calloc(1, sizeof(*p));
	ck_assert_ptr_nonnull(p);
	snprintf(p->file, sizeof(p->file), "/etc/sysctl.d/90-conntrack.conf");
	p->n = n;
	return p;
}

static void item(ctune_plan_item *it, const char *name, const char *key, long long before, long long desired,
		 bool live, bool persist)
{
	it->t = ctune_tunable_find(name);
	ck_assert_ptr_nonnull(it->t);
	it->desired = desired;
	it->nkeys = 1;
	it->keys[0].key = key;
	it->keys[0].live_present = true;
	it->keys[0].live_before = before;
	it->keys[0].persisted_before_present = false;
	it->live_changed = live;
	it->persist_changed = persist;
}

START_TEST(test_present)
{
	ctune_plan *p = plan_with(3);
	item(&p->items[0], "max", "net.netfilter.nf_conntrack_max", 262144, 1210856, true, true);
	item(&p->items[1], "udp_timeout", "net.netfilter.nf_conntrack_udp_timeout", 30, 30, false, false);
	item(&p->items[2], "icmp_timeout", "net.netfilter.nf_conntrack_icmp_timeout", 30, 20, false, true);
	ctune_plan_opts o = { .state = CTUNE_STATE_PRESENT, .live = true, .persist = true };
	lines l = { 0 };
	ck_assert_uint_eq(ctune_changelog_lines(p, &o, collect, &l), 2);
	ck_assert_str_eq(l.text[0], "max (net.netfilter.nf_conntrack_max): 262144 -> 1210856, live and persisted in "
				    "/etc/sysctl.d/90-conntrack.conf");
	/* Persisted only: the old value is the file's (none there: unset). */
	ck_assert_str_eq(l.text[1], "icmp_timeout (net.netfilter.nf_conntrack_icmp_timeout): unset -> 20, persisted in "
				    "/etc/sysctl.d/90-conntrack.conf");
	free(p);
}
END_TEST

START_TEST(test_live_only_absent_and_module)
{
	ctune_plan *p = plan_with(1);
	item(&p->items[0], "udp_timeout", "net.netfilter.nf_conntrack_udp_timeout", 30, 45, true, false);
	ctune_plan_opts o = { .state = CTUNE_STATE_PRESENT, .live = true };
	lines l = { 0 };
	ck_assert_uint_eq(ctune_changelog_lines(p, &o, collect, &l), 1);
	ck_assert_str_eq(l.text[0], "udp_timeout (net.netfilter.nf_conntrack_udp_timeout): 30 -> 45, live");

	item(&p->items[0], "udp_timeout", "net.netfilter.nf_conntrack_udp_timeout", 30, 0, false, true);
	p->items[0].keys[0].persisted_before_present = true;
	p->items[0].keys[0].persisted_before = 45;
	p->module_load.checked = p->module_load.changed = true;
	p->module_load.module = "nf_conntrack";
	snprintf(p->module_load.file, sizeof(p->module_load.file), "/etc/modules-load.d/ctune.conf");
	p->nfixed = 1;
	snprintf(p->fixed[0], sizeof(p->fixed[0]), "/etc/sysctl.d/99-x.conf: net.netfilter.nf_conntrack_udp\n_timeout");
	o.state = CTUNE_STATE_ABSENT;
	l.n = 0;
	ck_assert_uint_eq(ctune_changelog_lines(p, &o, collect, &l), 3);
	ck_assert_str_eq(l.text[0], "udp_timeout (net.netfilter.nf_conntrack_udp_timeout): removed from "
				    "/etc/sysctl.d/90-conntrack.conf (was 45)");
	ck_assert_str_eq(l.text[1], "module nf_conntrack listed in /etc/modules-load.d/ctune.conf to load early at boot");
	/* A newline from a file stays inside its one record. */
	ck_assert_str_eq(l.text[2], "commented out an overriding line: /etc/sysctl.d/99-x.conf: "
				    "net.netfilter.nf_conntrack_udp?_timeout");
	free(p);
}
END_TEST

START_TEST(test_nothing)
{
	ctune_plan *p = plan_with(1);
	item(&p->items[0], "max", "net.netfilter.nf_conntrack_max", 5, 5, false, false);
	ctune_plan_opts o = { .state = CTUNE_STATE_PRESENT };
	lines l = { 0 };
	ck_assert_uint_eq(ctune_changelog_lines(p, &o, collect, &l), 0);
	free(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("changelog");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_present);
	tcase_add_test(tc, test_live_only_absent_and_module);
	tcase_add_test(tc, test_nothing);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
