/* report-face.c - the fleet (report.h) as a human table, JSON, Prometheus
 * text and a self-contained HTML page.
 *
 * Written as it goes with stdio, never built as a tree: 10,000 hosts cost
 * the report's records, not a JSON document of them.  Every string a host
 * controls (its name, era, init, kernel, an error's reason) goes out
 * through the one escaper of its face: JSON \u escapes, Prometheus label
 * escapes, HTML entities, or '?' for what a terminal should not get.  Bytes
 * that are not UTF-8 become U+FFFD (or '?').
 */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "advise.h"
#include "cleanup.h"

#define UNKNOWN CTUNE_REPORT_UNKNOWN

static const char *const levels[] = { "ok", "warning", "critical" };
/* Short drift names for the terminal. */
static const char *const drift_short[CTUNE_DRIFT_COUNT] = { "boot", "scheme", "buckets", "5d-timeout", "memory" };

/* The length of the valid UTF-8 sequence at p (at most n bytes), 0 if none. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned c = p[0];
	size_t len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
	if (!len || len > n || c > 0xf4)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0) || (c == 0xf0 && p[1] < 0x90) ||
	    (c == 0xf4 && p[1] >= 0x90))
		return 0;
	return len;
}

/* ---- JSON ---- */

static void json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	fputc('"', f);
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc(c, f);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
			i++;
		} else if (c < 0x80) {
			fputc(c, f);
			i++;
		} else {
			size_t len = utf8_len(p + i, n - i);
			if (len)
				fwrite(p + i, 1, len, f);
			else
				fputs("\\ufffd", f);
			i += len ? len : 1;
		}
	}
	fputc('"', f);
}

static void json_int(FILE *f, int64_t v)
{
	if (v == UNKNOWN)
		fputs("null", f);
	else
		fprintf(f, "%" PRId64, v);
}

static void json_usage(FILE *f, double u)
{
	if (u < 0)
		fputs("null", f);
	else
		fprintf(f, "%.2f", u);
}

static const char *input_name(const ctune_report *r, uint32_t i)
{
	return i < r->ninputs ? r->inputs[i] : "?";
}

static void json_host(FILE *f, ctune_report *r, const ctune_report_host *h)
{
	fputs("{\"host\": ", f);
	json_str(f, h->name);
	fputs(", \"input\": ", f);
	json_str(f, input_name(r, h->input));
	fprintf(f, ", \"level\": \"%s\", \"time\": ", levels[ctune_report_level(h)]);
	json_int(f, h->time);
	fprintf(f, ", \"stale\": %s, \"scheme\": \"%s\", \"era\": ", ctune_report_is_stale(r, h) ? "true" : "false",
		ctune_report_scheme_names[h->scheme]);
	json_str(f, h->era);
	fputs(", \"init\": ", f);
	json_str(f, h->init);
	fputs(", \"kernel_release\": ", f);
	json_str(f, h->kernel);
	fputs(", \"count\": ", f);
	json_int(f, h->count);
	fputs(", \"max\": ", f);
	json_int(f, h->max);
	fputs(", \"usage_percent\": ", f);
	json_usage(f, h->usage);
	fputs(", \"buckets\": ", f);
	json_int(f, h->buckets);
	fputs(", \"drops\": {\"drop\": ", f);
	json_int(f, h->drop);
	fputs(", \"early_drop\": ", f);
	json_int(f, h->early_drop);
	fputs(", \"insert_failed\": ", f);
	json_int(f, h->insert_failed);
	fprintf(f, ", \"total\": %" PRIu64 ", \"boot_time\": ", ctune_report_drops(h));
	json_int(f, h->boot_time);
	fputs("}, \"seconds_to_full\": ", f);
	json_int(f, h->seconds_to_full);
	fputs(", \"tcp_timeout_established\": ", f);
	json_int(f, h->tcp_established);
	fputs(", \"drift\": [", f);
	for (int b = 0, first = 1; b < CTUNE_DRIFT_COUNT; b++)
		if (h->drift & (1u << b)) {
			fprintf(f, "%s\"%s\"", first ? "" : ", ", ctune_drift_names[b]);
			first = 0;
		}
	fprintf(f, "], \"boot_drift\": %u, \"boot_drift_first\": ", (unsigned)h->boot_drift);
	if (h->boot_drift)
		json_str(f, h->boot_key);
	else
		fputs("null", f);
	fputs(", \"recommended\": {\"max\": ", f);
	json_int(f, h->recommended_max);
	fputs(", \"buckets\": ", f);
	json_int(f, h->recommended_buckets);
	fputs(", \"memory_bytes\": ", f);
	json_int(f, h->recommended_memory);
	fprintf(f, ", \"change_max\": %s, \"change_buckets\": %s, \"capped_by_memory\": %s}}",
		h->change_max ? "true" : "false", h->change_buckets ? "true" : "false",
		h->capped_by_memory ? "true" : "false");
}

