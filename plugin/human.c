/* human.c - see human.h.
 *
 * The report is read top-down by someone deciding whether the table is in
 * trouble: what kernel and scheme this is, how full the table is, the
 * timeouts that decide how long entries stay, what the kernel log says, what
 * ctune advises and why, then the table summary, what the next boot
 * applies, and the warnings.  Every value comes from the facts object; a
 * value the object lacks or holds as null reads "unknown", never 0.  Lines
 * are plain ASCII, labels padded to one column so the values line up, and
 * long text is wrapped at the width of the terminal (a number is kept with
 * its unit, a word is never split), or at 79 columns when stdout is not a
 * terminal.
 */
#include "human.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "advise.h"
#include "duration.h"
#include "json-util.h"

#define MIN_COLUMNS 40
#define PIPE_COLUMNS 79

/* The last column a line may use: one short of the screen's, so that a
 * full line does not make the terminal wrap on its own. */
static int WIDTH = PIPE_COLUMNS - 1;
#define LABEL 23 /* "  " + the label column */

/* The timeouts a person tunes, in the order the runbook talks about them;
 * the JSON output has all of them. */
static const char *const key_timeouts[] = {
	"tcp_timeout_established", "tcp_timeout_time_wait", "tcp_timeout_close_wait", "tcp_timeout_fin_wait",
	"tcp_timeout_syn_sent",    "tcp_timeout_syn_recv",  "udp_timeout",            "udp_timeout_stream",
	"icmp_timeout",            "generic_timeout",
};

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* True and *v when o[key] is an integer. */
static bool num(json_t *o, const char *key, long long *v)
{
	json_t *j = json_object_get(o, key);
	if (!json_is_integer(j))
		return false;
	*v = (long long)json_integer_value(j);
	return true;
}

static void section(FILE *out, const char *title)
{
	fprintf(out, "\n%s\n", title);
}

/* "  label                value..." with the value left to the caller; a
 * label too long for the column gets a line of its own. */
static void label(FILE *out, const char *l)
{
	if ((int)strlen(l) > LABEL - 3)
		fprintf(out, "  %s\n%*s", l, LABEL, "");
	else
		fprintf(out, "  %-*s", LABEL - 2, l);
}

/* A number followed by its unit ("7.6 GiB", "432000 s") is not split
 * across lines. */
static bool unit_follows(const char *word, size_t n)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB", "s", "s,", "s)", "entries",
					     "days", "days)", "days):", "h", "h)", "GiB,", "MiB,", "KiB," };
	size_t skip = word[0] == '(';
	if (n <= skip || strspn(word + skip, "0123456789.") != n - skip)
		return false;
	const char *next = word + n + 1;
	size_t m = strcspn(next, " ");
	for (size_t i = 0; i < ELEMENTSOF(units); i++)
		if (strlen(units[i]) == m && strncmp(next, units[i], m) == 0)
			return true;
	return false;
}

/* Write text wrapped at WIDTH, the first line starting at column col and
 * continuation lines indented by indent. */
static void wrap(FILE *out, const char *text, int col, int indent)
{
	const char *p = text;
	while (*p) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " ");
		if (n == 0)
			break;
		if (p[n] == ' ' && unit_follows(p, n))
			n += 1 + strcspn(p + n + 1, " ");
		if (col > indent && col + 1 + (int)n > WIDTH) {
			fprintf(out, "\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', out);
			col++;
		}
		fwrite(p, 1, n, out);
		col += (int)n;
		p += n;
	}
	fputc('\n', out);
}

static void value_line(FILE *out, const char *l, const char *text)
{
	label(out, l);
	wrap(out, text, LABEL, LABEL);
}

/* "name N, name N, ..." of an object of integers (null: "unknown"), wrapped
 * under the value column between items, never inside one; zero entries
 * left out when skip_zero ("none" if nothing is left). */
