/* advise.c - see advise.h.  The kernel's default rules are a table (data),
 * one row per era; the rest is arithmetic on what the root shows and the
 * sentences that explain it.
 */
#include "advise.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cleanup.h"
#include "events.h"
#include "procsys.h"
#include "sane.h"

#define PAGE 4096ull
#define GIB (1024ull * 1024 * 1024)
#define ROUND_MAX 65536ull
#define ROUND_CAPPED 4096ull
#define MEMORY_CAP_DIVISOR 8 /* a full table may take at most 1/8 of RAM */

typedef struct era_rule {
	const char *name;
	const char *what;          /* for sentences */
	unsigned since[3];         /* first release of the era */
	unsigned head_pointers;    /* pointers per bucket head: 2 for list_head, 1 for hlist_head */
	uint64_t above_1g;         /* buckets above 1 GiB */
	uint64_t above_4g;         /* buckets above 4 GiB, 0 when the era has no such step */
	bool above_4g_64bit_only;  /* the 4 GiB step needs BITS_PER_LONG >= 64 */
	uint64_t min_buckets;
	unsigned max_factor;       /* max = factor x buckets */
	bool round_buckets;        /* rounded up to a page of bucket heads */
	bool max_after_round;      /* max from the rounded count (since 4.7) */
	uint64_t bytes_estimate;   /* per entry, 64-bit, when slabinfo is unreadable */
} era_rule;

static const era_rule eras[CTUNE_ERA_COUNT] = {
	[CTUNE_ERA_IP_CONNTRACK] = { "ip_conntrack", "ip_conntrack (2.6.18 era)", { 2, 6, 0 }, 2, 8192, 0, false,
				     16, 8, false, false, 320 },
	[CTUNE_ERA_NF_2_6] = { "nf_conntrack_2.6", "nf_conntrack (2.6.20 to 3.9)", { 2, 6, 20 }, 1, 16384, 0, false,
			       32, 4, true, false, 320 },
	[CTUNE_ERA_NF_3_10] = { "nf_conntrack_3.10", "nf_conntrack (3.10 to 4.6)", { 3, 10, 0 }, 1, 16384, 65536,
				false, 32, 4, true, false, 320 },
	[CTUNE_ERA_NF_4_7] = { "nf_conntrack_4.7", "nf_conntrack (4.7 to 5.14)", { 4, 7, 0 }, 1, 16384, 65536,
			       false, 32, 4, true, true, 256 },
	[CTUNE_ERA_CURRENT] = { "current", "nf_conntrack (5.15 and later)", { 5, 15, 0 }, 1, 65536, 262144, true,
				1024, 1, true, true, 256 },
};

const char *ctune_era_name(ctune_era e)
{
	return e >= 0 && e < CTUNE_ERA_COUNT ? eras[e].name : NULL;
}

static bool parse_release(const char *s, unsigned v[3])
{
	v[0] = v[1] = v[2] = 0;
	for (int i = 0; i < 3; i++) {
		if (*s < '0' || *s > '9')
			return i >= 2;
		unsigned long n = 0;
		while (*s >= '0' && *s <= '9') {
			n = n * 10 + (unsigned long)(*s - '0');
			if (n > 100000)
				return false;
			s++;
		}
		v[i] = (unsigned)n;
		if (*s != '.')
			return i >= 1;
		s++;
	}
	return true;
}

