/* test-advise.c - sizing advice on fixture roots with known memory.
 *
 * The kernel's default sizes are checked for every era at 1, 2, 8 and 64 GB
 * (and a few 32-bit and tiny cases) against numbers worked out by hand from
 * each era's nf_conntrack_init_start() (see advise.h).  Fixture roots under
 * tests/data/advise/ hold MemTotal, the release, the sysctls and sometimes
 * /proc/slabinfo of real kinds of hosts:
 *   el5-1g     CentOS 5, 1 GB, table full (the runbook's case)
 *   el5-2g     CentOS 5, 2 GB, 18% used
 *   el6-8g     CentOS 6 (2.6.32), 8 GB, a peak given by monitoring
 *   el7-64g    CentOS 7 (3.10), 64 GB, per-namespace slab cache
 *   deb10-1g   Debian 10 (4.19), 1 GB, table full
 *   deb12-64g  Debian 12 (6.1), 64 GB, max raised without buckets
 *   cur-2g     6.18, 2 GB, 98% used, slabinfo
 *   cur-2g-sysfs, cur-2g-merged  the same with SLUB's /sys/kernel/slab
 *   tiny-256m  6.6, 244 MiB, a max far past what the memory allows
 *   no-conntrack, no-meminfo, bad-release
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "advise.h"
#include "root.h"
#include "testlib.h"

#define KB(x) ((uint64_t)(x) * 1024)
#define EQ(a, b) ck_assert_msg((long long)(a) == (long long)(b), "%s: got %lld, want %lld", #a, (long long)(a), \
			       (long long)(b))

/* MemTotal of typical machines of each size, in kB. */
#define MEM_1G 1016232ULL   /* a "1 GB" VM: a little under 1 GiB */
#define MEM_2G 2039808ULL
#define MEM_8G 8144060ULL
#define MEM_64G 65863372ULL