static void json_tallies(FILE *f, const ctune_report_tally *t, size_t n)
{
	fputc('{', f);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ", " : "", f);
		json_str(f, t[i].name);
		fprintf(f, ": %zu", t[i].hosts);
	}
	fputc('}', f);
}

int ctune_report_print_json(FILE *f, ctune_report *r)
{
	fprintf(f, "{\n\"ctune_version\": \"%s\",\n\"generated_at\": %" PRId64 ",\n\"max_age\": ", CTUNE_VERSION,
		r->opts.now);
	json_int(f, r->opts.max_age ? r->opts.max_age : UNKNOWN);
	fprintf(f, ",\n\"top\": %zu,\n\"inputs\": [", r->opts.top);
	for (size_t i = 0; i < r->ninputs; i++) {
		fputs(i ? ", " : "", f);
		json_str(f, r->inputs[i]);
	}
	fprintf(f,
		"],\n\"fleet\": {\"hosts\": %zu, \"errors\": %zu, \"duplicates\": %zu, \"stale\": %zu, "
		"\"critical\": %zu, \"warning\": %zu, \"ok\": %zu, \"with_drops\": %zu, \"drops\": %" PRIu64
		", \"with_drift\": %zu, \"time_to_full_known\": %zu,\n  \"schemes\": {",
		r->nhosts, r->nerrors + r->errors_dropped, r->duplicates, r->stale, r->critical, r->warning,
		r->nhosts - r->critical - r->warning, r->with_drops, r->drops_total, r->with_drift, r->full_known);
	for (int s = 0; s < CTUNE_REPORT_SCHEME_COUNT; s++)
		fprintf(f, "%s\"%s\": %zu", s ? ", " : "", ctune_report_scheme_names[s], r->per_scheme[s]);
	fputs("},\n  \"eras\": ", f);
	json_tallies(f, r->eras, r->neras);
	fputs(",\n  \"inits\": ", f);
	json_tallies(f, r->inits, r->ninits);
	fputs(",\n  \"drift\": {", f);
	for (int b = 0; b < CTUNE_DRIFT_COUNT; b++)
		fprintf(f, "%s\"%s\": %zu", b ? ", " : "", ctune_drift_names[b], r->per_drift[b]);
	fprintf(f,
		"},\n  \"needs\": {\"change_max\": %zu, \"change_buckets\": %zu, \"tcp_timeout_established\": %zu, "
		"\"persist\": %zu, \"migrate\": %zu},\n  \"advised_memory_bytes\": %" PRIu64
		",\n  \"usage_known\": %zu, \"usage_histogram\": [",
		r->need_max, r->need_buckets, r->need_timeout, r->need_persist, r->need_migrate, r->advised_memory,
		r->usage_known);
	for (int b = 0; b < CTUNE_REPORT_HIST; b++)
		fprintf(f, "%s%zu", b ? ", " : "", r->histogram[b]);
	fputs("]},\n\"ranked\": [", f);
	for (size_t i = 0; i < r->nranked; i++) {
		fputs(i ? ",\n  " : "\n  ", f);
		json_str(f, r->ranked[i].name);
	}
	fputs("],\n\"hosts\": [", f);
	for (size_t i = 0; i < r->nhosts; i++) {
		ctune_report_host h;
		if (ctune_report_host_at(r, i, &h) < 0)
			return -EIO;
		fputs(i ? ",\n  " : "\n  ", f);
		json_host(f, r, &h);
	}
	fputs("],\n\"errors\": [", f);
	for (size_t i = 0; i < r->nerrors; i++) {
		const ctune_report_error *e = &r->errors[i];
		fputs(i ? ",\n  " : "\n  ", f);
		fputs("{\"input\": ", f);
		json_str(f, input_name(r, e->input));
		fputs(", \"host\": ", f);
		if (e->host[0])
			json_str(f, e->host);
		else
			fputs("null", f);
		fputs(", \"reason\": ", f);
		json_str(f, e->reason);
		fputc('}', f);
	}
	fprintf(f, "],\n\"errors_not_listed\": %zu\n}\n", r->errors_dropped);
	return ferror(f) ? -EIO : 0;
}

