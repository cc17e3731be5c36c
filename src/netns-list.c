/* netns-list.c - see netns-list.h.
 *
 * How data moves, and what each step costs:
 *   1. /proc is listed once; for every process one fstatat() of
 *      PID/ns/net (the magic link is followed to the namespace's nsfs
 *      inode) gives the namespace's identity, st_dev + st_ino.  A hash on
 *      the inode keeps the distinct namespaces; the lowest pid seen in each
 *      is kept (readdir gives /proc in pid order, so usually the first).
 *   2. /run/netns (ip netns, CNI) is listed; an entry whose stat is on the
 *      nsfs device is a namespace's bind mount: its name goes on that
 *      namespace, or a new namespace without a process is added.
 *   3. One worker thread enters each namespace once (setns on a descriptor
 *      of PID/ns/net, or of the /run/netns mount), opens a ctnetlink socket
 *      there (a socket belongs to the namespace of the thread that creates
 *      it) and sends IPCTNL_MSG_CT_GET_STATS: count and max from the
 *      namespace's own counter, no table walk.  It hops from namespace to
 *      namespace directly and returns to ctune's own namespace at the end,
 *      through a descriptor of /proc/self/ns/net opened before it started.
 *   4. comm and cgroup are read for the one pid kept per namespace, then
 *      the list is sorted by count.
 *
 * Why a thread: setns(CLONE_NEWNET) moves only the calling thread.  In a
 * worker, the thread that prints the answer, opens files and sockets for
 * the rest of the request never leaves ctune's namespace, whatever happens
 * in the middle: an error path cannot forget to restore, and a signal
 * handler or a later netlink socket cannot land in a container's namespace.
 * The worker still restores (and a failure to restore fails the whole list,
 * as the brief demands: the list is then not trusted), but even that
 * failure leaves the process where it was, because the thread ends there.
 * A forked child would give the same isolation but would have to send
 * every result back through a pipe, and costs a fork; a thread shares the
 * result array and costs one clone.
 *
 * Why the descriptor is checked after it is opened: between the scan and
 * the setns a process may exit and its pid be reused by a process of
 * another namespace.  The fstat of the opened descriptor must give the
 * inode the scan saw, or the namespace gets an error instead of another
 * namespace's count.
 *
 * Cost (bench/run case 9, 2-core VM under load, kernel 6.18): 201
 * namespaces in 20 ms, about 90 us per namespace, half of it the per-CPU
 * statistics dump that gives the drop counters, the rest the open, setns,
 * socket and count request; the /proc walk is a few us per process.
 *
 * Threads of one process in different namespaces (a thread that called
 * setns itself) are not seen: only /proc/PID/ns/net, the thread-group
 * leader's, is read, as `ip netns identify` and lsns do.
 */
#include "netns-list.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "netlink.h"
#include "stat.h"

#define RUN_NETNS "/run/netns"
#define PER_PID_MAX (64u * 1024u) /* /proc/PID/cgroup of a host with many v1 hierarchies */

/* ---- the set of namespaces, indexed by inode --------------------------- */

static size_t hash_ino(uint64_t ino, size_t cap)
{
	ino *= 0x9E3779B97F4A7C15ULL;
	return (size_t)(ino >> 32) & (cap - 1);
}

static int index_grow(ctune_netns_list *l)
{
	size_t cap = l->index_cap ? l->index_cap * 2 : 256;
	size_t *idx = malloc(cap * sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	for (size_t i = 0; i < cap; i++)
		idx[i] = SIZE_MAX;
	for (size_t i = 0; i < l->n; i++) {
		size_t h = hash_ino(l->items[i].ino, cap);
		while (idx[h] != SIZE_MAX)
			h = (h + 1) & (cap - 1);
		idx[h] = i;
	}
	free(l->index);
	l->index = idx;
	l->index_cap = cap;
	return 0;
}

/* The namespace (dev, ino), added when new (*added).  NULL: no memory. */
static ctune_netns *netns_get(ctune_netns_list *l, uint64_t dev, uint64_t ino, bool *added)
{
	*added = false;
	if (l->index_cap) {
		for (size_t h = hash_ino(ino, l->index_cap); l->index[h] != SIZE_MAX; h = (h + 1) & (l->index_cap - 1)) {
			ctune_netns *ns = &l->items[l->index[h]];
			if (ns->ino == ino && ns->dev == dev)
				return ns;
		}
	}
	/* load at most one half */
	if ((l->n + 1) * 2 > l->index_cap && index_grow(l) < 0)
		return NULL;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		ctune_netns *items = realloc(l->items, cap * sizeof(*items));
		if (!items)
			return NULL;
		l->items = items;
		l->cap = cap;
	}
	size_t h = hash_ino(ino, l->index_cap);
	while (l->index[h] != SIZE_MAX)
		h = (h + 1) & (l->index_cap - 1);
	l->index[h] = l->n;
	ctune_netns *ns = &l->items[l->n++];
	memset(ns, 0, sizeof(*ns));
	ns->dev = dev;
	ns->ino = ino;
	*added = true;
	return ns;
}