static void pairs(FILE *out, const char *l, json_t *o, bool skip_zero)
{
	const char *k;
	json_t *v;
	int col = LABEL;
	size_t n = 0;
	label(out, l);
	json_object_foreach(o, k, v)
	{
		char item[256];
		if (json_is_integer(v) && !(skip_zero && json_integer_value(v) == 0))
			snprintf(item, sizeof(item), "%s %lld", k, (long long)json_integer_value(v));
		else if (json_is_null(v) && !skip_zero)
			snprintf(item, sizeof(item), "%s unknown", k);
		else
			continue;
		int w = (int)strlen(item);
		if (n > 0 && col + 2 + w > WIDTH) {
			fprintf(out, ",\n%*s", LABEL, "");
			col = LABEL;
		} else if (n > 0) {
			fputs(", ", out);
			col += 2;
		}
		fputs(item, out);
		col += w;
		n++;
	}
	fputs(n ? "\n" : "none\n", out);
}

static void bytes_text(long long b, char *buf, size_t size)
{
	static const char *const unit[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)b;
	size_t u = 0;
	while (v >= 1024 && u + 1 < ELEMENTSOF(unit)) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%lld bytes", b);
	else
		snprintf(buf, size, "%.1f %s", v, unit[u]);
}

/* The first thing an operator in an incident needs: is it dropping?  From
 * the advice's verdicts (advice.drops, docs/facts.md), else the bare
 * counters of the statistics. */
static void drop_status(FILE *out, json_t *f)
{
	json_t *a = json_object_get(f, "advice"), *d = json_object_get(a, "drops");
	json_t *total = json_object_get(json_object_get(f, "stats"), "total");
	long long drop = 0, early = 0, failed = 0, boot;
	char since[64] = "since boot", buf[512];
	json_t *src = json_is_object(d) ? d : total;
	if (!num(src, "drop", &drop) || !num(src, "early_drop", &early) || !num(src, "insert_failed", &failed)) {
		value_line(out, "drops", "unknown (no statistics)");
		return;
	}
	char when[32] = "";
	if (num(d, "boot_time", &boot))
		ctune_utc_minute(boot, when, sizeof(when));
	if (when[0])
		snprintf(since, sizeof(since), "since boot (%s)", when);
	bool full = json_is_true(json_object_get(a, "table_full_seen"));
	long long rec, max;
	char advice[128] = "";
	if (full && num(a, "recommended_max", &rec) && num(f, "max", &max) && rec != max)
		snprintf(advice, sizeof(advice), "; recommended max %lld (now %lld)", rec, max);
	if (full && (drop > 0 || early > 0))
		snprintf(buf, sizeof(buf),
			 "TABLE FULL %s: %lld packet%s dropped, %lld entr%s evicted early, %lld insert failure%s%s",
			 since, drop, drop == 1 ? "" : "s", early, early == 1 ? "y" : "ies", failed, failed == 1 ? "" : "s",
			 advice);
	else if (full)
		snprintf(buf, sizeof(buf), "TABLE FULL (kernel log): no drops in this namespace's statistics %s%s",
			 since, advice);
	else if (drop > 0 || early > 0)
		snprintf(buf, sizeof(buf),
			 "%lld packet%s dropped %s, %s (insert_failed %lld)", drop, drop == 1 ? "" : "s", since,
			 json_is_object(a) ? "races of one flow's packets on two CPUs, not a full table"
					   : "no advice to tell why",
			 failed);
	else
		snprintf(buf, sizeof(buf), "none %s", since);
	value_line(out, "drops", buf);
}

