/* prometheus.c - see prometheus.h.
 *
 * The facts object goes out as metric families, each one HELP line, one
 * TYPE line and its samples, never interleaved (text format 0.0.4).  Names
 * and label names are literals below, so they are valid by construction;
 * label values come from the kernel and the facts (timeout names, statistics
 * column names, the kernel release) and are escaped.  A value the facts do
 * not know (null or missing) gives no sample at all, never a 0 that a
 * dashboard would believe; a family with no samples is left out.
 *
 * What node_exporter's conntrack collector lacks and ctune adds: every
 * timeout and setting, the statistics per counter (per CPU with per_cpu) under names
 * that cannot collide, the table summary by family, protocol and TCP state
 * (with --table), the table-full messages of the kernel log, the usage
 * ratio, the sizing advice with its drop verdicts, and the effective-at-boot
 * mismatch.  docs/prometheus.md says which series overlap node_exporter's
 * and which to alert on.
 *
 * effective_at_boot (docs/facts.md, when the facts carry it): for every
 * tunable some sysctl file assigns, ctune_conntrack_effective_at_boot_mismatch
 * {name=...} is 1 when the next boot will not leave the running value in
 * force (the file's value differs, matches_live false, or conntrack loads
 * after sysctl runs, applies false), 0 when it will, and absent when that
 * cannot be told (a non-integer value).  ctune_conntrack_boot_module_early
 * says whether conntrack is there before sysctl runs.
 */
#include "prometheus.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static bool num(json_t *o, const char *key, long long *v)
{
	json_t *j = json_object_get(o, key);
	if (!json_is_integer(j))
		return false;
	*v = (long long)json_integer_value(j);
	return true;
}

/* Label values escape backslash, double quote and newline; HELP text
 * backslash and newline. */
static void escaped(FILE *out, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", out);
		else if (*s == '\n')
			fputs("\\n", out);
		else if (*s == '"' && quote)
			fputs("\\\"", out);
		else
			fputc(*s, out);
	}
}

static void family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s ", name);
	escaped(out, help, false);
	fprintf(out, "\n# TYPE %s %s\n", name, type);
}

/* name{label="value",...} and a space; the labels are name/value pairs
 * ending with NULL. */
static void series(FILE *out, const char *name, va_list ap)
{
	fputs(name, out);
	const char *sep = "{";
	for (const char *l; (l = va_arg(ap, const char *));) {
		const char *v = va_arg(ap, const char *);
		fprintf(out, "%s%s=\"", sep, l);
		escaped(out, v ? v : "", true);
		fputc('"', out);
		sep = ",";
	}
	if (sep[0] == ',')
		fputc('}', out);
	fputc(' ', out);
}

static void sample(FILE *out, const char *name, long long value, ...)
{
	va_list ap;
	va_start(ap, value);
	series(out, name, ap);
	va_end(ap);
	fprintf(out, "%lld\n", value);
}

static void sample_real(FILE *out, const char *name, double value, ...)
{
	va_list ap;
	va_start(ap, value);
	series(out, name, ap);
	va_end(ap);
	fprintf(out, "%.10g\n", value);
}

/* One unlabelled gauge from o[key], when known. */
static void gauge(FILE *out, const char *name, const char *help, json_t *o, const char *key)
{
	long long v;
	if (!num(o, key, &v))
		return;
	family(out, name, "gauge", help);
	sample(out, name, v, NULL);
}

/* One gauge per integer of a map, labelled label=<key>. */
static void gauge_map(FILE *out, const char *name, const char *help, const char *label, json_t *map)
{
	const char *k;
	json_t *v;
	bool any = false;
	json_object_foreach(map, k, v)
	{
		if (!json_is_integer(v))
			continue;
		if (!any)
			family(out, name, "gauge", help);
		any = true;
		sample(out, name, (long long)json_integer_value(v), label, k, NULL);
	}
}