START_TEST(test_kernel_defaults)
{
	static const struct {
		ctune_era era;
		uint64_t kb;
		unsigned bits;
		uint64_t buckets, max;
	} cases[] = {
		/* 2.6.18: RAM/16384/16, 8192 above 1 GiB, max 8x: "a little over 30000" at 1 GB */
		{ CTUNE_ERA_IP_CONNTRACK, MEM_1G, 64, 3969, 31752 },
		{ CTUNE_ERA_IP_CONNTRACK, MEM_2G, 64, 8192, 65536 },
		{ CTUNE_ERA_IP_CONNTRACK, MEM_8G, 64, 8192, 65536 },
		{ CTUNE_ERA_IP_CONNTRACK, MEM_64G, 64, 8192, 65536 },
		{ CTUNE_ERA_IP_CONNTRACK, MEM_1G, 32, 7939, 63512 },
		/* 2.6.20 - 3.9: 16384 above 1 GiB, no 4 GiB step; max 4x before rounding */
		{ CTUNE_ERA_NF_2_6, MEM_1G, 64, 8192, 31756 },
		{ CTUNE_ERA_NF_2_6, MEM_2G, 64, 16384, 65536 },
		{ CTUNE_ERA_NF_2_6, MEM_8G, 64, 16384, 65536 },
		{ CTUNE_ERA_NF_2_6, MEM_64G, 64, 16384, 65536 },
		/* 3.10 - 4.6: 65536 above 4 GiB */
		{ CTUNE_ERA_NF_3_10, MEM_1G, 64, 8192, 31756 },
		{ CTUNE_ERA_NF_3_10, MEM_2G, 64, 16384, 65536 },
		{ CTUNE_ERA_NF_3_10, MEM_8G, 64, 65536, 262144 },
		{ CTUNE_ERA_NF_3_10, MEM_64G, 64, 65536, 262144 },
		/* 4.7 - 5.14: max from the rounded bucket count */
		{ CTUNE_ERA_NF_4_7, MEM_1G, 64, 8192, 32768 },
		{ CTUNE_ERA_NF_4_7, MEM_2G, 64, 16384, 65536 },
		{ CTUNE_ERA_NF_4_7, MEM_8G, 64, 65536, 262144 },
		{ CTUNE_ERA_NF_4_7, MEM_64G, 64, 65536, 262144 },
		/* 5.15+: 65536 above 1 GiB, 262144 above 4 GiB on 64-bit, max = buckets */
		{ CTUNE_ERA_CURRENT, MEM_1G, 64, 8192, 8192 },
		{ CTUNE_ERA_CURRENT, MEM_2G, 64, 65536, 65536 },
		{ CTUNE_ERA_CURRENT, MEM_8G, 64, 262144, 262144 },
		{ CTUNE_ERA_CURRENT, MEM_64G, 64, 262144, 262144 },
		{ CTUNE_ERA_CURRENT, MEM_8G, 32, 65536, 65536 }, /* the 4 GiB step is 64-bit only */
		{ CTUNE_ERA_CURRENT, MEM_1G, 32, 16384, 16384 },
		{ CTUNE_ERA_CURRENT, 250000, 64, 2048, 2048 },
		{ CTUNE_ERA_CURRENT, 1024, 64, 1024, 1024 }, /* the floors, on 1 MiB */
		{ CTUNE_ERA_NF_2_6, 1024, 64, 512, 128 },    /* 32, then a page of heads; max before */
		{ CTUNE_ERA_NF_4_7, 1024, 64, 512, 2048 },   /* ... and after the rounding */
		{ CTUNE_ERA_IP_CONNTRACK, 1024, 64, 16, 128 },
		/* Exactly 1 GiB and 4 GiB are not "above". */
		{ CTUNE_ERA_CURRENT, 1048576, 64, 8192, 8192 },
		{ CTUNE_ERA_CURRENT, 4194304, 64, 65536, 65536 },
		{ CTUNE_ERA_CURRENT, 4194308, 64, 262144, 262144 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t b = 0, m = 0;
		ck_assert_int_eq(ctune_kernel_default_size(cases[i].era, KB(cases[i].kb), cases[i].bits, &b, &m), 0);
		ck_assert_msg(b == cases[i].buckets && m == cases[i].max,
			      "case %zu (%s, %llu kB, %u-bit): %llu buckets / %llu max, want %llu / %llu", i,
			      ctune_era_name(cases[i].era), (unsigned long long)cases[i].kb, cases[i].bits,
			      (unsigned long long)b, (unsigned long long)m, (unsigned long long)cases[i].buckets,
			      (unsigned long long)cases[i].max);
	}
	uint64_t b, m;
	ck_assert_int_eq(ctune_kernel_default_size(CTUNE_ERA_CURRENT, KB(MEM_1G), 16, &b, &m), -EINVAL);
	ck_assert_int_eq(ctune_kernel_default_size(CTUNE_ERA_COUNT, KB(MEM_1G), 64, &b, &m), -EINVAL);
}
END_TEST

START_TEST(test_eras)
{
	static const struct {
		const char *release;
		ctune_scheme scheme;
		ctune_era era;
	} cases[] = {
		{ "2.6.18-419.el5", CTUNE_SCHEME_NONE, CTUNE_ERA_IP_CONNTRACK },
		{ "2.6.18-419.el5", CTUNE_SCHEME_MODERN, CTUNE_ERA_NF_2_6 },
		{ "2.6.32-754.35.1.el6.x86_64", CTUNE_SCHEME_NONE, CTUNE_ERA_NF_2_6 },
		{ "2.6.20", CTUNE_SCHEME_NONE, CTUNE_ERA_NF_2_6 },
		{ "2.6", CTUNE_SCHEME_NONE, CTUNE_ERA_IP_CONNTRACK },
		{ "3.9.11", CTUNE_SCHEME_NONE, CTUNE_ERA_NF_2_6 },
		{ "3.10.0-1160.el7.x86_64", CTUNE_SCHEME_NONE, CTUNE_ERA_NF_3_10 },
		{ "4.6.7", CTUNE_SCHEME_NONE, CTUNE_ERA_NF_3_10 },
		{ "4.7", CTUNE_SCHEME_NONE, CTUNE_ERA_NF_4_7 },
		{ "4.19.0-25-amd64", CTUNE_SCHEME_NONE, CTUNE_ERA_NF_4_7 },
		{ "5.14.21-150500.55-default", CTUNE_SCHEME_NONE, CTUNE_ERA_NF_4_7 },
		{ "5.15.0-91-generic", CTUNE_SCHEME_NONE, CTUNE_ERA_CURRENT },
		{ "6.18.44-fc-v657", CTUNE_SCHEME_MODERN, CTUNE_ERA_CURRENT },
		{ "6.1.0", CTUNE_SCHEME_LEGACY, CTUNE_ERA_IP_CONNTRACK },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ctune_era e = CTUNE_ERA_COUNT;
		ck_assert_int_eq(ctune_era_from_release(cases[i].release, cases[i].scheme, &e), 0);
		ck_assert_msg(e == cases[i].era, "%s: %s, want %s", cases[i].release, ctune_era_name(e),
			      ctune_era_name(cases[i].era));
	}
	ctune_era e;
	ck_assert_int_eq(ctune_era_from_release("unknown", CTUNE_SCHEME_NONE, &e), -EINVAL);
	ck_assert_int_eq(ctune_era_from_release("6", CTUNE_SCHEME_NONE, &e), -EINVAL);
	ck_assert_int_eq(ctune_era_from_release("", CTUNE_SCHEME_MODERN, &e), -EINVAL);
	ck_assert_int_eq(ctune_era_from_release(NULL, CTUNE_SCHEME_NONE, &e), -EINVAL);
	ck_assert_str_eq(ctune_era_name(CTUNE_ERA_IP_CONNTRACK), "ip_conntrack");
	ck_assert_str_eq(ctune_era_name(CTUNE_ERA_CURRENT), "current");
	ck_assert_ptr_null(ctune_era_name(CTUNE_ERA_COUNT));
}
END_TEST

static void advise(const char *name, const ctune_advise_input *in, ctune_advice *a)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/data/advise/%s", CTUNE_TEST_DIR, name);
	ctune_root r;
	ck_assert_int_eq(ctune_root_init(&r, dir, NULL), 0);
	ctune_error err = { 0 };
	int k = ctune_advise(&r, in, a, &err);
	ck_assert_msg(k == 0, "%s: %d %s", name, k, err.msg);
	ck_assert_uint_ge(a->nreasons, 5);
	for (size_t i = 0; i < a->nreasons; i++)
		ck_assert_uint_gt(strlen(a->reasons[i]), 20);
}

