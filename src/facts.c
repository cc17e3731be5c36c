/* facts.c - see facts.h.  Data flows: detect -> one read per tunable of the
 * running scheme -> statistics file -> (table walk when asked). */
#include "facts.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "netlink.h"
#include "procsys.h"
#include "sane.h"

__attribute__((format(printf, 2, 3))) static void warn(ctune_facts *f, const char *fmt, ...)
{
	if (f->nwarnings >= CTUNE_FACTS_MAX_WARNINGS)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->warnings[f->nwarnings++], sizeof(f->warnings[0]), fmt, ap);
	va_end(ap);
}

static void read_tunables(const ctune_root *r, ctune_facts *f)
{
	size_t n;
	const ctune_tunable *t = ctune_tunables(&n);
	f->nvalues = n < CTUNE_FACTS_MAX_TUNABLES ? n : CTUNE_FACTS_MAX_TUNABLES;
	ctune_scheme s = f->detect.scheme;
	if (s == CTUNE_SCHEME_NONE)
		return;
	ctune_procsys_reader rd;
	ctune_procsys_reader_init(&rd, r);
	for (size_t i = 0; i < f->nvalues; i++) {
		ctune_fact_value *v = &f->values[i];
		/* The primary key first; old kernels may only have the alias. */
		const char *keys[2] = { t[i].key[s], t[i].alias[s] };
		for (int k = 0; k < 2 && !v->present; k++) {
			if (!keys[k])
				continue;
			ctune_error e = { 0 };
			bool writable = false;
			int rr = ctune_procsys_reader_get(&rd, keys[k], &v->value, &writable, &e);
			if (rr == -ENOENT)
				continue;
			if (rr < 0) {
				warn(f, "%s", e.msg);
				continue;
			}
			long long lo, hi;
			if (!ctune_sane_tunable(&t[i], v->value, &lo, &hi)) {
				/* Out of any kernel's range: null, and no advice from it. */
				warn(f, "%s is %lld, outside the range a kernel reports (%lld..%lld): reported as null",
				     keys[k], v->value, lo, hi);
				v->value = 0;
				v->out_of_range = true;
				break;
			}
			v->present = true;
			v->key = keys[k];
			v->writable = !(t[i].flags & CTUNE_TF_READONLY) && writable;
		}
	}
	ctune_procsys_reader_done(&rd);
}

/* Per-CPU counters are unsigned int in every kernel (and in ctnetlink's
 * 32-bit attributes): a larger value is no kernel's, and the whole table
 * of statistics is then not reported.  Returns whether st is sane. */
static bool stats_sane(ctune_facts *f, const ctune_stats *st, const char *from)
{
	for (size_t cpu = 0; cpu < st->ncpus; cpu++)
		for (size_t c = 0; c < st->ncols; c++)
			if (ctune_stats_cpu(st, cpu, c) > CTUNE_SANE_COUNTER_MAX) {
				warn(f, "statistics not reported: %s: %s on CPU line %zu is %llu, above the kernel's "
					"32-bit counters",
				     from, st->names[c], cpu + 1, (unsigned long long)ctune_stats_cpu(st, cpu, c));
				return false;
			}
	return true;
}

static void read_stats(const ctune_root *r, ctune_facts *f)
{
	if (f->detect.scheme == CTUNE_SCHEME_NONE)
		return;
	ctune_error e = { 0 };
	int rr = ctune_stats_read(r, f->detect.scheme, &f->stats, &e);
	if (rr == 0 && !stats_sane(f, &f->stats, ctune_scheme_stat_file(f->detect.scheme))) {
		ctune_stats_free(&f->stats);
	} else if (rr == 0) {
		f->have_stats = true;
		f->stat_file = ctune_scheme_stat_file(f->detect.scheme);
	} else if (rr != -ENOENT) {
		warn(f, "statistics not reported: %s", e.msg);
	}
}

static ctune_fact_value *value_of(ctune_facts *f, const char *name)
{
	size_t n;
	const ctune_tunable *t = ctune_tunables(&n);
	size_t i = (size_t)(ctune_tunable_find(name) - t);
	return i < f->nvalues ? &f->values[i] : NULL;
}

/* Decide the source.  Returns 1 and an open handle for netlink, 0 for
 * /proc, or -errno when netlink was demanded and cannot be had. */
