/* netns-list.h - every network namespace of the running host with its
 * conntrack entry count, its /run/netns name and one process in it, so a
 * Kubernetes or Docker host shows which pod or container holds the table.
 *
 * The count comes from each namespace's own statistics (ctnetlink
 * IPCTNL_MSG_CT_GET_STATS, what `conntrack -C` sends, answered from the
 * namespace's counter), never from a table walk: the cost is a few system
 * calls per namespace whatever the tables hold.
 *
 * Error convention (error.h): 0 or -errno; err, when not NULL, receives one
 * sentence.  Per-namespace failures are not failures of the list: they are
 * kept in the namespace's `error` text and its count stays unknown.
 */
#ifndef CTUNE_NETNS_LIST_H
#define CTUNE_NETNS_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "root.h"

typedef struct ctune_netns {
	uint64_t dev, ino;  /* the namespace's identity: nsfs st_dev and st_ino */
	char name[256];     /* its name under /run/netns, "" when none */
	bool have_count;    /* count and max known */
	uint64_t count;     /* entries in this namespace */
	bool have_max;
	uint64_t max;       /* the limit checked against count (global on current kernels) */
	const char *source; /* "netlink" (setns + ctnetlink) or "proc" (/proc/PID/net/stat), NULL */
	bool have_drops;    /* the three counters below known */
	uint64_t drop, early_drop, insert_failed; /* the namespace's statistics since boot, summed over CPUs */
	pid_t pid;          /* the lowest pid seen in it, 0 when only a /run/netns mount holds it */
	char comm[32];      /* /proc/PID/comm, "" when unknown */
	char cgroup[512];   /* the cgroup path of pid (the v2 line, else the first one), "" when unknown */
	bool current;       /* ctune's own namespace */
	char error[256];    /* why the count is unknown, "" when known */
} ctune_netns;

typedef struct ctune_netns_list {
	ctune_netns *items; /* sorted: count descending, unknown counts last, then inode */
	size_t n, cap;
	size_t processes;       /* processes looked at */
	size_t hidden;          /* processes whose namespace could not be read (EACCES) */
	bool setns_refused;     /* entering a namespace was refused (no CAP_SYS_ADMIN) */
	/* internal: an open-addressing index of items by inode */
	size_t *index;
	size_t index_cap;
} ctune_netns_list;

/* List the network namespaces of the running host (r must be the real
 * root: a root prefix is refused with -EINVAL, since namespaces belong to
 * the running kernel, not to files).  Walks /proc once (one stat of
 * /proc/PID/ns/net per process), adds the bind mounts under /run/netns, and
 * reads each namespace's count (and its drop, early_drop and insert_failed
 * counters) from a ctnetlink socket opened inside it,
 * entering each namespace once from a worker thread (see netns-list.c for
 * why a thread).  Without the right to enter a namespace (CAP_SYS_ADMIN),
 * a namespace held by a process gets its count from
 * /proc/PID/net/stat/nf_conntrack instead, and one held only by a mount
 * gets an error text.  Returns 0 or -errno (/proc unreadable, no memory, the
 * worker could not return to ctune's namespace); free with
 * ctune_netns_list_free, also after a failure. */
int ctune_netns_list_gather(const ctune_root *r, ctune_netns_list *l, ctune_error *err);

/* The cgroup path of a process from the text of /proc/PID/cgroup: the path
 * of the cgroup v2 line ("0::/path"), else that of the first line
 * ("N:controllers:/path"), cut to size - 1 bytes; "" when the text has
 * neither.  out always ends with a NUL (size > 0). */
void ctune_netns_cgroup_path(const char *text, char *out, size_t size);

void ctune_netns_list_free(ctune_netns_list *l);

#endif