static bool said(const ctune_advice *a, const char *words)
{
	for (size_t i = 0; i < a->nreasons; i++)
		if (strstr(a->reasons[i], words))
			return true;
	return false;
}

#define SAID(a, w) ck_assert_msg(said(a, w), "no reason says \"%s\"", w)

/* The runbook's case: CentOS 5 with 1 GB, default ~31750, full, dropping. */
START_TEST(test_el5_1g_full)
{
	ctune_advise_input in;
	ctune_advise_input_init(&in);
	in.table_full_events = 120;
	ctune_advice a;
	advise("el5-1g", &in, &a);
	EQ(a.era, CTUNE_ERA_IP_CONNTRACK);
	ck_assert_str_eq(a.kernel_release, "2.6.18-419.el5");
	EQ(a.mem_total_bytes, KB(MEM_1G));
	EQ(a.pointer_bits, 64);
	EQ(a.default_buckets, 3969);
	EQ(a.default_max, 31752);
	EQ(a.count, 31752);
	EQ(a.max, 31752);
	EQ(a.buckets, 3969);
	ck_assert(a.usage_percent > 99.99 && a.usage_percent < 100.01);
	EQ(a.bytes_per_entry, 315); /* 4096 / 13 objects per slab page */
	ck_assert_str_eq(a.bytes_per_entry_source, "slabinfo");
	EQ(a.bytes_per_bucket, 16);
	EQ(a.peak, 31759);
	ck_assert_str_eq(a.peak_source, "slab");
	ck_assert(a.table_full);
	EQ(a.memory_at_max, 31752ULL * 315 + 3969ULL * 16);
	EQ(a.memory_cap, KB(MEM_1G) / 8);
	EQ(a.recommended_max, 65536);
	EQ(a.recommended_buckets, 8192);
	EQ(a.recommended_memory, 65536ULL * 315 + 8192ULL * 16);
	ck_assert(a.change_max && a.change_buckets && !a.capped);
	SAID(&a, "picks 3969 hash buckets and a max of 31752 entries");
	SAID(&a, "120 table-full events");
	SAID(&a, "Recommended max 65536");
	SAID(&a, "Recommended buckets 8192: the max divided by 8");
	SAID(&a, "net.ipv4.netfilter.ip_conntrack_tcp_timeout_established is 432000 s");
}
END_TEST