static int choose_source(const ctune_root *r, const ctune_facts_opts *opts, ctune_facts *f, ctune_netlink **nl,
			 uint64_t *count, ctune_error *err)
{
	if (opts->source == CTUNE_SOURCE_PROC) {
		snprintf(f->source_reason, sizeof(f->source_reason), "requested");
		return 0;
	}
	if (r->len) {
		if (opts->source == CTUNE_SOURCE_NETLINK)
			return ctune_error_set(err, -EINVAL,
					       "source netlink reads the running kernel and cannot be combined "
					       "with a root prefix (%s)",
					       r->dir);
		snprintf(f->source_reason, sizeof(f->source_reason), "a root prefix is read from its files");
		return 0;
	}
	ctune_error e = { 0 };
	int rr = ctune_netlink_open(nl, &e);
	if (rr == 0)
		rr = ctune_netlink_count(*nl, count, NULL, &e);
	if (rr == 0) {
		snprintf(f->source_reason, sizeof(f->source_reason), "%s",
			 opts->source == CTUNE_SOURCE_NETLINK ? "requested" : "ctnetlink is usable (CAP_NET_ADMIN)");
		return 1;
	}
	ctune_netlink_close(*nl);
	*nl = NULL;
	if (opts->source == CTUNE_SOURCE_NETLINK)
		return ctune_error_set(err, rr, "source netlink: %s", e.msg);
	snprintf(f->source_reason, sizeof(f->source_reason), "netlink not usable: %s", e.msg);
	return 0;
}

static void read_events(const ctune_root *r, ctune_facts *f)
{
	ctune_error e = { 0 };
	if (ctune_events_scan(r, NULL, &f->events, &e) == 0)
		f->have_events = true;
	else
		snprintf(f->events_error, sizeof(f->events_error), "%s", e.msg);
}

static void read_advice(const ctune_root *r, ctune_facts *f)
{
	/* Advice from a table whose size is unknown because the image holds
	 * nonsense would be advice from nonsense. */
	static const char *const sizes[] = { "count", "max", "buckets" };
	for (size_t i = 0; i < ELEMENTSOF(sizes); i++) {
		const ctune_fact_value *bad = value_of(f, sizes[i]);
		if (bad && bad->out_of_range) {
			warn(f, "no sizing advice: %s is out of range (see above)", sizes[i]);
			return;
		}
	}
	ctune_advise_input in;
	ctune_advise_input_init(&in);
	in.scheme = f->detect.scheme;
	in.sysctls_given = true; /* read (and range-checked) above: not again */
	const ctune_fact_value *v;
	if ((v = ctune_facts_get(f, "count")))
		in.count = v->value;
	if ((v = ctune_facts_get(f, "max")))
		in.max = v->value;
	if ((v = ctune_facts_get(f, "buckets")))
		in.buckets = v->value;
	if ((v = ctune_facts_get(f, "tcp_timeout_established")))
		in.tcp_timeout_established = v->value;
	if (f->have_events)
		in.table_full_events = f->events.count;
	/* The drop counters every run reads anyway: drops since boot are the
	 * table-full events without reading the log (advise.h, Drops).  A
	 * statistics table without one of the columns (ip_conntrack's has all
	 * three) gives no drop facts rather than a made-up 0. */
	int cd = f->have_stats ? ctune_stats_col(&f->stats, "drop") : -1;
	int ce = f->have_stats ? ctune_stats_col(&f->stats, "early_drop") : -1;
	int ci = f->have_stats ? ctune_stats_col(&f->stats, "insert_failed") : -1;
	if (cd >= 0 && ce >= 0 && ci >= 0) {
		in.have_drops = true;
		in.drop = f->stats.total[cd];
		in.early_drop = f->stats.total[ce];
		in.insert_failed = f->stats.total[ci];
	}
	ctune_error e = { 0 };
	if (ctune_advise(r, &in, &f->advice, &e) == 0)
		f->have_advice = true;
	else
		warn(f, "no sizing advice: %s", e.msg);
	for (size_t i = 0; f->have_advice && i < f->advice.nwarnings; i++)
		warn(f, "%s", f->advice.warnings[i]);
}

