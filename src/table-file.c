/* table-file.c - a regular table file, summarised in parallel ranges read
 * without a copy (HOT PATH of the offline case).
 *
 * Why this file exists: a saved table or a --root snapshot of a busy
 * router is a quarter of a gigabyte, and `ctune facts --table` on it must
 * take a small fraction of what awk takes (bench/run case 1: 20x faster
 * than a mawk TCP state count, so faster than `wc -l` reads the file).
 * One thread reading it with read() cannot: the kernel's copy out of the
 * page cache alone costs about as much as `wc -l`, and the parse as much
 * again.  So the data moves like this:
 *
 *   split    the file is cut into one range per CPU (at most
 *            CTUNE_TABLE_THREADS_MAX, and a range has at least RANGE_MIN
 *            bytes); each cut is moved to just after the next '\n', so
 *            every line lies whole in one range and is parsed exactly as
 *            the sequential reader parses it;
 *   map      each thread maps its range a window at a time (WINDOW_BUDGET
 *            bytes for all threads together, so memory stays constant:
 *            mapped page-cache pages count in the resident set) and feeds
 *            the window to the same carry logic the read() path uses
 *            (table.c's stream: a line cut by a window's end is carried
 *            into the next window);
 *   add      the threads' summaries are added.
 *
 * The live /proc file never comes here: it has size 0 and its text is
 * generated as it is read, so table.c reads it sequentially as before.
 *
 * A mapped file that shrinks while it is read raises SIGBUS on the pages
 * past its new end.  For the time of a summary a SIGBUS handler is
 * installed that, when the fault lies in the window the faulting thread is
 * reading, jumps back out of the parse: that window's counts are dropped
 * and the range ends there, as a read() of the shorter file would end.
 * Any other SIGBUS goes to the handler that was there before.  When the
 * handler cannot be installed, or a file cannot be mapped, the ranges are
 * read with pread() into a small buffer instead (about 1.5x slower here).
 *
 * Measured on the project VM (AMD EPYC, 2 cores, 1.25M generated modern
 * lines, 252 MB, in the page cache): see table.c's header comment.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cleanup.h"
#include "table-internal.h"

/* Below this a regular file takes the plain read() path: starting threads
 * and mapping would cost more than they save (a 256 KiB table parses in
 * about 40 us). */
#define FILE_MIN (256u * 1024u)

/* Each thread gets at least this much of the file, so a small table does
 * not pay for threads it cannot keep busy (1 MiB parses in ~150 us,
 * starting a thread costs ~30 us). */
#define RANGE_MIN (1024u * 1024u)

/* Bytes mapped at once by all threads together: 1 MiB windows for two
 * threads, 512 KiB for four.  The pages of a window count in the resident
 * set while it is mapped, and bench/run case 4 holds the whole summary to
 * 8 MiB, flat across table sizes.  Measured here: 1 MiB windows map 250 MB
 * in ~7 ms of CPU where read() copies it in ~22; smaller windows cost more
 * mmap/munmap calls, larger ones save little below the 2 MiB at which the
 * kernel maps whole huge pages. */
#define WINDOW_BUDGET (4u * 1024u * 1024u)
#define WINDOW_MIN (256u * 1024u)

/* The pread() fallback's buffer, per thread: the size read() likes best
 * here (table.c, TABLE_READ_BUF). */
#define PREAD_BUF (64u * 1024u)

/* ---- the thread count ----------------------------------------------------- */

/* -1: not read from the environment yet; 0: auto; N: forced. */
static _Atomic int threads_forced = -1;

static int threads_from_env(void)
{
	const char *v = secure_getenv("CTUNE_TABLE_THREADS");
	if (!v || !*v)
		return 0;
	char *end;
	errno = 0;
	unsigned long n = strtoul(v, &end, 10);
	if (errno || *end || n > CTUNE_TABLE_THREADS_MAX)
		return 0;
	return (int)n;
}

static unsigned threads_setting(void)
{
	int n = atomic_load_explicit(&threads_forced, memory_order_relaxed);
	if (n < 0) {
		int want = threads_from_env();
		if (!atomic_compare_exchange_strong(&threads_forced, &n, want))
			return (unsigned)n;
		n = want;
	}
	return (unsigned)n;
}

int ctune_table_set_threads(unsigned n)
{
	if (n > CTUNE_TABLE_THREADS_MAX)
		return -EINVAL;
	atomic_store(&threads_forced, (int)n);
	return 0;
}

unsigned ctune_table_get_threads(void)
{
	return threads_setting();
}

