/* duration.h - tunable values given as text: "43200", and for timeouts
 * "90s", "30m", "12h", "3d", "1w" or combinations such as "1h30m".
 *
 * Requests reach ctune as strings (Ansible's key=value syntax sends "5"), and
 * timeouts are easier to review as "12h" than as 43200.  Everything that
 * turns such text into a number goes through here, so the rules are one set:
 * decimal digits only, no sign, no spaces, no empty text, no trailing junk,
 * nothing above CTUNE_DURATION_MAX.  Units are lower case and, when combined, run from the largest
 * to the smallest, each at most once ("1d12h", not "12h1d" or "1h1h").
 */
#ifndef CTUNE_DURATION_H
#define CTUNE_DURATION_H

#include <stddef.h>

#include "error.h"
#include "scheme.h"

/* The largest value accepted: every conntrack sysctl is a kernel int (the
 * kernel's proc_dointvec), so anything larger is a mistake, never a wish -
 * "99999999999d" is refused here instead of wrapping somewhere later. */
#define CTUNE_DURATION_MAX 2147483647LL

enum {
	/* Accept the units s, m, h, d and w; without it only plain integers. */
	CTUNE_DURATION_UNITS = 1u << 0,
};

/* Parse text into *seconds (or a plain count when units are not allowed).
 * flags: 0 or CTUNE_DURATION_UNITS.  Returns 0, or -EINVAL for malformed
 * text and -ERANGE above CTUNE_DURATION_MAX; err gets a
 * sentence that starts with the text ("12x: unknown unit 'x'"). */
int ctune_duration_parse(const char *text, unsigned flags, long long *seconds, ctune_error *err);

/* Parse a value for tunable t: units only for timeouts, then check t's
 * range.  Messages name the tunable ("udp_timeout: 0 is below the minimum
 * 1").  Returns 0, -EINVAL or -ERANGE. */
int ctune_duration_parse_tunable(const ctune_tunable *t, const char *text, long long *value, ctune_error *err);

/* Render seconds for people, largest unit first without zero parts:
 * 43200 -> "12h", 5400 -> "1h30m", 432000 -> "5d", 0 -> "0s", -5 -> "-5s".
 * Weeks are not used ("14d" reads better than "2w").  The result parses back
 * to the same number.  Returns the length, or -ENOBUFS when buf is too small
 * (32 bytes always suffice). */
int ctune_duration_format(long long seconds, char *buf, size_t size);

#endif
