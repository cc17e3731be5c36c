/* response.c - see response.h.  Maps are written with all their keys (0
 * where nothing was counted) so consumers see one stable shape. */
#include "response.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "json-util.h"
#include "root.h"

static json_t *optional_int(const ctune_fact_value *v)
{
	return v ? json_integer(v->value) : json_null();
}

static json_t *stats_to_json(const ctune_facts *f)
{
	if (!f->have_stats)
		return json_null();
	const ctune_stats *st = &f->stats;
	json_t *o = json_object();
	json_t *cols = json_array(), *total = json_object(), *cpus = json_array();
	for (size_t c = 0; c < st->ncols; c++) {
		json_array_append_new(cols, json_string(st->names[c]));
		json_object_set_new(total, st->names[c], json_integer((json_int_t)st->total[c]));
	}
	for (size_t i = 0; i < st->ncpus; i++) {
		json_t *row = json_object();
		for (size_t c = 0; c < st->ncols; c++)
			json_object_set_new(row, st->names[c], json_integer((json_int_t)ctune_stats_cpu(st, i, c)));
		json_array_append_new(cpus, row);
	}
	ctune_json_set(o, "file", f->stat_file ? json_string(f->stat_file) : NULL);
	json_object_set_new(o, "source", json_string(f->source));
	json_object_set_new(o, "columns", cols);
	json_object_set_new(o, "total", total);
	json_object_set_new(o, "per_cpu", cpus);
	return o;
}

/* One dimension of the top talkers: its groups, largest first. */
static json_t *top_dim_to_json(const ctune_table_top *top, ctune_top_dim d)
{
	const ctune_topk *k = top->dim[d];
	/* one more than listed: the largest group left out */
	ctune_topk_item *items = malloc(((size_t)top->limit + 1) * sizeof(*items));
	json_t *o = json_object(), *groups = json_array();
	if (!items || !o || !groups) {
		free(items);
		json_decref(o);
		json_decref(groups);
		return NULL;
	}
	size_t n = ctune_topk_top(k, items, (size_t)top->limit + 1);
	uint64_t unlisted = ctune_topk_unheld_max(k);
	if (n > top->limit) {
		unlisted = items[top->limit].count > unlisted ? items[top->limit].count : unlisted;
		n = top->limit;
	}
	for (size_t i = 0; i < n; i++) {
		char key[64];
		json_t *g = json_object();
		ctune_top_key_text(d, &items[i].key, key, sizeof(key));
		json_object_set_new(g, "key", json_string(key));
		json_object_set_new(g, "count", json_integer((json_int_t)items[i].count));
		json_object_set_new(g, "error", json_integer((json_int_t)items[i].error));
		json_array_append_new(groups, g);
	}
	free(items);
	json_object_set_new(o, "exact", json_boolean(ctune_topk_exact(k)));
	json_object_set_new(o, "unlisted_max", json_integer((json_int_t)unlisted));
	json_object_set_new(o, "groups", groups);
	return o;
}

static json_t *top_to_json(const ctune_table_top *top)
{
	json_t *o = json_object();
	json_object_set_new(o, "capacity", json_integer(CTUNE_TOP_CAPACITY));
	json_object_set_new(o, "limit", json_integer((json_int_t)top->limit));
	for (int d = 0; d < CTUNE_TOP_DIM_COUNT; d++)
		json_object_set_new(o, ctune_top_dim_name((ctune_top_dim)d), top_dim_to_json(top, (ctune_top_dim)d));
	return o;
}

