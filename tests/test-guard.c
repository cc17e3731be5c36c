/* test-guard.c - set's guards (guard.h) on scratch roots: max against the
 * root's count, the slab peak and the drop counters; the timeout floors;
 * force; persist-only; state absent. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "guard.h"
#include "plan.h"
#include "root.h"
#include "scheme.h"
#include "testlib.h"

#define NF "/proc/sys/net/netfilter/nf_conntrack_"

static char rootdir[256];
static ctune_root root;

static void setup(void)
{
	snprintf(rootdir, sizeof(rootdir), "%s", tl_mkroot());
	ck_assert_int_eq(ctune_root_init(&root, rootdir, NULL), 0);
	tl_write(rootdir, "/proc/sys/kernel/osrelease", "6.1.0-18-amd64\n");
	tl_write(rootdir, "/proc/meminfo", "MemTotal:        8144060 kB\n");
	tl_write(rootdir, NF "max", "262144\n");
	tl_write_mode(rootdir, NF "count", "61234\n", 0444);
	tl_write(rootdir, NF "buckets", "262144\n");
}

static void teardown(void)
{
	tl_rmrf(rootdir);
}

static ctune_plan_opts opts(void)
{
	ctune_plan_opts o;
	memset(&o, 0, sizeof(o));
	o.state = CTUNE_STATE_PRESENT;
	o.live = true;
	o.persist = true;
	return o;
}

/* A plan of one item as plan.c leaves it after reading the live value
 * (live < 0: the key is missing). */
static void one(ctune_plan *p, const char *name, long long desired, long long live)
{
	memset(p, 0, sizeof(*p));
	p->n = 1;
	ctune_plan_item *it = &p->items[0];
	it->t = ctune_tunable_find(name);
	ck_assert_ptr_nonnull(it->t);
	it->desired = desired;
	it->nkeys = 1;
	it->keys[0].key = it->t->key[CTUNE_SCHEME_MODERN];
	it->keys[0].live_present = live >= 0;
	it->keys[0].live_before = live >= 0 ? live : 0;
}

static int check(const ctune_plan_opts *o, ctune_plan *p, ctune_error *err)
{
	memset(err, 0, sizeof(*err));
	return ctune_guard_check(&root, CTUNE_SCHEME_MODERN, o, p, err);
}

#define HAS(s, w) ck_assert_msg(strstr((s), (w)) != NULL, "\"%s\" lacks \"%s\"", (s), (w))

START_TEST(test_floors)
{
	ck_assert_int_eq(ctune_guard_timeout_floor("tcp_timeout_established"), 7200);
	ck_assert_int_eq(ctune_guard_timeout_floor("udp_timeout_stream"), 120);
	ck_assert_int_eq(ctune_guard_timeout_floor("udp_timeout"), -1);
	ck_assert_int_eq(ctune_guard_timeout_floor("tcp_timeout_time_wait"), -1);
	ck_assert_int_eq(ctune_guard_timeout_floor("max"), -1);
}
END_TEST

/* The incident's case: 60000 on a table holding 61234. */
START_TEST(test_max_below_count)
{
	ctune_plan_opts o = opts();
	ctune_plan p;
	ctune_error err;
	one(&p, "max", 60000, 262144);
	ck_assert_int_eq(check(&o, &p, &err), -EPERM);
	HAS(err.msg, "net.netfilter.nf_conntrack_max 60000 is below the 61234 entries the table holds now");
	HAS(err.msg, "until more than 1234 entries expire");
	HAS(err.msg, "force: true (--force)");
	ck_assert_uint_eq(p.nwarnings, 0);

	o.force = true;
	one(&p, "max", 60000, 262144);
	ck_assert_int_eq(check(&o, &p, &err), 0);
	ck_assert_uint_eq(p.nwarnings, 1);
	HAS(p.warnings[0], "forced (force: true): net.netfilter.nf_conntrack_max 60000 is below the 61234");

	/* Persisted only: it applies at the next boot, to an empty table. */
	o = opts();
	o.live = false;
	one(&p, "max", 60000, 262144);
	ck_assert_int_eq(check(&o, &p, &err), 0);
	ck_assert_uint_eq(p.nwarnings, 1);
	HAS(p.warnings[0], "persisted only, it applies at the next boot");

	/* At the count, or the key missing from the kernel: the count decides. */
	o = opts();
	one(&p, "max", 61234, 262144);
	ck_assert_int_eq(check(&o, &p, &err), 0);
	one(&p, "max", 100, -1);
	ck_assert_int_eq(check(&o, &p, &err), -EPERM);

	/* No count readable under the root: nothing to compare with. */
	tl_write(rootdir, NF "count", "x\n");
	one(&p, "max", 100, 262144);
	ck_assert_int_eq(check(&o, &p, &err), 0);
	/* state absent changes nothing live. */
	tl_write(rootdir, NF "count", "61234\n");
	o.state = CTUNE_STATE_ABSENT;
	one(&p, "max", 100, 262144);
	ck_assert_int_eq(check(&o, &p, &err), 0);
}
END_TEST

