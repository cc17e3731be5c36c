/* facts.c - see facts.h.  Data flows: detect -> one read per tunable of the
 * running scheme -> statistics file -> (table walk when asked). */
#include "facts.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "procsys.h"

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
	for (size_t i = 0; i < f->nvalues; i++) {
		ctune_fact_value *v = &f->values[i];
		/* The primary key first; old kernels may only have the alias. */
		const char *keys[2] = { t[i].key[s], t[i].alias[s] };
		for (int k = 0; k < 2 && !v->present; k++) {
			if (!keys[k])
				continue;
			ctune_error e = { 0 };
			int rr = ctune_procsys_read(r, keys[k], &v->value, &e);
			if (rr == -ENOENT)
				continue;
			if (rr < 0) {
				warn(f, "%s", e.msg);
				continue;
			}
			v->present = true;
			v->key = keys[k];
			v->writable = !(t[i].flags & CTUNE_TF_READONLY) && ctune_procsys_writable(r, keys[k]);
		}
	}
}

static void read_stats(const ctune_root *r, ctune_facts *f)
{
	if (f->detect.scheme == CTUNE_SCHEME_NONE)
		return;
	ctune_error e = { 0 };
	int rr = ctune_stats_read(r, f->detect.scheme, &f->stats, &e);
	if (rr == 0) {
		f->have_stats = true;
		f->stat_file = ctune_scheme_stat_file(f->detect.scheme);
	} else if (rr != -ENOENT) {
		warn(f, "statistics not reported: %s", e.msg);
	}
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
	read_stats(r, f);

	if (opts->table) {
		if (f->detect.scheme == CTUNE_SCHEME_NONE) {
			ctune_facts_free(f);
			return ctune_error_set(err, -ENOENT, "no conntrack table: the kernel has no conntrack");
		}
		ctune_table_summary_init(&f->table);
		rr = ctune_table_summarize(r, f->detect.scheme, &f->table, &f->table_file, err);
		if (rr < 0) {
			ctune_facts_free(f);
			return rr;
		}
		f->have_table = true;
	}
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
	if (f->have_stats)
		ctune_stats_free(&f->stats);
	f->have_stats = false;
}
