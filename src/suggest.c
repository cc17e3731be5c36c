/* suggest.c - see suggest.h. */
#include "suggest.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define MAX_WORD 128

unsigned ctune_edit_distance(const char *a, const char *b, unsigned limit)
{
	size_t n = strlen(a), m = strlen(b);
	if (n > MAX_WORD || m > MAX_WORD)
		return limit + 1;
	if ((n > m ? n - m : m - n) > limit)
		return limit + 1;
	/* Three rows of the dynamic programme: i-2, i-1 and i. */
	unsigned rows[3][MAX_WORD + 1];
	unsigned *pp = rows[0], *prev = rows[1], *cur = rows[2];
	for (size_t j = 0; j <= m; j++)
		prev[j] = (unsigned)j;
	for (size_t i = 1; i <= n; i++) {
		cur[0] = (unsigned)i;
		unsigned best = cur[0];
		for (size_t j = 1; j <= m; j++) {
			unsigned cost = a[i - 1] != b[j - 1];
			unsigned d = prev[j] + 1;
			if (cur[j - 1] + 1 < d)
				d = cur[j - 1] + 1;
			if (prev[j - 1] + cost < d)
				d = prev[j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && pp[j - 2] + 1 < d)
				d = pp[j - 2] + 1;
			cur[j] = d;
			if (d < best)
				best = d;
		}
		if (best > limit)
			return limit + 1;
		unsigned *t = pp;
		pp = prev;
		prev = cur;
		cur = t;
	}
	return prev[m] > limit ? limit + 1 : prev[m];
}

unsigned ctune_suggest_limit(size_t len)
{
	return len <= 4 ? 1 : len <= 8 ? 2 : 3;
}

const char *ctune_suggest(const char *word, const char *const *words, size_t n, unsigned *distance)
{
	/* Known words are lower case: "MAX" is near "max". */
	char low[MAX_WORD + 1];
	size_t len = strlen(word);
	if (len > MAX_WORD)
		return NULL;
	for (size_t i = 0; i <= len; i++)
		low[i] = (char)tolower((unsigned char)word[i]);
	unsigned limit = ctune_suggest_limit(len), best = limit + 1;
	const char *found = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!words[i])
			continue;
		unsigned d = ctune_edit_distance(low, words[i], limit);
		if (d < best) {
			best = d;
			found = words[i];
		}
	}
	/* Nothing that near: a word that only adds to a known one
	 * ("maximum": max) or starts one ("tcp_timeout_est"), at least 3
	 * letters in common. */
	for (size_t i = 0; !found && i < n; i++) {
		size_t wl = words[i] ? strlen(words[i]) : 0;
		if (wl >= 3 && ((wl < len && strncmp(low, words[i], wl) == 0) ||
				(len >= 4 && len < wl && strncmp(low, words[i], len) == 0))) {
			found = words[i];
			best = (unsigned)(wl > len ? wl - len : len - wl);
		}
	}
	if (distance)
		*distance = best;
	return found;
}

/* name with a leading "/proc/sys/" or "/" dropped and '/' turned into
 * '.', into buf; 0, or -1 when it does not fit. */
static int dotted(const char *name, char *buf, size_t size)
{
	static const char proc[] = "/proc/sys/";
	if (strncmp(name, proc, sizeof(proc) - 1) == 0)
		name += sizeof(proc) - 1;
	size_t n = strlen(name);
	if (n + 1 > size)
		return -1;
	for (size_t i = 0; i <= n; i++)
		buf[i] = name[i] == '/' ? '.' : name[i];
	return 0;
}

/* The last component of a dotted key ("nf_conntrack_max"), or NULL. */
static const char *last_part(const char *key)
{
	const char *dot = key ? strrchr(key, '.') : NULL;
	return dot ? dot + 1 : NULL;
}

const ctune_tunable *ctune_tunable_resolve(const char *name)
{
	const ctune_tunable *t = ctune_tunable_find(name);
	if (t || !*name)
		return t;
	char key[256];
	if (dotted(name, key, sizeof(key)) < 0 || key[0] == '.' || key[0] == '-')
		return NULL;
	if (strchr(key, '.'))
		return ctune_tunable_by_key(key, NULL);
	size_t n;
	const ctune_tunable *all = ctune_tunables(&n);
	for (size_t i = 0; i < n; i++)
		for (int s = 0; s < CTUNE_SCHEME_COUNT; s++) {
			const char *k = last_part(all[i].key[s]), *a = last_part(all[i].alias[s]);
			if ((k && strcmp(k, key) == 0) || (a && strcmp(a, key) == 0))
				return &all[i];
		}
	return NULL;
}

const char *ctune_tunable_suggest(const char *name, char *buf, size_t size)
{
	char key[256];
	if (dotted(name, key, sizeof(key)) < 0)
		return NULL;
	bool is_key = strchr(key, '.') != NULL;
	bool is_path = strchr(name, '/') != NULL;
	size_t n;
	const ctune_tunable *all = ctune_tunables(&n);
	/* Every spelling of the same form: the canonical names and the keys'
	 * last components for a word, the full keys for a key. */
	const char *words[4 * 64 + 64];
	size_t nw = 0;
	for (size_t i = 0; i < n && nw + 5 <= sizeof(words) / sizeof(words[0]); i++) {
		if (!is_key)
			words[nw++] = all[i].name;
		for (int s = 0; s < CTUNE_SCHEME_COUNT; s++) {
			words[nw++] = is_key ? all[i].key[s] : last_part(all[i].key[s]);
			words[nw++] = is_key ? all[i].alias[s] : last_part(all[i].alias[s]);
		}
	}
	const char *best = ctune_suggest(key, words, nw, NULL);
	if (!best)
		return NULL;
	/* Said back in the form it was written: a /proc/sys path, a slash key. */
	int len;
	if (is_path && strncmp(name, "/proc/sys/", 10) == 0)
		len = ctune_key_procpath(best, buf, size);
	else
		len = snprintf(buf, size, "%s", best);
	if (len < 0 || (size_t)len >= size)
		return NULL;
	if (is_path)
		for (char *c = buf; *c; c++)
			if (*c == '.')
				*c = '/';
	return buf;
}