/* The drop counters (advise.h, Drops): a host 18% full by its count whose
 * statistics show drops and early drops since boot has been full: demand
 * is the max, and the recommendation doubles it, as with the log's events. */
/* The date arithmetic against glibc's gmtime on dates across leap years,
 * century rules and the ends of the range. */
START_TEST(test_utc_minute)
{
	static const int64_t ts[] = { 0, 59, 86399, 86400, 951782400 /* 2000-02-29 */, 951868800, 1709164800,
				      4107542400LL /* 2100-03-01 */, 1764745920, 1796285006, 253402300799LL };
	char got[32], want[32];
	for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
		time_t t = (time_t)ts[i];
		struct tm tm;
		ck_assert_ptr_nonnull(gmtime_r(&t, &tm));
		strftime(want, sizeof(want), "%Y-%m-%d %H:%M UTC", &tm);
		ctune_utc_minute(ts[i], got, sizeof(got));
		ck_assert_str_eq(got, want);
	}
	for (int64_t t = 0; t < 4102444800LL; t += 86400 * 7 + 3607) {
		time_t tt = (time_t)t;
		struct tm tm;
		gmtime_r(&tt, &tm);
		strftime(want, sizeof(want), "%Y-%m-%d %H:%M UTC", &tm);
		ctune_utc_minute(t, got, sizeof(got));
		ck_assert_str_eq(got, want);
	}
	ctune_utc_minute(-1, got, sizeof(got));
	ck_assert_str_eq(got, "");
	ctune_utc_minute(253402300800LL, got, sizeof(got));
	ck_assert_str_eq(got, "");
}
END_TEST

START_TEST(test_drops_full)
{
	ctune_advise_input in;
	ctune_advise_input_init(&in);
	in.have_drops = true;
	in.drop = 295;
	in.early_drop = 5;
	in.boot_time = 1764745920; /* 2025-12-03 07:12:00 UTC */
	ctune_advice a;
	advise("el5-2g", &in, &a);
	ck_assert(a.have_drops && a.drops_seen && a.full_from_stats && a.table_full);
	EQ(a.drop, 295);
	EQ(a.early_drop, 5);
	EQ(a.insert_failed, 0);
	EQ(a.boot_time, 1764745920);
	EQ(a.max, 65536);
	EQ(a.recommended_max, 131072);
	ck_assert(a.change_max);
	SAID(&a, "The table has been full since boot (2025-12-03 07:12 UTC)");
	SAID(&a, "dropped 295 packets it could not track and evicted 5 not yet assured entries early");
	SAID(&a, "Recommended max 131072: twice the demand of 65536");

	/* Early drops alone: the table reached its max, nothing was lost yet. */
	in.drop = 0;
	in.early_drop = 1;
	advise("el5-2g", &in, &a);
	ck_assert(a.drops_seen && a.table_full);
	SAID(&a, "the kernel evicted 1 not yet assured entry early");
	EQ(a.recommended_max, 131072);

	/* Drops beyond the races: full; the races are named. */
	in.drop = 500;
	in.early_drop = 0;
	in.insert_failed = 20;
	in.boot_time = -2; /* unknown */
	advise("el5-2g", &in, &a);
	ck_assert(a.table_full);
	EQ(a.boot_time, -1);
	SAID(&a, "The table has been full since boot: the kernel dropped 500 packets it could not track (at most "
		 "20 of them lost races, insert_failed)");
}
END_TEST

/* Drops no larger than insert_failed are clash races: seen, said, and no
 * larger max for them; zero counters say the table has not been full. */