static void identity(FILE *out, json_t *f)
{
	const char *kr = str(f, "kernel_release");
	fprintf(out, "ctune %s: conntrack on %s (kernel %s)\n\n", str(f, "ctune_version") ?: "?",
		str(f, "root") ?: "/", kr ?: "unknown");
	drop_status(out, f);

	char buf[1024];
	snprintf(buf, sizeof(buf), "%s (detected from %s)", str(f, "scheme") ?: "unknown",
		 str(f, "scheme_detected_from") ?: "unknown");
	value_line(out, "scheme", buf);

	json_t *m = json_object_get(f, "module");
	const char *state = str(m, "state");
	snprintf(buf, sizeof(buf), "%s, %s", str(m, "name") ?: "none",
		 !state			      ? "unknown"
		 : strcmp(state, "not_loaded") == 0 ? "not loaded"
		 : strcmp(state, "builtin") == 0    ? "built into the kernel"
						    : state);
	value_line(out, "module", buf);

	const char *reason = str(f, "source_reason");
	snprintf(buf, sizeof(buf), "%s%s%s", str(f, "source") ?: "unknown", reason ? ": " : "", reason ?: "");
	value_line(out, "source", buf);

	json_t *a = json_object_get(f, "alias");
	if (str(a, "key")) {
		snprintf(buf, sizeof(buf), "%s (%s)", str(a, "key"),
			 json_is_true(json_object_get(a, "present")) ? "present" : "absent");
		value_line(out, "alias", buf);
	}
	json_t *t = json_object_get(f, "table_file");
	snprintf(buf, sizeof(buf), "%s (%s)", str(t, "path") ?: "none",
		 json_is_true(json_object_get(t, "present")) ? "present" : "absent");
	value_line(out, "table file", buf);
}

static void size(FILE *out, json_t *f)
{
	long long count = 0, max = 0, buckets = 0;
	bool have_count = num(f, "count", &count), have_max = num(f, "max", &max);
	json_t *pct = json_object_get(f, "usage_percent");
	char buf[256];

	section(out, "Size");
	label(out, "entries");
	if (have_count)
		fprintf(out, "%lld", count);
	else
		fputs("unknown", out);
	if (have_max)
		fprintf(out, " of max %lld", max);
	else
		fputs(" of max unknown", out);
	if (json_is_number(pct)) {
		double p = json_number_value(pct);
		fprintf(out, ", %.2f%% used", p);
		if (p >= 100.0)
			fputs("  <- FULL: the kernel drops new connections", out);
		else if (p >= 90.0)
			fputs("  <- near full (90% or more)", out);
	}
	fputc('\n', out);

	if (num(f, "buckets", &buckets)) {
		if (have_max && buckets > 0)
			snprintf(buf, sizeof(buf), "%lld (%.1f entries per bucket when full)", buckets,
				 (double)max / (double)buckets);
		else
			snprintf(buf, sizeof(buf), "%lld", buckets);
		value_line(out, "buckets", buf);
	} else {
		value_line(out, "buckets", "unknown");
	}
}

static void timeouts(FILE *out, json_t *f)
{
	json_t *t = json_object_get(f, "timeouts");
	size_t all = json_object_size(t), shown = 0;
	section(out, "Timeouts");
	for (size_t i = 0; i < ELEMENTSOF(key_timeouts); i++) {
		long long s;
		char d[32];
		if (!num(t, key_timeouts[i], &s) || ctune_duration_format(s, d, sizeof(d)) < 0)
			continue;
		fprintf(out, "  %-*s%-10s%lld s\n", 25, key_timeouts[i], d, s);
		shown++;
	}
	if (all == 0)
		fputs("  none readable\n", out);
	else if (all > shown)
		fprintf(out, "  (%zu more; ctune facts --format json lists all %zu)\n", all - shown, all);
}

static void event_time(FILE *out, const char *l, json_t *e)
{
	/* A wall-clock time, else the log's own stamp (syslog: no year), else
	 * seconds since boot. */
	const char *when = str(e, "time") ?: str(e, "text");
	json_t *boot = json_object_get(e, "boot_seconds");
	char buf[256];
	if (when && json_is_number(boot))
		snprintf(buf, sizeof(buf), "%s (%.1f s after boot)", when, json_number_value(boot));
	else if (json_is_number(boot))
		snprintf(buf, sizeof(buf), "%.1f s after boot", json_number_value(boot));
	else
		snprintf(buf, sizeof(buf), "%s", when ?: "unknown time");
	value_line(out, l, buf);
}

