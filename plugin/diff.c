/* diff.c - see diff.h.
 *
 * The common head and tail of the two texts are set aside first (a sysctl
 * file changed by ctune differs in a line or two), then the middle is
 * matched by a longest common subsequence of whole lines.  A middle too
 * large for that table (more than MAX_CELLS pairs of lines) is shown as all
 * removed then all added: a longer diff, still a correct one.
 */
#include "diff.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "human.h"

#define CONTEXT 3
#define MAX_CELLS (4u << 20)

typedef struct line {
	const char *s;
	size_t n;  /* without its '\n' */
	bool eol;  /* a '\n' ends it (the last line of a file may lack one) */
} line;

typedef struct op {
	char kind; /* ' ', '-', '+' */
	const line *l;
	size_t old_no, new_no; /* lines of each text before this one */
} op;

static line *split(const char *text, size_t *count)
{
	size_t n = 0, cap = 16;
	line *v = malloc(cap * sizeof(*v));
	if (!v)
		return NULL;
	for (const char *p = text; *p;) {
		if (n == cap) {
			line *nv = realloc(v, (cap *= 2) * sizeof(*v));
			if (!nv) {
				free(v);
				return NULL;
			}
			v = nv;
		}
		const char *nl = strchr(p, '\n');
		v[n].s = p;
		v[n].n = nl ? (size_t)(nl - p) : strlen(p);
		v[n].eol = nl != NULL;
		p = nl ? nl + 1 : p + v[n].n;
		n++;
	}
	*count = n;
	return v;
}

static bool same(const line *a, const line *b)
{
	return a->n == b->n && a->eol == b->eol && memcmp(a->s, b->s, a->n) == 0;
}

/* The middle a[0..n) against b[0..m) as ops appended at ops[*k]. */
static int match_middle(const line *a, size_t n, const line *b, size_t m, op *ops, size_t *k)
{
	uint32_t *lcs = NULL;
	if (n > 0 && m > 0 && (n + 1) <= MAX_CELLS / (m + 1)) {
		lcs = calloc((n + 1) * (m + 1), sizeof(*lcs));
		if (!lcs)
			return -ENOMEM;
		for (size_t i = n; i-- > 0;)
			for (size_t j = m; j-- > 0;) {
				uint32_t *c = &lcs[i * (m + 1) + j];
				uint32_t down = lcs[(i + 1) * (m + 1) + j], right = lcs[i * (m + 1) + j + 1];
				*c = same(&a[i], &b[j]) ? lcs[(i + 1) * (m + 1) + j + 1] + 1 : down > right ? down : right;
			}
	}
	size_t i = 0, j = 0;
	while (i < n || j < m) {
		if (lcs && i < n && j < m && same(&a[i], &b[j])) {
			ops[(*k)++] = (op){ ' ', &a[i], 0, 0 };
			i++, j++;
		} else if (i < n && (j == m || !lcs || lcs[(i + 1) * (m + 1) + j] >= lcs[i * (m + 1) + j + 1])) {
			ops[(*k)++] = (op){ '-', &a[i++], 0, 0 };
		} else {
			ops[(*k)++] = (op){ '+', &b[j++], 0, 0 };
		}
	}
	free(lcs);
	return 0;
}

static void print_line(FILE *out, const op *o, bool color)
{
	const char *on = !color ? "" : o->kind == '-' ? "\033[31m" : o->kind == '+' ? "\033[32m" : "";
	/* A file under --root may hold escape sequences: shown as \xNN. */
	fprintf(out, "%s%c", on, o->kind);
	for (size_t i = 0, seg; i < o->l->n; i += seg) {
		const char *tab = memchr(o->l->s + i, '\t', o->l->n - i);
		seg = tab ? (size_t)(tab - o->l->s) - i : o->l->n - i;
		ctune_human_escape(out, o->l->s + i, seg);
		if (tab) {
			fputc('\t', out); /* harmless, and kept so that patch(1) applies the diff */
			seg++;
		}
	}
	fprintf(out, "%s\n", *on ? "\033[0m" : "");
	if (!o->l->eol)
		fputs("\\ No newline at end of file\n", out);
}

/* A hunk's range: its first line (1-based; the line before it when the
 * hunk holds none of this text) and count. */
static void range(FILE *out, size_t before, size_t count)
{
	if (count == 1)
		fprintf(out, "%zu", before + 1);
	else
		fprintf(out, "%zu,%zu", before + (count > 0), count);
}

int ctune_unified_diff(FILE *out, const char *name, const char *before, const char *after, bool color)
{
	size_t n = 0, m = 0;
	_cleanup_free_ line *a = split(before ? before : "", &n);
	_cleanup_free_ line *b = split(after ? after : "", &m);
	if (!a || !b)
		return -ENOMEM;
	size_t head = 0, tail = 0;
	while (head < n && head < m && same(&a[head], &b[head]))
		head++;
	while (tail < n - head && tail < m - head && same(&a[n - 1 - tail], &b[m - 1 - tail]))
		tail++;
	if (head == n && head == m)
		return 0;
	_cleanup_free_ op *ops = malloc((n + m + 1) * sizeof(*ops));
	if (!ops)
		return -ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < head; i++)
		ops[k++] = (op){ ' ', &a[i], 0, 0 };
	if (match_middle(a + head, n - head - tail, b + head, m - head - tail, ops, &k) < 0)
		return -ENOMEM;
	for (size_t i = n - tail; i < n; i++)
		ops[k++] = (op){ ' ', &a[i], 0, 0 };
	size_t on = 0, nn = 0;
	for (size_t i = 0; i < k; i++) {
		ops[i].old_no = on;
		ops[i].new_no = nn;
		on += ops[i].kind != '+';
		nn += ops[i].kind != '-';
	}

	fprintf(out, "%s--- %s%s\n%s+++ %s%s\n", color ? "\033[1m" : "", name, color ? "\033[0m" : "",
		color ? "\033[1m" : "", name, color ? "\033[0m" : "");
	size_t i = 0;
	while (i < k) {
		while (i < k && ops[i].kind == ' ')
			i++;
		if (i == k)
			break;
		/* A hunk: from CONTEXT lines before this change to CONTEXT lines
		 * after the last change that is no more than 2 * CONTEXT
		 * unchanged lines from the one before it. */
		size_t start = i > CONTEXT ? i - CONTEXT : 0, end = i;
		for (;;) {
			while (end < k && ops[end].kind != ' ')
				end++;
			size_t same_run = end;
			while (same_run < k && ops[same_run].kind == ' ')
				same_run++;
			if (same_run < k && same_run - end <= 2 * CONTEXT)
				end = same_run;
			else {
				end = end + CONTEXT < k ? end + CONTEXT : k;
				break;
			}
		}
		size_t oc = 0, nc = 0;
		for (size_t j = start; j < end; j++) {
			oc += ops[j].kind != '+';
			nc += ops[j].kind != '-';
		}
		/* As diff -u: a count of 1 is left out ("-5" for "-5,1"). */
		fprintf(out, "%s@@ -", color ? "\033[36m" : "");
		range(out, ops[start].old_no, oc);
		fputs(" +", out);
		range(out, ops[start].new_no, nc);
		fprintf(out, " @@%s\n", color ? "\033[0m" : "");
		for (size_t j = start; j < end; j++)
			print_line(out, &ops[j], color);
		i = end;
	}
	return 0;
}