START_TEST(test_drops_races_and_none)
{
	ctune_advise_input in;
	ctune_advise_input_init(&in);
	in.have_drops = true;
	in.drop = 40;
	in.insert_failed = 40;
	in.boot_time = 1764745920;
	ctune_advice a;
	advise("el5-2g", &in, &a);
	ck_assert(a.drops_seen && !a.full_from_stats && !a.table_full);
	EQ(a.recommended_max, 65536);
	ck_assert(!a.change_max);
	SAID(&a, "The kernel dropped 40 packets since boot (2025-12-03 07:12 UTC), no more than its 40 insert_failed");

	in.drop = in.insert_failed = 0;
	advise("el5-2g", &in, &a);
	ck_assert(a.have_drops && !a.drops_seen && !a.table_full);
	SAID(&a, "No packet was dropped and no entry evicted early since boot (2025-12-03 07:12 UTC)");

	/* Without statistics nothing is said about drops. */
	ctune_advise_input_init(&in);
	advise("el5-2g", &in, &a);
	ck_assert(!a.have_drops && !a.drops_seen);
	EQ(a.boot_time, -1);
	ck_assert(!said(&a, "dropped") && !said(&a, "No packet"));

	/* The log's events and the statistics together. */
	ctune_advise_input_init(&in);
	in.have_drops = true;
	in.drop = 7;
	in.table_full_events = 3;
	in.boot_time = -2;
	advise("el5-2g", &in, &a);
	ck_assert(a.table_full);
	SAID(&a, "The kernel log shows 3 table-full events as well");
}
END_TEST

/* Boot time under a root: /proc/stat's btime, else /proc/uptime against
 * the clock, else unknown; nonsense (the future, 1970, text) is unknown. */
START_TEST(test_boot_time_root)
{
	const char *dir = tl_mkroot();
	tl_write(dir, "proc/stat", "cpu  1 2 3\nintr 5 6\nbtime 1700000000\nprocesses 4\n");
	ctune_root r;
	ck_assert_int_eq(ctune_root_init(&r, dir, NULL), 0);
	EQ(ctune_boot_time(&r), 1700000000);

	tl_write(dir, "proc/stat", "cpu  1 2 3\nbtime 99999999999\n");
	tl_write(dir, "proc/uptime", "3600.25 7000.10\n");
	time_t now = time(NULL);
	int64_t t = ctune_boot_time(&r);
	ck_assert(t >= (int64_t)now - 3600 - 2 && t <= (int64_t)now - 3600 + 2);

	tl_write(dir, "proc/stat", "btime x\n");
	tl_write(dir, "proc/uptime", "-5 1\n");
	EQ(ctune_boot_time(&r), -1);
	tl_write(dir, "proc/stat", "btime 12\n");
	tl_write(dir, "proc/uptime", "99999999999999 1\n");
	EQ(ctune_boot_time(&r), -1);
	/* Hostile images: a number past 64 bits, a btime line without a
	 * number, btime inside another word, a file past the read limit. */
	tl_write(dir, "proc/uptime", "nan 1\n");
	tl_write(dir, "proc/stat", "btime 18446744073709551616\n");
	EQ(ctune_boot_time(&r), -1);
	tl_write(dir, "proc/stat", "btime\nbtime \n");
	EQ(ctune_boot_time(&r), -1);
	tl_write(dir, "proc/stat", "xbtime 1700000000\nbtimes 1700000000\n");
	EQ(ctune_boot_time(&r), -1);
	size_t big = (5u << 20) + 100;
	char *huge = malloc(big + 1);
	ck_assert_ptr_nonnull(huge);
	memset(huge, 'x', big);
	memcpy(huge + big - 19, "\nbtime 1700000000\n", 18);
	huge[big - 1] = '\n';
	huge[big] = '\0';
	tl_write(dir, "proc/stat", huge);
	free(huge);
	EQ(ctune_boot_time(&r), -1);
	tl_rmrf(dir);

	/* The running system's: its clocks, as /proc/stat's btime. */
	ctune_root host;
	ck_assert_int_eq(ctune_root_init(&host, "", NULL), 0);
	t = ctune_boot_time(&host);
	ck_assert(t > 86400 && t <= (int64_t)time(NULL));
}
END_TEST

