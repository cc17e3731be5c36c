/* table-internal.h - what table.c (the parser, the sequential read) and
 * table-file.c (a regular file in parallel ranges) share; not public API.
 */
#ifndef CTUNE_TABLE_INTERNAL_H
#define CTUNE_TABLE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "table.h"

/* Lines arriving in buffers of any size: each buffer's complete lines are
 * parsed where they lie, a line cut by its end is carried (at most
 * CTUNE_TABLE_LINE_MAX bytes) into the next one, and a longer line is
 * counted malformed once and skipped.  Whatever the cuts, the summary is
 * the one ctune_table_parse() gives for the bytes joined. */
struct table_stream {
	ctune_table_summary *s; /* where the counts go; may change between feeds */
	size_t have;            /* bytes of an unfinished line in carry */
	bool skipping;          /* inside an over-long line already counted */
	char carry[CTUNE_TABLE_LINE_MAX];
};

void table_stream_init(struct table_stream *st, ctune_table_summary *s);
void table_stream_feed(struct table_stream *st, const char *p, size_t n);
/* The end of the text: a last line without '\n' counts too. */
void table_stream_finish(struct table_stream *st);

/* table-top.c: the top talkers' keys of a line whose head the fast path
 * has read: tuple points at its first "src=", tail at the "use=" that ends
 * it, l4num is its protocol number and modern says it began with the
 * layer-3 pair.  Same result as ctune_top_parse_line() on the line. */
bool table_top_parse_tuple(const char *tuple, const char *tail, unsigned l4num, bool modern, ctune_top_keys *out);

/* table-file.c: add the regular file fd, of size bytes, to s, in parallel
 * ranges.  Returns 0, -EOPNOTSUPP when the file is better read sequentially
 * (small, and no thread count forced), or -errno. */
int table_summarize_file(int fd, uint64_t size, ctune_table_summary *s);

/* Character classes by hand for the parsers of table.c and table-top.c:
 * <ctype.h> goes through the locale table. */
static inline bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static inline bool is_digit(char c)
{
	return (unsigned char)(c - '0') < 10;
}

static inline bool is_alpha(char c)
{
	return (unsigned char)((c | 0x20) - 'a') < 26;
}

#endif