/* ---- step 1: processes ------------------------------------------------- */

static bool is_pid(const char *s, pid_t *pid)
{
	long v = 0;
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 1000000000L)
			return false;
		v = v * 10 + (*s - '0');
	}
	*pid = (pid_t)v;
	return v > 0;
}

static int scan_processes(ctune_netns_list *l, DIR *proc, ctune_error *err)
{
	int pfd = dirfd(proc);
	struct dirent *de;
	errno = 0;
	while ((de = readdir(proc))) {
		pid_t pid;
		if (!is_pid(de->d_name, &pid))
			continue;
		char path[64];
		snprintf(path, sizeof(path), "%d/ns/net", (int)pid);
		struct stat st;
		l->processes++;
		if (fstatat(pfd, path, &st, 0) < 0) {
			/* gone since readdir, or not ours to look at */
			if (errno != ENOENT && errno != ESRCH)
				l->hidden++;
			errno = 0;
			continue;
		}
		bool added;
		ctune_netns *ns = netns_get(l, (uint64_t)st.st_dev, (uint64_t)st.st_ino, &added);
		if (!ns)
			return ctune_error_set(err, -ENOMEM, "netns: out of memory");
		if (ns->pid == 0 || pid < ns->pid)
			ns->pid = pid;
		errno = 0;
	}
	if (errno)
		return ctune_error_set(err, -errno, "netns: cannot list /proc: %s", strerror(errno));
	return 0;
}

/* ---- step 2: /run/netns ------------------------------------------------ */

static int scan_mounts(const ctune_root *r, ctune_netns_list *l, uint64_t nsfs_dev, ctune_error *err)
{
	_cleanup_closedir_ DIR *d = NULL;
	int k = ctune_root_opendir(r, RUN_NETNS, &d);
	if (k == -ENOENT || k == -ENOTDIR)
		return 0;
	if (k < 0)
		return ctune_error_set(err, k, "netns: cannot list %s: %s", RUN_NETNS, ctune_root_strerror(k));
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(((ctune_netns *)0)->name))
			continue;
		struct stat st;
		/* An entry off the nsfs device is no mounted namespace: the file
		 * `ip netns add` left behind when the mount went away, or anything
		 * else put there.  Links are not followed (lstat still sees
		 * through a bind mount, which is what a name is). */
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || (uint64_t)st.st_dev != nsfs_dev)
			continue;
		bool added;
		ctune_netns *ns = netns_get(l, (uint64_t)st.st_dev, (uint64_t)st.st_ino, &added);
		if (!ns)
			return ctune_error_set(err, -ENOMEM, "netns: out of memory");
		/* several names for one namespace: the first in byte order, so
		 * the answer does not depend on the directory's order */
		if (!ns->name[0] || strcmp(de->d_name, ns->name) < 0)
			snprintf(ns->name, sizeof(ns->name), "%s", de->d_name);
	}
	return 0;
}

/* ---- step 3: counts, in a worker thread -------------------------------- */

struct worker {
	ctune_netns_list *l;
	int procfd;  /* /proc */
	int runfd;   /* /run/netns, or -1 */
	int selffd;  /* ctune's own namespace, to return to */
	int r;       /* 0, or -errno of a failure to return */
	ctune_error err;
};

/* The counters that say the namespace lost packets or entries. */
static void take_drops(ctune_netns *ns, const ctune_stats *st)
{
	int d = ctune_stats_col(st, "drop"), e = ctune_stats_col(st, "early_drop"),
	    f = ctune_stats_col(st, "insert_failed");
	if (d < 0 || e < 0 || f < 0)
		return;
	ns->drop = st->total[d];
	ns->early_drop = st->total[e];
	ns->insert_failed = st->total[f];
	ns->have_drops = true;
}

static void count_here(ctune_netns *ns)
{
	ctune_netlink *nl = NULL;
	ctune_error e = { 0 };
	int k = ctune_netlink_open(&nl, &e);
	if (k == 0)
		k = ctune_netlink_count(nl, &ns->count, &ns->max, &e);
	if (k < 0) {
		ctune_netlink_close(nl);
		snprintf(ns->error, sizeof(ns->error), "%.200s", e.msg);
		return;
	}
	ns->have_count = ns->have_max = true;
	ns->source = "netlink";
	ctune_stats st;
	if (ctune_netlink_stats(nl, &st, NULL) == 0) {
		take_drops(ns, &st);
		ctune_stats_free(&st);
	}
	ctune_netlink_close(nl);
}

