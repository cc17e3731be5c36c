/* watch-sample.c - see watch-sample.h.  One sample: count and max, then the per-CPU
 * statistics, from the source chosen at open; the arithmetic below works
 * on two samples (counter rates) or on the last few (the trend).
 *
 * Why a least-squares line for the trend, not the last interval's change
 * nor an EWMA: entries arrive in bursts (a batch of connections lands
 * between two samples, a timer expires a batch the next second), so one
 * interval's change swings from +2000/s to -1500/s on a table that grows
 * steadily at +250/s; a line fitted through the last ten samples averages
 * the bursts out, follows a steady ramp exactly (a linear ramp is its own
 * fit), and forgets a change completely after ten samples, so the "full
 * in" figure reacts within ten intervals to a new rate.  An EWMA of the
 * per-interval changes needs a smoothing factor fitted to the interval and
 * never forgets entirely.  The window is counted in samples, so
 * `--interval 100ms` looks back one second and the default ten.
 */
#include "watch-sample.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "detect.h"
#include "duration.h"
#include "netlink.h"
#include "procsys.h"
#include "scheme.h"

struct ctune_watch {
	const ctune_root *root;
	ctune_scheme scheme;
	ctune_netlink *nl; /* NULL: /proc */
	const char *reason;
};

/* ---- parsing ----------------------------------------------------------- */

int ctune_watch_parse_interval(const char *text, unsigned long long *ms, ctune_error *err)
{
	size_t n = strlen(text);
	long long v;
	ctune_error e = { 0 };
	unsigned long long out;
	if (n > 2 && strcmp(text + n - 2, "ms") == 0) {
		char num[32];
		if (n - 2 >= sizeof(num))
			return ctune_error_set(err, -EINVAL, "interval: '%.40s' is not a duration such as 500ms or 2s", text);
		memcpy(num, text, n - 2);
		num[n - 2] = '\0';
		int k = ctune_duration_parse(num, 0, &v, &e);
		if (k < 0)
			return ctune_error_set(err, k, "interval: '%.40s' is not a duration such as 500ms or 2s", text);
		out = (unsigned long long)v;
	} else {
		int k = ctune_duration_parse(text, CTUNE_DURATION_UNITS, &v, &e);
		if (k < 0)
			return ctune_error_set(err, k, "interval: %s (give a duration such as 500ms, 2s or 1m)", e.msg);
		out = (unsigned long long)v * 1000ULL;
	}
	if (out < CTUNE_WATCH_INTERVAL_MIN_MS || out > CTUNE_WATCH_INTERVAL_MAX_MS)
		return ctune_error_set(err, -ERANGE, "interval: '%.40s' is outside %llums..%llus (one day)", text,
				       CTUNE_WATCH_INTERVAL_MIN_MS, CTUNE_WATCH_INTERVAL_MAX_MS / 1000);
	*ms = out;
	return 0;
}

int ctune_watch_parse_samples(const char *text, const char *field, unsigned long long *n, ctune_error *err)
{
	long long v;
	ctune_error e = { 0 };
	int k = ctune_duration_parse(text, 0, &v, &e);
	if (k < 0)
		return ctune_error_set(err, k, "%s: '%.40s' is not a whole number of samples", field, text);
	if (v < 1 || (unsigned long long)v > CTUNE_WATCH_SAMPLES_MAX)
		return ctune_error_set(err, -ERANGE, "%s: %lld is outside 1..%llu", field, v, CTUNE_WATCH_SAMPLES_MAX);
	*n = (unsigned long long)v;
	return 0;
}

/* ---- sampling ---------------------------------------------------------- */