static void events(FILE *out, json_t *f)
{
	json_t *e = json_object_get(f, "events");
	if (!json_is_object(e))
		return;
	char buf[1024];
	long long n, k;
	section(out, "Kernel log: table full");
	if (!json_is_true(json_object_get(e, "checked"))) {
		snprintf(buf, sizeof(buf), "not checked: %s", str(e, "error") ?: "no reason given");
		value_line(out, "log", buf);
	} else {
		snprintf(buf, sizeof(buf), "%s (%s)", str(e, "path") ?: "?", str(e, "source") ?: "?");
		value_line(out, "log", buf);
		long long full = 0, sup = 0;
		num(e, "table_full", &full);
		num(e, "suppressed", &sup);
		if (sup > 0)
			snprintf(buf, sizeof(buf), "%lld message%s, and %lld more suppressed by the kernel's rate limit",
				 full, full == 1 ? "" : "s", sup);
		else
			snprintf(buf, sizeof(buf), "%lld message%s", full, full == 1 ? "" : "s");
		value_line(out, "table full", buf);
		if (num(e, "limit_exceeded", &k) && k > 0) {
			snprintf(buf, sizeof(buf), "%lld message%s", k, k == 1 ? "" : "s");
			value_line(out, "limit exceeded", buf);
		}
		if (num(e, "in_netns", &k) && k > 0) {
			snprintf(buf, sizeof(buf), "%lld of them in other network namespaces", k);
			value_line(out, "in a netns", buf);
		}
		if (num(e, "limit", &k)) {
			snprintf(buf, sizeof(buf), "%lld entries (as the kernel logged it)", k);
			value_line(out, "limit", buf);
		}
		if (num(e, "count", &n) && n > 0) {
			json_t *first = json_object_get(e, "first"), *last = json_object_get(e, "last");
			if (json_is_object(first))
				event_time(out, "first seen", first);
			if (json_is_object(last))
				event_time(out, "last seen", last);
		}
		if (num(e, "lost", &k) && k > 0) {
			snprintf(buf, sizeof(buf), "%lld log records were overwritten before they were read", k);
			value_line(out, "lost", buf);
		}
	}
	pairs(out, "counters", json_object_get(e, "counters"), false);
}

/* "recommended X   N (now M: keep|change)" for the tunable name ("max",
 * "buckets"), its current value read from the facts' top level. */
static void recommended(FILE *out, json_t *f, json_t *a, const char *name)
{
	char key[64], change[64], l[64], buf[256];
	long long v, now;
	snprintf(key, sizeof(key), "recommended_%s", name);
	snprintf(change, sizeof(change), "change_%s", name);
	snprintf(l, sizeof(l), "recommended %s", name);
	if (!num(a, key, &v))
		return;
	if (num(f, name, &now))
		snprintf(buf, sizeof(buf), "%lld (now %lld: %s)", v, now,
			 json_is_true(json_object_get(a, change)) ? "change" : "keep");
	else
		snprintf(buf, sizeof(buf), "%lld (now unknown)", v);
	value_line(out, l, buf);
}