/* A descriptor of ns: its /run/netns mount when named (no pid to be
 * reused), else its process's link.  Checked to be that namespace. */
static int open_ns(const struct worker *w, const ctune_netns *ns)
{
	int fd;
	if (ns->name[0] && w->runfd >= 0) {
		fd = openat(w->runfd, ns->name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	} else if (ns->pid > 0) {
		char path[64];
		snprintf(path, sizeof(path), "%d/ns/net", (int)ns->pid);
		fd = openat(w->procfd, path, O_RDONLY | O_CLOEXEC);
	} else {
		return -ENOENT;
	}
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_dev != ns->dev || (uint64_t)st.st_ino != ns->ino) {
		close(fd);
		return -ESRCH;
	}
	return fd;
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	ctune_netns_list *l = w->l;
	bool moved = false;
	for (size_t i = 0; i < l->n; i++) {
		ctune_netns *ns = &l->items[i];
		if (ns->current) {
			if (moved && setns(w->selffd, CLONE_NEWNET) < 0)
				break; /* reported below */
			moved = false;
			count_here(ns);
			continue;
		}
		if (l->setns_refused)
			continue; /* the fallback reads what it can */
		int fd = open_ns(w, ns);
		if (fd < 0) {
			snprintf(ns->error, sizeof(ns->error), "%s",
				 fd == -ESRCH || fd == -ENOENT ? "the namespace went away while it was listed"
							       : strerror(-fd));
			continue;
		}
		int k = setns(fd, CLONE_NEWNET);
		int e = errno;
		close(fd);
		if (k < 0) {
			if (e == EPERM)
				l->setns_refused = true;
			else
				snprintf(ns->error, sizeof(ns->error), "cannot enter the namespace: %s", strerror(e));
			continue;
		}
		moved = true;
		count_here(ns);
	}
	if (moved && setns(w->selffd, CLONE_NEWNET) < 0)
		w->r = ctune_error_set(&w->err, -errno,
				       "netns: cannot return to ctune's own network namespace: %s (no counts reported)",
				       strerror(errno));
	return NULL;
}

/* Without the right to enter a namespace: its statistics file, seen
 * through a process in it (the first column is that namespace's count). */
static void count_from_proc(int procfd, ctune_netns *ns)
{
	char path[64];
	snprintf(path, sizeof(path), "%d/net/stat/nf_conntrack", (int)ns->pid);
	_cleanup_close_ int fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int k = fd < 0 ? -errno : ctune_read_all_fd(fd, 8u << 20, &text, &len);
	ctune_stats st;
	ctune_error e = { 0 };
	if (k == 0)
		k = ctune_stats_parse(text, len, &st, &e);
	if (k < 0) {
		snprintf(ns->error, sizeof(ns->error),
			 "entering the namespace needs CAP_SYS_ADMIN, and /proc/%d/net/stat/nf_conntrack: %.100s",
			 (int)ns->pid, e.msg[0] ? e.msg : strerror(-k));
		return;
	}
	int c = ctune_stats_col(&st, "entries");
	if (c >= 0 && st.ncpus > 0) {
		ns->count = st.total[c];
		ns->have_count = true;
		ns->source = "proc";
		take_drops(ns, &st);
	} else {
		snprintf(ns->error, sizeof(ns->error),
			 "entering the namespace needs CAP_SYS_ADMIN, and /proc/%d/net/stat/nf_conntrack has no entries "
			 "column",
			 (int)ns->pid);
	}
	ctune_stats_free(&st);
}

static int count_all(ctune_netns_list *l, int procfd, int selffd, ctune_error *err)
{
	struct worker w = { .l = l, .procfd = procfd, .selffd = selffd, .runfd = -1 };
	w.runfd = open(RUN_NETNS, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* The worker takes no asynchronous signals: they stay with the caller. */
	sigset_t all, old;
	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGFPE);
	sigdelset(&all, SIGILL);
	pthread_t t;
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int k = pthread_create(&t, NULL, worker_run, &w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (k != 0) {
		if (w.runfd >= 0)
			close(w.runfd);
		return ctune_error_set(err, -k, "netns: cannot start the worker thread: %s", strerror(k));
	}
	pthread_join(t, NULL);
	if (w.runfd >= 0)
		close(w.runfd);
	if (w.r < 0)
		return ctune_error_set(err, w.r, "%s", w.err.msg);
	/* The limit is one global value on current kernels: the one seen from
	 * ctune's namespace stands for those read through /proc. */
	const ctune_netns *own = NULL;
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i].current)
			own = &l->items[i];
	for (size_t i = 0; i < l->n && l->setns_refused; i++) {
		ctune_netns *ns = &l->items[i];
		if (ns->have_count || ns->error[0])
			continue;
		if (ns->pid > 0) {
			count_from_proc(procfd, ns);
			if (ns->have_count && own && own->have_max) {
				ns->max = own->max;
				ns->have_max = true;
			}
		} else
			snprintf(ns->error, sizeof(ns->error),
				 "entering the namespace needs CAP_SYS_ADMIN, and no process holds it to read its "
				 "statistics through /proc");
	}
	return 0;
}

