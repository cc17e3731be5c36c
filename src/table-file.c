/* table-file.c - a regular table file, summarised in parallel ranges (HOT
 * PATH of the offline case).
 *
 * Why this file exists: a saved table or a --root snapshot of a busy
 * router is a quarter of a gigabyte, and `ctune facts --table` on it must
 * take a small fraction of what awk takes (bench/run case 1).  One thread
 * pays for the kernel's copy out of the page cache (about as long as
 * `wc -l` takes) and then for the parse; two threads on two cores pay for
 * half each.  So the data moves like this:
 *
 *   split    the file is cut into one range per CPU (at most
 *            CTUNE_TABLE_THREADS_MAX, and a range has at least RANGE_MIN
 *            bytes); each cut is moved to just after the next '\n', so
 *            every line lies whole in one range and is parsed exactly as
 *            the sequential reader parses it;
 *   read     each thread pread()s its range into its own RANGE_BUF buffer
 *            and feeds it to the carry logic the read() path uses
 *            (table.c's stream: a line cut by a buffer's end is carried
 *            into the next);
 *   add      the threads' summaries are added (and their top talkers
 *            merged: topk.h).
 *
 * The live /proc file never comes here: it has size 0 and its text is
 * generated as it is read, so table.c reads it sequentially as before.
 *
 * Why pread and not mmap: mapping the page cache saves the copy, but the
 * mapped pages count in the resident set while mapped, and bench/run case
 * 4 holds the summary's peak to 8 MiB *and* flat across table sizes.
 * Measured here (1.25M modern lines): windows of 2 MiB per thread saved
 * about a quarter of the CPU time but made the peak 3.8 MiB at 25k lines
 * and 5.7 MiB at 1.25M (how far two threads' windows overlap depends on
 * the file); windows small enough to stay flat (256 KiB, pre-faulted) cost
 * as much as the copy, in munmap TLB shootdowns between the threads.  A
 * file read with pread also cannot raise SIGBUS when it shrinks meanwhile:
 * a short read simply ends the range, as it ends a read().
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "table-internal.h"

/* Below this a regular file takes the plain read() path: starting threads
 * would cost more than it saves (a 256 KiB table parses in about 30 us). */
#define FILE_MIN (256u * 1024u)

/* Each thread gets at least this much of the file, so a small table does
 * not pay for threads it cannot keep busy (1 MiB parses in ~120 us,
 * starting a thread costs ~30 us). */
#define RANGE_MIN (1024u * 1024u)

/* Each thread's read buffer: in its core's L2 with room to spare, and big
 * enough that the syscalls cost nothing next to the parse.  Page-aligned:
 * the kernel's copy out of the page cache (rep movsb) is ~50% slower into
 * a destination 16 bytes off a 32-byte boundary, which is where malloc()
 * puts a block this size (mmap'd, after its 16-byte header): 250 MB took
 * 29.5 ms of copy that way against 19.8 aligned, on the project VM.
 * 256 KiB aligned: 19.0 ms; 128 KiB: 19.8. */
#define RANGE_BUF (256u * 1024u)

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

/* ---- one range ---------------------------------------------------------------- */

struct job {
	int fd;
	uint64_t start, end; /* [start, end): whole lines */
	ctune_table_summary s;
	int r; /* 0 or -errno */
	pthread_t thread;
	bool started;
	struct table_stream st;
};

/* Read and summarise one range.  A short read means the file shrank since
 * it was measured: the range ends there, as a read() would end. */
static int range_run(struct job *j)
{
	_cleanup_free_ char *buf = aligned_alloc(4096, RANGE_BUF);
	if (!buf)
		return -ENOMEM;
	table_stream_init(&j->st, &j->s);
	uint64_t pos = j->start;
	while (pos < j->end) {
		size_t want = j->end - pos < RANGE_BUF ? (size_t)(j->end - pos) : RANGE_BUF;
		ssize_t k = pread(j->fd, buf, want, (off_t)pos);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			break;
		table_stream_feed(&j->st, buf, (size_t)k);
		pos += (uint64_t)k;
	}
	table_stream_finish(&j->st);
	return 0;
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

	uint64_t start = 0;
	int r = 0;
	for (unsigned i = 0; i < n; i++) {
		uint64_t end = size;
		if (i + 1 < n) {
			r = line_start_from(fd, size / n * (i + 1), size, &end);
			if (r < 0)
				break;
		}
		jobs[i] = (struct job){ .fd = fd, .start = start, .end = end };
		ctune_table_summary_init(&jobs[i].s);
		/* each range its own top talkers, merged below */
		if (s->top && !(jobs[i].s.top = ctune_table_top_new(s->top->limit)))
			r = -ENOMEM;
		start = end;
		if (r < 0)
			break;
	}

	if (r == 0) {
		/* The workers take no asynchronous signals: those stay with the
		 * caller's threads, which expect them.  Faults still reach them. */
		sigset_t all, old;
		sigfillset(&all);
		sigdelset(&all, SIGSEGV);
		sigdelset(&all, SIGBUS);
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
		/* The ranges' top talkers in pairs, then pairs of pairs: each
		 * merge level can add its parts' bounds, and a tree of two
		 * levels keeps every error within 2 * entries / capacity
		 * (topk.h), where a chain of four would allow 3x. */
		for (unsigned step = 1; s->top && step < n && r == 0; step *= 2)
			for (unsigned i = 0; i + step < n && r == 0; i += 2 * step)
				r = ctune_table_top_merge(jobs[i].s.top, jobs[i + step].s.top);
		if (s->top && r == 0)
			r = ctune_table_top_merge(s->top, jobs[0].s.top);
	}
	for (unsigned i = 0; i < n; i++)
		ctune_table_top_free(jobs[i].s.top);
	return r;
}