int ctune_watch_open(const ctune_root *r, ctune_source source, ctune_watch **out, ctune_error *err)
{
	*out = NULL;
	_cleanup_free_ ctune_watch *w = calloc(1, sizeof(*w));
	if (!w)
		return ctune_error_set(err, -ENOMEM, "out of memory");
	w->root = r;
	ctune_detect d;
	int k = ctune_detect_run(r, CTUNE_SCHEME_NONE, &d, err);
	if (k < 0)
		return k;
	w->scheme = d.scheme;
	if (source == CTUNE_SOURCE_NETLINK && r->len)
		return ctune_error_set(err, -EINVAL,
				       "source netlink reads the running kernel and cannot be combined with a root "
				       "prefix (%s)",
				       r->dir);
	if (source == CTUNE_SOURCE_PROC) {
		w->reason = "requested";
	} else if (r->len) {
		w->reason = "a root prefix is read from its files";
	} else {
		ctune_error e = { 0 };
		k = ctune_netlink_open(&w->nl, &e);
		if (k == 0)
			k = ctune_netlink_count(w->nl, NULL, NULL, &e);
		if (k == 0) {
			w->reason = source == CTUNE_SOURCE_NETLINK ? "requested" : "ctnetlink is usable (CAP_NET_ADMIN)";
		} else {
			ctune_netlink_close(w->nl);
			w->nl = NULL;
			if (source == CTUNE_SOURCE_NETLINK)
				return ctune_error_set(err, k, "source netlink: %s", e.msg);
			w->reason = "netlink not usable (no CAP_NET_ADMIN, or no ctnetlink)";
		}
	}
	if (!w->nl && w->scheme == CTUNE_SCHEME_NONE)
		return ctune_error_set(err, -ENOENT, "no conntrack keys under %s/proc/sys: nothing to watch",
				       r->len ? r->dir : "");
	*out = TAKE_PTR(w);
	return 0;
}

const char *ctune_watch_source(const ctune_watch *w)
{
	return w->nl ? "netlink" : "proc";
}

const char *ctune_watch_source_reason(const ctune_watch *w)
{
	return w->reason;
}

static int take_netlink(ctune_watch *w, ctune_watch_sample *s, ctune_error *err)
{
	int k = ctune_netlink_count(w->nl, &s->count, &s->max, err);
	if (k < 0)
		return k;
	s->have_max = true;
	ctune_error e = { 0 };
	s->have_stats = ctune_netlink_stats(w->nl, &s->stats, &e) == 0;
	return 0;
}

static int take_proc(ctune_watch *w, ctune_watch_sample *s, ctune_error *err)
{
	const char *ckey = ctune_tunable_find("count")->key[w->scheme];
	const char *mkey = ctune_tunable_find("max")->key[w->scheme];
	ctune_procsys_reader rd;
	ctune_procsys_reader_init(&rd, w->root);
	long long c = 0, m = 0;
	ctune_error e = { 0 };
	int k = ckey ? ctune_procsys_reader_get(&rd, ckey, &c, NULL, &e) : -ENOENT;
	if (k < 0 && k != -ENOENT)
		ctune_error_set(err, k, "%s", e.msg);
	if (k == 0 && c < 0)
		k = ctune_error_set(err, -EINVAL, "%s is negative (%lld)", ckey, c);
	if (k == 0 && mkey && ctune_procsys_reader_get(&rd, mkey, &m, NULL, NULL) == 0 && m >= 0) {
		s->max = (uint64_t)m;
		s->have_max = true;
	}
	ctune_procsys_reader_done(&rd);
	if (k < 0)
		return k == -ENOENT ? ctune_error_set(err, k, "no %s under %s/proc/sys: conntrack is not loaded",
						      ckey ? ckey : "count", w->root->len ? w->root->dir : "")
				    : k;
	s->count = (uint64_t)c;
	s->have_stats = ctune_stats_read(w->root, w->scheme, &s->stats, NULL) == 0;
	return 0;
}