/* ---- Prometheus ---- */

static void prom_label(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		if (c == '\\' || c == '"') {
			fputc('\\', f);
			fputc(c, f);
		} else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20 || c == 0x7f)
			fputc('?', f);
		else if (c >= 0x80) {
			size_t len = utf8_len(p + i, n - i);
			if (len) {
				fwrite(p + i, 1, len, f);
				i += len;
				continue;
			}
			fputc('?', f);
		} else
			fputc(c, f);
		i++;
	}
}

static void prom_head(FILE *f, const char *name, const char *help)
{
	fprintf(f, "# HELP ctune_report_%s %s\n# TYPE ctune_report_%s gauge\n", name, help, name);
}

static void prom_host(FILE *f, const char *name, const ctune_report_host *h, const char *extra)
{
	fprintf(f, "ctune_report_%s{host=\"", name);
	prom_label(f, h->name);
	fprintf(f, "\"%s} ", extra ? extra : "");
}

int ctune_report_print_prometheus(FILE *f, ctune_report *r)
{
	prom_head(f, "hosts", "Hosts whose facts were read.");
	fprintf(f, "ctune_report_hosts %zu\n", r->nhosts);
	prom_head(f, "errors", "Inputs or hosts that could not be read.");
	fprintf(f, "ctune_report_errors %zu\n", r->nerrors + r->errors_dropped);
	prom_head(f, "stale_hosts", "Hosts whose facts are older than --max-age.");
	fprintf(f, "ctune_report_stale_hosts %zu\n", r->stale);
	prom_head(f, "advised_memory_bytes", "Sum of the kernel memory the recommended sizes take.");
	fprintf(f, "ctune_report_advised_memory_bytes %" PRIu64 "\n", r->advised_memory);
	prom_head(f, "scheme_hosts", "Hosts per kernel naming scheme.");
	for (int s = 0; s < CTUNE_REPORT_SCHEME_COUNT; s++)
		fprintf(f, "ctune_report_scheme_hosts{scheme=\"%s\"} %zu\n", ctune_report_scheme_names[s], r->per_scheme[s]);
	prom_head(f, "needs_hosts", "Hosts that need each recommended change.");
	const struct {
		const char *what;
		size_t n;
	} needs[] = { { "change_max", r->need_max },          { "change_buckets", r->need_buckets },
		      { "tcp_timeout_established", r->need_timeout }, { "persist", r->need_persist },
		      { "migrate", r->need_migrate } };
	for (size_t i = 0; i < ELEMENTSOF(needs); i++)
		fprintf(f, "ctune_report_needs_hosts{change=\"%s\"} %zu\n", needs[i].what, needs[i].n);

	prom_head(f, "host_usage_ratio", "count / max of the host's table (0 to 1).");
	ctune_report_host h;
	for (size_t i = 0; i < r->nhosts; i++) {
		if (ctune_report_host_at(r, i, &h) < 0)
			return -EIO;
		if (h.usage >= 0) {
			prom_host(f, "host_usage_ratio", &h, NULL);
			fprintf(f, "%.6f\n", h.usage / 100);
		}
	}
	static const struct {
		const char *name, *help;
		size_t off;
	} nums[] = {
		{ "host_entries", "Entries in the host's table.", offsetof(ctune_report_host, count) },
		{ "host_max", "The host's nf_conntrack_max.", offsetof(ctune_report_host, max) },
		{ "host_recommended_max", "ctune's advised max.", offsetof(ctune_report_host, recommended_max) },
		{ "host_seconds_to_full", "Seconds to a full table at the rate between two samples.",
		  offsetof(ctune_report_host, seconds_to_full) },
	};
	for (size_t k = 0; k < ELEMENTSOF(nums); k++) {
		prom_head(f, nums[k].name, nums[k].help);
		for (size_t i = 0; i < r->nhosts; i++) {
			if (ctune_report_host_at(r, i, &h) < 0)
				return -EIO;
			int64_t v = *(const int64_t *)((const char *)&h + nums[k].off);
			if (v == UNKNOWN)
				continue;
			prom_host(f, nums[k].name, &h, NULL);
			fprintf(f, "%" PRId64 "\n", v);
		}
	}
	prom_head(f, "host_drops", "Packets dropped, early drops and failed inserts since boot.");
	for (size_t i = 0; i < r->nhosts; i++) {
		if (ctune_report_host_at(r, i, &h) < 0)
			return -EIO;
		prom_host(f, "host_drops", &h, NULL);
		fprintf(f, "%" PRIu64 "\n", ctune_report_drops(&h));
	}
	prom_head(f, "host_risk_level", "0 ok, 1 warning, 2 critical.");
	for (size_t i = 0; i < r->nhosts; i++) {
		if (ctune_report_host_at(r, i, &h) < 0)
			return -EIO;
		prom_host(f, "host_risk_level", &h, NULL);
		fprintf(f, "%d\n", ctune_report_level(&h));
	}
	prom_head(f, "host_drift", "1 when the host shows this drift.");
	for (size_t i = 0; i < r->nhosts; i++) {
		if (ctune_report_host_at(r, i, &h) < 0)
			return -EIO;
		for (int b = 0; b < CTUNE_DRIFT_COUNT; b++) {
			char extra[64];
			snprintf(extra, sizeof(extra), ",kind=\"%s\"", ctune_drift_names[b]);
			prom_host(f, "host_drift", &h, extra);
			fprintf(f, "%d\n", (h.drift >> b) & 1);
		}
	}
	return ferror(f) ? -EIO : 0;
}

