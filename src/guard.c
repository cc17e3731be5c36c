/* guard.c - see guard.h.  The timeout floors are a table (data); max is
 * checked against the root's count, the advice's peak and the drop
 * counters. */
#include "guard.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advise.h"
#include "cleanup.h"
#include "procsys.h"
#include "sane.h"
#include "stat.h"

static const struct {
	const char *name;
	long long floor;
	const char *what; /* what a value below the floor cuts, for the message */
} floors[] = {
	{ "tcp_timeout_established", 7200,
	  "TCP keepalive probes start after 7200 s idle (tcp_keepalive_time's default, RFC 1122's two hours), so "
	  "an idle connection kept alive that way (SSH, database pools, long polls) would lose its entry before "
	  "its first probe and be cut" },
	{ "udp_timeout_stream", 120,
	  "UDP flows with traffic both ways (VPN, VoIP, QUIC) may refresh only every 120 s, the least a NAT must "
	  "allow (RFC 4787 REQ-5), so such a flow would lose its entry between packets and be cut" },
};

long long ctune_guard_timeout_floor(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(floors); i++)
		if (strcmp(floors[i].name, name) == 0)
			return floors[i].floor;
	return -1;
}

__attribute__((format(printf, 2, 3))) static void warn(ctune_plan *p, const char *fmt, ...)
{
	if (p->nwarnings >= CTUNE_PLAN_MAX_WARNINGS)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->warnings[p->nwarnings++], sizeof(p->warnings[0]), fmt, ap);
	va_end(ap);
}

/* A refusal: an error, or with force a warning that it was forced. */
__attribute__((format(printf, 4, 5))) static int refuse(const ctune_plan_opts *o, ctune_plan *p, ctune_error *err,
							const char *fmt, ...)
{
	char msg[sizeof(p->warnings[0]) - 64];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (o->force) {
		warn(p, "forced (force: true): %s", msg);
		return 0;
	}
	return ctune_error_set(err, -EPERM, "%s; refused: pick another value, or say force: true (--force) to set "
			       "it anyway", msg);
}

static int check_timeout(const ctune_plan_opts *o, ctune_plan *p, const ctune_plan_item *it, ctune_error *err)
{
	for (size_t i = 0; i < ELEMENTSOF(floors); i++) {
		if (strcmp(floors[i].name, it->t->name) != 0 || it->desired >= floors[i].floor)
			continue;
		const ctune_plan_key *k = &it->keys[0];
		/* Raising a value already below the floor makes things better. */
		if (k->live_present && it->desired >= k->live_before)
			return 0;
		return refuse(o, p, err, "%s %lld s is below %lld s: %s", k->key, it->desired, floors[i].floor,
			      floors[i].what);
	}
	return 0;
}

/* The root's count of the scheme, or -1. */
static long long read_count(const ctune_root *r, ctune_scheme s)
{
	const ctune_tunable *t = ctune_tunable_find("count");
	long long v;
	if (!t || !t->key[s] || ctune_procsys_read(r, t->key[s], &v, NULL) < 0 || !ctune_sane_tunable(t, v, NULL, NULL))
		return -1;
	return v;
}

/* The advice's peak and drop verdicts for the root (advise.h): best
 * effort, as the advice itself is; false when it cannot be had. */
static bool read_advice(const ctune_root *r, ctune_scheme s, long long count, ctune_advice *a)
{
	ctune_advise_input in;
	ctune_advise_input_init(&in);
	in.scheme = s;
	in.count = count;
	ctune_stats st;
	if (ctune_stats_read(r, s, &st, NULL) == 0) {
		int cd = ctune_stats_col(&st, "drop"), ce = ctune_stats_col(&st, "early_drop");
		int ci = ctune_stats_col(&st, "insert_failed");
		if (cd >= 0 && ce >= 0 && ci >= 0) {
			in.have_drops = true;
			in.drop = st.total[cd];
			in.early_drop = st.total[ce];
			in.insert_failed = st.total[ci];
		}
		ctune_stats_free(&st);
	}
	return ctune_advise(r, &in, a, NULL) == 0;
}

static int check_max(const ctune_root *r, ctune_scheme s, const ctune_plan_opts *o, ctune_plan *p,
		     const ctune_plan_item *it, ctune_error *err)
{
	const ctune_plan_key *k = &it->keys[0];
	/* Raising it (or leaving it) never hurts. */
	if (k->live_present && it->desired >= k->live_before)
		return 0;
	long long count = read_count(r, s);
	if (count >= 0 && it->desired < count) {
		if (!o->live) {
			warn(p, "%s %lld is below the %lld entries the table holds now: persisted only, it applies at "
				"the next boot, and at today's load the table would then be full and drop new connections",
			     k->key, it->desired, count);
			return 0;
		}
		return refuse(o, p, err,
			      "%s %lld is below the %lld entries the table holds now: the kernel would drop every new "
			      "connection (\"nf_conntrack: table full, dropping packet\") until more than %lld entries "
			      "expire",
			      k->key, it->desired, count, count - it->desired);
	}
	ctune_advice *a = calloc(1, sizeof(*a));
	if (!a)
		return ctune_error_set(err, -ENOMEM, "out of memory");
	if (read_advice(r, s, count, a)) {
		if (a->full_from_stats && k->live_present && it->desired < k->live_before)
			warn(p,
			     "%s %lld is below the current max %lld, and the table has been full since boot (drop %" PRIu64
			     ", early_drop %" PRIu64 "): a smaller table fills sooner and drops more",
			     k->key, it->desired, k->live_before, a->drop, a->early_drop);
		else if (a->peak > 0 && it->desired < a->peak && a->peak_source && strcmp(a->peak_source, "count") != 0)
			warn(p,
			     "%s %lld is below the highest use known, %" PRId64 " entries (objects allocated in the "
			     "conntrack slab): at that load again the table would be full and drop new connections",
			     k->key, it->desired, a->peak);
	}
	free(a);
	return 0;
}

int ctune_guard_check(const ctune_root *r, ctune_scheme s, const ctune_plan_opts *o, ctune_plan *p,
		      ctune_error *err)
{
	if (o->state != CTUNE_STATE_PRESENT)
		return 0;
	for (size_t i = 0; i < p->n; i++) {
		const ctune_plan_item *it = &p->items[i];
		int rr = strcmp(it->t->name, "max") == 0 ? check_max(r, s, o, p, it, err) : check_timeout(o, p, it, err);
		if (rr < 0)
			return rr;
	}
	return 0;
}