/* Above the count but below what the slab shows was used: a warning. */
START_TEST(test_max_below_peak)
{
	tl_write(rootdir, "/proc/slabinfo",
		 "slabinfo - version: 2.1\n"
		 "nf_conntrack      90000  90000    256   16    1 : tunables    0    0    0 : slabdata   5625   5625      0\n");
	ctune_plan_opts o = opts();
	ctune_plan p;
	ctune_error err;
	one(&p, "max", 70000, 262144);
	ck_assert_int_eq(check(&o, &p, &err), 0);
	ck_assert_uint_eq(p.nwarnings, 1);
	HAS(p.warnings[0], "70000 is below the highest use known, 90000 entries");
	one(&p, "max", 90000, 262144);
	ck_assert_int_eq(check(&o, &p, &err), 0);
	ck_assert_uint_eq(p.nwarnings, 0);
	/* Raising the max is never questioned. */
	one(&p, "max", 300000, 262144);
	ck_assert_int_eq(check(&o, &p, &err), 0);
	ck_assert_uint_eq(p.nwarnings, 0);
}
END_TEST

/* The statistics show the table full since boot: lowering the max warns. */
START_TEST(test_max_after_drops)
{
	tl_write(rootdir, "/proc/net/stat/nf_conntrack",
		 "entries  insert_failed drop early_drop\n"
		 "0000ef32  00000000 00000127 00000005\n"
		 "0000ef32  00000000 00000000 00000000\n");
	ctune_plan_opts o = opts();
	ctune_plan p;
	ctune_error err;
	one(&p, "max", 200000, 262144);
	ck_assert_int_eq(check(&o, &p, &err), 0);
	ck_assert_uint_eq(p.nwarnings, 1);
	HAS(p.warnings[0], "200000 is below the current max 262144, and the table has been full since boot (drop "
			   "295, early_drop 5)");
	/* Races only (drop == insert_failed): not a full table, no warning. */
	tl_write(rootdir, "/proc/net/stat/nf_conntrack",
		 "entries  insert_failed drop early_drop\n"
		 "0000ef32  00000009 00000009 00000000\n");
	one(&p, "max", 200000, 262144);
	ck_assert_int_eq(check(&o, &p, &err), 0);
	ck_assert_uint_eq(p.nwarnings, 0);
}
END_TEST

START_TEST(test_timeouts)
{
	ctune_plan_opts o = opts();
	ctune_plan p;
	ctune_error err;
	one(&p, "tcp_timeout_established", 1, 432000);
	ck_assert_int_eq(check(&o, &p, &err), -EPERM);
	HAS(err.msg, "net.netfilter.nf_conntrack_tcp_timeout_established 1 s is below 7200 s");
	HAS(err.msg, "keepalive");
	HAS(err.msg, "force: true");
	one(&p, "tcp_timeout_established", 7199, -1); /* not in the kernel: persisted, applies at boot */
	ck_assert_int_eq(check(&o, &p, &err), -EPERM);
	o.live = false;
	one(&p, "tcp_timeout_established", 3600, 432000);
	ck_assert_int_eq(check(&o, &p, &err), -EPERM);
	o.live = true;
	one(&p, "tcp_timeout_established", 7200, 432000);
	ck_assert_int_eq(check(&o, &p, &err), 0);
	/* Raising a value below the floor makes it better: allowed. */
	one(&p, "tcp_timeout_established", 3600, 600);
	ck_assert_int_eq(check(&o, &p, &err), 0);
	one(&p, "tcp_timeout_established", 600, 600);
	ck_assert_int_eq(check(&o, &p, &err), 0);

	one(&p, "udp_timeout_stream", 60, 120);
	ck_assert_int_eq(check(&o, &p, &err), -EPERM);
	HAS(err.msg, "net.netfilter.nf_conntrack_udp_timeout_stream 60 s is below 120 s");
	HAS(err.msg, "RFC 4787");
	one(&p, "udp_timeout", 5, 30); /* one-shot flows: not guarded */
	ck_assert_int_eq(check(&o, &p, &err), 0);
	one(&p, "tcp_timeout_time_wait", 1, 120);
	ck_assert_int_eq(check(&o, &p, &err), 0);

	o.force = true;
	one(&p, "udp_timeout_stream", 60, 120);
	ck_assert_int_eq(check(&o, &p, &err), 0);
	ck_assert_uint_eq(p.nwarnings, 1);
	HAS(p.warnings[0], "forced (force: true): net.netfilter.nf_conntrack_udp_timeout_stream 60 s");
}
END_TEST

/* Every refusal among several items: the first one stops the run. */
START_TEST(test_several)
{
	ctune_plan_opts o = opts();
	ctune_plan p;
	ctune_error err;
	one(&p, "udp_timeout", 40, 30);
	p.n = 2;
	p.items[1] = p.items[0];
	p.items[1].t = ctune_tunable_find("tcp_timeout_established");
	p.items[1].keys[0].key = p.items[1].t->key[CTUNE_SCHEME_MODERN];
	p.items[1].desired = 10;
	p.items[1].keys[0].live_before = 432000;
	ck_assert_int_eq(check(&o, &p, &err), -EPERM);
	HAS(err.msg, "tcp_timeout_established 10 s");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("guard");
	TCase *tc = tcase_create("guard");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_floors);
	tcase_add_test(tc, test_max_below_count);
	tcase_add_test(tc, test_max_below_peak);
	tcase_add_test(tc, test_max_after_drops);
	tcase_add_test(tc, test_timeouts);
	tcase_add_test(tc, test_several);
	suite_add_tcase(s, tc);
	return tl_run(s);
}
