/* duration.c - see duration.h.  A hand-written scanner rather than strtoll:
 * strtoll accepts leading spaces, signs and "0x", and its overflow handling
 * needs errno juggling; the rules here are few enough to state in one loop
 * over the text, one number-and-unit part at a time. */
#include "duration.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"

/* Largest first: the order combined durations must follow. */
static const struct {
	char unit;
	long long seconds;
} units[] = {
	{ 'w', 7 * 86400LL }, { 'd', 86400LL }, { 'h', 3600LL }, { 'm', 60LL }, { 's', 1LL },
};

static int unit_index(char c)
{
	for (size_t i = 0; i < ELEMENTSOF(units); i++)
		if (units[i].unit == c)
			return (int)i;
	return -1;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Why a character that is neither a digit nor an accepted unit is wrong. */
static int bad_char(const char *text, size_t at, unsigned flags, ctune_error *err)
{
	char c = text[at];
	if (c == ' ')
		return ctune_error_set(err, -EINVAL, "%.64s: spaces are not allowed", text);
	if (c == '\t')
		return ctune_error_set(err, -EINVAL, "%.64s: tabs are not allowed", text);
	if (c == '\n' || c == '\r')
		return ctune_error_set(err, -EINVAL, "%.64s: line breaks are not allowed", text);
	if (c == '\v' || c == '\f')
		return ctune_error_set(err, -EINVAL, "%.64s: control characters are not allowed", text);
	if ((c == '-' || c == '+') && at == 0)
		return ctune_error_set(err, -EINVAL, "%.64s: a sign is not allowed", text);
	if ((c == '.' || c == ',') && at > 0 && is_digit(text[at - 1]))
		return ctune_error_set(err, -EINVAL, "%.64s: fractions are not allowed", text);
	if (!(flags & CTUNE_DURATION_UNITS)) {
		if (unit_index(c) >= 0 && at > 0)
			return ctune_error_set(err, -EINVAL, "%.64s: units such as '%c' are only allowed for timeouts",
					       text, c);
		return ctune_error_set(err, -EINVAL, "%.64s: not a whole number ('%c' is not a digit)", text, c);
	}
	if (c >= 0x21 && c < 0x7f)
		return ctune_error_set(err, -EINVAL, "%.64s: unknown unit '%c' (use s, m, h, d or w)", text, c);
	return ctune_error_set(err, -EINVAL, "%.64s: unexpected byte 0x%02x", text, (unsigned char)c);
}

static int too_large(const char *text, unsigned flags, ctune_error *err)
{
	return ctune_error_set(err, -ERANGE, "%.64s: too large (more than %lld%s)", text, CTUNE_DURATION_MAX,
			       flags & CTUNE_DURATION_UNITS ? " seconds" : "");
}

int ctune_duration_parse(const char *text, unsigned flags, long long *seconds, ctune_error *err)
{
	if (!text || !*text)
		return ctune_error_set(err, -EINVAL, "empty value: expected a number%s",
				       flags & CTUNE_DURATION_UNITS ? " or a duration such as 12h" : "");

	long long total = 0;
	int last_unit = -1; /* index into units[] of the previous part's unit */
	size_t i = 0;
	while (text[i]) {
		size_t start = i;
		long long n = 0;
		while (is_digit(text[i])) {
			if (__builtin_mul_overflow(n, 10, &n) || __builtin_add_overflow(n, text[i] - '0', &n) ||
			    n > CTUNE_DURATION_MAX)
				return too_large(text, flags, err);
			i++;
		}
		if (i == start) {
			int u = unit_index(text[i]);
			if (u >= 0 && (flags & CTUNE_DURATION_UNITS))
				return ctune_error_set(err, -EINVAL, "%.64s: a number must come before unit '%c'",
						       text, text[i]);
			return bad_char(text, i, flags, err);
		}

		long long mult = 1;
		if (text[i] == '\0') {
			/* A bare number: the whole text, or the seconds of "1m30"?
			 * Only the first; a trailing bare part is ambiguous. */
			if (last_unit >= 0)
				return ctune_error_set(err, -EINVAL, "%.64s: '%s' needs a unit", text, text + start);
		} else {
			int u = (flags & CTUNE_DURATION_UNITS) ? unit_index(text[i]) : -1;
			if (u < 0)
				return bad_char(text, i, flags, err);
			if (u == last_unit)
				return ctune_error_set(err, -EINVAL, "%.64s: unit '%c' appears twice", text, text[i]);
			if (u < last_unit)
				return ctune_error_set(err, -EINVAL,
						       "%.64s: units must go from the largest to the smallest "
						       "('%c' after '%c')",
						       text, text[i], units[last_unit].unit);
			mult = units[u].seconds;
			last_unit = u;
			i++;
		}
		/* Both factors are at most CTUNE_DURATION_MAX: no long long overflow. */
		total += n * mult;
		if (total > CTUNE_DURATION_MAX)
			return too_large(text, flags, err);
	}
	*seconds = total;
	return 0;
}

int ctune_duration_parse_tunable(const ctune_tunable *t, const char *text, long long *value, ctune_error *err)
{
	ctune_error local = { 0 };
	long long v;
	unsigned flags = t->kind == CTUNE_KIND_TIMEOUT ? CTUNE_DURATION_UNITS : 0;
	int r = ctune_duration_parse(text, flags, &v, &local);
	if (r < 0)
		return ctune_error_set(err, r, "%s: %s", t->name, local.msg);
	if (v < t->min)
		return ctune_error_set(err, -ERANGE, "%s: %lld is below the minimum %lld", t->name, v, t->min);
	if (v > t->max)
		return ctune_error_set(err, -ERANGE, "%s: %lld is above the maximum %lld", t->name, v, t->max);
	*value = v;
	return 0;
}

int ctune_duration_format(long long seconds, char *buf, size_t size)
{
	char tmp[64];
	size_t n = 0;
	/* Work on the magnitude as unsigned: -LLONG_MIN does not fit. */
	unsigned long long left = seconds < 0 ? 0ULL - (unsigned long long)seconds : (unsigned long long)seconds;
	if (seconds < 0)
		tmp[n++] = '-';
	if (left == 0)
		n += (size_t)snprintf(tmp + n, sizeof(tmp) - n, "0s");
	for (size_t u = 1; u < ELEMENTSOF(units) && left; u++) { /* from days: no weeks */
		unsigned long long per = (unsigned long long)units[u].seconds, k = left / per;
		if (k) {
			n += (size_t)snprintf(tmp + n, sizeof(tmp) - n, "%llu%c", k, units[u].unit);
			left -= k * per;
		}
	}
	if (n + 1 > size)
		return -ENOBUFS;
	memcpy(buf, tmp, n + 1);
	return (int)n;
}
