/* sysctlkey.c - see sysctlkey.h.  Modelled on systemd 252's
 * sysctl_normalize()/path_simplify(), procps 4.0.2's slashdot() and the
 * kernel's proc_get_long()/do_proc_dointvec_conv(); no code is taken from
 * them. */
#include "sysctlkey.h"

#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

/* Drop empty and "." components; keep one leading '/' when there was one. */
static void simplify(char *s)
{
	char *w = s;
	const char *r = s;
	bool lead = *r == '/';
	if (lead)
		*w++ = '/';
	while (*r) {
		while (*r == '/')
			r++;
		const char *e = strchrnul(r, '/');
		size_t n = (size_t)(e - r);
		if (n == 0 || (n == 1 && r[0] == '.')) {
			r = e;
			continue;
		}
		if (w > s + lead)
			*w++ = '/';
		memmove(w, r, n);
		w += n;
		r = e;
	}
	*w = '\0';
}

/* '.' <-> '/' from the first separator on, when that separator is a '.'. */
static void swap_separators(char *s)
{
	char *n = strpbrk(s, "/.");
	if (!n || *n == '/')
		return;
	for (; n; n = strpbrk(n + 1, "/."))
		*n = *n == '.' ? '/' : '.';
}

static int copy(const char *key, char *out, size_t size)
{
	size_t n = strlen(key);
	if (n + 1 > size)
		return -ENAMETOOLONG;
	memcpy(out, key, n + 1);
	return (int)n;
}

int ctune_sysctl_key_systemd(const char *key, char *out, size_t size)
{
	int r = copy(key, out, size);
	if (r < 0)
		return r;
	swap_separators(out);
	simplify(out);
	if (out[0] == '/' && out[1])
		memmove(out, out + 1, strlen(out));
	return (int)strlen(out);
}

int ctune_sysctl_key_procps(const char *key, char *out, size_t size)
{
	int r = copy(key, out, size);
	if (r < 0)
		return r;
	swap_separators(out);
	simplify(out);
	if (out[0] == '/')
		memmove(out, out + 1, strlen(out));
	return (int)strlen(out);
}

bool ctune_sysctl_key_is_glob(const char *key)
{
	return strpbrk(key, "*?[") != NULL;
}

bool ctune_sysctl_glob_match(const char *pattern, const char *path)
{
	return fnmatch(pattern, path, FNM_PATHNAME | FNM_PERIOD) == 0;
}

void ctune_sysctl_key_slash(const char *dotted, char *out, size_t size)
{
	snprintf(out, size, "%s", dotted);
	for (char *c = out; *c; c++)
		if (*c == '.')
			*c = '/';
}

int ctune_sysctl_key_canon(const char *raw, char *out, size_t size, bool *procps_differs)
{
	char s[256], p[256], key[256];
	const char *k = raw;
	if (*k == '-')
		k++;
	const char *procps_key = k; /* procps drops the '-' only */
	while (*k == ' ' || *k == '\t')
		k++;
	if (!*k || ctune_sysctl_key_is_glob(k) || strlen(k) >= sizeof(key))
		return -EINVAL;
	snprintf(key, sizeof(key), "%s", k);
	if (ctune_sysctl_key_systemd(key, s, sizeof(s)) < 0 || ctune_sysctl_key_procps(procps_key, p, sizeof(p)) < 0)
		return -ENAMETOOLONG;
	if (procps_differs)
		*procps_differs = strcmp(s, p) != 0;
	/* Back to dots: a '.' inside a component (a VLAN interface name, or a
	 * mixed spelling) becomes a '/', so it never equals a conntrack key. */
	for (char *c = s; *c; c++)
		*c = *c == '/' ? '.' : *c == '.' ? '/' : *c;
	return copy(s, out, size);
}

static bool is_sep(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\0';
}

static int digit(char c, int base)
{
	int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 99;
	return d < base ? d : -1;
}

/* proc_get_long(): an optional '-', digits in base 0, then a separator. */
static int parse_long(const char *v, bool *neg, unsigned long long *out, const char **why)
{
	const char *s = v;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\v' || *s == '\f')
		s++;
	if (!*s) {
		*why = "an empty value";
		return -EINVAL;
	}
	const char *start = s;
	*neg = *s == '-';
	if (*neg)
		s++;
	if (*s < '0' || *s > '9') {
		*why = "not a number (the kernel takes an optional '-' and digits, no '+')";
		return -EINVAL;
	}
	int base = 10;
	if (s[0] == '0') {
		base = 8;
		if ((s[1] == 'x' || s[1] == 'X') && digit(s[2], 16) >= 0) {
			base = 16;
			s += 2;
		}
	}
	unsigned long long n = 0;
	int d;
	for (; (d = digit(*s, base)) >= 0; s++) {
		if (n > (ULLONG_MAX - (unsigned)d) / (unsigned)base) {
			*why = "a number too large";
			return -EINVAL;
		}
		n = n * (unsigned)base + (unsigned)d;
	}
	if (s - start >= 21) {
		*why = "a number too long";
		return -EINVAL;
	}
	if (!is_sep(*s)) {
		*why = base == 8 && *s >= '0' && *s <= '9'
			       ? "a leading 0 makes it octal and this digit is not one"
			       : "characters after the number (a unit, a comment without a blank before it)";
		return -EINVAL;
	}
	*out = n;
	return 0;
}

int ctune_sysctl_kernel_value(const ctune_tunable *t, const char *value, unsigned hz, long long *out,
			      const char **why)
{
	bool neg;
	unsigned long long n;
	if (t->flags & CTUNE_TF_READONLY) {
		*why = "a read-only key";
		return -EINVAL;
	}
	int r = parse_long(value, &neg, &n, why);
	if (r < 0)
		return r;
	if (t->flags & CTUNE_TF_BOOL || t->kind == CTUNE_KIND_SETTING) {
		/* proc_dou8vec_minmax and friends: no sign, the tunable's range. */
		long long lim = t->max < 255 ? t->max : 255;
		if (t->flags & CTUNE_TF_BOOL || strstr(t->name, "events") || strstr(t->name, "log_invalid") ||
		    strstr(t->name, "max_retrans")) {
			if (neg || (long long)n > lim || (long long)n < t->min) {
				*why = "outside the range the kernel accepts";
				return -EINVAL;
			}
			*out = (long long)n;
			return 0;
		}
	}
	unsigned long long lim = t->kind == CTUNE_KIND_TIMEOUT ? INT_MAX / (hz ? hz : 1000) : (unsigned long long)INT_MAX + neg;
	if (n > lim) {
		*why = t->kind == CTUNE_KIND_TIMEOUT ? "more seconds than the kernel can store in jiffies"
						     : "outside the range of an int";
		return -EINVAL;
	}
	*out = neg ? -(long long)n : (long long)n;
	/* max is a plain proc_dointvec; buckets (a resize) and expect_max
	 * (proc_dointvec_minmax from 1) refuse less than 1. */
	if ((t->kind == CTUNE_KIND_SIZE && strcmp(t->name, "max") != 0 && *out < 1) ||
	    (neg && t->kind == CTUNE_KIND_SETTING)) {
		*why = "below the minimum the kernel accepts";
		return -EINVAL;
	}
	return 0;
}