/* ---- human ---- */

/* s as printable ASCII in exactly w columns (cut with '~', padded). */
static void cell(FILE *f, const char *s, size_t w, bool right)
{
	char buf[CTUNE_REPORT_NAME_MAX + 1];
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p && n < sizeof(buf) - 1; p++)
		buf[n++] = *p >= 0x20 && *p < 0x7f ? (char)*p : '?';
	buf[n] = '\0';
	if (w == 0)
		w = (unsigned)n;
	if (n > w) {
		n = w;
		buf[w - 1] = '~';
		buf[w] = '\0';
	}
	fprintf(f, right ? "%*s" : "%-*s", (int)w, buf);
}

static void human_num(char *b, size_t size, int64_t v)
{
	if (v == UNKNOWN)
		snprintf(b, size, "-");
	else
		snprintf(b, size, "%" PRId64, v);
}

static void human_duration(char *b, size_t size, int64_t s)
{
	if (s == UNKNOWN)
		snprintf(b, size, "-");
	else if (s < 3600)
		snprintf(b, size, "%" PRId64 "m", s / 60);
	else if (s < 172800)
		snprintf(b, size, "%" PRId64 "h", s / 3600);
	else
		snprintf(b, size, "%" PRId64 "d", s / 86400);
}

static void human_bytes(char *b, size_t size, uint64_t v)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double d = (double)v;
	size_t u = 0;
	while (d >= 1024 && u + 1 < ELEMENTSOF(units)) {
		d /= 1024;
		u++;
	}
	snprintf(b, size, u ? "%.1f %s" : "%.0f %s", d, units[u]);
}

static void human_tallies(FILE *f, const char *what, const ctune_report_tally *t, size_t n)
{
	fprintf(f, "  %-8s", what);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ", " : " ", f);
		cell(f, t[i].name, strlen(t[i].name), false);
		fprintf(f, " %zu", t[i].hosts);
	}
	fputc('\n', f);
}