/* ---- step 4: the process, the order ------------------------------------ */

static void read_line(int procfd, pid_t pid, const char *file, char **out)
{
	char path[64];
	snprintf(path, sizeof(path), "%d/%s", (int)pid, file);
	_cleanup_close_ int fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || ctune_read_all_fd(fd, PER_PID_MAX, out, NULL) < 0)
		*out = NULL;
}

void ctune_netns_cgroup_path(const char *text, char *out, size_t size)
{
	out[0] = '\0';
	const char *line = NULL;
	for (const char *p = text; p && *p;) {
		if (strncmp(p, "0::", 3) == 0) {
			line = p + 3;
			break;
		}
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	if (!line) {
		const char *nl = strchr(text, '\n');
		const char *c1 = strchr(text, ':');
		const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2 || (nl && c2 > nl))
			return;
		line = c2 + 1;
	}
	size_t n = strcspn(line, "\n");
	if (n >= size)
		n = size - 1;
	memcpy(out, line, n);
	out[n] = '\0';
}

static void describe_process(int procfd, ctune_netns *ns)
{
	_cleanup_free_ char *comm = NULL, *cgroup = NULL;
	read_line(procfd, ns->pid, "comm", &comm);
	if (comm)
		snprintf(ns->comm, sizeof(ns->comm), "%.*s", (int)strcspn(comm, "\n"), comm);
	read_line(procfd, ns->pid, "cgroup", &cgroup);
	if (cgroup)
		ctune_netns_cgroup_path(cgroup, ns->cgroup, sizeof(ns->cgroup));
}

static int by_count(const void *a, const void *b)
{
	const ctune_netns *x = a, *y = b;
	if (x->have_count != y->have_count)
		return x->have_count ? -1 : 1;
	if (x->have_count && x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

int ctune_netns_list_gather(const ctune_root *r, ctune_netns_list *l, ctune_error *err)
{
	memset(l, 0, sizeof(*l));
	if (r->len)
		return ctune_error_set(err, -EINVAL,
				       "netns: network namespaces belong to the running kernel, not to files: it "
				       "cannot be combined with a root prefix (%s)",
				       r->dir);
	_cleanup_closedir_ DIR *proc = NULL;
	int k = ctune_root_opendir(r, "/proc", &proc);
	if (k < 0)
		return ctune_error_set(err, k, "netns: cannot list /proc: %s", ctune_root_strerror(k));
	int pfd = dirfd(proc);
	struct stat self;
	if (fstatat(pfd, "self/ns/net", &self, 0) < 0)
		return ctune_error_set(err, -errno,
				       "netns: cannot look at /proc/self/ns/net: %s (kernels before 3.0 have no "
				       "namespace files)",
				       strerror(errno));
	_cleanup_close_ int selffd = openat(pfd, "self/ns/net", O_RDONLY | O_CLOEXEC);
	if (selffd < 0)
		return ctune_error_set(err, -errno, "netns: cannot open /proc/self/ns/net: %s", strerror(errno));

	bool added;
	ctune_netns *own = netns_get(l, (uint64_t)self.st_dev, (uint64_t)self.st_ino, &added);
	if (!own)
		return ctune_error_set(err, -ENOMEM, "netns: out of memory");
	own->current = true;
	k = scan_processes(l, proc, err);
	if (k == 0)
		k = scan_mounts(r, l, (uint64_t)self.st_dev, err);
	if (k == 0)
		k = count_all(l, pfd, selffd, err);
	if (k < 0)
		return k;
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i].pid > 0)
			describe_process(pfd, &l->items[i]);
	qsort(l->items, l->n, sizeof(*l->items), by_count);
	free(l->index);
	l->index = NULL;
	l->index_cap = 0;
	return 0;
}

void ctune_netns_list_free(ctune_netns_list *l)
{
	if (!l)
		return;
	free(l->items);
	free(l->index);
	memset(l, 0, sizeof(*l));
}