static void advice(FILE *out, json_t *f)
{
	json_t *a = json_object_get(f, "advice");
	if (!json_is_object(a))
		return;
	char buf[1024], b1[32], b2[32];
	long long v, d, m;
	section(out, "Advice");
	recommended(out, f, a, "max");
	recommended(out, f, a, "buckets");
	if (num(a, "default_max", &v) && num(a, "default_buckets", &d) && num(a, "memory_total_bytes", &m)) {
		bytes_text(m, b1, sizeof(b1));
		snprintf(buf, sizeof(buf), "max %lld, buckets %lld (with %s of RAM)", v, d, b1);
		value_line(out, "kernel default", buf);
	}
	if (num(a, "bytes_per_entry", &v)) {
		const char *src = str(a, "bytes_per_entry_source");
		const char *how = !src ? "source unknown"
				  : strcmp(src, "slabinfo") == 0 ? "measured in /proc/slabinfo"
				  : strcmp(src, "sysfs_slab") == 0 ? "measured in /sys/kernel/slab"
				  : strcmp(src, "estimate") == 0 ? "estimated for this kernel"
								  : src;
		long long at_max;
		if (num(a, "memory_at_max_bytes", &at_max)) {
			bytes_text(at_max, b1, sizeof(b1));
			snprintf(buf, sizeof(buf), "%s when full (%lld bytes per entry, %s)", b1, v, how);
		} else {
			snprintf(buf, sizeof(buf), "%lld bytes per entry (%s)", v, how);
		}
		value_line(out, "memory", buf);
	}
	if (num(a, "recommended_memory_bytes", &v)) {
		bytes_text(v, b2, sizeof(b2));
		snprintf(buf, sizeof(buf), "%s when full at the recommended max%s", b2,
			 json_is_true(json_object_get(a, "capped_by_memory")) ? " (capped by memory)" : "");
		value_line(out, "memory advised", buf);
	}
	if (num(a, "peak", &v)) {
		snprintf(buf, sizeof(buf), "%lld entries (from %s)", v, str(a, "peak_source") ?: "?");
		value_line(out, "highest use known", buf);
	}
	value_line(out, "table full seen", json_is_true(json_object_get(a, "table_full_seen")) ? "yes" : "no");
	json_t *reasons = json_object_get(a, "reasons");
	size_t i;
	json_t *r;
	if (json_array_size(reasons))
		fputs("  why\n", out);
	json_array_foreach(reasons, i, r)
	{
		if (!json_is_string(r))
			continue;
		fputs("    - ", out);
		wrap(out, json_string_value(r), 6, 6);
	}
}

static void stats(FILE *out, json_t *f)
{
	json_t *s = json_object_get(f, "stats");
	if (!json_is_object(s))
		return;
	char title[512];
	size_t cpus = json_array_size(json_object_get(s, "per_cpu"));
	snprintf(title, sizeof(title), "Statistics (summed over %zu CPU%s, from %s)", cpus, cpus == 1 ? "" : "s",
		 str(s, "file") ?: str(s, "source") ?: "?");
	section(out, title);
	/* entries is the count again, shown above. */
	_cleanup_json_ json_t *total = json_deep_copy(json_object_get(s, "total"));
	if (!total)
		return;
	json_object_del(total, "entries");
	pairs(out, "counters", total, false);
}

/* Top talkers: one line a dimension, "key count (share)", largest first;
 * a count that may be off says by how much ("~1234 ±56").  Zone and mark
 * only when some entry is outside zone 0 / mark 0. */
static void top_talkers(FILE *out, json_t *t, long long total)
{
	json_t *top = json_object_get(t, "top");
	if (!json_is_object(top))
		return;
	static const struct {
		const char *key, *label;
	} dims[] = {
		{ "by_src", "by source" }, { "by_dst", "by destination" }, { "by_dport", "by service" },
		{ "by_zone", "by zone" },  { "by_mark", "by mark" },
	};
	long long limit = 0;
	num(top, "limit", &limit);
	char title[128];
	snprintf(title, sizeof(title), "Top talkers (the %lld largest groups)", limit);
	section(out, title);
	for (size_t i = 0; i < ELEMENTSOF(dims); i++) {
		json_t *d = json_object_get(top, dims[i].key);
		json_t *groups = json_object_get(d, "groups");
		size_t n = json_array_size(groups);
		if (n == 0)
			continue;
		if (i >= 3 && n == 1 && strcmp(str(json_array_get(groups, 0), "key") ?: "", "0") == 0)
			continue;
		/* wrapped between groups, never inside one, as pairs() does */
		label(out, dims[i].label);
		int col = LABEL;
		for (size_t g = 0; g < n; g++) {
			json_t *grp = json_array_get(groups, g);
			long long c = 0, e = 0;
			num(grp, "count", &c);
			num(grp, "error", &e);
			char item[160], err[32] = "", share[24] = "";
			if (e > 0)
				snprintf(err, sizeof(err), " ±%lld", e);
			if (total > 0)
				snprintf(share, sizeof(share), " (%.1f%%)", 100.0 * (double)c / (double)total);
			snprintf(item, sizeof(item), "%s %s%lld%s%s", str(grp, "key") ?: "?", e > 0 ? "~" : "", c, err,
				 share);
			int w = (int)strlen(item);
			if (g > 0 && col + 2 + w > WIDTH) {
				fprintf(out, ",\n%*s", LABEL, "");
				col = LABEL;
			} else if (g > 0) {
				fputs(", ", out);
				col += 2;
			}
			fputs(item, out);
			col += w;
		}
		fputc('\n', out);
	}
}