/* The CPUs this process may run on (taskset, cpusets), else those online. */
static unsigned cpus_usable(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return (unsigned)CPU_COUNT(&set);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

/* ---- the split -------------------------------------------------------------- */

/* The first line start at or after off: off itself when the byte before it
 * is '\n' (or off is 0), else just after the next '\n', else size.  As a
 * function of off it never decreases, so cuts made with it are ordered. */
static int line_start_from(int fd, uint64_t off, uint64_t size, uint64_t *out)
{
	char buf[4096];
	*out = size;
	if (off == 0 || off >= size) {
		*out = off < size ? off : size;
		return 0;
	}
	uint64_t pos = off - 1;
	while (pos < size) {
		size_t want = size - pos < sizeof(buf) ? (size_t)(size - pos) : sizeof(buf);
		ssize_t k = pread(fd, buf, want, (off_t)pos);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			break; /* the file shrank: nothing more to cut */
		const char *nl = memchr(buf, '\n', (size_t)k);
		if (nl) {
			*out = pos + (uint64_t)(nl - buf) + 1;
			break;
		}
		pos += (uint64_t)k;
	}
	return 0;
}

/* ---- SIGBUS: a mapped file that shrinks ------------------------------------- */

struct map_guard {
	uintptr_t lo, hi; /* the window this thread is reading */
	sigjmp_buf env;
};

/* The window the current thread is reading, if any: only the faulting
 * thread's own variable is looked at, so no lock is needed. */
static _Thread_local struct map_guard *volatile active_guard;

static pthread_mutex_t bus_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned bus_users;         /* summaries running, under bus_lock */
static struct sigaction bus_saved; /* the disposition before the first */

static void on_sigbus(int sig, siginfo_t *si, void *ctx)
{
	(void)ctx;
	struct map_guard *g = active_guard;
	uintptr_t a = (uintptr_t)si->si_addr;
	if (g && si->si_code > 0 && a >= g->lo && a < g->hi)
		siglongjmp(g->env, 1);
	/* Not a window of ours: put back what was there.  A fault runs the
	 * access again on return and meets it; a sent signal is raised again
	 * (it stays pending until this handler returns). */
	sigaction(sig, &bus_saved, NULL);
	if (si->si_code <= 0)
		raise(sig);
}

static int bus_guard_acquire(void)
{
	int r = 0;
	pthread_mutex_lock(&bus_lock);
	if (bus_users == 0) {
		struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGBUS, &sa, &bus_saved) < 0)
			r = -errno;
	}
	if (r == 0)
		bus_users++;
	pthread_mutex_unlock(&bus_lock);
	return r;
}

static void bus_guard_release(void)
{
	pthread_mutex_lock(&bus_lock);
	if (--bus_users == 0)
		sigaction(SIGBUS, &bus_saved, NULL);
	pthread_mutex_unlock(&bus_lock);
}

/* ---- one range ---------------------------------------------------------------- */

struct job {
	int fd;
	uint64_t start, end; /* [start, end): whole lines */
	size_t window;       /* bytes mapped at once; 0: pread() instead */
	ctune_table_summary s;
	int r; /* 0 or -errno */
	pthread_t thread;
	bool started;
	struct table_stream st;
};

/* One window, [wo, we) of the file, fed from pos.  Returns 1 when it was
 * read whole, 0 when the file turned out to end inside it (SIGBUS), or
 * -errno when it could not be mapped. */
static int feed_window(struct job *j, uint64_t wo, uint64_t we, uint64_t pos)
{
	size_t len = (size_t)(we - wo);
	char *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, j->fd, (off_t)wo);
	if (m == MAP_FAILED)
		return -errno;
	struct map_guard g;
	g.lo = (uintptr_t)m;
	g.hi = (uintptr_t)m + len;
	/* The window's counts are kept apart until it has been read whole,
	 * so that a window cut short by SIGBUS adds nothing half-counted. */
	ctune_table_summary part;
	ctune_table_summary_init(&part);
	int r = 1;
	if (sigsetjmp(g.env, 1) == 0) {
		active_guard = &g;
		atomic_signal_fence(memory_order_seq_cst);
		j->st.s = &part;
		table_stream_feed(&j->st, m + (pos - wo), (size_t)(we - pos));
		atomic_signal_fence(memory_order_seq_cst);
		active_guard = NULL;
		ctune_table_summary_add(&j->s, &part);
	} else {
		active_guard = NULL;
		r = 0;
	}
	munmap(m, len);
	return r;
}

