/* sysctld.h - which sysctl configuration file says what, in the order the
 * boot applies them.
 *
 * systemd-sysctl reads *.conf from /etc/sysctl.d, /run/sysctl.d,
 * /usr/local/lib/sysctl.d, /usr/lib/sysctl.d and /lib/sysctl.d; a file name
 * in an earlier directory masks the same name in later ones; the surviving
 * files are applied in lexical order of their names, so the last assignment
 * of a key wins.  procps `sysctl --system` then reads /etc/sysctl.conf, which
 * Debian also links in as /etc/sysctl.d/99-sysctl.conf.  This module only
 * reads, for the checks `ctune set` makes (which file a set writes lands
 * before or after); the exact replay of a boot is boot.c's.  Keys are
 * compared in the one spelling both boot tools apply to a key
 * (ctune_sysctl_key_canon): `net/netfilter.x` and `- x` are not `x`.
 */
#ifndef CTUNE_SYSCTLD_H
#define CTUNE_SYSCTLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

#include "error.h"
#include "root.h"

/* The sysctl.d directories, in the order both systemd-sysctl and procps
 * `sysctl --system` read them (a name in an earlier one masks the same name
 * in later ones).  The one list of them in ctune. */
extern const char *const ctune_sysctl_dirs[];
extern const size_t ctune_sysctl_ndirs;

/* As many files as the directories hold: a host with hundreds of files
 * is listed whole, by facts and set alike.  Start from a zeroed struct;
 * ctune_sysctld_done() (or _cleanup_sysctld_) releases it. */
typedef struct ctune_sysctld {
	size_t n, cap;
	char (*files)[256]; /* absolute paths, in application order */
	bool *via_link;     /* a sysctl.d link to /etc/sysctl.conf */
	size_t nskipped;    /* files left out: their path does not fit files[] */
	char skipped[288];  /* the first of them (a directory and a 255-byte name) */
} ctune_sysctld;

void ctune_sysctld_done(ctune_sysctld *l);

/* Append file (an absolute path under the root) to the list.  A path too
 * long for files[] names no real sysctl file: it is not listed but counted
 * in nskipped (the first kept in skipped), so callers can say so.  Returns 0
 * or -ENOMEM. */
int ctune_sysctld_push(ctune_sysctld *l, const char *file, bool via_link);
static inline void ctune_sysctld_freep(ctune_sysctld **l)
{
	if (*l)
		ctune_sysctld_done(*l);
	free(*l);
}
#define _cleanup_sysctld_ __attribute__((cleanup(ctune_sysctld_freep)))

/* One assignment found in a file. */
typedef struct ctune_sysctl_assign {
	char file[256]; /* absolute path under the root, as listed */
	unsigned line;  /* 1-based */
	char value[128];
	bool ignore_failure; /* written as "-key" */
} ctune_sysctl_assign;

/* List the configuration files in application order.  /etc/sysctl.conf is
 * listed once: where a sysctl.d entry links to it, at that entry's place,
 * else last.  Returns 0 or -errno. */
int ctune_sysctld_list(const ctune_root *r, ctune_sysctld *l, ctune_error *err);

/* The last assignment of key in the listed files from index `from` on (0:
 * all of them, which is the assignment in force).  Returns 1 and fills *out
 * when one exists, 0 when none, or -errno. */
int ctune_sysctld_lookup(const ctune_root *r, const ctune_sysctld *l, size_t from, const char *key,
			 ctune_sysctl_assign *out, ctune_error *err);

/* Where file stands (or, when it does not exist yet, would stand) in the
 * application order: the index of the first listed file applied after it.
 * Files at and beyond the result can override it. */
size_t ctune_sysctld_after(const ctune_root *r, const ctune_sysctld *l, const char *file);

/* Call fn for every assignment in one file's text, in order: the key
 * normalised (no '-', '.' separators), the value trimmed, the 1-based line
 * and whether the line had the ignore-failure '-'. */
typedef void (*ctune_sysctl_fn)(const char *key, const char *value, unsigned line, bool ignore_failure, void *data);
void ctune_sysctl_text_foreach(const char *text, ctune_sysctl_fn fn, void *data);

/* Find the last assignment of key in one file's text.  Returns 1 (filled),
 * 0 (none). */
int ctune_sysctl_text_lookup(const char *text, const char *key, ctune_sysctl_assign *out);

/* Find the last "-key" line without '=' for key (dotted) in one file's
 * text: an exclusion, which systemd-sysctl takes as cancelling an earlier
 * assignment of key.  Returns 1 and *line (1-based), or 0. */
int ctune_sysctl_text_exclusion(const char *text, const char *key, unsigned *line);

/* True when the two absolute paths under the root name the same file
 * (or, when one does not exist yet, would: a dangling link to it counts). */
bool ctune_sysctld_same_file(const ctune_root *r, const char *a, const char *b);

#endif
