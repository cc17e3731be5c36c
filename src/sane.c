/* sane.c - see sane.h. */
#include "sane.h"

#include <errno.h>
#include <stdlib.h>

bool ctune_sane_tunable(const ctune_tunable *t, long long v, long long *lo, long long *hi)
{
	long long l = 0, h = 2147483647LL;
	if (t->kind == CTUNE_KIND_SIZE)
		h = 4294967295LL;
	else if (t->unit == CTUNE_UNIT_BYTES)
		h = 1LL << 48;
	if (lo)
		*lo = l;
	if (hi)
		*hi = h;
	return v >= l && v <= h;
}

int ctune_sane_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	uint64_t v = 0;
	bool over = false;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			over = true;
		else
			v = v * 10 + d;
	}
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	if (*s)
		return -EINVAL;
	if (over || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}