static json_t *table_to_json(const ctune_facts *f)
{
	const ctune_table_summary *t = &f->table;
	json_t *o = json_object(), *fam = json_object(), *proto = json_object(), *tcp = json_object();
	for (int i = 0; i < CTUNE_FAMILY_COUNT; i++)
		json_object_set_new(fam, ctune_family_name((ctune_family)i), json_integer((json_int_t)t->family[i]));
	for (int i = 0; i < CTUNE_PROTO_COUNT; i++)
		json_object_set_new(proto, ctune_proto_name((ctune_proto)i), json_integer((json_int_t)t->proto[i]));
	for (int i = 0; i < CTUNE_TCP_STATE_COUNT; i++)
		json_object_set_new(tcp, ctune_tcp_state_name(i), json_integer((json_int_t)t->tcp_state[i]));
	ctune_json_set(o, "file", f->table_file ? json_string(f->table_file) : NULL);
	json_object_set_new(o, "source", json_string(f->source));
	json_object_set_new(o, "total", json_integer((json_int_t)t->total));
	json_object_set_new(o, "family", fam);
	json_object_set_new(o, "protocol", proto);
	json_object_set_new(o, "tcp_state", tcp);
	json_object_set_new(o, "assured", json_integer((json_int_t)t->assured));
	json_object_set_new(o, "unreplied", json_integer((json_int_t)t->unreplied));
	json_object_set_new(o, "offload", json_integer((json_int_t)t->offload));
	json_object_set_new(o, "long_timeout", json_integer((json_int_t)t->long_timeout));
	json_object_set_new(o, "malformed", json_integer((json_int_t)t->malformed));
	if (t->top)
		json_object_set_new(o, "top", top_to_json(t->top));
	return o;
}

