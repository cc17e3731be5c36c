/* stat.c - /proc/net/stat/nf_conntrack (and the legacy ip_conntrack file),
 * read by header name.
 *
 * Why this file exists: the per-CPU counters (found, invalid, insert_failed,
 * drop, early_drop ...) are the cheap evidence that the table overflows, and
 * every kernel generation prints a different column set (2.6.18: 16 columns
 * with `searched` and `delete_list`; 3.10 adds `search_restart`; current
 * kernels print `clashres` and `chainlength` in their places).  So the header
 * line is read first and every later lookup goes by name.
 *
 * Data flow: the whole file (a few KiB: one line per possible CPU) is in
 * memory; the first non-blank line gives the column names, each later
 * non-blank line one row of hexadecimal values, stored row by row in
 * per_cpu and summed into total.  `entries` is the global table count that
 * the kernel repeats on every CPU line, so its total is the first CPU's value.
 *
 * Strictness: a row with another number of fields than the header, or a value
 * that is not hexadecimal (at most 16 digits), makes the whole file -EINVAL
 * with the line number in err: a half-understood statistics file must not be
 * reported as figures.  Blank lines are skipped.  Text with no header at all
 * (empty or blank) is -EINVAL too; a header with no CPU line is valid and
 * gives ncpus = 0 and zero totals (the columns are still known).  Columns past
 * CTUNE_STAT_MAX_COLS are checked but not stored; more than
 * CTUNE_STAT_MAX_CPUS rows is -EINVAL.
 */
#include "stat.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

/* 8192 CPUs of 32 columns of "%016x " is 4.4 MB: anything larger is not a
 * statistics file. */
#define STAT_FILE_MAX (8u * 1024u * 1024u)

static inline bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static inline int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static inline bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* The next field of [*p, e): returns false at the end of the line. */
static bool next_field(const char **p, const char *e, const char **f, size_t *n)
{
	const char *q = *p;
	while (q < e && is_blank(*q))
		q++;
	if (q == e)
		return false;
	const char *start = q;
	while (q < e && !is_blank(*q))
		q++;
	*f = start;
	*n = (size_t)(q - start);
	*p = q;
	return true;
}

static bool line_is_blank(const char *p, const char *e)
{
	for (; p < e; p++)
		if (!is_blank(*p))
			return false;
	return true;
}

static bool parse_hex(const char *f, size_t n, uint64_t *out)
{
	if (n == 0 || n > 16)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		int d = hex_value(f[i]);
		if (d < 0)
			return false;
		v = v << 4 | (uint64_t)d;
	}
	*out = v;
	return true;
}

/* Column names from the header line.  *nfields gets the number of names,
 * which may exceed the stored st->ncols. */
static int parse_header(const char *p, const char *e, size_t lineno, ctune_stats *st, size_t *nfields,
			ctune_error *err)
{
	const char *f;
	size_t n, count = 0;
	bool all_hex = true;
	while (next_field(&p, e, &f, &n)) {
		uint64_t ignored;
		if (!parse_hex(f, n, &ignored))
			all_hex = false;
		for (size_t i = 0; i < n; i++)
			if (!is_name_char(f[i]))
				return ctune_error_set(err, -EINVAL, "line %zu: column name \"%.*s\" is not a name",
						       lineno, (int)(n > 64 ? 64 : n), f);
		if (count < CTUNE_STAT_MAX_COLS) {
			if (n >= CTUNE_STAT_NAME_MAX)
				return ctune_error_set(err, -EINVAL, "line %zu: column name \"%.*s\" is too long",
						       lineno, (int)(n > 64 ? 64 : n), f);
			memcpy(st->names[count], f, n);
			st->names[count][n] = '\0';
		}
		count++;
	}
	if (all_hex)
		return ctune_error_set(err, -EINVAL, "line %zu: expected the header of column names, found numbers",
				       lineno);
	st->ncols = count < CTUNE_STAT_MAX_COLS ? count : CTUNE_STAT_MAX_COLS;
	*nfields = count;
	return 0;
}