static void info(FILE *out, json_t *f)
{
	json_t *m = json_object_get(f, "module");
	family(out, "ctune_conntrack_info", "gauge",
	       "Conntrack as ctune sees it: sysctl naming scheme, module and its state, where the figures come "
	       "from, kernel release (always 1).");
	sample(out, "ctune_conntrack_info", 1, "scheme", str(f, "scheme"), "scheme_detected_from",
	       str(f, "scheme_detected_from"), "module", str(m, "name"), "module_state", str(m, "state"), "source",
	       str(f, "source"), "kernel_release", str(f, "kernel_release"), "version", str(f, "ctune_version"),
	       NULL);
}

static void size(FILE *out, json_t *f)
{
	long long count, max;
	gauge(out, "ctune_conntrack_entries", "Entries in the conntrack table (nf_conntrack_count).", f, "count");
	gauge(out, "ctune_conntrack_entries_limit", "Maximum entries of the conntrack table (nf_conntrack_max).", f,
	      "max");
	if (num(f, "count", &count) && num(f, "max", &max) && max > 0) {
		family(out, "ctune_conntrack_usage_ratio", "gauge",
		       "Entries divided by the maximum; at 1 the kernel drops new connections.");
		sample_real(out, "ctune_conntrack_usage_ratio", (double)count / (double)max, NULL);
	}
	gauge(out, "ctune_conntrack_buckets", "Hash buckets of the conntrack table (nf_conntrack_buckets).", f,
	      "buckets");
	gauge_map(out, "ctune_conntrack_timeout_seconds", "Conntrack timeouts by tunable name, in seconds.", "name",
		  json_object_get(f, "timeouts"));
	gauge_map(out, "ctune_conntrack_setting", "Other conntrack tunables by name (flags, expect_max, ...).", "name",
		  json_object_get(f, "settings"));
}

/* The statistics file's counters, summed, and per CPU when asked for
 * (per_cpu: 14 series a CPU on a current kernel, 3584 on 256 CPUs);
 * "entries" is the count again and is left out. */
static void stats(FILE *out, json_t *f, bool per_cpu)
{
	json_t *s = json_object_get(f, "stats");
	if (!json_is_object(s))
		return;
	const char *k;
	json_t *v;
	bool any = false;
	json_object_foreach(json_object_get(s, "total"), k, v)
	{
		if (!json_is_integer(v) || strcmp(k, "entries") == 0)
			continue;
		if (!any)
			family(out, "ctune_conntrack_stat_total", "counter",
			       "Conntrack statistics counters summed over CPUs, by counter (/proc/net/stat/nf_conntrack or "
			       "ctnetlink).");
		any = true;
		sample(out, "ctune_conntrack_stat_total", (long long)json_integer_value(v), "counter", k, NULL);
	}
	if (!per_cpu)
		return;
	size_t i;
	json_t *row;
	any = false;
	json_array_foreach(json_object_get(s, "per_cpu"), i, row)
	{
		char cpu[32];
		snprintf(cpu, sizeof(cpu), "%zu", i);
		json_object_foreach(row, k, v)
		{
			if (!json_is_integer(v) || strcmp(k, "entries") == 0)
				continue;
			if (!any)
				family(out, "ctune_conntrack_stat_per_cpu_total", "counter",
				       "Conntrack statistics counters by CPU and counter.");
			any = true;
			sample(out, "ctune_conntrack_stat_per_cpu_total", (long long)json_integer_value(v), "cpu", cpu,
			       "counter", k, NULL);
		}
	}
}