int ctune_report_print_human(FILE *f, ctune_report *r)
{
	unsigned width = r->opts.width ? r->opts.width : 100;
	char mem[32];
	human_bytes(mem, sizeof(mem), r->advised_memory);
	fprintf(f, "Fleet: %zu hosts: %zu critical, %zu warning, %zu ok\n", r->nhosts, r->critical, r->warning,
		r->nhosts - r->critical - r->warning);
	fprintf(f, "  drops    %zu hosts since boot, %" PRIu64 " in all; drift on %zu hosts\n", r->with_drops,
		r->drops_total, r->with_drift);
	fprintf(f, "  scheme   ");
	for (int s = 1; s < CTUNE_REPORT_SCHEME_COUNT; s++)
		fprintf(f, "%s %zu, ", ctune_report_scheme_names[s], r->per_scheme[s]);
	fprintf(f, "unknown %zu\n", r->per_scheme[0]);
	human_tallies(f, "era", r->eras, r->neras);
	human_tallies(f, "init", r->inits, r->ninits);
	fprintf(f, "  needs    max %zu, buckets %zu, established timeout %zu, persist %zu, migrate %zu; advised "
		   "memory %s\n",
		r->need_max, r->need_buckets, r->need_timeout, r->need_persist, r->need_migrate, mem);
	fprintf(f, "  drift    ");
	for (int b = 0; b < CTUNE_DRIFT_COUNT; b++)
		fprintf(f, "%s%s %zu", b ? ", " : "", drift_short[b], r->per_drift[b]);
	fputc('\n', f);
	if (r->opts.max_age)
		fprintf(f, "  stale    %zu hosts' facts are older than %" PRId64 " s\n", r->stale, r->opts.max_age);
	if (r->nerrors + r->errors_dropped || r->duplicates)
		fprintf(f, "  errors   %zu (%zu duplicate host names)\n", r->nerrors + r->errors_dropped, r->duplicates);

	/* The columns: the time to full from 80 columns, the drift from 100;
	 * the host gets what the rest leaves (8 to 40). */
	bool show_full = width >= 80, show_drift = width >= 100;
	unsigned used = 5 + 9 + 7 + 18 + 9 + (show_full ? 8 : 0) + (show_drift ? 25 : 0);
	unsigned host_w = width > used + 8 ? width - used : 8;
	if (host_w > 40)
		host_w = 40;
	if (r->nranked)
		fprintf(f, "\nTop %zu by risk:\n", r->nranked);
	else if (!r->nhosts)
		fprintf(f, "\nNo host's facts could be read.\n");
	if (r->nranked) {
		fprintf(f, "%4s %-*s %-8s %6s %-17s %8s", "#", (int)host_w, "HOST", "LEVEL", "USAGE%", "COUNT/MAX",
			"DROPS");
		if (show_full)
			fprintf(f, " %7s", "FULL-IN");
		if (show_drift)
			fputs(" DRIFT", f);
		fputc('\n', f);
	}
	for (size_t i = 0; i < r->nranked; i++) {
		const ctune_report_host *h = &r->ranked[i];
		char b[64], c[32], m[32];
		snprintf(b, sizeof(b), "%zu", i + 1);
		cell(f, b, 4, true);
		fputc(' ', f);
		cell(f, h->name, host_w, false);
		fputc(' ', f);
		cell(f, levels[ctune_report_level(h)], 8, false);
		fputc(' ', f);
		if (h->usage >= 0)
			snprintf(b, sizeof(b), "%.1f", h->usage);
		else
			snprintf(b, sizeof(b), "-");
		cell(f, b, 6, true);
		fputc(' ', f);
		human_num(c, sizeof(c), h->count);
		human_num(m, sizeof(m), h->max);
		snprintf(b, sizeof(b), "%s/%s", c, m);
		cell(f, b, 17, false);
		fputc(' ', f);
		snprintf(b, sizeof(b), "%" PRIu64, ctune_report_drops(h));
		cell(f, b, 8, true);
		if (show_full) {
			fputc(' ', f);
			human_duration(b, sizeof(b), h->seconds_to_full);
			cell(f, b, 7, true);
		}
		if (show_drift) {
			fputc(' ', f);
			size_t room = width - used - host_w + 24, n = 0;
			for (int d = 0; d < CTUNE_DRIFT_COUNT; d++)
				if (h->drift & (1u << d)) {
					size_t len = strlen(drift_short[d]) + (n ? 1 : 0);
					if (n + len > room)
						break;
					fprintf(f, "%s%s", n ? "," : "", drift_short[d]);
					n += len;
				}
			if (!n)
				fputc('-', f);
		}
		fputc('\n', f);
	}
	if (r->nerrors) {
		fprintf(f, "\nCould not read:\n");
		for (size_t i = 0; i < r->nerrors; i++) {
			const ctune_report_error *e = &r->errors[i];
			fputs("  ", f);
			cell(f, e->host[0] ? e->host : input_name(r, e->input), host_w, false);
			fputs("  ", f);
			cell(f, e->reason, 0, false); /* the last column: not cut, not padded */
			fputc('\n', f);
		}
		if (r->errors_dropped)
			fprintf(f, "  ... and %zu more\n", r->errors_dropped);
	}
	return ferror(f) ? -EIO : 0;
}