static int parse_row(const char *p, const char *e, size_t lineno, size_t nfields, ctune_stats *st,
		     ctune_error *err)
{
	uint64_t *row = st->per_cpu + st->ncpus * st->ncols;
	const char *f;
	size_t n, count = 0;
	while (next_field(&p, e, &f, &n)) {
		uint64_t v;
		if (!parse_hex(f, n, &v))
			return ctune_error_set(err, -EINVAL, "line %zu: field %zu \"%.*s\" is not a hexadecimal number",
					       lineno, count + 1, (int)(n > 64 ? 64 : n), f);
		if (count < st->ncols)
			row[count] = v;
		count++;
	}
	if (count != nfields)
		return ctune_error_set(err, -EINVAL, "line %zu: %zu fields where the header names %zu", lineno, count,
				       nfields);
	for (size_t c = 0; c < st->ncols; c++)
		st->total[c] = st->total[c] + row[c] < st->total[c] ? UINT64_MAX : st->total[c] + row[c];
	st->ncpus++;
	return 0;
}

static int stats_parse(const char *text, size_t len, ctune_stats *st, ctune_error *err)
{
	const char *p = text, *end = text + len;

	/* Rows can be no more than the lines: one allocation, sized up front. */
	size_t lines = 1;
	for (const char *q = p; q < end && (q = memchr(q, '\n', (size_t)(end - q))); q++)
		lines++;

	size_t lineno = 0, nfields = 0;
	bool have_header = false;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		lineno++;
		if (!line_is_blank(p, le)) {
			int r;
			if (!have_header) {
				r = parse_header(p, le, lineno, st, &nfields, err);
				if (r < 0)
					return r;
				have_header = true;
				size_t rows = lines < CTUNE_STAT_MAX_CPUS ? lines : CTUNE_STAT_MAX_CPUS;
				size_t cells = rows * st->ncols;
				st->per_cpu = calloc(cells > 0 ? cells : 1, sizeof(uint64_t));
				if (!st->per_cpu)
					return ctune_error_set(err, -ENOMEM, "out of memory for %zu CPU rows", rows);
			} else {
				if (st->ncpus == CTUNE_STAT_MAX_CPUS)
					return ctune_error_set(err, -EINVAL, "line %zu: more than %d CPU lines", lineno,
							       CTUNE_STAT_MAX_CPUS);
				r = parse_row(p, le, lineno, nfields, st, err);
				if (r < 0)
					return r;
			}
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	if (!have_header)
		return ctune_error_set(err, -EINVAL, "no header line: the statistics text is empty");

	int entries = ctune_stats_col(st, "entries");
	if (entries >= 0)
		st->total[entries] = st->ncpus ? ctune_stats_cpu(st, 0, (size_t)entries) : 0;
	return 0;
}

int ctune_stats_parse(const char *text, size_t len, ctune_stats *st, ctune_error *err)
{
	memset(st, 0, sizeof(*st));
	int r = stats_parse(text, len, st, err);
	if (r < 0) {
		ctune_stats_free(st);
		memset(st, 0, sizeof(*st));
	}
	return r;
}

int ctune_stats_read(const ctune_root *r, ctune_scheme scheme, ctune_stats *st, ctune_error *err)
{
	memset(st, 0, sizeof(*st));
	const char *abs = ctune_scheme_stat_file(scheme);
	if (!abs)
		return ctune_error_set(err, -ENOENT, "no conntrack statistics file for scheme %s",
				       ctune_scheme_name(scheme));

	char shown[4352];
	if (ctune_root_path(r, abs, shown, sizeof(shown)) < 0)
		snprintf(shown, sizeof(shown), "%s", abs);

	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int k = ctune_root_read_all(r, abs, STAT_FILE_MAX, &text, &len);
	if (k < 0)
		return ctune_error_set(err, k, "cannot read %s: %s", shown, ctune_root_strerror(k));

	ctune_error local = { 0 };
	k = ctune_stats_parse(text, len, st, &local);
	if (k < 0)
		return ctune_error_set(err, k, "%s: %s", shown, local.msg);
	return 0;
}

int ctune_stats_col(const ctune_stats *st, const char *name)
{
	for (size_t i = 0; i < st->ncols; i++)
		if (strcmp(st->names[i], name) == 0)
			return (int)i;
	return -1;
}

void ctune_stats_free(ctune_stats *st)
{
	if (!st)
		return;
	free(st->per_cpu);
	st->per_cpu = NULL;
	st->ncpus = 0;
}