START_TEST(test_el5_2g_enough)
{
	ctune_advice a;
	advise("el5-2g", NULL, &a);
	EQ(a.era, CTUNE_ERA_IP_CONNTRACK);
	EQ(a.default_buckets, 8192);
	EQ(a.default_max, 65536);
	EQ(a.bytes_per_entry, 320);
	ck_assert_str_eq(a.bytes_per_entry_source, "estimate");
	EQ(a.peak, 12000);
	ck_assert_str_eq(a.peak_source, "count");
	ck_assert(!a.table_full);
	EQ(a.recommended_max, 65536);
	EQ(a.recommended_buckets, 8192);
	ck_assert(!a.change_max && !a.change_buckets && !a.capped);
	SAID(&a, "The max stays at the current max, 65536");
}
END_TEST

START_TEST(test_el6_8g_monitored_peak)
{
	ctune_advise_input in;
	ctune_advise_input_init(&in);
	in.peak = 60000;
	ctune_advice a;
	advise("el6-8g", &in, &a);
	EQ(a.era, CTUNE_ERA_NF_2_6);
	EQ(a.default_buckets, 16384);
	EQ(a.default_max, 65536);
	EQ(a.peak, 60000);
	ck_assert_str_eq(a.peak_source, "caller");
	EQ(a.recommended_max, 131072); /* 2 x 60000, rounded up to 65536s */
	EQ(a.recommended_buckets, 32768);
	EQ(a.recommended_memory, 131072ULL * 320 + 32768ULL * 8);
	ck_assert(a.change_max && a.change_buckets);
	SAID(&a, "The highest use known is 60000 entries (as given)");
}
END_TEST

START_TEST(test_el7_64g)
{
	ctune_advice a;
	advise("el7-64g", NULL, &a);
	EQ(a.era, CTUNE_ERA_NF_3_10);
	EQ(a.default_buckets, 65536);
	EQ(a.default_max, 262144);
	/* Per-namespace cache: its size counts, its objects are not the host's peak. */
	EQ(a.bytes_per_entry, 327);
	ck_assert_str_eq(a.peak_source, "count");
	EQ(a.peak, 1000);
	EQ(a.recommended_max, 262144);
	EQ(a.recommended_buckets, 65536);
	ck_assert(!a.change_max && !a.change_buckets);
	ck_assert(!said(&a, "tcp_timeout_established")); /* 86400 already */
}
END_TEST

START_TEST(test_deb10_1g_full)
{
	ctune_advise_input in;
	ctune_advise_input_init(&in);
	in.table_full_events = 5;
	ctune_advice a;
	advise("deb10-1g", &in, &a);
	EQ(a.era, CTUNE_ERA_NF_4_7);
	EQ(a.default_buckets, 8192);
	EQ(a.default_max, 32768);
	EQ(a.bytes_per_entry, 256);
	EQ(a.recommended_max, 65536); /* full at 32768: at least double */
	EQ(a.recommended_buckets, 16384);
	EQ(a.recommended_memory, 65536ULL * 256 + 16384ULL * 8);
}
END_TEST

/* max raised by hand, buckets left: the buckets must follow. */
START_TEST(test_deb12_64g_buckets_follow)
{
	ctune_advice a;
	advise("deb12-64g", NULL, &a);
	EQ(a.era, CTUNE_ERA_CURRENT);
	EQ(a.default_max, 262144);
	EQ(a.recommended_max, 16777216);
	EQ(a.recommended_buckets, 16777216);
	ck_assert(!a.change_max && a.change_buckets && !a.capped);
	SAID(&a, "their heads take 128.0 MiB");
}
END_TEST

START_TEST(test_cur_2g_nearly_full)
{
	ctune_advice a;
	advise("cur-2g", NULL, &a);
	EQ(a.era, CTUNE_ERA_CURRENT);
	EQ(a.pointer_bits, 64);
	EQ(a.default_buckets, 65536);
	EQ(a.default_max, 65536);
	EQ(a.bytes_per_entry, 256);
	ck_assert_str_eq(a.bytes_per_entry_source, "slabinfo");
	EQ(a.peak, 64000);
	EQ(a.recommended_max, 131072);
	EQ(a.recommended_buckets, 131072);
	EQ(a.recommended_memory, 131072ULL * 256 + 131072ULL * 8);
	SAID(&a, "net.netfilter.nf_conntrack_tcp_timeout_established is 432000 s");
}
END_TEST