/* ---- HTML ---- */

static void html(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		switch (c) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			if (c >= 0x80) {
				size_t len = utf8_len(p + i, n - i);
				if (len) {
					fwrite(p + i, 1, len, f);
					i += len;
					continue;
				}
				fputs("&#xfffd;", f);
			} else if (c < 0x20 || c == 0x7f)
				fputs("&#xfffd;", f);
			else
				fputc(c, f);
		}
		i++;
	}
}

static const char css[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d2733;background:#fff}"
	"h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}"
	".cards{display:flex;flex-wrap:wrap;gap:10px;margin:14px 0}"
	".card{border:1px solid #d5dbe3;border-radius:6px;padding:8px 14px;min-width:110px}"
	".card b{display:block;font-size:22px}.crit b{color:#b3261e}.warn b{color:#a15c00}"
	"table{border-collapse:collapse;margin:6px 0}th,td{border-bottom:1px solid #e3e7ec;padding:4px 10px;"
	"text-align:left;vertical-align:top}td.n{text-align:right;font-variant-numeric:tabular-nums}"
	".level-critical{color:#b3261e;font-weight:600}.level-warning{color:#a15c00}.level-ok{color:#2e7d32}"
	".charts{display:flex;flex-wrap:wrap;gap:24px}svg text{font:12px system-ui,sans-serif;fill:#1d2733}"
	".muted{color:#5f6b7a}code{word-break:break-all}td.host{white-space:nowrap}";

static void html_histogram(FILE *f, ctune_report *r)
{
	size_t peak = 1;
	for (int b = 0; b < CTUNE_REPORT_HIST; b++)
		peak = r->histogram[b] > peak ? r->histogram[b] : peak;
	fputs("<figure><figcaption>Usage of the table (hosts per 10 %)</figcaption>"
	      "<svg id=\"usage-histogram\" width=\"460\" height=\"230\" viewBox=\"0 0 460 230\" role=\"img\">",
	      f);
	for (int b = 0; b < CTUNE_REPORT_HIST; b++) {
		double h = 170.0 * (double)r->histogram[b] / (double)peak;
		int x = 30 + b * 42;
		fprintf(f, "<rect x=\"%d\" y=\"%.1f\" width=\"36\" height=\"%.1f\" fill=\"%s\"><title>%d-%d %%: %zu"
			   "</title></rect>",
			x, 190 - h, h, b >= 9 ? "#b3261e" : b >= 7 ? "#e08a00" : "#3d7cc9", b * 10, b * 10 + 10,
			r->histogram[b]);
		fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"middle\">%zu</text>", x + 18, 186 - h,
			r->histogram[b]);
		fprintf(f, "<text x=\"%d\" y=\"206\" text-anchor=\"middle\">%d%%</text>", x + 18, b * 10);
	}
	fputs("<line x1=\"28\" y1=\"190\" x2=\"452\" y2=\"190\" stroke=\"#5f6b7a\"/></svg></figure>", f);
}