static void table(FILE *out, json_t *f)
{
	json_t *t = json_object_get(f, "table");
	if (!json_is_object(t))
		return;
	gauge(out, "ctune_conntrack_table_entries", "Entries counted in the last walk of the table (--table).", t,
	      "total");
	gauge_map(out, "ctune_conntrack_table_entries_by_family", "Entries of the table walk by address family.",
		  "family", json_object_get(t, "family"));
	gauge_map(out, "ctune_conntrack_table_entries_by_protocol", "Entries of the table walk by layer 4 protocol.",
		  "protocol", json_object_get(t, "protocol"));
	gauge_map(out, "ctune_conntrack_table_entries_by_tcp_state", "TCP entries of the table walk by TCP state.",
		  "state", json_object_get(t, "tcp_state"));
	gauge(out, "ctune_conntrack_assured_entries", "Entries marked ASSURED (seen traffic both ways).", t,
	      "assured");
	gauge(out, "ctune_conntrack_unreplied_entries", "Entries marked UNREPLIED (no reply seen yet).", t,
	      "unreplied");
	gauge(out, "ctune_conntrack_offload_entries", "Entries offloaded to a flowtable.", t, "offload");
	gauge(out, "ctune_conntrack_long_timeout_entries", "Entries whose remaining timeout is above one day.", t,
	      "long_timeout");
	gauge(out, "ctune_conntrack_table_malformed_lines", "Table lines ctune could not parse.", t, "malformed");
}

/* Seconds since the epoch of "2025-11-25T08:30:00Z", or -1. */
static long long epoch(const char *iso)
{
	struct tm tm = { 0 };
	if (!iso)
		return -1;
	const char *end = strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!end || *end)
		return -1;
	return (long long)timegm(&tm);
}

static void events(FILE *out, json_t *f)
{
	json_t *e = json_object_get(f, "events");
	if (!json_is_object(e))
		return;
	bool checked = json_is_true(json_object_get(e, "checked"));
	family(out, "ctune_conntrack_events_checked", "gauge",
	       "1 when the kernel log could be read for table-full messages, else 0.");
	sample(out, "ctune_conntrack_events_checked", checked, NULL);
	if (!checked)
		return;
	long long v;
	static const struct {
		const char *key, *name, *help;
	} counters[] = {
		{ "table_full", "ctune_conntrack_table_full_events_total",
		  "\"table full, dropping packet\" messages in the kernel log read (since boot for /dev/kmsg, since "
		  "rotation for a file)." },
		{ "limit_exceeded", "ctune_conntrack_limit_exceeded_events_total",
		  "\"maximum limit of N entries exceeded\" messages in the kernel log read (2.6.18 kernels)." },
		{ "suppressed", "ctune_conntrack_table_full_suppressed_total",
		  "Messages the kernel's rate limit suppressed next to table-full messages." },
	};
	for (size_t i = 0; i < ELEMENTSOF(counters); i++)
		if (num(e, counters[i].key, &v)) {
			family(out, counters[i].name, "counter", counters[i].help);
			sample(out, counters[i].name, v, NULL);
		}
	long long first = epoch(str(json_object_get(e, "first"), "time"));
	long long last = epoch(str(json_object_get(e, "last"), "time"));
	if (first >= 0) {
		family(out, "ctune_conntrack_table_full_first_seen_timestamp_seconds", "gauge",
		       "When the first table-full message in the kernel log was written (Unix time).");
		sample(out, "ctune_conntrack_table_full_first_seen_timestamp_seconds", first, NULL);
	}
	if (last >= 0) {
		family(out, "ctune_conntrack_table_full_last_seen_timestamp_seconds", "gauge",
		       "When the last table-full message in the kernel log was written (Unix time).");
		sample(out, "ctune_conntrack_table_full_last_seen_timestamp_seconds", last, NULL);
	}
}

/* What a drop alert needs beside the counters of ctune_conntrack_stat_total
 * (drop, early_drop, insert_failed): the verdicts of the advice and since
 * when the counters run (docs/prometheus.md). */