/* SLUB's sysfs directory of the cache is read before /proc/slabinfo (which
 * makes the kernel print every cache): 8192 / 25 = 327 bytes, the slots of
 * the cache as the slab peak.  A merged cache (the name a symbolic link)
 * shares its counts with others: slabinfo then. */
START_TEST(test_sysfs_slab)
{
	ctune_advice a;
	advise("cur-2g-sysfs", NULL, &a);
	EQ(a.bytes_per_entry, 327);
	ck_assert_str_eq(a.bytes_per_entry_source, "sysfs_slab");
	EQ(a.peak, 70000);
	ck_assert_str_eq(a.peak_source, "slab");
	SAID(&a, "from /sys/kernel/slab");

	advise("cur-2g-merged", NULL, &a);
	EQ(a.bytes_per_entry, 256);
	ck_assert_str_eq(a.bytes_per_entry_source, "slabinfo");
	EQ(a.peak, 64000);
}
END_TEST

START_TEST(test_tiny_capped)
{
	ctune_advice a;
	advise("tiny-256m", NULL, &a);
	EQ(a.default_max, 2048);
	EQ(a.memory_cap, 250000ULL * 1024 / 8);
	EQ(a.recommended_max, 122880); /* 32000000 / 256 = 125000, down to 4096s */
	EQ(a.recommended_buckets, 122880);
	ck_assert(a.capped && a.change_max);
	SAID(&a, "more than the memory cap of 1/8 of RAM");
}
END_TEST

/* What the caller gives wins over the root. */
START_TEST(test_caller_values)
{
	ctune_advise_input in;
	ctune_advise_input_init(&in);
	in.kernel_release = "4.19.0";
	in.mem_total_kb = MEM_8G;
	in.pointer_bits = 64;
	in.count = 10;
	in.max = 262144;
	in.buckets = 65536;
	in.bytes_per_entry = 300;
	in.tcp_timeout_established = 3600;
	ctune_advice a;
	advise("no-conntrack", &in, &a);
	EQ(a.era, CTUNE_ERA_NF_4_7);
	EQ(a.default_max, 262144);
	EQ(a.bytes_per_entry, 300);
	ck_assert_str_eq(a.bytes_per_entry_source, "caller");
	EQ(a.recommended_max, 262144);
	ck_assert(!a.change_max && !a.change_buckets);
}
END_TEST

START_TEST(test_missing_things)
{
	ctune_advice a;
	advise("no-conntrack", NULL, &a);
	EQ(a.count, -1);
	EQ(a.max, -1);
	EQ(a.peak, -1);
	ck_assert_ptr_null(a.peak_source);
	ck_assert(a.usage_percent < 0);
	EQ(a.recommended_max, 262144); /* the default stands */
	SAID(&a, "No conntrack sysctls could be read");
	SAID(&a, "Nothing is known about the table's use");

	char dir[1024];
	ctune_root r;
	ctune_error err = { 0 };
	snprintf(dir, sizeof(dir), "%s/data/advise/no-meminfo", CTUNE_TEST_DIR);
	ck_assert_int_eq(ctune_root_init(&r, dir, NULL), 0);
	ck_assert_int_eq(ctune_advise(&r, NULL, &a, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "/proc/meminfo"));

	ctune_error_clear(&err);
	snprintf(dir, sizeof(dir), "%s/data/advise/bad-release", CTUNE_TEST_DIR);
	ck_assert_int_eq(ctune_root_init(&r, dir, NULL), 0);
	ck_assert_int_eq(ctune_advise(&r, NULL, &a, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "unknown"));
}
END_TEST

