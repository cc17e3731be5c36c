/* stat.h - per-CPU conntrack statistics (/proc/net/stat/nf_conntrack, the
 * legacy /proc/net/stat/ip_conntrack, or ctnetlink's per-CPU stats).
 *
 * The file is a header line of column names and one line of hexadecimal
 * numbers per possible CPU.  Column sets differ between kernels, so columns
 * are always found by header name, never by position.  `entries` is the
 * global count repeated on every CPU line: its total is the value, not a sum.
 */
#ifndef CTUNE_STAT_H
#define CTUNE_STAT_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "root.h"
#include "scheme.h"

#define CTUNE_STAT_MAX_COLS 32
#define CTUNE_STAT_NAME_MAX 24
#define CTUNE_STAT_MAX_CPUS 8192

typedef struct ctune_stats {
	size_t ncols;
	char names[CTUNE_STAT_MAX_COLS][CTUNE_STAT_NAME_MAX];
	uint64_t total[CTUNE_STAT_MAX_COLS]; /* summed over CPUs (entries: not summed) */
	size_t ncpus;
	uint64_t *per_cpu; /* ncpus * ncols values, row by row; malloc'ed */
} ctune_stats;

/* Parse the text of a stat file into st (which it initialises).  Returns 0
 * or -EINVAL (err says which line) / -ENOMEM.  Free with ctune_stats_free.
 * The first non-blank line is the header; blank lines are skipped.  A row
 * whose field count differs from the header's, or with a value that is not
 * hex (1..16 digits), fails the whole text.  Empty text (no header) is
 * -EINVAL; a header alone is valid with ncpus = 0 and zero totals.  Columns
 * past CTUNE_STAT_MAX_COLS are checked but not stored; more than
 * CTUNE_STAT_MAX_CPUS rows is -EINVAL.  On failure st holds nothing to free
 * (calling ctune_stats_free is still safe). */
int ctune_stats_parse(const char *text, size_t len, ctune_stats *st, ctune_error *err);

/* Read and parse the scheme's stat file under the root.  Returns 0, -ENOENT
 * when the file is missing (or the scheme has none), or -errno; err names the
 * file (also for -ENOENT: pass a scratch error or NULL where a missing file
 * is an answer rather than a failure). */
int ctune_stats_read(const ctune_root *r, ctune_scheme scheme, ctune_stats *st, ctune_error *err);

/* Index of column name, or -1. */
int ctune_stats_col(const ctune_stats *st, const char *name);

/* Value of a column on one CPU. */
static inline uint64_t ctune_stats_cpu(const ctune_stats *st, size_t cpu, size_t col)
{
	return st->per_cpu[cpu * st->ncols + col];
}

void ctune_stats_free(ctune_stats *st);

#endif