int ctune_watch_take(ctune_watch *w, ctune_watch_sample *s, ctune_error *err)
{
	memset(s, 0, sizeof(*s));
	clock_gettime(CLOCK_MONOTONIC, &s->mono);
	clock_gettime(CLOCK_REALTIME, &s->wall);
	int k = w->nl ? take_netlink(w, s, err) : take_proc(w, s, err);
	if (k < 0)
		ctune_watch_sample_free(s);
	return k;
}

void ctune_watch_sample_free(ctune_watch_sample *s)
{
	if (s->have_stats)
		ctune_stats_free(&s->stats);
	s->have_stats = false;
}

void ctune_watch_close(ctune_watch *w)
{
	if (!w)
		return;
	ctune_netlink_close(w->nl);
	free(w);
}

/* ---- arithmetic -------------------------------------------------------- */

double ctune_watch_seconds(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

bool ctune_watch_counter_delta(const ctune_stats *prev, const ctune_stats *cur, const char *col, uint64_t *delta)
{
	int pc = ctune_stats_col(prev, col), cc = ctune_stats_col(cur, col);
	if (pc < 0 || cc < 0)
		return false;
	if (prev->ncpus == cur->ncpus && prev->ncpus > 0) {
		uint64_t sum = 0;
		for (size_t cpu = 0; cpu < cur->ncpus; cpu++) {
			uint64_t a = ctune_stats_cpu(prev, cpu, (size_t)pc), b = ctune_stats_cpu(cur, cpu, (size_t)cc);
			if (b >= a)
				sum += b - a;
			else if (a <= UINT32_MAX && b <= UINT32_MAX)
				sum += (uint64_t)UINT32_MAX + 1 - a + b; /* one wrap of the 32-bit counter */
			else
				return false;
		}
		*delta = sum;
		return true;
	}
	if (cur->total[cc] < prev->total[pc])
		return false;
	*delta = cur->total[cc] - prev->total[pc];
	return true;
}

void ctune_watch_trend_add(ctune_watch_trend *tr, double t, double count)
{
	tr->t[tr->next] = t;
	tr->c[tr->next] = count;
	tr->next = (tr->next + 1) % CTUNE_WATCH_TREND_SAMPLES;
	if (tr->n < CTUNE_WATCH_TREND_SAMPLES)
		tr->n++;
}

bool ctune_watch_trend_slope(const ctune_watch_trend *tr, double *per_s)
{
	if (tr->n < 2)
		return false;
	/* centred sums: no loss of precision with large times or counts */
	double mt = 0, mc = 0;
	for (size_t i = 0; i < tr->n; i++) {
		mt += tr->t[i];
		mc += tr->c[i];
	}
	mt /= (double)tr->n;
	mc /= (double)tr->n;
	double stt = 0, stc = 0;
	for (size_t i = 0; i < tr->n; i++) {
		stt += (tr->t[i] - mt) * (tr->t[i] - mt);
		stc += (tr->t[i] - mt) * (tr->c[i] - mc);
	}
	if (!(stt > 0))
		return false;
	*per_s = stc / stt;
	return isfinite(*per_s);
}

ctune_watch_state ctune_watch_outlook(bool have_slope, double slope, uint64_t count, bool have_max, uint64_t max,
				      double *to_full)
{
	if (have_max && max > 0 && count >= max)
		return CTUNE_WATCH_FULL;
	if (!have_slope)
		return CTUNE_WATCH_UNKNOWN;
	if (slope >= CTUNE_WATCH_STABLE_PER_S) {
		if (have_max && to_full)
			*to_full = (double)(max - count) / slope;
		return CTUNE_WATCH_GROWING;
	}
	return slope <= -CTUNE_WATCH_STABLE_PER_S ? CTUNE_WATCH_SHRINKING : CTUNE_WATCH_STABLE;
}

const char *ctune_watch_state_name(ctune_watch_state s)
{
	static const char *const names[] = { "unknown", "growing", "stable", "shrinking", "full" };
	return (unsigned)s < ELEMENTSOF(names) ? names[s] : "unknown";
}
