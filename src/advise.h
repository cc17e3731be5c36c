/* advise.h - how big the conntrack table should be on this host, and why.
 *
 * Why this file exists: the runbook's question ("is nf_conntrack_max big
 * enough, and what should it be?") needs four facts a person rarely has at
 * hand: what the kernel itself would pick for this much memory, what a
 * given max costs in kernel memory, how full the table is and has been, and
 * whether the log shows it overflowing.  This module gathers them from the
 * root (MemTotal, the kernel release, the sysctls, /proc/slabinfo) and from
 * the caller (events.h, a peak from monitoring), and states a
 * recommendation with its reasons as plain sentences.
 *
 * The kernel's own defaults, per era (nf_conntrack_init_start() and its
 * ancestors; RAM is MemTotal, i.e. totalram_pages, pages of 4 KiB; a bucket
 * head is one pointer, two for ip_conntrack's list_head):
 *   ip_conntrack  (2.6.18, CentOS 5; legacy scheme or a release before
 *                 2.6.20): buckets = RAM / 16384 / 16 on 64-bit (/ 8 on
 *                 32-bit), 8192 above 1 GiB, at least 16; max = 8 x buckets.
 *                 1 GiB gives ~31750, "a little over 30000" as the runbook
 *                 says (2.6.18 counted all physical pages, a little more
 *                 than MemTotal, so its figure can be slightly higher).
 *   nf_conntrack_2.6  (2.6.20 - 3.9, CentOS 6): buckets = RAM / 16384 / 8,
 *                 16384 above 1 GiB, at least 32; max = 4 x buckets, taken
 *                 before the table is rounded up to whole pages of bucket
 *                 heads (a multiple of 512).
 *   nf_conntrack_3.10 (3.10 - 4.6, CentOS 7): as above, plus 65536 buckets
 *                 above 4 GiB.  ctune places that step at 3.10 (the 4.0
 *                 source has it, 2.6.32's has not; its first release was
 *                 not pinned down).
 *   nf_conntrack_4.7  (4.7 - 5.14): as 3.10, but max = 4 x the rounded
 *                 bucket count (one table for all namespaces since 4.7).
 *   current       (5.15 and later, "sanitize table size default settings"):
 *                 buckets = RAM / 16384 / 8, 65536 above 1 GiB, 262144
 *                 above 4 GiB on 64-bit, at least 1024, rounded up to a
 *                 multiple of 512; max = buckets.
 * A hashsize= module parameter changes all of this (max = 8 x hashsize);
 * the defaults here are what a host without one gets.
 *
 * Memory: an entry costs what its slab object costs, read from SLUB's
 * /sys/kernel/slab/nf_conntrack/ (4096 << order / objs_per_slab, at least
 * slab_size) or else /proc/slabinfo (pages per slab x 4096 / objects per
 * slab: the same real footprint) when readable (it is root-only); otherwise an estimate for
 * 64-bit kernels: 256 B from 4.7 on (measured: 256 B on 6.18), 320 B before
 * (nf_conn and ip_conntrack were ~300 B).  Extensions (accounting,
 * timestamps, labels) are allocated apart and not counted.  Bucket heads
 * add 8 B each (16 B for ip_conntrack).
 *
 * Peak: the kernel keeps no high-water mark of the table.  What can be
 * known, best first: a peak the caller has from monitoring (e.g. the max of
 * node_nf_conntrack_entries); table-full events in the log, which prove the
 * table reached its max and that demand was higher by an unknown amount;
 * the nf_conntrack slab's allocated objects, which lag behind a recent
 * burst because empty slab pages are returned lazily (a hint, and on
 * kernels with one table for all namespaces it counts every namespace); and
 * the current count.  The advice names which one it used.
 *
 * Drops: the statistics every facts run reads count, per network namespace
 * and since boot (or since the namespace was made), the packets conntrack
 * dropped (drop), the entries it evicted to make room (early_drop: only
 * ever done when the table is at its max) and the entries it could not
 * insert (insert_failed: two packets of one new flow racing on two CPUs).
 * Since 5.x a lost race counts in drop and insert_failed alike, so:
 *   - drops_seen: drop or early_drop above 0;
 *   - the table was full (table_full, as the log's messages say it) when
 *     early_drop > 0 or drop > insert_failed: drops the races do not
 *     explain are entries that could not be allocated, which is the
 *     table at its max (or, rarely, the kernel out of memory);
 *   - drops no larger than insert_failed are races, which a larger table
 *     does not cure: said, and the max is not raised for them.
 * The counters have no time stamp; the boot time (ctune_boot_time) says
 * since when they run, which is as much as can be known without sampling.
 *
 * The recommendation rule:
 *   1. demand = the peak; if the log or the statistics show the table full,
 *      at least the current max (the table was full; true demand is higher).
 *   2. The table should be at most half full at that demand: need = 2 x
 *      demand.  Half leaves room for the burst that was not seen and for
 *      the early-drop logic, which only starts evicting when the table is
 *      already full.
 *   3. A full table must not be able to take more than 1/8 of RAM (the
 *      memory cap): past that a SYN flood turns into memory pressure for
 *      the whole host.  An existing max above the cap is lowered to it.
 *   4. If the current max (or, without one, the kernel default) already
 *      covers the need within the cap, it stays.  Otherwise the new max is
 *      the need, never below the kernel default, rounded up to a multiple
 *      of 65536 (and down to a multiple of 4096 when the cap binds).
 *   5. Buckets = max / the era's own ratio (8 for ip_conntrack, 4 for
 *      nf_conntrack before 5.15, 1 since: what the kernel itself pairs with
 *      a default max), rounded up to a multiple of 512 on nf_conntrack;
 *      never fewer than the current buckets.
 *
 * Error convention (error.h): 0 or -errno; err gets one sentence.
 */