static void table(FILE *out, json_t *f)
{
	json_t *t = json_object_get(f, "table");
	if (!json_is_object(t))
		return;
	char title[512], buf[256];
	long long total = 0, v;
	num(t, "total", &total);
	snprintf(title, sizeof(title), "Table: %lld entries walked (%s%s%s)", total, str(t, "source") ?: "?",
		 str(t, "file") ? ", " : "", str(t, "file") ?: "");
	section(out, title);
	pairs(out, "family", json_object_get(t, "family"), true);
	pairs(out, "protocol", json_object_get(t, "protocol"), true);
	pairs(out, "tcp state", json_object_get(t, "tcp_state"), true);
	static const struct {
		const char *key, *label, *what;
	} flags[] = {
		{ "assured", "assured", "seen traffic both ways: kept when the table is full" },
		{ "unreplied", "unreplied", "no reply yet: dropped first when the table is full" },
		{ "offload", "offloaded", "handled by a flowtable" },
		{ "long_timeout", "long timeout", "expire in more than 1d" },
		{ "malformed", "unreadable", "lines ctune could not parse" },
	};
	for (size_t i = 0; i < ELEMENTSOF(flags); i++) {
		if (!num(t, flags[i].key, &v))
			continue;
		if ((strcmp(flags[i].key, "offload") == 0 || strcmp(flags[i].key, "malformed") == 0) && v == 0)
			continue;
		if (total > 0)
			snprintf(buf, sizeof(buf), "%lld (%.1f%%) %s", v, 100.0 * (double)v / (double)total,
				 flags[i].what);
		else
			snprintf(buf, sizeof(buf), "%lld %s", v, flags[i].what);
		value_line(out, flags[i].label, buf);
	}
	top_talkers(out, t, total);
}

/* --netns: who holds the table, largest first (at most NETNS_SHOWN lines). */
#define NETNS_SHOWN 20
static void netns(FILE *out, json_t *f)
{
	json_t *a = json_object_get(f, "netns");
	if (!json_is_array(a))
		return;
	char title[128], l[96], buf[1024];
	snprintf(title, sizeof(title), "Network namespaces (%zu, most entries first)", json_array_size(a));
	section(out, title);
	size_t i;
	json_t *ns;
	json_array_foreach(a, i, ns)
	{
		if (i == NETNS_SHOWN) {
			snprintf(buf, sizeof(buf), "%zu more (--format json lists them all)", json_array_size(a) - i);
			value_line(out, "...", buf);
			break;
		}
		long long ino = 0, count, pid;
		num(ns, "inode", &ino);
		if (str(ns, "name"))
			snprintf(l, sizeof(l), "%s", str(ns, "name"));
		else
			snprintf(l, sizeof(l), "inode %lld", ino);
		size_t n = 0;
		json_t *pc = json_object_get(ns, "usage_percent");
		if (num(ns, "count", &count))
			n += (size_t)snprintf(buf, sizeof(buf), "%lld entries", count);
		else
			n += (size_t)snprintf(buf, sizeof(buf), "entries unknown: %s", str(ns, "error") ?: "?");
		if (json_is_number(pc) && n < sizeof(buf))
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, " (%.1f%%)", json_number_value(pc));
		long long drop = 0, early = 0, failed = 0;
		num(ns, "drop", &drop);
		num(ns, "early_drop", &early);
		num(ns, "insert_failed", &failed);
		if ((drop || early || failed) && n < sizeof(buf))
			n += (size_t)snprintf(buf + n, sizeof(buf) - n,
					      "; since boot drop %lld, early_drop %lld, insert_failed %lld", drop, early,
					      failed);
		if (num(ns, "pid", &pid) && n < sizeof(buf))
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "; pid %lld (%s), cgroup %s", pid,
					      str(ns, "comm") ?: "?", str(ns, "cgroup") ?: "?");
		else if (n < sizeof(buf))
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "; no process, only the mount");
		if (json_is_true(json_object_get(ns, "current")) && n < sizeof(buf))
			snprintf(buf + n, sizeof(buf) - n, "; ctune's own");
		value_line(out, l, buf);
	}
}