static int cmp_version(const unsigned a[3], const unsigned b[3])
{
	for (int i = 0; i < 3; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return 0;
}

int ctune_era_from_release(const char *release, ctune_scheme scheme, ctune_era *era)
{
	if (scheme == CTUNE_SCHEME_LEGACY) {
		*era = CTUNE_ERA_IP_CONNTRACK;
		return 0;
	}
	unsigned v[3];
	if (!release || !parse_release(release, v))
		return -EINVAL;
	ctune_era e = CTUNE_ERA_IP_CONNTRACK;
	for (int i = CTUNE_ERA_COUNT - 1; i >= 0; i--) {
		if (cmp_version(v, eras[i].since) >= 0) {
			e = (ctune_era)i;
			break;
		}
	}
	/* A modern scheme on a release that predates 2.6.20 is nf_conntrack
	 * backported (it existed since 2.6.15 beside ip_conntrack). */
	if (scheme == CTUNE_SCHEME_MODERN && e == CTUNE_ERA_IP_CONNTRACK)
		e = CTUNE_ERA_NF_2_6;
	*era = e;
	return 0;
}

int ctune_kernel_default_size(ctune_era e, uint64_t mem_bytes, unsigned pointer_bits, uint64_t *buckets,
			      uint64_t *max)
{
	if (e < 0 || e >= CTUNE_ERA_COUNT || (pointer_bits != 32 && pointer_bits != 64))
		return -EINVAL;
	const era_rule *er = &eras[e];
	uint64_t head = er->head_pointers * (pointer_bits / 8);
	uint64_t pages = mem_bytes / PAGE;
	uint64_t b = pages * PAGE / 16384 / head;
	if (er->above_4g && pages > 4 * (GIB / PAGE) && (!er->above_4g_64bit_only || pointer_bits >= 64))
		b = er->above_4g;
	else if (pages > GIB / PAGE)
		b = er->above_1g;
	if (b < er->min_buckets)
		b = er->min_buckets;
	uint64_t rounded = b;
	if (er->round_buckets) {
		uint64_t per_page = PAGE / (pointer_bits / 8);
		rounded = (b + per_page - 1) / per_page * per_page;
	}
	*buckets = rounded;
	*max = er->max_factor * (er->max_after_round ? rounded : b);
	return 0;
}

void ctune_advise_input_init(ctune_advise_input *in)
{
	memset(in, 0, sizeof(*in));
	in->scheme = CTUNE_SCHEME_NONE;
	in->count = in->max = in->buckets = -1;
	in->tcp_timeout_established = -1;
	in->bytes_per_entry = -1;
	in->peak = -1;
	in->boot_time = -1;
}

#define BOOT_TIME_MIN 86400 /* 1970-01-02: an earlier one is a clock never set */

static bool boot_time_sane(int64_t t)
{
	time_t now = time(NULL);
	return t >= BOOT_TIME_MIN && now != (time_t)-1 && t <= (int64_t)now;
}

/* "btime 1764751234" of /proc/stat under the root, or -1. */
static int64_t read_btime(const ctune_root *r)
{
	_cleanup_free_ char *text = NULL;
	if (ctune_root_read_all(r, "/proc/stat", 4u << 20, &text, NULL) < 0)
		return -1;
	for (char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (strncmp(line, "btime ", 6) != 0)
			continue;
		char *eol = strchr(line, '\n');
		if (eol)
			*eol = '\0';
		uint64_t v;
		return ctune_sane_parse_u64(line + 6, INT64_MAX, &v) == 0 ? (int64_t)v : -1;
	}
	return -1;
}

/* The root's /proc/uptime against the current time, or -1. */
static int64_t uptime_boot(const ctune_root *r)
{
	char buf[64];
	if (ctune_root_read_small(r, "/proc/uptime", buf, sizeof(buf)) <= 0)
		return -1;
	buf[strcspn(buf, ". \n")] = '\0';
	uint64_t up;
	time_t now = time(NULL);
	if (ctune_sane_parse_u64(buf, 1ull << 40, &up) < 0 || now == (time_t)-1 || (int64_t)up > (int64_t)now)
		return -1;
	return (int64_t)now - (int64_t)up;
}

int64_t ctune_boot_time(const ctune_root *r)
{
	int64_t t = -1;
	if (r->len == 0) {
		/* What the kernel prints as btime, without making it print
		 * every CPU's and interrupt's counters. */
		int64_t usec = ctune_events_boot_wall_usec();
		if (usec >= 0)
			t = (usec + 500000) / 1000000;
	}
	if (!boot_time_sane(t))
		t = read_btime(r);
	if (!boot_time_sane(t))
		t = uptime_boot(r);
	return boot_time_sane(t) ? t : -1;
}

/* ---- reading the root ------------------------------------------------------ */

static void note(ctune_advice *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(ctune_advice *a, const char *fmt, ...)
{
	if (a->nwarnings >= ELEMENTSOF(a->warnings))
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(a->warnings[a->nwarnings++], sizeof(a->warnings[0]), fmt, ap);
	va_end(ap);
}

/* MemTotal in kB: 0, -errno of the read, -EINVAL without a MemTotal line
 * holding one number, -ERANGE outside sane.h's range (*kb gets the number,
 * or UINT64_MAX when it does not even fit). */
static int read_memtotal_kb(const ctune_root *r, uint64_t *kb)
{
	_cleanup_free_ char *text = NULL;
	int k = ctune_root_read_all(r, "/proc/meminfo", 1 << 20, &text, NULL);
	if (k < 0)
		return k;
	char *p = strstr(text, "MemTotal:");
	if (!p || (p != text && p[-1] != '\n'))
		return -EINVAL;
	p += 9;
	char *eol = strchr(p, '\n');
	if (eol)
		*eol = '\0';
	/* "  4002524 kB" */
	size_t n = strlen(p);
	if (n >= 3 && strcmp(p + n - 3, " kB") == 0)
		p[n - 3] = '\0';
	uint64_t v = 0;
	int rr = ctune_sane_parse_u64(p, UINT64_MAX, &v);
	if (rr == -ERANGE)
		v = UINT64_MAX;
	else if (rr < 0)
		return rr;
	*kb = v;
	return v < CTUNE_SANE_MEM_KB_MIN || v > CTUNE_SANE_MEM_KB_MAX ? -ERANGE : 0;
}

/* A sysctl of the scheme, when it holds one integer in its sane range; -1
 * otherwise (a value out of range is named in a's warnings). */
static int64_t read_sysctl(const ctune_root *r, const char *name, ctune_scheme s, ctune_advice *a)
{
	const ctune_tunable *t = ctune_tunable_find(name);
	if (!t || s < 0 || s >= CTUNE_SCHEME_COUNT || !t->key[s])
		return -1;
	long long v;
	if (ctune_procsys_read(r, t->key[s], &v, NULL) < 0)
		return -1;
	long long lo, hi;
	if (!ctune_sane_tunable(t, v, &lo, &hi)) {
		note(a, "advice leaves out %s = %lld, outside the range a kernel reports (%lld..%lld)", t->key[s], v,
		     lo, hi);
		return -1;
	}
	return v;
}

/* The conntrack line of /proc/slabinfo (2.x format: name active num objsize
 * objperslab pagesperslab ...).  *bytes gets the footprint per object;
 * *objs the allocated objects of the exact cache (0 when only per-namespace
 * caches "nf_conntrack_<addr>" exist, whose objects are not the host's). */
static bool read_slabinfo(const ctune_root *r, bool legacy, uint64_t *bytes, uint64_t *objs)
{
	_cleanup_free_ char *text = NULL;
	if (ctune_root_read_all(r, "/proc/slabinfo", 8u << 20, &text, NULL) < 0)
		return false;
	const char *name = legacy ? "ip_conntrack" : "nf_conntrack";
	size_t n = strlen(name);
	bool found = false;
	*objs = 0;
	for (char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (strncmp(line, name, n) != 0 || (line[n] != ' ' && line[n] != '_'))
			continue;
		if (line[n] == '_' && strncmp(line + n, "_expect", 7) == 0)
			continue;
		unsigned long long active, num, objsize, perslab, pages;
		const char *f = line + n;
		while (*f && *f != ' ')
			f++;
		if (sscanf(f, "%llu %llu %llu %llu %llu", &active, &num, &objsize, &perslab, &pages) != 5)
			continue;
		if (objsize == 0 || objsize > CTUNE_SANE_SLAB_BYTES_MAX || perslab > CTUNE_SANE_SLAB_PER_MAX ||
		    pages > CTUNE_SANE_SLAB_PER_MAX || num > CTUNE_SANE_COUNTER_MAX || active > num)
			continue;
		*bytes = perslab ? pages * PAGE / perslab : objsize;
		if (*bytes < objsize)
			*bytes = objsize;
		if (line[n] == ' ')
			*objs = num;
		found = true;
		if (line[n] == ' ')
			break;
	}
	return found;
}

static long long read_slab_attr(const ctune_root *r, const char *cache, const char *attr)
{
	char path[128], buf[64];
	snprintf(path, sizeof(path), "/sys/kernel/slab/%s/%s", cache, attr);
	if (ctune_root_read_small(r, path, buf, sizeof(buf)) <= 0)
		return -1;
	/* "70000 N0=70000": the total, then per NUMA node */
	buf[strcspn(buf, " \t\n")] = '\0';
	uint64_t v;
	return ctune_sane_parse_u64(buf, INT64_MAX, &v) < 0 ? -1 : (long long)v;
}

/* The same figures from SLUB's sysfs directory of the cache: four small
 * files where /proc/slabinfo makes the kernel print every cache of the
 * system (~0.3-0.9 ms here, most of the advice's cost).  Only the cache's
 * own directory: a symbolic link there is a merged cache whose counts are
 * shared with other users. */
static bool read_slab_sysfs(const ctune_root *r, bool legacy, uint64_t *bytes, uint64_t *objs)
{
	const char *cache = legacy ? "ip_conntrack" : "nf_conntrack";
	char dir[64];
	snprintf(dir, sizeof(dir), "/sys/kernel/slab/%s", cache);
	struct stat st;
	if (ctune_root_stat(r, dir, false, &st) < 0 || !S_ISDIR(st.st_mode))
		return false;
	long long size = read_slab_attr(r, cache, "slab_size"), per = read_slab_attr(r, cache, "objs_per_slab");
	long long order = read_slab_attr(r, cache, "order"), total = read_slab_attr(r, cache, "total_objects");
	if (size <= 0 || (uint64_t)size > CTUNE_SANE_SLAB_BYTES_MAX || per < 0 ||
	    (uint64_t)per > CTUNE_SANE_SLAB_PER_MAX || order < 0 || order > 20 || total < 0 ||
	    (uint64_t)total > CTUNE_SANE_COUNTER_MAX)
		return false;
	/* slabinfo's objsize is the slot size, and a slab of 2^order pages
	 * holds objs_per_slab of them: the same footprint rule as there. */
	uint64_t b = per ? ((uint64_t)PAGE << order) / (uint64_t)per : (uint64_t)size;
	*bytes = b < (uint64_t)size ? (uint64_t)size : b;
	*objs = (uint64_t)total;
	return true;
}

static bool read_slab(const ctune_root *r, bool legacy, uint64_t *bytes, uint64_t *objs, const char **source)
{
	if (read_slab_sysfs(r, legacy, bytes, objs)) {
		*source = "sysfs_slab";
		return true;
	}
	*source = "slabinfo";
	return read_slabinfo(r, legacy, bytes, objs);
}

static unsigned detect_pointer_bits(const ctune_root *r, const char *release)
{
	char arch[64];
	if (ctune_root_read_small(r, "/proc/sys/kernel/arch", arch, sizeof(arch)) > 0) {
		if (strstr(arch, "64") || strstr(arch, "s390x"))
			return 64;
		return 32;
	}
	static const char *const marks32[] = { "i386", "i486", "i586", "i686", "PAE", "-686", "armv7", "armhf" };
	for (size_t i = 0; i < ELEMENTSOF(marks32); i++)
		if (strstr(release, marks32[i]))
			return 32;
	return 64;
}

/* ---- sentences -------------------------------------------------------------- */

static void say(ctune_advice *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(ctune_advice *a, const char *fmt, ...)
{
	if (a->nreasons >= CTUNE_ADVICE_MAX_REASONS)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(a->reasons[a->nreasons++], CTUNE_ADVICE_REASON_LEN, fmt, ap);
	va_end(ap);
}

/* "128.0 KiB", "31.0 MiB", "1.5 GiB" */
static const char *human(uint64_t bytes, char *buf, size_t size)
{
	if (bytes >= GIB)
		snprintf(buf, size, "%.1f GiB", (double)bytes / (double)GIB);
	else if (bytes < 1024 * 1024)
		snprintf(buf, size, "%.1f KiB", (double)bytes / 1024.0);
	else
		snprintf(buf, size, "%.1f MiB", (double)bytes / (1024.0 * 1024.0));
	return buf;
}

static uint64_t round_up(uint64_t v, uint64_t m)
{
	return (v + m - 1) / m * m;
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

void ctune_utc_minute(int64_t t, char *buf, size_t size)
{
	if (size)
		buf[0] = '\0';
	if (t < 0 || t > 253402300799LL) /* 9999-12-31 23:59:59 */
		return;
	int64_t days = t / 86400, secs = t % 86400;
	/* The proleptic Gregorian calendar from the day number, in eras of
	 * 400 years (146097 days) starting on March 1st, so the leap day is
	 * the last of its year. */
	int64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	int64_t day = doy - (153 * mp + 2) / 5 + 1, month = mp < 10 ? mp + 3 : mp - 9;
	int64_t year = yoe + era * 400 + (month <= 2);
	/* Every field is in range here (year 1970..9999): ints, so that the
	 * compiler's format-truncation check sees bounded widths. */
	snprintf(buf, size, "%04d-%02d-%02d %02d:%02d UTC", (int)(year % 10000), (int)(month % 100), (int)(day % 100),
		 (int)(secs / 3600 % 100), (int)(secs / 60 % 60));
}

/* "since boot (2026-12-03 09:12 UTC)", or "since boot" when its time is unknown. */
static const char *since_boot(int64_t boot, char *buf, size_t size)
{
	char when[32];
	ctune_utc_minute(boot, when, sizeof(when));
	if (when[0])
		snprintf(buf, size, "since boot (%s)", when);
	else
		snprintf(buf, size, "since boot");
	return buf;
}

/* What the drop counters and the log's table-full events say (advise.h, Drops). */
static void drop_sentences(ctune_advice *a, uint64_t events)
{
	char since[64], dropped[160] = "", evicted[160] = "";
	since_boot(a->boot_time, since, sizeof(since));
	if (a->full_from_stats) {
		if (a->drop > 0 && a->insert_failed > 0)
			snprintf(dropped, sizeof(dropped),
				 "dropped %" PRIu64 " %s it could not track (at most %" PRIu64 " of them lost races, "
				 "insert_failed)",
				 a->drop, plural(a->drop, "packet", "packets"), a->insert_failed);
		else if (a->drop > 0)
			snprintf(dropped, sizeof(dropped), "dropped %" PRIu64 " %s it could not track", a->drop,
				 plural(a->drop, "packet", "packets"));
		if (a->early_drop > 0)
			snprintf(evicted, sizeof(evicted),
				 "evicted %" PRIu64 " not yet assured %s early to make room, which it only does at the max",
				 a->early_drop, plural(a->early_drop, "entry", "entries"));
		say(a,
		    "The table has been full %s: the kernel %s%s%s; connections were lost, so real demand is above "
		    "the max of that time by an unknown amount.",
		    since, dropped, dropped[0] && evicted[0] ? " and " : "", evicted);
	} else if (a->drops_seen) {
		say(a,
		    "The kernel dropped %" PRIu64 " %s %s, no more than its %" PRIu64 " insert_failed: two packets "
		    "of one new flow met on two CPUs (parallel DNS queries over UDP are the usual case); a larger "
		    "table does not prevent that, so the max is not raised for them.",
		    a->drop, plural(a->drop, "packet", "packets"), since, a->insert_failed);
	} else if (a->have_drops) {
		say(a, "No packet was dropped and no entry evicted early %s: the drop and early_drop statistics "
		       "are 0, so the table has not been full in this network namespace.",
		    since);
	}
	if (events > 0)
		say(a,
		    "The kernel log shows %" PRIu64 " table-full %s%s: the table has been full and new connections "
		    "were dropped, so real demand is above the max by an unknown amount.",
		    events, plural(events, "event", "events"), a->full_from_stats ? " as well" : "");
}

/* ---- the advice --------------------------------------------------------------- */

int ctune_advise(const ctune_root *r, const ctune_advise_input *in_, ctune_advice *a, ctune_error *err)
{
	ctune_advise_input def;
	if (!in_) {
		ctune_advise_input_init(&def);
		in_ = &def;
	}
	const ctune_advise_input *in = in_;
	memset(a, 0, sizeof(*a));
	a->count = a->max = a->buckets = a->peak = -1;
	a->usage_percent = -1;

	/* Kernel release and era. */
	if (in->kernel_release) {
		snprintf(a->kernel_release, sizeof(a->kernel_release), "%s", in->kernel_release);
	} else {
		ssize_t n = ctune_root_read_small(r, "/proc/sys/kernel/osrelease", a->kernel_release,
						  sizeof(a->kernel_release));
		if (n < 0)
			return ctune_error_set(err, (int)n, "%s/proc/sys/kernel/osrelease: %s", r->dir,
					       ctune_root_strerror((int)n));
		a->kernel_release[strcspn(a->kernel_release, "\n")] = '\0';
	}
	if (ctune_era_from_release(a->kernel_release, in->scheme, &a->era) < 0)
		return ctune_error_set(err, -EINVAL, "kernel release \"%s\" has no version to read",
				       a->kernel_release);
	const era_rule *er = &eras[a->era];
	ctune_scheme scheme = in->scheme != CTUNE_SCHEME_NONE ? in->scheme
			      : a->era == CTUNE_ERA_IP_CONNTRACK ? CTUNE_SCHEME_LEGACY
								 : CTUNE_SCHEME_MODERN;

	/* Memory and the kernel's default. */
	uint64_t kb = in->mem_total_kb;
	if (!kb) {
		int k = read_memtotal_kb(r, &kb);
		if (k == -ERANGE && kb == UINT64_MAX)
			return ctune_error_set(err, k, "%s/proc/meminfo: MemTotal is larger than any number of kB "
					       "a kernel reports", r->dir);
		if (k == -ERANGE)
			return ctune_error_set(err, k, "%s/proc/meminfo: MemTotal %" PRIu64 " kB is outside the range "
					       "a kernel reports (%llu..%llu kB)", r->dir, kb, CTUNE_SANE_MEM_KB_MIN,
					       CTUNE_SANE_MEM_KB_MAX);
		if (k < 0)
			return ctune_error_set(err, k, "%s/proc/meminfo: %s", r->dir,
					       k == -EINVAL ? "no MemTotal line with one number of kB" : ctune_root_strerror(k));
	} else if (kb < CTUNE_SANE_MEM_KB_MIN || kb > CTUNE_SANE_MEM_KB_MAX) {
		return ctune_error_set(err, -ERANGE, "memory of %" PRIu64 " kB is outside %llu..%llu kB", kb,
				       CTUNE_SANE_MEM_KB_MIN, CTUNE_SANE_MEM_KB_MAX);
	}
	a->mem_total_bytes = kb * 1024;
	a->pointer_bits = in->pointer_bits ? in->pointer_bits : detect_pointer_bits(r, a->kernel_release);
	if (ctune_kernel_default_size(a->era, a->mem_total_bytes, a->pointer_bits, &a->default_buckets,
				      &a->default_max) < 0)
		return ctune_error_set(err, -EINVAL, "pointer size %u bits is neither 32 nor 64", a->pointer_bits);
	a->bytes_per_bucket = er->head_pointers * (a->pointer_bits / 8);

	/* Current values. */
	a->count = in->count >= 0 || in->sysctls_given ? in->count : read_sysctl(r, "count", scheme, a);
	a->max = in->max >= 0 || in->sysctls_given ? in->max : read_sysctl(r, "max", scheme, a);
	a->buckets = in->buckets >= 0 || in->sysctls_given ? in->buckets : read_sysctl(r, "buckets", scheme, a);
	int64_t tcp_est = in->tcp_timeout_established >= 0 || in->sysctls_given ? in->tcp_timeout_established
							   : read_sysctl(r, "tcp_timeout_established", scheme, a);
	if (a->count >= 0 && a->max > 0)
		a->usage_percent = 100.0 * (double)a->count / (double)a->max;

	/* Bytes per entry and the slab hint. */
	uint64_t slab_bytes = 0, slab_objs = 0;
	const char *slab_source = NULL;
	bool slab = read_slab(r, scheme == CTUNE_SCHEME_LEGACY, &slab_bytes, &slab_objs, &slab_source);
	if (in->bytes_per_entry > 0) {
		a->bytes_per_entry = (uint64_t)in->bytes_per_entry;
		a->bytes_per_entry_source = "caller";
	} else if (slab) {
		a->bytes_per_entry = slab_bytes;
		a->bytes_per_entry_source = slab_source;
	} else {
		a->bytes_per_entry = er->bytes_estimate;
		a->bytes_per_entry_source = "estimate";
	}

	/* The peak. */
	if (in->peak >= 0) {
		a->peak = in->peak;
		a->peak_source = "caller";
	}
	if (slab_objs > 0 && (int64_t)slab_objs > a->peak && (a->count < 0 || (int64_t)slab_objs > a->count)) {
		a->peak = (int64_t)slab_objs;
		a->peak_source = "slab";
	}
	if (a->count > a->peak) {
		a->peak = a->count;
		a->peak_source = "count";
	}
	if (in->have_drops) {
		a->have_drops = true;
		a->drop = in->drop;
		a->early_drop = in->early_drop;
		a->insert_failed = in->insert_failed;
		a->drops_seen = in->drop > 0 || in->early_drop > 0;
		a->full_from_stats = in->early_drop > 0 || in->drop > in->insert_failed;
		a->boot_time = in->boot_time == -1 ? ctune_boot_time(r) : in->boot_time >= 0 ? in->boot_time : -1;
	} else {
		a->boot_time = -1;
	}
	a->table_full = in->table_full_events > 0 || a->full_from_stats;

	a->memory_cap = a->mem_total_bytes / MEMORY_CAP_DIVISOR;
	uint64_t cap_entries = a->memory_cap / a->bytes_per_entry;
	uint64_t base = a->max > 0 ? (uint64_t)a->max : a->default_max;
	if (a->max > 0)
		a->memory_at_max = (uint64_t)a->max * a->bytes_per_entry +
				   (a->buckets > 0 ? (uint64_t)a->buckets : a->default_buckets) * a->bytes_per_bucket;

	/* The rule (advise.h). */
	uint64_t demand = a->peak > 0 ? (uint64_t)a->peak : 0;
	if (a->table_full && demand < base)
		demand = base;
	uint64_t need = 2 * demand;
	uint64_t rec;
	bool keep = false;
	if (base > cap_entries) {
		rec = cap_entries / ROUND_CAPPED * ROUND_CAPPED;
		a->capped = true;
	} else if (need <= base) {
		rec = base;
		keep = true;
	} else {
		rec = round_up(need > a->default_max ? need : a->default_max, ROUND_MAX);
		if (rec > cap_entries) {
			rec = cap_entries / ROUND_CAPPED * ROUND_CAPPED;
			if (rec < base)
				rec = base;
			a->capped = true;
		}
	}
	if (rec == 0)
		rec = ROUND_CAPPED;
	a->recommended_max = rec;
	uint64_t rb = (rec + er->max_factor - 1) / er->max_factor;
	if (er->round_buckets)
		rb = round_up(rb, PAGE / (a->pointer_bits / 8));
	bool kept_buckets = a->buckets > 0 && (uint64_t)a->buckets > rb;
	if (kept_buckets)
		rb = (uint64_t)a->buckets;
	a->recommended_buckets = rb;
	a->recommended_memory = rec * a->bytes_per_entry + rb * a->bytes_per_bucket;
	a->change_max = a->max < 0 || (uint64_t)a->max != rec;
	a->change_buckets = a->buckets < 0 || (uint64_t)a->buckets != rb;

	/* The reasons, in plain sentences. */
	char h1[32], h2[32], h3[32];
	say(a,
	    "Kernel %s is %s: with %s of RAM it picks %" PRIu64 " hash buckets and a max of %" PRIu64
	    " entries by itself (%u per bucket).",
	    a->kernel_release, er->what, human(a->mem_total_bytes, h1, sizeof(h1)), a->default_buckets,
	    a->default_max, er->max_factor);
	if (a->max > 0 && a->count >= 0)
		say(a, "The table holds %" PRId64 " of %" PRId64 " entries now (%.1f%% full), in %" PRId64 " buckets.",
		    a->count, a->max, a->usage_percent, a->buckets);
	else if (a->max > 0)
		say(a, "The max is %" PRId64 "; the current count could not be read.", a->max);
	else
		say(a, "No conntrack sysctls could be read (conntrack not loaded, or another scheme), so the "
		       "kernel default stands for the current max.");
	drop_sentences(a, in->table_full_events);
	if (!a->table_full && a->peak_source && strcmp(a->peak_source, "count") != 0)
		say(a, "The highest use known is %" PRId64 " entries (%s).", a->peak,
		    strcmp(a->peak_source, "caller") == 0
			    ? "as given"
			    : "objects allocated in the conntrack slab, which lags behind a recent burst");
	say(a,
	    "Each entry costs %" PRIu64 " bytes of kernel memory (%s)%s%s%s.", a->bytes_per_entry,
	    strcmp(a->bytes_per_entry_source, "slabinfo") == 0     ? "from /proc/slabinfo"
	    : strcmp(a->bytes_per_entry_source, "sysfs_slab") == 0 ? "from /sys/kernel/slab"
	    : strcmp(a->bytes_per_entry_source, "caller") == 0 ? "as given"
							       : "an estimate for this kernel era",
	    a->max > 0 ? ", so a full table at the current max takes " : "",
	    a->max > 0 ? human(a->memory_at_max, h2, sizeof(h2)) : "", a->max > 0 ? " with its buckets" : "");
	const char *base_is = a->max > 0 ? "the current max" : "the kernel default";
	if (keep && a->peak < 0 && !a->table_full)
		say(a, "Nothing is known about the table's use, so the max stays at %s, %" PRIu64 ".", base_is, rec);
	else if (keep)
		say(a,
		    "The max stays at %s, %" PRIu64 ": that is at least twice the known demand of %" PRIu64
		    " entries, so the table stays at most half full.",
		    base_is, rec, demand);
	else if (a->capped && base > cap_entries)
		say(a,
		    "%s of %" PRIu64 " would let a full table take %s, more than the memory cap of 1/8 of RAM "
		    "(%s): recommended max %" PRIu64 ", the most that fits.",
		    a->max > 0 ? "The current max" : "The kernel default", base,
		    human(base * a->bytes_per_entry, h1, sizeof(h1)), human(a->memory_cap, h2, sizeof(h2)), rec);
	else if (a->capped)
		say(a,
		    "Recommended max %" PRIu64 ": the most whose full table fits in the memory cap of 1/8 of RAM "
		    "(%s); twice the demand (%" PRIu64 ") would not. Shorter timeouts or more RAM are the "
		    "way past that.",
		    rec, human(a->memory_cap, h1, sizeof(h1)), need);
	else
		say(a,
		    "Recommended max %" PRIu64 ": twice the demand of %" PRIu64
		    " entries so the table stays at most half full, never below the kernel default, rounded up "
		    "to a multiple of 65536; a full table then takes %s, within the cap of 1/8 of RAM (%s).",
		    rec, demand, human(a->recommended_memory, h2, sizeof(h2)), human(a->memory_cap, h3, sizeof(h3)));
	if (kept_buckets)
		say(a,
		    "Buckets stay at %" PRIu64 ": more than the max divided by %u (the ratio this kernel uses for "
		    "its own default) already, and a bucket costs only %" PRIu64 " bytes.",
		    rb, er->max_factor, a->bytes_per_bucket);
	else
		say(a,
		    "Recommended buckets %" PRIu64 ": the max divided by %u, the ratio this kernel uses for its "
		    "own default%s; their heads take %s, allocated up front.",
		    rb, er->max_factor, er->round_buckets ? ", rounded up to whole pages of bucket heads" : "",
		    human(rb * a->bytes_per_bucket, h1, sizeof(h1)));
	const ctune_tunable *est = ctune_tunable_find("tcp_timeout_established");
	if (tcp_est > 86400 && est && est->key[scheme])
		say(a,
		    "%s is %" PRId64 " s (%.1f days): a connection that vanishes without FIN or RST keeps its "
		    "entry that long; 86400 s (1 day) or 43200 s (12 h) frees such entries sooner and lowers the "
		    "demand.",
		    est->key[scheme], tcp_est, (double)tcp_est / 86400.0);
	return 0;
}