#ifndef CTUNE_ADVISE_H
#define CTUNE_ADVISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "root.h"
#include "scheme.h"

typedef enum ctune_era {
	CTUNE_ERA_IP_CONNTRACK, /* 2.6.18 ip_conntrack */
	CTUNE_ERA_NF_2_6,       /* nf_conntrack 2.6.20 - 3.9 */
	CTUNE_ERA_NF_3_10,      /* 3.10 - 4.6 */
	CTUNE_ERA_NF_4_7,       /* 4.7 - 5.14 */
	CTUNE_ERA_CURRENT,      /* 5.15 and later */
	CTUNE_ERA_COUNT
} ctune_era;

/* "ip_conntrack", "nf_conntrack_2.6", "nf_conntrack_3.10",
 * "nf_conntrack_4.7", "current"; NULL outside the enum. */
const char *ctune_era_name(ctune_era e);

/* The era of a kernel release ("2.6.18-419.el5", "6.18.44-fc").  A legacy
 * scheme means ip_conntrack whatever the release; a modern one never does.
 * Returns 0, or -EINVAL when the release has no "major.minor" to read. */
int ctune_era_from_release(const char *release, ctune_scheme scheme, ctune_era *era);

/* What the kernel of era e picks with mem_bytes of MemTotal on a kernel
 * with pointer_bits (32 or 64) pointers.  Returns 0 or -EINVAL. */
int ctune_kernel_default_size(ctune_era e, uint64_t mem_bytes, unsigned pointer_bits, uint64_t *buckets,
			      uint64_t *max);

/* What the caller already knows; anything left at its "read it" value is
 * read from the root.  Set with ctune_advise_input_init() first. */
typedef struct ctune_advise_input {
	ctune_scheme scheme;             /* CTUNE_SCHEME_NONE: by the release */
	const char *kernel_release;      /* NULL: /proc/sys/kernel/osrelease */
	uint64_t mem_total_kb;           /* 0: MemTotal from /proc/meminfo */
	unsigned pointer_bits;           /* 0: /proc/sys/kernel/arch or the release; else 64 */
	int64_t count, max, buckets;     /* -1: the scheme's sysctls under the root */
	int64_t tcp_timeout_established; /* -1: its sysctl (only for a sentence) */
	bool sysctls_given;              /* count..tcp_timeout_established are all the caller
					    has: -1 is unknown, not "read it" (facts.c) */
	int64_t bytes_per_entry;         /* -1: /proc/slabinfo, else the era's estimate */
	int64_t peak;                    /* -1: none known; else the caller's high-water mark */
	uint64_t table_full_events;      /* events.h count; 0 when none or not looked */
	bool have_drops;                 /* the statistics were read: the three counters below */
	uint64_t drop, early_drop, insert_failed; /* summed over CPUs, this namespace, since boot */
	int64_t boot_time;               /* -1: read it (ctune_boot_time); else epoch seconds, or
					    -2 for unknown */
} ctune_advise_input;