static void html_top_chart(FILE *f, ctune_report *r)
{
	size_t n = r->nranked < 15 ? r->nranked : 15;
	fprintf(f, "<figure><figcaption>Top %zu hosts by risk (usage %%; red: critical)</figcaption>"
		   "<svg id=\"top-risk\" width=\"560\" height=\"%zu\" viewBox=\"0 0 560 %zu\" role=\"img\">",
		n, 20 + n * 22, 20 + n * 22);
	for (size_t i = 0; i < n; i++) {
		const ctune_report_host *h = &r->ranked[i];
		double u = h->usage < 0 ? 0 : h->usage > 100 ? 100 : h->usage;
		size_t y = 10 + i * 22;
		char label[28];
		size_t ln = strnlen(h->name, 26);
		memcpy(label, h->name, ln);
		label[ln] = '\0';
		if (ln == 26 && h->name[26]) {
			label[24] = '~';
			label[25] = '\0';
		}
		fprintf(f, "<text x=\"196\" y=\"%zu\" text-anchor=\"end\">", y + 14);
		html(f, label);
		fprintf(f, "</text><rect x=\"202\" y=\"%zu\" width=\"%.1f\" height=\"16\" fill=\"%s\"><title>", y + 2,
			3.0 * u + 1, ctune_report_level(h) == 2 ? "#b3261e" : u >= 70 ? "#e08a00" : "#3d7cc9");
		html(f, h->name);
		fprintf(f, ": %.1f %%, %" PRIu64 " drops</title></rect><text x=\"%.1f\" y=\"%zu\">%.1f%%</text>",
			u, ctune_report_drops(h), 208 + 3.0 * u, y + 14, u);
	}
	fputs("</svg></figure>", f);
}

static void html_num(FILE *f, int64_t v)
{
	if (v == UNKNOWN)
		fputs("<td class=\"n\">-</td>", f);
	else
		fprintf(f, "<td class=\"n\">%" PRId64 "</td>", v);
}

static void html_tallies(FILE *f, const char *what, const ctune_report_tally *t, size_t n)
{
	fprintf(f, "<tr><th>%s</th><td>", what);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ", " : "", f);
		html(f, t[i].name);
		fprintf(f, " %zu", t[i].hosts);
	}
	fputs("</td></tr>", f);
}