/* What the next boot applies, where a sysctl file assigns a tunable. */
static void boot(FILE *out, json_t *f)
{
	json_t *b = json_object_get(f, "effective_at_boot");
	if (!json_is_object(b))
		return;
	char title[256], buf[1024];
	long long files = 0;
	num(b, "files_read", &files);
	snprintf(title, sizeof(title), "At boot (%s, %lld sysctl file%s read)", str(b, "model") ?: "?", files,
		 files == 1 ? "" : "s");
	section(out, title);
	json_t *early = json_object_get(b, "module_early");
	snprintf(buf, sizeof(buf), "%s%s%s", json_is_boolean(early) ? (json_is_true(early) ? "yes" : "NO") : "unknown",
		 str(b, "module_reason") ? ": " : "", str(b, "module_reason") ?: "");
	value_line(out, "module early", buf);
	const char *k;
	json_t *v;
	size_t n = 0;
	json_object_foreach(json_object_get(b, "tunables"), k, v)
	{
		long long val, live, line = 0;
		char value[160], running[96];
		num(v, "line", &line);
		json_t *rej = json_object_get(v, "rejected");
		size_t nrej = json_array_size(rej);
		if (num(v, "value", &val))
			snprintf(value, sizeof(value), "%lld", val);
		else if (nrej)
			snprintf(value, sizeof(value), "kernel default ('%s' refused: %s)", str(v, "raw") ?: "?",
				 str(json_array_get(rej, nrej - 1), "reason") ?: "?");
		else
			snprintf(value, sizeof(value), "'%s'", str(v, "raw") ?: "?");
		json_t *matches = json_object_get(v, "matches_live");
		if (num(v, "live", &live))
			snprintf(running, sizeof(running), "running %lld: %s", live,
				 json_is_true(matches) ? "same" : json_is_false(matches) ? "DIFFERS" : "?");
		else
			snprintf(running, sizeof(running), "not running now");
		snprintf(buf, sizeof(buf), "%s from %s:%lld (%s)%s", value, str(v, "file") ?: "?", line, running,
			 json_is_false(json_object_get(v, "applies")) ? "; skipped: conntrack loads after sysctl" : "");
		value_line(out, k, buf);
		n++;
	}
	if (n == 0)
		value_line(out, "tunables", "no sysctl file sets a conntrack key: kernel defaults at boot");
}

static void warnings(FILE *out, json_t *f)
{
	json_t *w = json_object_get(f, "warnings");
	size_t i;
	json_t *v;
	if (!json_array_size(w))
		return;
	section(out, "Warnings");
	json_array_foreach(w, i, v)
	{
		if (!json_is_string(v))
			continue;
		fputs("  ! ", out);
		wrap(out, json_string_value(v), 4, 4);
	}
}