void ctune_advise_input_init(ctune_advise_input *in);

#define CTUNE_ADVICE_MAX_REASONS 10
#define CTUNE_ADVICE_REASON_LEN 400

typedef struct ctune_advice {
	ctune_era era;
	char kernel_release[65];
	unsigned pointer_bits;
	uint64_t mem_total_bytes;
	uint64_t default_buckets, default_max; /* the kernel's own pick for this RAM */

	uint64_t bytes_per_entry;           /* kernel memory per entry */
	const char *bytes_per_entry_source; /* "sysfs_slab", "slabinfo", "estimate" or "caller" */
	uint64_t bytes_per_bucket;          /* 8, or 16 for ip_conntrack (4 / 8 on 32-bit) */

	int64_t count, max, buckets; /* current values, -1 when unknown */
	double usage_percent;        /* 100 * count / max, -1 when unknown */
	int64_t peak;                /* best known peak, -1 when nothing is known */
	const char *peak_source;     /* "caller", "slab", "count", or NULL */
	bool table_full;             /* the log or the statistics show the table full */
	bool have_drops;             /* the drop counters were known (statistics read) */
	uint64_t drop, early_drop, insert_failed;
	bool drops_seen;             /* drop or early_drop above 0 since boot */
	bool full_from_stats;        /* the statistics alone prove the table reached its max */
	int64_t boot_time;           /* epoch seconds the counters run from, -1 when unknown */
	uint64_t memory_at_max;      /* bytes a full table takes at the current max, 0 when unknown */
	uint64_t memory_cap;         /* 1/8 of RAM */

	uint64_t recommended_max;
	uint64_t recommended_buckets;
	uint64_t recommended_memory; /* bytes a full table takes at the recommendation */
	bool change_max;             /* recommended_max differs from the current max */
	bool change_buckets;         /* recommended_buckets differs from the current buckets */
	bool capped;                 /* the memory cap bound the recommendation */

	size_t nwarnings; /* numbers of the root that were out of range (sane.h) and left out */
	char warnings[4][256];

	size_t nreasons; /* the reasoning, as sentences, in order */
	char reasons[CTUNE_ADVICE_MAX_REASONS][CTUNE_ADVICE_REASON_LEN];
} ctune_advice;

/* When the root booted, in seconds since the epoch: for the running system
 * (empty root) CLOCK_REALTIME - CLOCK_BOOTTIME, the figure the kernel prints
 * as btime in /proc/stat; under a root prefix its /proc/stat btime, else its
 * /proc/uptime against the current time.  -1 when none of them is readable
 * or sane (after 1970-01-02, not in the future). */
int64_t ctune_boot_time(const ctune_root *r);

/* "2026-12-03 08:03 UTC" of t seconds since the epoch (0 .. year 9999) into
 * buf (at least 24 bytes); "" when t is outside.  Plain arithmetic: glibc's
 * gmtime_r() reads /etc/localtime on first use, eight system calls the
 * default facts do not need. */
void ctune_utc_minute(int64_t t, char *buf, size_t size);

/* Gather what in leaves open from the root and fill out.  Returns 0;
 * -ENOENT when MemTotal or the kernel release cannot be read (err names the
 * file); -EINVAL when they make no sense; -ERANGE when MemTotal is outside
 * sane.h's range.  Numbers of the root outside their sane.h range are left
 * out (as if unreadable) and named in out->warnings.  Missing sysctls and an unreadable
 * slabinfo are not errors: the fields stay -1 / the estimate is used, and
 * a sentence says so. */
int ctune_advise(const ctune_root *r, const ctune_advise_input *in, ctune_advice *out, ctune_error *err);

#endif