static void drops(FILE *out, json_t *a)
{
	family(out, "ctune_conntrack_table_full_seen", "gauge",
	       "1 when the table has been full since boot (early drops, drops beyond insert_failed races, or "
	       "table-full messages in the kernel log), else 0.");
	sample(out, "ctune_conntrack_table_full_seen", json_is_true(json_object_get(a, "table_full_seen")), NULL);
	json_t *d = json_object_get(a, "drops");
	if (!json_is_object(d))
		return;
	family(out, "ctune_conntrack_drops_seen", "gauge",
	       "1 when conntrack dropped packets or evicted entries early in this network namespace since boot, "
	       "else 0.");
	sample(out, "ctune_conntrack_drops_seen", json_is_true(json_object_get(a, "drops_seen")), NULL);
	gauge(out, "ctune_conntrack_drops_since_timestamp_seconds",
	      "When the drop counters started counting: the boot (Unix time).", d, "boot_time");
}

static void advice(FILE *out, json_t *f)
{
	json_t *a = json_object_get(f, "advice");
	if (!json_is_object(a))
		return;
	gauge(out, "ctune_conntrack_advice_recommended_max", "The max ctune recommends for this host.", a,
	      "recommended_max");
	gauge(out, "ctune_conntrack_advice_recommended_buckets", "The hash buckets ctune recommends for this host.",
	      a, "recommended_buckets");
	gauge(out, "ctune_conntrack_advice_kernel_default_max", "The max this kernel picks by itself for this RAM.",
	      a, "default_max");
	gauge(out, "ctune_conntrack_advice_kernel_default_buckets",
	      "The hash buckets this kernel picks by itself for this RAM.", a, "default_buckets");
	gauge(out, "ctune_conntrack_advice_memory_at_max_bytes",
	      "Kernel memory a full table takes at the current max, with its buckets.", a, "memory_at_max_bytes");
	gauge(out, "ctune_conntrack_advice_peak_entries", "The highest table use known to ctune.", a, "peak");
	drops(out, a);
	family(out, "ctune_conntrack_advice_change", "gauge",
	       "1 when ctune advises changing the tunable (max or buckets), else 0.");
	sample(out, "ctune_conntrack_advice_change", json_is_true(json_object_get(a, "change_max")), "name", "max",
	       NULL);
	sample(out, "ctune_conntrack_advice_change", json_is_true(json_object_get(a, "change_buckets")), "name",
	       "buckets", NULL);
}

/* 1 when the boot will not leave the running value in force, 0 when it
 * will, -1 when unknown. */
static int boot_mismatch(json_t *entry)
{
	json_t *matches = json_object_get(entry, "matches_live"), *applies = json_object_get(entry, "applies");
	if (!json_is_boolean(matches))
		return -1;
	return json_is_false(matches) || json_is_false(applies);
}

static void effective_at_boot(FILE *out, json_t *f)
{
	static const char name[] = "ctune_conntrack_effective_at_boot_mismatch";
	json_t *b = json_object_get(f, "effective_at_boot");
	if (!json_is_object(b))
		return;
	json_t *early = json_object_get(b, "module_early");
	if (json_is_boolean(early)) {
		family(out, "ctune_conntrack_boot_module_early", "gauge",
		       "1 when conntrack is loaded before the boot applies sysctl files, else 0.");
		sample(out, "ctune_conntrack_boot_module_early", json_is_true(early), NULL);
	}
	const char *k;
	json_t *v;
	bool any = false;
	json_object_foreach(json_object_get(b, "tunables"), k, v)
	{
		int r = boot_mismatch(v);
		if (r < 0)
			continue;
		if (!any)
			family(out, name, "gauge",
			       "1 when the next boot will not leave the running value in force, by tunable.");
		any = true;
		sample(out, name, r, "name", k, NULL);
	}
}

int ctune_prometheus_print(FILE *out, json_t *f, bool per_cpu)
{
	if (!json_is_object(f))
		return -EINVAL;
	info(out, f);
	size(out, f);
	stats(out, f, per_cpu);
	table(out, f);
	events(out, f);
	advice(out, f);
	effective_at_boot(out, f);
	return fflush(out) == EOF || ferror(out) ? -EIO : 0;
}
