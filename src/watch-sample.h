/* watch-sample.h - the figures `ctune watch` samples, and what it makes of them:
 * count, max and the per-CPU statistics once per interval, counter rates,
 * and the time to a full table at the recent growth rate.
 *
 * A sample never walks the table: through ctnetlink it is the global
 * statistics request and the per-CPU statistics dumps (what `conntrack -C`
 * and `conntrack -S` send, a few hundred bytes whatever the table holds);
 * through /proc (a root prefix, or no CAP_NET_ADMIN) it is
 * nf_conntrack_count, nf_conntrack_max and /proc/net/stat/nf_conntrack.
 *
 * The rest is arithmetic on samples, kept apart from the sampling so that
 * it can be tested alone (tests/test-watch.c).
 *
 * Error convention (error.h): 0 or -errno, err filled once.
 */
#ifndef CTUNE_WATCH_SAMPLE_H
#define CTUNE_WATCH_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "error.h"
#include "facts.h"
#include "root.h"
#include "stat.h"

/* Intervals: 10 ms (below that the samples measure ctune more than the
 * table) to one day (a longer one is a typo: use cron). */
#define CTUNE_WATCH_INTERVAL_MIN_MS 10ULL
#define CTUNE_WATCH_INTERVAL_MAX_MS (86400ULL * 1000ULL)
#define CTUNE_WATCH_INTERVAL_DEFAULT_MS 1000ULL
#define CTUNE_WATCH_SAMPLES_MAX 1000000000ULL

/* Parse an interval: "500ms", or seconds with duration.h's units ("2s",
 * "1m", plain "3" is 3 s).  Returns 0 with *ms set, -EINVAL for malformed
 * text, -ERANGE outside CTUNE_WATCH_INTERVAL_MIN_MS..MAX_MS; err's text
 * starts with "interval: ". */
int ctune_watch_parse_interval(const char *text, unsigned long long *ms, ctune_error *err);

/* Parse a sample count: 1 .. CTUNE_WATCH_SAMPLES_MAX.  Returns 0, -EINVAL
 * or -ERANGE; err's text starts with field ("count: "). */
int ctune_watch_parse_samples(const char *text, const char *field, unsigned long long *n, ctune_error *err);

/* ---- sampling ---------------------------------------------------------- */

typedef struct ctune_watch ctune_watch;

typedef struct ctune_watch_sample {
	struct timespec mono; /* CLOCK_MONOTONIC when taken */
	struct timespec wall; /* CLOCK_REALTIME when taken */
	uint64_t count;
	bool have_max;
	uint64_t max;
	bool have_stats;
	ctune_stats stats; /* per-CPU counters (free with ctune_watch_sample_free) */
} ctune_watch_sample;

/* Set up sampling under the root: netlink when source allows it and it is
 * usable (no root prefix, CAP_NET_ADMIN), else /proc; source netlink with a
 * root prefix is -EINVAL.  *why (static text) says why this source.
 * Returns 0 or -errno. */
int ctune_watch_open(const ctune_root *r, ctune_source source, ctune_watch **out, ctune_error *err);

/* "netlink" or "proc". */
const char *ctune_watch_source(const ctune_watch *w);
const char *ctune_watch_source_reason(const ctune_watch *w);

/* Take one sample into s (initialised here).  A missing count is a
 * failure (-ENOENT: conntrack is not loaded); missing statistics are not
 * (have_stats false).  Returns 0 or -errno. */
int ctune_watch_take(ctune_watch *w, ctune_watch_sample *s, ctune_error *err);

void ctune_watch_sample_free(ctune_watch_sample *s);

void ctune_watch_close(ctune_watch *w);

/* ---- arithmetic -------------------------------------------------------- */

/* Seconds from a to b (b later). */
double ctune_watch_seconds(const struct timespec *a, const struct timespec *b);

/* How much the counter col grew from prev to cur, summed over CPUs.  The
 * kernel's per-CPU counters are 32-bit and wrap: a CPU's value below its
 * previous one counts as one wrap.  When the CPU rows differ (a CPU came
 * or went) the totals are compared instead.  Returns false when the
 * column is in neither or the growth cannot be told (a total that fell). */
bool ctune_watch_counter_delta(const ctune_stats *prev, const ctune_stats *cur, const char *col, uint64_t *delta);

/* The count's recent growth: a least-squares line through the last
 * CTUNE_WATCH_TREND_SAMPLES (time, count) points. */
#define CTUNE_WATCH_TREND_SAMPLES 10
typedef struct ctune_watch_trend {
	size_t n, next;
	double t[CTUNE_WATCH_TREND_SAMPLES];
	double c[CTUNE_WATCH_TREND_SAMPLES];
} ctune_watch_trend;

void ctune_watch_trend_add(ctune_watch_trend *tr, double t, double count);

/* The slope in entries per second; false with fewer than two points or
 * all at one time. */
bool ctune_watch_trend_slope(const ctune_watch_trend *tr, double *per_s);

typedef enum ctune_watch_state {
	CTUNE_WATCH_UNKNOWN,   /* one sample: no rate yet */
	CTUNE_WATCH_GROWING,   /* slope >= CTUNE_WATCH_STABLE_PER_S: *to_full set */
	CTUNE_WATCH_STABLE,    /* |slope| below it */
	CTUNE_WATCH_SHRINKING, /* slope <= -CTUNE_WATCH_STABLE_PER_S */
	CTUNE_WATCH_FULL,      /* count >= max */
} ctune_watch_state;
#define CTUNE_WATCH_STABLE_PER_S 1.0

/* The state of the table and, when growing, the seconds until count
 * reaches max at that slope (*to_full). */
ctune_watch_state ctune_watch_outlook(bool have_slope, double slope, uint64_t count, bool have_max, uint64_t max,
				      double *to_full);

/* "unknown", "growing", "stable", "shrinking", "full". */
const char *ctune_watch_state_name(ctune_watch_state s);

#endif
