/* sysctlkey.h - a sysctl line's key and value as the boot's tools and the
 * kernel read them.
 *
 * Two programs apply sysctl files at boot and they do not agree on every
 * spelling of a key: systemd-sysctl (systemd 252, src/shared/sysctl-util.c
 * sysctl_normalize) swaps '.' and '/' when the first separator is a '.',
 * then simplifies the path (doubled separators, a leading '/'); procps 4
 * (sysctl.c slashdot) swaps them the same way but only joins the key to
 * "/proc/sys/".  Both leave a key whose first separator is '/' as written,
 * so `net/netfilter.nf_conntrack_max` names a file that does not exist.
 * The kernel then parses the value the way proc_dointvec and its siblings
 * do (base 0, one trailing separator), and refuses what they refuse.
 *
 * Every key here is a path relative to /proc/sys in "slash form"
 * (`net/netfilter/nf_conntrack_max`): that is what both tools compare.
 */
#ifndef CTUNE_SYSCTLKEY_H
#define CTUNE_SYSCTLKEY_H

#include <stdbool.h>
#include <stddef.h>

#include "scheme.h"

/* systemd-sysctl's normal form of key (already stripped of whitespace and
 * of the ignore-failure '-'), written into out.  Returns the length or
 * -ENAMETOOLONG. */
int ctune_sysctl_key_systemd(const char *key, char *out, size_t size);

/* The path procps `sysctl` opens for key, relative to /proc/sys and then
 * simplified the way the kernel resolves it (doubled '/' and "." dropped).
 * Returns the length or -ENAMETOOLONG. */
int ctune_sysctl_key_procps(const char *key, char *out, size_t size);

/* A key with '*', '?' or '[' is a glob for both tools. */
bool ctune_sysctl_key_is_glob(const char *key);

/* Does the glob (slash form) match path (slash form) as glob(3) would
 * under /proc/sys: wildcards stay inside one path component and do not
 * match a leading '.'. */
bool ctune_sysctl_glob_match(const char *pattern, const char *path);

/* The dotted key (`net.netfilter.nf_conntrack_max`) systemd-sysctl applies
 * for a raw key text as written in a file (maybe with a leading '-' and
 * blanks after it), into out: a '.' inside a component becomes '/', so a
 * mixed-separator spelling (`net/netfilter.x`, a path that does not exist)
 * never equals a ctune key.  *procps_differs (may be NULL) is set when
 * procps `sysctl` would not apply the same key ("- x": it opens " x").
 * -EINVAL for a glob (many keys) or nothing.  Returns the length or
 * -errno. */
int ctune_sysctl_key_canon(const char *raw, char *out, size_t size, bool *procps_differs);

/* The slash form of a dotted ctune key ("net.netfilter.x" ->
 * "net/netfilter/x"). */
void ctune_sysctl_key_slash(const char *dotted, char *out, size_t size);

/* How the kernel takes value (as the tools write it, with a "\n" after it)
 * for tunable t: 0 and *out, or -EINVAL with *why saying what it refuses
 * (proc_dointvec's base-0 integer with one separator after it; the
 * jiffies conversion's limit for timeouts, INT_MAX / hz seconds; the u8
 * ranges of flags; read-only keys). */
int ctune_sysctl_kernel_value(const ctune_tunable *t, const char *value, unsigned hz, long long *out,
			      const char **why);

#endif