/* Length of the UTF-8 sequence at p (at most n bytes) when it is valid
 * and prints (a code point from U+00A0 up, not a C1 control), else 0. */
static size_t printable_utf8(const unsigned char *p, size_t n)
{
	size_t len = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 && p[0] < 0xe0 ? 2 : 0;
	if (len == 0 || len > n)
		return 0;
	unsigned long cp = p[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	bool shortest = len == 2 ? cp >= 0x80 : len == 3 ? cp >= 0x800 : cp >= 0x10000;
	if (!shortest || cp < 0xa0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Write text to out with every byte a terminal could act on shown as
 * \xNN: control characters (ESC, BEL, CR, backspace ...) but the line
 * ends, DEL, C1 controls and bytes that are not UTF-8.  The report quotes
 * text from files under the root (osrelease, log lines, file names): an
 * image must not be able to move the cursor or retitle the terminal. */
void ctune_human_escape(FILE *out, const char *text, size_t n)
{
	const unsigned char *p = (const unsigned char *)text;
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		if ((c >= 0x20 && c < 0x7f) || c == '\n') {
			fputc(c, out);
			i++;
			continue;
		}
		size_t len = c >= 0x80 ? printable_utf8(p + i, n - i) : 0;
		if (len) {
			fwrite(p + i, 1, len, out);
			i += len;
			continue;
		}
		fprintf(out, "\\x%02x", c);
		i++;
	}
}

int ctune_human_columns(int fd)
{
	if (!isatty(fd))
		return PIPE_COLUMNS;
	struct winsize ws;
	long cols = 0;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		cols = ws.ws_col;
	const char *env = getenv("COLUMNS");
	if (cols == 0 && env && *env) {
		char *end;
		cols = strtol(env, &end, 10);
		if (*end || cols <= 0)
			cols = 0;
	}
	if (cols == 0)
		cols = 80;
	return cols < MIN_COLUMNS ? MIN_COLUMNS : cols > 1000 ? 1000 : (int)cols;
}

/* Write the report escaped, any line still longer than WIDTH (a table row
 * printed whole, a long name) broken at its last blank that fits and
 * carried on under its own first word's column. */
static void rewrap(FILE *out, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		size_t lead = strspn(p, " ");
		if (lead >= n)
			lead = 0;
		size_t indent = lead + 2 < (size_t)WIDTH / 2 ? lead + 2 : lead;
		bool first = true;
		do {
			size_t room = (size_t)WIDTH - (first ? 0 : indent), cut = n;
			if (n > room) {
				/* The last blank that fits; none: the whole word. */
				cut = room;
				while (cut > lead && p[cut] != ' ')
					cut--;
				if (cut <= lead) {
					cut = lead + strcspn(p + lead, " ");
					if (cut > n)
						cut = n;
				}
			}
			if (!first)
				fprintf(out, "%*s", (int)indent, "");
			ctune_human_escape(out, p, cut);
			fputc('\n', out);
			while (cut < n && p[cut] == ' ')
				cut++;
			p += cut;
			n -= cut;
			first = false;
			lead = 0;
		} while (n > 0);
		p = nl ? nl + 1 : end;
	}
}

int ctune_human_print(FILE *out, json_t *f)
{
	if (!json_is_object(f))
		return -EINVAL;
	WIDTH = ctune_human_columns(fileno(out)) - 1;
	/* The report is made whole in memory, then written escaped. */
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	if (!mem)
		return -ENOMEM;
	identity(mem, f);
	size(mem, f);
	netns(mem, f);
	timeouts(mem, f);
	events(mem, f);
	advice(mem, f);
	stats(mem, f);
	table(mem, f);
	boot(mem, f);
	warnings(mem, f);
	if (fclose(mem) == EOF) {
		free(text);
		return -ENOMEM;
	}
	rewrap(out, text, len);
	free(text);
	return fflush(out) == EOF || ferror(out) ? -EIO : 0;
}