/* [pos, end) of the range through pread(): files that cannot be mapped. */
static int range_pread(struct job *j, uint64_t pos)
{
	_cleanup_free_ char *buf = malloc(PREAD_BUF);
	if (!buf)
		return -ENOMEM;
	j->st.s = &j->s;
	while (pos < j->end) {
		size_t want = j->end - pos < PREAD_BUF ? (size_t)(j->end - pos) : PREAD_BUF;
		ssize_t k = pread(j->fd, buf, want, (off_t)pos);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			break; /* the file shrank: it ends here now */
		table_stream_feed(&j->st, buf, (size_t)k);
		pos += (uint64_t)k;
	}
	table_stream_finish(&j->st);
	return 0;
}

static int range_run(struct job *j)
{
	table_stream_init(&j->st, &j->s);
	uint64_t pos = j->start;
	if (j->window) {
		while (pos < j->end) {
			/* windows sit at multiples of their size in the file, so
			 * their offsets are page aligned whatever the range's */
			uint64_t wo = pos / j->window * j->window;
			uint64_t we = wo + j->window < j->end ? wo + j->window : j->end;
			int r = feed_window(j, wo, we, pos);
			if (r == 0)
				return 0; /* shrank: the stream is left as it was cut */
			if (r < 0)
				break; /* cannot be mapped: read the rest */
			pos = we;
		}
		if (pos >= j->end) {
			j->st.s = &j->s;
			table_stream_finish(&j->st);
			return 0;
		}
	}
	return range_pread(j, pos);
}

static void *range_thread(void *arg)
{
	struct job *j = arg;
	j->r = range_run(j);
	return NULL;
}

/* ---- the whole file -------------------------------------------------------------- */

int table_summarize_file(int fd, uint64_t size, ctune_table_summary *s)
{
	unsigned n = threads_setting();
	if (n == 0) {
		if (size < FILE_MIN)
			return -EOPNOTSUPP;
		unsigned cpus = cpus_usable();
		uint64_t by_size = size / RANGE_MIN;
		n = cpus < CTUNE_TABLE_THREADS_MAX ? cpus : CTUNE_TABLE_THREADS_MAX;
		if (by_size < n)
			n = by_size > 0 ? (unsigned)by_size : 1;
	}

	_cleanup_free_ struct job *jobs = calloc(n, sizeof(*jobs));
	if (!jobs)
		return -ENOMEM;
	long page = sysconf(_SC_PAGESIZE);
	size_t window = WINDOW_BUDGET / n;
	if (page > 0)
		window -= window % (size_t)page;
	if (window < WINDOW_MIN)
		window = WINDOW_MIN;
	bool mapped = bus_guard_acquire() == 0;

	uint64_t start = 0;
	int r = 0;
	for (unsigned i = 0; i < n; i++) {
		uint64_t end = size;
		if (i + 1 < n) {
			r = line_start_from(fd, size / n * (i + 1), size, &end);
			if (r < 0)
				break;
		}
		jobs[i] = (struct job){ .fd = fd, .start = start, .end = end, .window = mapped ? window : 0 };
		ctune_table_summary_init(&jobs[i].s);
		start = end;
	}

	if (r == 0) {
		/* The workers take no asynchronous signals: those stay with the
		 * caller's threads, which expect them.  Faults still reach them. */
		sigset_t all, old;
		sigfillset(&all);
		sigdelset(&all, SIGBUS);
		sigdelset(&all, SIGSEGV);
		sigdelset(&all, SIGFPE);
		sigdelset(&all, SIGILL);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		for (unsigned i = 1; i < n; i++)
			if (jobs[i].start < jobs[i].end)
				jobs[i].started = pthread_create(&jobs[i].thread, NULL, range_thread, &jobs[i]) == 0;
		pthread_sigmask(SIG_SETMASK, &old, NULL);

		/* the first range here, and any a thread could not be started for */
		jobs[0].r = range_run(&jobs[0]);
		for (unsigned i = 1; i < n; i++) {
			if (jobs[i].started)
				pthread_join(jobs[i].thread, NULL);
			else if (jobs[i].start < jobs[i].end)
				jobs[i].r = range_run(&jobs[i]);
		}
		for (unsigned i = 0; i < n; i++) {
			if (jobs[i].r < 0 && r == 0)
				r = jobs[i].r;
			ctune_table_summary_add(s, &jobs[i].s);
		}
	}
	if (mapped)
		bus_guard_release();
	return r;
}