/* Odd /proc contents: a meminfo without MemTotal, a 32-bit arch file. */
START_TEST(test_odd_proc)
{
	const char *dir = tl_mkroot();
	tl_write(dir, "proc/meminfo", "MemFree: 100 kB\nXMemTotal: 5 kB\n");
	tl_write(dir, "proc/sys/kernel/osrelease", "5.15.0\n");
	ctune_root r;
	ck_assert_int_eq(ctune_root_init(&r, dir, NULL), 0);
	ctune_advice a;
	ctune_error err = { 0 };
	ck_assert_int_eq(ctune_advise(&r, NULL, &a, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "MemTotal"));

	tl_write(dir, "proc/meminfo", "MemTotal:  8144060 kB\n");
	tl_write(dir, "proc/sys/kernel/arch", "i686\n");
	ck_assert_int_eq(ctune_advise(&r, NULL, &a, NULL), 0);
	EQ(a.pointer_bits, 32);
	EQ(a.default_max, 65536); /* no 262144 step on 32-bit */
	EQ(a.bytes_per_bucket, 4);
	tl_rmrf(dir);
}
END_TEST

/* Numbers out of any kernel's range (sane.h) are no input to advice: a
 * MemTotal of 0, of 2^54 kB (its bytes would wrap) or of 20 digits is an
 * error that says which; a count of 2^63-1 or a slab of 2^64-1 objects is
 * left out, with a warning, instead of asking to shrink the table. */
START_TEST(test_absurd_numbers)
{
	const char *dir = tl_mkroot();
	tl_write(dir, "proc/sys/kernel/osrelease", "6.1.0\n");
	ctune_root r;
	ck_assert_int_eq(ctune_root_init(&r, dir, NULL), 0);
	ctune_advice a;
	ctune_error err = { 0 };
	static const char *const mem[] = { "0", "18014398509481983", "99999999999999999999", "1023" };
	for (size_t i = 0; i < sizeof(mem) / sizeof(mem[0]); i++) {
		char text[128];
		snprintf(text, sizeof(text), "MemTotal:  %s kB\n", mem[i]);
		tl_write(dir, "proc/meminfo", text);
		ctune_error_clear(&err);
		ck_assert_int_eq(ctune_advise(&r, NULL, &a, &err), -ERANGE);
		ck_assert_msg(strstr(err.msg, "MemTotal") && !strstr(err.msg, "no MemTotal line"), "%s", err.msg);
	}
	tl_write(dir, "proc/meminfo", "MemTotal:  2039808 kB\n");
	tl_write(dir, "proc/sys/net/netfilter/nf_conntrack_max", "65536\n");
	tl_write(dir, "proc/sys/net/netfilter/nf_conntrack_count", "9223372036854775807\n");
	tl_write(dir, "proc/slabinfo",
		 "slabinfo - version: 2.1\n"
		 "nf_conntrack 18446744073709551615 18446744073709551615 320 25 2 : tunables 0 0 0\n");
	ck_assert_int_eq(ctune_advise(&r, NULL, &a, NULL), 0);
	EQ(a.count, -1);
	EQ(a.peak, -1);
	ck_assert_str_eq(a.bytes_per_entry_source, "estimate");
	EQ(a.recommended_max, 65536); /* kept: nothing is known of the use */
	EQ(a.nwarnings, 1);
	ck_assert_ptr_nonnull(strstr(a.warnings[0], "nf_conntrack_count = 9223372036854775807"));
	tl_rmrf(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("advise");
	TCase *tc = tcase_create("sizing");
	tcase_add_test(tc, test_kernel_defaults);
	tcase_add_test(tc, test_eras);
	tcase_add_test(tc, test_el5_1g_full);
	tcase_add_test(tc, test_el5_2g_enough);
	tcase_add_test(tc, test_el6_8g_monitored_peak);
	tcase_add_test(tc, test_el7_64g);
	tcase_add_test(tc, test_deb10_1g_full);
	tcase_add_test(tc, test_deb12_64g_buckets_follow);
	tcase_add_test(tc, test_cur_2g_nearly_full);
	tcase_add_test(tc, test_sysfs_slab);
	tcase_add_test(tc, test_tiny_capped);
	tcase_add_test(tc, test_caller_values);
	tcase_add_test(tc, test_missing_things);
	tcase_add_test(tc, test_odd_proc);
	tcase_add_test(tc, test_absurd_numbers);
	tcase_add_test(tc, test_utc_minute);
	tcase_add_test(tc, test_drops_full);
	tcase_add_test(tc, test_drops_races_and_none);
	tcase_add_test(tc, test_boot_time_root);
	suite_add_tcase(s, tc);
	return tl_run(s);
}