/* ISO 8601 UTC of microseconds since the epoch, or null. */
static json_t *wall_time(int64_t usec)
{
	if (usec < 0)
		return json_null();
	time_t t = (time_t)(usec / 1000000);
	struct tm tm;
	char buf[40];
	if (!gmtime_r(&t, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return json_null();
	return json_string(buf);
}

static json_t *event_time(const ctune_event_time *t)
{
	json_t *o = json_object();
	ctune_json_set(o, "time", wall_time(t->wall_usec));
	ctune_json_set(o, "boot_seconds", t->boot_usec >= 0 ? json_real((double)t->boot_usec / 1e6) : NULL);
	ctune_json_set(o, "text", t->text[0] ? ctune_json_text(t->text) : NULL);
	return o;
}

static json_t *stat_total(const ctune_facts *f, const char *name)
{
	int c = f->have_stats ? ctune_stats_col(&f->stats, name) : -1;
	return c >= 0 ? json_integer((json_int_t)f->stats.total[c]) : json_null();
}

static json_t *events_to_json(const ctune_facts *f)
{
	const ctune_events *e = &f->events;
	json_t *o = json_object();
	json_object_set_new(o, "checked", json_boolean(f->have_events));
	if (!f->have_events) {
		json_object_set_new(o, "error", ctune_json_text(f->events_error));
	} else {
		json_object_set_new(o, "source", json_string(e->source));
		json_object_set_new(o, "path", ctune_json_text(e->path));
		json_object_set_new(o, "count", json_integer((json_int_t)e->count));
		for (int k = 0; k < CTUNE_EVENT_KIND_COUNT; k++)
			json_object_set_new(o, ctune_event_kind_name((ctune_event_kind)k),
					    json_integer((json_int_t)e->kind[k]));
		json_object_set_new(o, "in_netns", json_integer((json_int_t)e->in_netns));
		ctune_json_set(o, "limit", e->limit ? json_integer((json_int_t)e->limit) : NULL);
		json_object_set_new(o, "suppressed", json_integer((json_int_t)e->suppressed));
		ctune_json_set(o, "first", e->count ? event_time(&e->first) : NULL);
		ctune_json_set(o, "last", e->count ? event_time(&e->last) : NULL);
		json_object_set_new(o, "lost", json_integer((json_int_t)e->lost));
	}
	/* The counters that move with those messages, from the statistics. */
	json_t *c = json_object();
	json_object_set_new(c, "drop", stat_total(f, "drop"));
	json_object_set_new(c, "early_drop", stat_total(f, "early_drop"));
	json_object_set_new(c, "insert_failed", stat_total(f, "insert_failed"));
	json_object_set_new(o, "counters", c);
	return o;
}

static json_t *u64_or_null(bool known, uint64_t v)
{
	return known ? json_integer((json_int_t)v) : json_null();
}

static json_t *advice_to_json(const ctune_advice *a)
{
	json_t *o = json_object();
	json_object_set_new(o, "era", json_string(ctune_era_name(a->era)));
	json_object_set_new(o, "memory_total_bytes", json_integer((json_int_t)a->mem_total_bytes));
	json_object_set_new(o, "default_max", json_integer((json_int_t)a->default_max));
	json_object_set_new(o, "default_buckets", json_integer((json_int_t)a->default_buckets));
	json_object_set_new(o, "bytes_per_entry", json_integer((json_int_t)a->bytes_per_entry));
	json_object_set_new(o, "bytes_per_entry_source", json_string(a->bytes_per_entry_source));
	ctune_json_set(o, "memory_at_max_bytes", u64_or_null(a->memory_at_max > 0, a->memory_at_max));
	ctune_json_set(o, "peak", a->peak >= 0 ? json_integer(a->peak) : NULL);
	ctune_json_set(o, "peak_source", a->peak_source ? json_string(a->peak_source) : NULL);
	json_object_set_new(o, "table_full_seen", json_boolean(a->table_full));
	json_object_set_new(o, "drops_seen", json_boolean(a->drops_seen));
	json_t *drops = NULL;
	if (a->have_drops) {
		drops = json_object();
		json_object_set_new(drops, "drop", json_integer((json_int_t)a->drop));
		json_object_set_new(drops, "early_drop", json_integer((json_int_t)a->early_drop));
		json_object_set_new(drops, "insert_failed", json_integer((json_int_t)a->insert_failed));
		json_object_set_new(drops, "since_boot", json_true());
		ctune_json_set(drops, "boot_time", a->boot_time >= 0 ? json_integer(a->boot_time) : NULL);
	}
	ctune_json_set(o, "drops", drops);
	json_object_set_new(o, "recommended_max", json_integer((json_int_t)a->recommended_max));
	json_object_set_new(o, "recommended_buckets", json_integer((json_int_t)a->recommended_buckets));
	json_object_set_new(o, "recommended_memory_bytes", json_integer((json_int_t)a->recommended_memory));
	json_object_set_new(o, "change_max", json_boolean(a->change_max));
	json_object_set_new(o, "change_buckets", json_boolean(a->change_buckets));
	json_object_set_new(o, "capped_by_memory", json_boolean(a->capped));
	json_t *reasons = json_array();
	for (size_t i = 0; i < a->nreasons; i++)
		json_array_append_new(reasons, ctune_json_text(a->reasons[i]));
	json_object_set_new(o, "reasons", reasons);
	return o;
}

static json_t *boot_to_json(const ctune_facts *f)
{
	const ctune_boot *b = &f->boot;
	json_t *o = json_object(), *tun = json_object();
	json_object_set_new(o, "init", json_string(b->systemd ? "systemd" : "sysv"));
	json_object_set_new(o, "model", json_string(ctune_boot_model_name(b->model)));
	json_object_set_new(o, "model_reason", ctune_json_text(b->model_reason));
	json_t *skipped = json_array();
	for (size_t i = 0; i < b->nskipped; i++)
		json_array_append_new(skipped, ctune_json_text(b->skipped[i]));
	json_object_set_new(o, "skipped", skipped);
	json_object_set_new(o, "files_read", json_integer((json_int_t)b->nfiles));
	json_t *other = json_array();
	for (size_t i = 0; i < b->nother && i < CTUNE_BOOT_MAX_OTHER; i++) {
		json_t *x = json_object();
		json_object_set_new(x, "file", ctune_json_text(b->other[i].file));
		json_object_set_new(x, "line", json_integer(b->other[i].line));
		json_object_set_new(x, "key", json_string(b->other[i].key));
		json_array_append_new(other, x);
	}
	json_object_set_new(o, "other_scheme_keys", other);
	json_object_set_new(o, "other_scheme_keys_total", json_integer((json_int_t)b->nother));
	ctune_json_set(o, "module_early", b->module_early < 0 ? NULL : json_boolean(b->module_early));
	json_object_set_new(o, "module_reason", ctune_json_text(b->module_reason));
	for (size_t i = 0; i < b->n; i++) {
		const ctune_boot_value *v = &b->v[i];
		const ctune_fact_value *live = ctune_facts_get(f, v->t->name);
		json_t *j = json_object();
		json_object_set_new(j, "key", ctune_json_text(v->key));
		ctune_json_set(j, "value", v->integer ? json_integer(v->value) : NULL);
		json_object_set_new(j, "raw", ctune_json_text(v->raw));
		json_object_set_new(j, "file", ctune_json_text(v->file));
		json_object_set_new(j, "line", json_integer(v->line));
		ctune_json_set(j, "live", live ? json_integer(live->value) : NULL);
		ctune_json_set(j, "matches_live", live && v->integer ? json_boolean(live->value == v->value) : NULL);
		ctune_json_set(j, "applies", b->module_early < 0 ? NULL : json_boolean(b->module_early));
		json_object_set_new(j, "kernel_default", json_boolean(!v->integer));
		json_t *rej = json_array();
		for (size_t k = 0; k < v->nrejected; k++) {
			json_t *x = json_object();
			json_object_set_new(x, "file", ctune_json_text(v->rejected[k].file));
			json_object_set_new(x, "line", json_integer(v->rejected[k].line));
			json_object_set_new(x, "raw", ctune_json_text(v->rejected[k].raw));
			json_object_set_new(x, "reason", ctune_json_text(v->rejected[k].why));
			json_array_append_new(rej, x);
		}
		json_object_set_new(j, "rejected", rej);
		json_object_set_new(tun, v->t->name, j);
	}
	json_object_set_new(o, "tunables", tun);
	return o;
}

/* count / max in percent, rounded to two decimals (half up), in integers
 * where they are exact (no libm: one shared library less at start). */
static double percent_2dp(long long count, long long max)
{
	if (count >= 0 && count <= (1LL << 40) && max > 0 && max <= (1LL << 40))
		return (double)((count * 20000 + max) / (2 * max)) / 100.0;
	return 100.0 * (double)count / (double)max;
}

json_t *ctune_facts_to_json(const ctune_facts *f, const ctune_root *r)
{
	const ctune_detect *d = &f->detect;
	json_t *o = json_object();
	json_object_set_new(o, "ctune_version", json_string(CTUNE_VERSION));
	json_object_set_new(o, "root", ctune_json_text(ctune_root_name(r)));
	json_object_set_new(o, "source", json_string(f->source));
	json_object_set_new(o, "source_reason", ctune_json_text(f->source_reason));
	json_object_set_new(o, "scheme", json_string(ctune_scheme_name(d->scheme)));
	json_object_set_new(o, "scheme_detected_from", json_string(d->detected_from));
	ctune_json_set(o, "kernel_release", d->kernel_release[0] ? ctune_json_text(d->kernel_release) : NULL);

	json_t *mod = json_object();
	ctune_json_set(mod, "name", d->module ? json_string(d->module) : NULL);
	json_object_set_new(mod, "state", json_string(ctune_module_state_name(d->module_state)));
	json_object_set_new(o, "module", mod);

	json_t *alias = json_object();
	ctune_json_set(alias, "key", d->alias_key ? json_string(d->alias_key) : NULL);
	json_object_set_new(alias, "present", json_boolean(d->alias_present));
	json_object_set_new(o, "alias", alias);

	json_t *tf = json_object();
	ctune_json_set(tf, "path", d->table_file ? json_string(d->table_file) : NULL);
	json_object_set_new(tf, "present", json_boolean(d->table_file_present));
	json_object_set_new(o, "table_file", tf);

	const ctune_fact_value *count = ctune_facts_get(f, "count");
	const ctune_fact_value *max = ctune_facts_get(f, "max");
	json_object_set_new(o, "count", optional_int(count));
	json_object_set_new(o, "max", optional_int(max));
	if (count && max && max->value > 0)
		json_object_set_new(o, "usage_percent",
				    json_real(percent_2dp(count->value, max->value)));
	else
		json_object_set_new(o, "usage_percent", json_null());
	json_object_set_new(o, "buckets", optional_int(ctune_facts_get(f, "buckets")));

	size_t n;
	const ctune_tunable *t = ctune_tunables(&n);
	json_t *timeouts = json_object(), *settings = json_object(), *tunables = json_object();
	for (size_t i = 0; i < f->nvalues; i++) {
		const ctune_fact_value *v = &f->values[i];
		if (!v->present)
			continue;
		if (t[i].kind == CTUNE_KIND_TIMEOUT)
			json_object_set_new(timeouts, t[i].name, json_integer(v->value));
		else if (strcmp(t[i].name, "count") && strcmp(t[i].name, "max") && strcmp(t[i].name, "buckets"))
			json_object_set_new(settings, t[i].name, json_integer(v->value));
		json_t *tu = json_object();
		json_object_set_new(tu, "key", json_string(v->key));
		json_object_set_new(tu, "value", json_integer(v->value));
		const char *unit = ctune_unit_name(t[i].unit);
		ctune_json_set(tu, "unit", unit ? json_string(unit) : NULL);
		json_object_set_new(tu, "writable", json_boolean(v->writable));
		json_object_set_new(tunables, t[i].name, tu);
	}
	json_object_set_new(o, "timeouts", timeouts);
	json_object_set_new(o, "settings", settings);
	json_object_set_new(o, "tunables", tunables);
	json_object_set_new(o, "stats", stats_to_json(f));
	if (f->want_table)
		json_object_set_new(o, "table", f->have_table ? table_to_json(f) : json_null());
	if (f->want_events)
		json_object_set_new(o, "events", events_to_json(f));
	if (f->have_advice)
		json_object_set_new(o, "advice", advice_to_json(&f->advice));
	if (f->have_boot)
		json_object_set_new(o, "effective_at_boot", boot_to_json(f));

	json_t *warnings = json_array();
	for (size_t i = 0; i < f->nwarnings; i++)
		json_array_append_new(warnings, ctune_json_text(f->warnings[i]));
	json_object_set_new(o, "warnings", warnings);
	return o;
}

static json_t *nullable(bool present, long long v)
{
	return present && v != LLONG_MIN ? json_integer(v) : json_null();
}

static json_t *item_to_json(const ctune_plan_item *it, const ctune_plan_opts *o)
{
	const ctune_plan_key *k = &it->keys[0];
	json_t *j = json_object(), *keys = json_array();
	for (size_t i = 0; i < it->nkeys; i++)
		json_array_append_new(keys, json_string(it->keys[i].key));
	json_object_set_new(j, "keys", keys);
	ctune_json_set(j, "file", o->persist && it->file ? ctune_json_text(it->file) : NULL);
	ctune_json_set(j, "desired", o->state == CTUNE_STATE_PRESENT ? json_integer(it->desired) : NULL);
	ctune_json_set(j, "live_before", nullable(k->live_present, k->live_before));
	ctune_json_set(j, "live_after", nullable(k->live_present, k->live_after));
	ctune_json_set(j, "persisted_before", nullable(k->persisted_before_present, k->persisted_before));
	ctune_json_set(j, "persisted_after", nullable(k->persisted_after_present, k->persisted_after));
	json_object_set_new(j, "live_changed", json_boolean(it->live_changed));
	json_object_set_new(j, "persist_changed", json_boolean(it->persist_changed));
	return j;
}

/* One sentence: what changed (or would), or that nothing needed to. */
static json_t *plan_message(const ctune_plan *p, const ctune_plan_opts *o)
{
	char msg[2048];
	size_t len = 0, changed = 0;
	const char *verb = o->check_mode ? "would change" : "changed";
	for (size_t i = 0; i < p->n && len < sizeof(msg) - 128; i++) {
		const ctune_plan_item *it = &p->items[i];
		if (!it->live_changed && !it->persist_changed)
			continue;
		const ctune_plan_key *k = &it->keys[0];
		const char *where = it->live_changed && it->persist_changed ? "live and persisted"
				    : it->live_changed ? "live" : o->state == CTUNE_STATE_ABSENT ? "removed from file" : "persisted";
		len += (size_t)snprintf(msg + len, sizeof(msg) - len, "%s %s", changed ? "," : verb, it->t->name);
		if (o->state == CTUNE_STATE_PRESENT && it->live_changed)
			len += (size_t)snprintf(msg + len, sizeof(msg) - len, " %lld -> %lld", k->live_before, it->desired);
		else if (o->state == CTUNE_STATE_PRESENT)
			len += (size_t)snprintf(msg + len, sizeof(msg) - len, " = %lld", it->desired);
		len += (size_t)snprintf(msg + len, sizeof(msg) - len, " (%s)", where);
		changed++;
	}
	const char *what = p->n == 1 ? p->items[0].t->name : "all tunables";
	if (!changed && o->persist)
		snprintf(msg, sizeof(msg), "%s already as wanted in %s%s", what, p->file,
			 p->changed ? " (the file is rewritten to clean up keys)" : "");
	else if (!changed) /* the file was neither read nor written: say nothing of it */
		snprintf(msg, sizeof(msg), "%s already as wanted live (persist is false: %s was left as it is)", what,
			 p->file);
	return ctune_json_text(msg);
}

json_t *ctune_plan_to_json(const ctune_plan *p, const ctune_plan_opts *o)
{
	json_t *j = json_object();
	json_object_set_new(j, "changed", json_boolean(p->changed));
	json_object_set_new(j, "failed", json_false());
	json_object_set_new(j, "msg", plan_message(p, o));
	json_object_set(j, "comment", json_object_get(j, "msg")); /* Salt's name for it */
	json_object_set_new(j, "scheme", json_string(ctune_scheme_name(p->scheme)));
	json_object_set_new(j, "state", json_string(o->state == CTUNE_STATE_ABSENT ? "absent" : "present"));
	ctune_json_set(j, "file", o->persist ? ctune_json_text(p->file) : NULL);
	json_object_set_new(j, "check_mode", json_boolean(o->check_mode));
	json_t *tun = json_object();
	for (size_t i = 0; i < p->n; i++)
		json_object_set_new(tun, p->items[i].t->name, item_to_json(&p->items[i], o));
	json_object_set_new(j, "tunables", tun);
	json_t *stale = json_array();
	for (size_t i = 0; i < p->nstale; i++) {
		json_t *s = json_object();
		json_object_set_new(s, "key", ctune_json_text(p->stale[i].key));
		ctune_json_set(s, "replacement", p->stale[i].replacement ? json_string(p->stale[i].replacement) : NULL);
		json_object_set_new(s, "migrated", json_boolean(p->stale[i].migrated));
		json_array_append_new(stale, s);
	}
	json_object_set_new(j, "stale_keys", stale);
	json_t *w = json_array();
	for (size_t i = 0; i < p->nwarnings; i++)
		json_array_append_new(w, ctune_json_text(p->warnings[i]));
	json_object_set_new(j, "warnings", w);
	if (o->diff && p->ndiffs > 0) {
		/* Ansible takes one diff or a list of them. */
		json_t *list = json_array();
		for (size_t i = 0; i < p->ndiffs; i++) {
			json_t *d = json_object();
			json_object_set_new(d, "before", ctune_json_text(p->diffs[i].before));
			json_object_set_new(d, "after", ctune_json_text(p->diffs[i].after));
			json_object_set_new(d, "before_header", ctune_json_text(p->diffs[i].file));
			json_object_set_new(d, "after_header", ctune_json_text(p->diffs[i].file));
			json_array_append_new(list, d);
		}
		if (p->ndiffs == 1) {
			json_object_set(j, "diff", json_array_get(list, 0));
			json_decref(list);
		} else {
			json_object_set_new(j, "diff", list);
		}
	}
	if (p->module_load.checked) {
		json_t *m = json_object();
		json_object_set_new(m, "module", json_string(p->module_load.module));
		json_object_set_new(m, "file", ctune_json_text(p->module_load.file));
		json_object_set_new(m, "changed", json_boolean(p->module_load.changed));
		ctune_json_set(m, "listed_in",
			       p->module_load.listed_in[0] ? ctune_json_text(p->module_load.listed_in) : NULL);
		json_object_set_new(j, "module_load", m);
	}
	if (p->backup_file[0])
		json_object_set_new(j, "backup_file", ctune_json_text(p->backup_file));
	return j;
}

json_t *ctune_tunables_to_json(void)
{
	static const char *const kinds[] = { [CTUNE_KIND_SIZE] = "size", [CTUNE_KIND_TIMEOUT] = "timeout",
					      [CTUNE_KIND_SETTING] = "setting" };
	size_t n;
	const ctune_tunable *t = ctune_tunables(&n);
	json_t *o = json_object();
	for (size_t i = 0; i < n; i++) {
		json_t *j = json_object(), *keys = json_object(), *aliases = json_object();
		json_object_set_new(j, "kind", json_string(kinds[t[i].kind]));
		const char *unit = ctune_unit_name(t[i].unit);
		ctune_json_set(j, "unit", unit ? json_string(unit) : NULL);
		json_object_set_new(j, "min", json_integer(t[i].min));
		json_object_set_new(j, "max", json_integer(t[i].max));
		json_object_set_new(j, "boolean", json_boolean(t[i].flags & CTUNE_TF_BOOL));
		json_object_set_new(j, "read_only", json_boolean(t[i].flags & CTUNE_TF_READONLY));
		json_object_set_new(j, "initial_netns_only", json_boolean(t[i].flags & CTUNE_TF_INIT_NS));
		for (int s = 0; s < CTUNE_SCHEME_COUNT; s++) {
			const char *name = ctune_scheme_name((ctune_scheme)s);
			ctune_json_set(keys, name, t[i].key[s] ? json_string(t[i].key[s]) : NULL);
			if (t[i].alias[s])
				json_object_set_new(aliases, name, json_string(t[i].alias[s]));
		}
		json_object_set_new(j, "keys", keys);
		json_object_set_new(j, "aliases", aliases);
		json_object_set_new(j, "summary", json_string(t[i].summary));
		json_object_set_new(o, t[i].name, j);
	}
	return o;
}

json_t *ctune_error_response(const char *msg)
{
	json_t *o = json_object();
	json_object_set_new(o, "failed", json_true());
	json_object_set_new(o, "changed", json_false());
	json_object_set_new(o, "msg", ctune_json_text(msg && *msg ? msg : "unknown error"));
	json_object_set(o, "comment", json_object_get(o, "msg")); /* Salt's name for it */
	return o;
}

int ctune_response_print(json_t *obj, bool pretty)
{
	/* Rendered whole first, then written with write(2): a failure leaves
	 * nothing (or, past a pipe's atomic size, a prefix the reader sees cut
	 * short) and is always seen; stdio would split the text into chunks
	 * (musl's 1 KiB) and could lose the error of a later one. */
	size_t flags = JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10) | (pretty ? JSON_INDENT(2) : JSON_COMPACT);
	_cleanup_free_ char *text = json_dumps(obj, flags);
	if (!text)
		return -ENOMEM;
	size_t len = strlen(text);
	text[len] = '\n'; /* over the NUL: written with its length */
	if (fflush(stdout) == EOF)
		return errno > 0 ? -errno : -EIO;
	return ctune_write_all(STDOUT_FILENO, text, len + 1);
}