int ctune_report_print_html(FILE *f, ctune_report *r)
{
	const char *top = r->nranked ? r->ranked[0].name : "";
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
	      "script-src 'unsafe-inline'\">"
	      "<meta name=\"viewport\" content=\"width=device-width\"><title>ctune fleet report</title><style>",
	      f);
	fputs(css, f);
	fprintf(f, "</style></head>\n<body data-hosts=\"%zu\" data-errors=\"%zu\" data-top-host=\"", r->nhosts,
		r->nerrors + r->errors_dropped);
	html(f, top);
	char when[40];
	ctune_utc_minute(r->opts.now, when, sizeof(when));
	fprintf(f, "\"><h1>Conntrack fleet report</h1><p class=\"muted\">ctune %s, generated %s; %zu inputs.</p>\n"
		   "<div class=\"cards\">",
		CTUNE_VERSION, when[0] ? when : "at an unknown time", r->ninputs);
	char mem[32];
	human_bytes(mem, sizeof(mem), r->advised_memory);
	fprintf(f, "<div class=\"card\" id=\"host-count\"><b>%zu</b>hosts</div>"
		   "<div class=\"card crit\"><b>%zu</b>critical</div><div class=\"card warn\"><b>%zu</b>warning</div>"
		   "<div class=\"card\"><b>%zu</b>with drops</div><div class=\"card\"><b>%zu</b>with drift</div>"
		   "<div class=\"card\"><b>%zu</b>stale</div><div class=\"card\"><b>%zu</b>errors</div>"
		   "<div class=\"card\"><b>%s</b>advised memory</div></div>\n",
		r->nhosts, r->critical, r->warning, r->with_drops, r->with_drift, r->stale,
		r->nerrors + r->errors_dropped, mem);
	fputs("<div class=\"charts\">", f);
	html_histogram(f, r);
	html_top_chart(f, r);
	fputs("</div>\n<h2>Hosts by risk</h2><table id=\"ranked\"><thead><tr><th>#</th><th>host</th><th>level</th>"
	      "<th>usage %</th><th>count</th><th>max</th><th>drops</th><th>full in (s)</th><th>established "
	      "timeout</th><th>drift</th><th>scheme</th><th>kernel</th></tr></thead><tbody>",
	      f);
	for (size_t i = 0; i < r->nranked; i++) {
		const ctune_report_host *h = &r->ranked[i];
		const char *lv = levels[ctune_report_level(h)];
		fprintf(f, "<tr><td class=\"n\">%zu</td><td class=\"host\">", i + 1);
		html(f, h->name);
		fprintf(f, "</td><td class=\"level-%s\">%s</td>", lv, lv);
		if (h->usage >= 0)
			fprintf(f, "<td class=\"n\">%.1f</td>", h->usage);
		else
			fputs("<td class=\"n\">-</td>", f);
		html_num(f, h->count);
		html_num(f, h->max);
		fprintf(f, "<td class=\"n\">%" PRIu64 "</td>", ctune_report_drops(h));
		html_num(f, h->seconds_to_full);
		html_num(f, h->tcp_established);
		fputs("<td>", f);
		for (int d = 0, n = 0; d < CTUNE_DRIFT_COUNT; d++)
			if (h->drift & (1u << d))
				fprintf(f, "%s%s", n++ ? ", " : "", ctune_drift_names[d]);
		fprintf(f, "</td><td>%s</td><td>", ctune_report_scheme_names[h->scheme]);
		html(f, h->kernel);
		fputs("</td></tr>", f);
	}
	fputs("</tbody></table>\n<h2>Fleet</h2><table id=\"totals\">", f);
	fputs("<tr><th>schemes</th><td>", f);
	for (int s = 0; s < CTUNE_REPORT_SCHEME_COUNT; s++)
		fprintf(f, "%s%s %zu", s ? ", " : "", ctune_report_scheme_names[s], r->per_scheme[s]);
	fputs("</td></tr>", f);
	html_tallies(f, "kernel eras", r->eras, r->neras);
	html_tallies(f, "init", r->inits, r->ninits);
	fprintf(f, "<tr><th>need a change</th><td>max %zu, buckets %zu, established timeout %zu, persist %zu, "
		   "migrate %zu</td></tr>",
		r->need_max, r->need_buckets, r->need_timeout, r->need_persist, r->need_migrate);
	fputs("<tr><th>drift</th><td>", f);
	for (int b = 0; b < CTUNE_DRIFT_COUNT; b++)
		fprintf(f, "%s%s %zu", b ? ", " : "", ctune_drift_names[b], r->per_drift[b]);
	fprintf(f, "</td></tr><tr><th>advised memory</th><td>%s (%" PRIu64 " bytes)</td></tr></table>\n", mem,
		r->advised_memory);
	if (r->nerrors) {
		fputs("<h2>Could not read</h2><table id=\"errors\"><thead><tr><th>input</th><th>host</th>"
		      "<th>reason</th></tr></thead><tbody>",
		      f);
		for (size_t i = 0; i < r->nerrors; i++) {
			const ctune_report_error *e = &r->errors[i];
			fputs("<tr><td><code>", f);
			html(f, input_name(r, e->input));
			fputs("</code></td><td class=\"host\">", f);
			html(f, e->host);
			fputs("</td><td>", f);
			html(f, e->reason);
			fputs("</td></tr>", f);
		}
		fputs("</tbody></table>", f);
	}
	/* Proof for the browser test that the page ran whole: set after load. */
	fputs("\n<script>window.addEventListener('load',function(){var b=document.body;"
	      "b.setAttribute('data-rendered',String(document.querySelectorAll('#ranked tbody tr').length));"
	      "});</script>\n</body></html>\n",
	      f);
	return ferror(f) ? -EIO : 0;
}