int ctune_facts_gather(const ctune_root *r, const ctune_facts_opts *opts, ctune_facts *f, ctune_error *err)
{
	memset(f, 0, sizeof(*f));
	f->source = "proc";
	int rr = ctune_detect_run(r, opts->scheme, &f->detect, err);
	if (rr < 0)
		return rr;
	if (f->detect.scheme == CTUNE_SCHEME_NONE)
		warn(f, "no conntrack keys under %s/proc/sys and no kernel release to tell the scheme",
		     r->len ? r->dir : "");
	else if (f->detect.module_state == CTUNE_MODULE_NOT_LOADED)
		warn(f, "the %s module is not loaded: its keys do not exist until it is", f->detect.module);

	read_tunables(r, f);

	ctune_netlink *nl = NULL;
	uint64_t nl_count = 0;
	rr = f->detect.scheme == CTUNE_SCHEME_NONE && opts->source != CTUNE_SOURCE_NETLINK
		     ? 0
		     : choose_source(r, opts, f, &nl, &nl_count, err);
	if (rr < 0)
		return rr;
	if (rr == 1) {
		f->source = "netlink";
		ctune_fact_value *c = value_of(f, "count");
		if (c && nl_count <= CTUNE_SANE_COUNTER_MAX) {
			c->present = true;
			c->value = (long long)nl_count;
			if (!c->key)
				c->key = ctune_tunable_find("count")->key[f->detect.scheme];
		}
		ctune_error e = { 0 };
		int sr = ctune_netlink_stats(nl, &f->stats, &e);
		if (sr == 0 && !stats_sane(f, &f->stats, "ctnetlink")) {
			ctune_stats_free(&f->stats);
		} else if (sr == 0) {
			f->have_stats = true;
			f->stat_file = NULL;
		} else {
			warn(f, "statistics not reported: %s", e.msg);
		}
	} else {
		read_stats(r, f);
	}

	if (opts->table) {
		ctune_table_summary_init(&f->table);
		ctune_table_top *top = NULL;
		if (opts->top > 0 && !(top = ctune_table_top_new(opts->top))) {
			ctune_netlink_close(nl);
			ctune_facts_free(f);
			return ctune_error_set(err, opts->top > CTUNE_TOP_LIMIT_MAX ? -EINVAL : -ENOMEM,
					       "top talkers: %s", opts->top > CTUNE_TOP_LIMIT_MAX ? "too many groups"
												   : "out of memory");
		}
		if (nl) {
			rr = ctune_netlink_summarize_top(nl, &f->table, top, NULL, err);
			f->table_file = NULL;
		} else {
			/* No table file (a kernel without CONFIG_NF_CONNTRACK_PROCFS, or
			 * no conntrack at all) is an answer: table null and why. */
			ctune_error e = { 0 };
			rr = ctune_table_summarize_top(r, f->detect.scheme, &f->table, top, &f->table_file, &e);
			if (rr == -ENOENT) {
				warn(f, "no table summary: %s%s", e.msg,
				     r->len ? "" : "; ctnetlink (source netlink, with CAP_NET_ADMIN) reads it without /proc");
				rr = 1;
			} else if (rr < 0) {
				rr = ctune_error_set(err, rr, "%s", e.msg);
			}
		}
		if (rr < 0) {
			ctune_netlink_close(nl);
			ctune_facts_free(f);
			return rr;
		}
		f->have_table = rr == 0;
	}
	f->want_table = opts->table;
	ctune_netlink_close(nl);

	if (opts->boot && f->detect.scheme != CTUNE_SCHEME_NONE) {
		ctune_error e = { 0 };
		if (ctune_boot_effective(r, &f->detect, &f->boot, &e) == 0)
			f->have_boot = true;
		else
			warn(f, "effective_at_boot not reported: %s", e.msg);
	}
	f->want_events = opts->events;
	if (opts->events)
		read_events(r, f);
	if (opts->advice && f->detect.scheme != CTUNE_SCHEME_NONE)
		read_advice(r, f);
	return 0;
}

const ctune_fact_value *ctune_facts_get(const ctune_facts *f, const char *name)
{
	size_t n;
	const ctune_tunable *t = ctune_tunables(&n);
	const ctune_tunable *want = ctune_tunable_find(name);
	if (!want)
		return NULL;
	size_t i = (size_t)(want - t);
	return i < f->nvalues && f->values[i].present ? &f->values[i] : NULL;
}

void ctune_facts_free(ctune_facts *f)
{
	ctune_table_top_free(f->table.top);
	f->table.top = NULL;
	if (f->have_stats)
		ctune_stats_free(&f->stats);
	f->have_stats = false;
}
