/* report.c - the hosts read by report-read.c -> the fleet: one compact
 * record per host (a duplicate name keeps the newer facts and, from the two
 * samples, the time to full), the errors, the ranking by risk (a top-N heap
 * of indices: the order of the worst N, never a sort of every host) and the
 * totals.  Also the verb's command line.
 */
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "duration.h"
#include "human.h"

#define ERRORS_MAX 20000 /* errors kept; more are only counted */

const char *const ctune_drift_names[CTUNE_DRIFT_COUNT] = {
	"boot", "other_scheme_keys", "buckets_ratio", "default_established_timeout", "max_over_memory",
};
const char *const ctune_report_scheme_names[CTUNE_REPORT_SCHEME_COUNT] = { "unknown", "legacy", "modern", "none" };

uint64_t ctune_report_drops(const ctune_report_host *h)
{
	uint64_t n = 0;
	const int64_t v[] = { h->drop, h->early_drop, h->insert_failed };
	for (size_t i = 0; i < ELEMENTSOF(v); i++)
		if (v[i] != CTUNE_REPORT_UNKNOWN)
			n += (uint64_t)v[i];
	return n;
}

bool ctune_report_dropping(const ctune_report_host *h)
{
	if (h->table_full_seen)
		return true;
	if (h->early_drop != CTUNE_REPORT_UNKNOWN && h->early_drop > 0)
		return true;
	if (h->drop == CTUNE_REPORT_UNKNOWN || h->drop <= 0)
		return false;
	return h->insert_failed == CTUNE_REPORT_UNKNOWN || h->drop > h->insert_failed;
}

int ctune_report_level(const ctune_report_host *h)
{
	if (ctune_report_dropping(h) || h->usage >= 90)
		return 2;
	if (h->usage >= 70 || h->drift || ctune_report_drops(h) > 0)
		return 1;
	return 0;
}

static unsigned popcount16(unsigned v)
{
	unsigned n = 0;
	for (; v; v &= v - 1)
		n++;
	return n;
}

/* Risk order: hosts dropping for a full table first (more drops first),
 * then fuller (insert races alone do not rank a host up), then
 * less headroom (max - count), then sooner full, then more drift, then by
 * name so that the order is stable. */
int ctune_report_cmp(const ctune_report_host *a, const ctune_report_host *b)
{
	uint64_t da = ctune_report_drops(a), db = ctune_report_drops(b);
	bool fa_ = ctune_report_dropping(a), fb_ = ctune_report_dropping(b);
	if (fa_ != fb_)
		return fa_ ? -1 : 1;
	if (fa_ && da != db)
		return da > db ? -1 : 1;
	if (a->usage != b->usage)
		return a->usage > b->usage ? -1 : 1;
	bool ha = a->max != CTUNE_REPORT_UNKNOWN && a->count != CTUNE_REPORT_UNKNOWN;
	bool hb = b->max != CTUNE_REPORT_UNKNOWN && b->count != CTUNE_REPORT_UNKNOWN;
	if (ha && hb && a->max - a->count != b->max - b->count)
		return a->max - a->count < b->max - b->count ? -1 : 1;
	bool fa = a->seconds_to_full != CTUNE_REPORT_UNKNOWN, fb = b->seconds_to_full != CTUNE_REPORT_UNKNOWN;
	if (fa != fb)
		return fa ? -1 : 1;
	if (fa && a->seconds_to_full != b->seconds_to_full)
		return a->seconds_to_full < b->seconds_to_full ? -1 : 1;
	unsigned xa = popcount16(a->drift), xb = popcount16(b->drift);
	if (xa != xb)
		return xa > xb ? -1 : 1;
	return strcmp(a->name, b->name);
}

bool ctune_report_is_stale(const ctune_report *r, const ctune_report_host *h)
{
	return r->opts.max_age > 0 && h->time != CTUNE_REPORT_UNKNOWN && r->opts.now - h->time > r->opts.max_age;
}

void ctune_report_init(ctune_report *r, const ctune_report_opts *opts, const char *const *inputs, size_t ninputs)
{
	memset(r, 0, sizeof(*r));
	r->opts = *opts;
	r->inputs = inputs;
	r->ninputs = ninputs;
	r->store_fd = -1;
}

void ctune_report_free(ctune_report *r)
{
	if (r->store_fd >= 0)
		close(r->store_fd);
	free(r->wbuf);
	free(r->rbuf);
	free(r->errors);
	free(r->index);
	free(r->ranked);
	memset(r, 0, sizeof(*r));
	r->store_fd = -1;
}

/* ---- the store ---- */

#define STORE_BLOCK 128 /* records per cached block (70 KiB) */

static int store_open(ctune_report *r)
{
	const char *dir = getenv("TMPDIR");
	if (!dir || dir[0] != '/')
		dir = "/tmp";
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		/* No O_TMPFILE (old kernel, some file systems): a named file, unlinked at once. */
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/ctune-report-XXXXXX", dir);
		fd = mkostemp(path, O_CLOEXEC);
		if (fd < 0)
			return -errno;
		unlink(path);
	}
	r->wbuf = malloc(STORE_BLOCK * sizeof(*r->wbuf));
	r->rbuf = malloc(STORE_BLOCK * sizeof(*r->rbuf));
	if (!r->wbuf || !r->rbuf) {
		close(fd);
		return -ENOMEM;
	}
	r->store_fd = fd;
	return 0;
}

static int write_all_at(int fd, const void *buf, size_t n, off_t off)
{
	const char *p = buf;
	while (n) {
		ssize_t k = pwrite(fd, p, n, off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EIO;
		p += k;
		n -= (size_t)k;
		off += k;
	}
	return 0;
}

static int store_flush(ctune_report *r)
{
	if (!r->wn)
		return 0;
	int e = write_all_at(r->store_fd, r->wbuf, r->wn * sizeof(*r->wbuf), (off_t)(r->wbase * sizeof(*r->wbuf)));
	r->wbase += r->wn;
	r->wn = 0;
	r->rn = 0; /* what was read may be stale */
	return e;
}

/* Write host i: the next one (appended) or one already stored (a duplicate's newer facts). */
static int store_put(ctune_report *r, size_t i, const ctune_report_host *h)
{
	if (i >= r->wbase && i < r->wbase + r->wn) {
		r->wbuf[i - r->wbase] = *h;
		return 0;
	}
	if (i == r->wbase + r->wn) {
		if (r->wn == STORE_BLOCK) {
			int e = store_flush(r);
			if (e < 0)
				return e;
		}
		r->wbuf[r->wn++] = *h;
		return 0;
	}
	r->rn = 0;
	return write_all_at(r->store_fd, h, sizeof(*h), (off_t)(i * sizeof(*h)));
}

int ctune_report_host_at(ctune_report *r, size_t i, ctune_report_host *out)
{
	if (i >= r->wbase && i < r->wbase + r->wn) {
		*out = r->wbuf[i - r->wbase];
		return 0;
	}
	if (i < r->rbase || i >= r->rbase + r->rn) {
		r->rbase = i;
		r->rn = 0;
		size_t want = STORE_BLOCK * sizeof(*r->rbuf), got = 0;
		while (got < want) {
			ssize_t k = pread(r->store_fd, (char *)r->rbuf + got, want - got,
					  (off_t)(i * sizeof(*r->rbuf) + got));
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0)
				return -errno;
			if (k == 0)
				break;
			got += (size_t)k;
		}
		r->rn = got / sizeof(*r->rbuf);
		if (i >= r->rbase + r->rn)
			return -EIO;
	}
	*out = r->rbuf[i - r->rbase];
	return 0;
}

/* FNV-1a: host names are short. */
static uint64_t hash_name(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* The index of host names, for duplicates: one 32-bit slot per place, the
 * host's index + 1 in the low 24 bits (at most 16,777,214 hosts) and 8 bits
 * of the name's hash above, so that a slot's record is read to compare
 * names only when those match (1 in 256 otherwise).  4 bytes a slot keeps
 * the report's memory flat from 1,000 to 10,000 hosts (bench case 8). */
#define SLOT_INDEX(v) ((v) & 0xffffffu)
#define SLOT_TAG(h) ((h) >> 24)
#define HOSTS_MAX 0xfffffeu

/* The slot of name: a host's, or the empty one (0) where it goes. */
static int index_slot(ctune_report *r, const char *name, uint32_t hash, uint32_t **slot)
{
	size_t mask = r->index_cap - 1;
	for (size_t i = hash & mask;; i = (i + 1) & mask) {
		*slot = &r->index[i];
		if (**slot == 0)
			return 0;
		if ((**slot >> 24) != SLOT_TAG(hash))
			continue;
		ctune_report_host h;
		int e = ctune_report_host_at(r, SLOT_INDEX(**slot) - 1, &h);
		if (e < 0)
			return e;
		if (strcmp(h.name, name) == 0)
			return 0;
	}
}

static int index_grow(ctune_report *r)
{
	size_t cap = r->index_cap ? r->index_cap * 2 : 1024;
	uint32_t *idx = calloc(cap, sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	/* The names are unique already: place each host by its hash, its
	 * name read back from the store in order (block reads). */
	for (size_t i = 0; i < r->nhosts; i++) {
		ctune_report_host h;
		int e = ctune_report_host_at(r, i, &h);
		if (e < 0) {
			free(idx);
			return e;
		}
		uint32_t hash = (uint32_t)hash_name(h.name);
		size_t j = hash & (cap - 1);
		while (idx[j])
			j = (j + 1) & (cap - 1);
		idx[j] = (uint32_t)(i + 1) | SLOT_TAG(hash) << 24;
	}
	free(r->index);
	r->index = idx;
	r->index_cap = cap;
	return 0;
}

static int add_error(ctune_report *r, uint32_t input, const char *host, const char *reason)
{
	if (r->nerrors >= ERRORS_MAX) {
		r->errors_dropped++;
		return 0;
	}
	if (r->nerrors == r->cap_errors) {
		size_t cap = r->cap_errors ? r->cap_errors * 2 : 64;
		ctune_report_error *e = realloc(r->errors, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		r->errors = e;
		r->cap_errors = cap;
	}
	ctune_report_error *e = &r->errors[r->nerrors++];
	e->input = input;
	snprintf(e->host, sizeof(e->host), "%s", host ? host : "");
	snprintf(e->reason, sizeof(e->reason), "%s", reason);
	return 0;
}

static int sink_error(void *ud, uint32_t input, const char *host, const char *reason)
{
	return add_error(ud, input, host, reason);
}

/* Two samples of one host: the time to full at the rate between them,
 * when the table grew. */
static void time_to_full(ctune_report_host *newer, const ctune_report_host *older)
{
	if (newer->time == CTUNE_REPORT_UNKNOWN || older->time == CTUNE_REPORT_UNKNOWN ||
	    newer->time <= older->time || newer->count == CTUNE_REPORT_UNKNOWN ||
	    older->count == CTUNE_REPORT_UNKNOWN || newer->max == CTUNE_REPORT_UNKNOWN ||
	    newer->count <= older->count || newer->count >= newer->max)
		return;
	double rate = (double)(newer->count - older->count) / (double)(newer->time - older->time);
	double secs = (double)(newer->max - newer->count) / rate;
	newer->seconds_to_full = secs > (double)INT64_MAX / 2 ? INT64_MAX / 2 : (int64_t)secs;
}

static int sink_host(void *ud, const ctune_report_host *h)
{
	ctune_report *r = ud;
	if (r->nhosts >= HOSTS_MAX)
		return add_error(r, h->input, h->name, "more hosts than the report counts (16,777,214)");
	int e;
	if (r->store_fd < 0 && (e = store_open(r)) < 0)
		return e;
	if ((r->nhosts + 1) * 4 > r->index_cap * 3 && (e = index_grow(r)) < 0)
		return e;
	uint32_t hash = (uint32_t)hash_name(h->name), *slot;
	if ((e = index_slot(r, h->name, hash, &slot)) < 0)
		return e;
	if (*slot) {
		ctune_report_host old;
		if ((e = ctune_report_host_at(r, SLOT_INDEX(*slot) - 1, &old)) < 0)
			return e;
		char why[CTUNE_REPORT_REASON_MAX];
		bool newer = h->time != CTUNE_REPORT_UNKNOWN &&
			     (old.time == CTUNE_REPORT_UNKNOWN || h->time > old.time);
		snprintf(why, sizeof(why), "duplicate host name: also read from input %u; the %s facts are kept",
			 (unsigned)old.input + 1, newer ? "newer (these)" : "first read");
		r->duplicates++;
		ctune_report_host keep = newer ? *h : old;
		time_to_full(&keep, newer ? &old : h);
		if ((e = store_put(r, SLOT_INDEX(*slot) - 1, &keep)) < 0)
			return e;
		return add_error(r, h->input, h->name, why);
	}
	if ((e = store_put(r, r->nhosts, h)) < 0)
		return e;
	*slot = (uint32_t)++r->nhosts | SLOT_TAG(hash) << 24;
	return 0;
}

ctune_report_sink ctune_report_sink_of(ctune_report *r)
{
	return (ctune_report_sink){ .host = sink_host, .error = sink_error, .ud = r };
}

static void tally(ctune_report_tally *t, size_t *n, const char *name)
{
	if (!name[0])
		name = "unknown";
	for (size_t i = 0; i < *n; i++)
		if (strcmp(t[i].name, name) == 0) {
			t[i].hosts++;
			return;
		}
	if (*n == CTUNE_REPORT_ERA_SLOTS - 1) /* the last slot is "other" */
		name = "other";
	for (size_t i = 0; i < *n; i++)
		if (strcmp(t[i].name, name) == 0) {
			t[i].hosts++;
			return;
		}
	snprintf(t[*n].name, sizeof(t[*n].name), "%s", name);
	t[(*n)++].hosts = 1;
}

/* ---- the top-N heap: the root is the least risky of those kept ---- */

static bool less_risky(const ctune_report_host *a, const ctune_report_host *b)
{
	return ctune_report_cmp(a, b) > 0;
}

static void swap_hosts(ctune_report_host *a, ctune_report_host *b)
{
	ctune_report_host t = *a;
	*a = *b;
	*b = t;
}

static void sift_down(ctune_report_host *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		if (l < n && less_risky(&h[l], &h[m]))
			m = l;
		if (l + 1 < n && less_risky(&h[l + 1], &h[m]))
			m = l + 1;
		if (m == i)
			return;
		swap_hosts(&h[i], &h[m]);
		i = m;
	}
}

static void sift_up(ctune_report_host *h, size_t i)
{
	while (i > 0 && less_risky(&h[i], &h[(i - 1) / 2])) {
		swap_hosts(&h[i], &h[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
}

static void total(ctune_report *r, const ctune_report_host *h)
{
	r->per_scheme[h->scheme < CTUNE_REPORT_SCHEME_COUNT ? h->scheme : 0]++;
	tally(r->eras, &r->neras, h->era);
	tally(r->inits, &r->ninits, h->init);
	for (int b = 0; b < CTUNE_DRIFT_COUNT; b++)
		if (h->drift & (1u << b))
			r->per_drift[b]++;
	r->with_drift += h->drift != 0;
	r->need_max += h->change_max;
	r->need_buckets += h->change_buckets;
	r->need_timeout += (h->drift & CTUNE_DRIFT_TIMEOUT) != 0;
	r->need_persist += (h->drift & CTUNE_DRIFT_BOOT) != 0;
	r->need_migrate += (h->drift & CTUNE_DRIFT_OTHER_SCHEME) != 0;
	uint64_t d = ctune_report_drops(h);
	r->with_drops += d > 0;
	r->drops_total += d;
	r->stale += ctune_report_is_stale(r, h);
	r->full_known += h->seconds_to_full != CTUNE_REPORT_UNKNOWN;
	if (h->recommended_memory != CTUNE_REPORT_UNKNOWN)
		r->advised_memory += (uint64_t)h->recommended_memory;
	if (h->usage >= 0) {
		size_t b = h->usage >= 100 ? CTUNE_REPORT_HIST - 1 : (size_t)(h->usage / 10);
		r->histogram[b]++;
		r->usage_known++;
	}
	int level = ctune_report_level(h);
	r->critical += level == 2;
	r->warning += level == 1;
}

int ctune_report_finish(ctune_report *r)
{
	size_t top = r->opts.top < r->nhosts ? r->opts.top : r->nhosts;
	r->ranked = malloc((top ? top : 1) * sizeof(*r->ranked));
	if (!r->ranked)
		return -ENOMEM;
	int e = r->store_fd >= 0 ? store_flush(r) : 0;
	if (e < 0)
		return e;
	size_t n = 0;
	for (size_t i = 0; i < r->nhosts; i++) {
		ctune_report_host h;
		if ((e = ctune_report_host_at(r, i, &h)) < 0)
			return e;
		total(r, &h);
		if (!top)
			continue;
		if (n < top) {
			r->ranked[n] = h;
			sift_up(r->ranked, n++);
		} else if (less_risky(&r->ranked[0], &h)) {
			r->ranked[0] = h;
			sift_down(r->ranked, n, 0);
		}
	}
	/* Pop the heap from its end: the worst ends up first. */
	for (size_t k = n; k > 1; k--) {
		swap_hosts(&r->ranked[0], &r->ranked[k - 1]);
		sift_down(r->ranked, k - 1, 0);
	}
	r->nranked = n;
	return 0;
}

/* ---- the verb ---- */

static const char usage[] =
	"Usage: ctune report [PATH...] [--top N] [--max-age DURATION] [--format human|json|prometheus|html]\n"
	"                    [--output FILE] [--now EPOCH]\n"
	"\n"
	"One report over many hosts' facts, read from what Ansible and Salt wrote: a jsonfile fact\n"
	"cache directory, `ansible -m ctune_facts --tree DIR`, `salt --out=json --static` of\n"
	"ctune.facts or of the conntrack grain, a directory of `ctune facts --format json` files, or\n"
	"JSON lines; `-` (the default) is standard input.  Hosts are ranked by risk (drops since\n"
	"boot, usage, headroom), with their drift (boot, other scheme, buckets, 5-day timeout,\n"
	"memory), the fleet's totals and the inputs that could not be read.\n"
	"  --top N             hosts in the ranking (default 20)\n"
	"  --max-age DURATION  facts older than this are stale (e.g. 1d; default: not checked)\n"
	"  --format F          human (default on a terminal), json (else), prometheus, html\n"
	"  --output FILE       write there (replaced whole) instead of standard output\n"
	"  --now EPOCH         the report's time (default: now)\n";

enum { FMT_AUTO, FMT_HUMAN, FMT_JSON, FMT_PROM, FMT_HTML };

static int usage_error(const char *what, const char *arg, const char *why)
{
	fprintf(stderr, "ctune report: %s%s%s%s\n(ctune report --help for the options)\n", what, arg ? " '" : "",
		arg ? arg : "", arg ? "'" : "");
	if (why)
		fprintf(stderr, "ctune report: %s\n", why);
	return 2;
}

static bool parse_count(const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static unsigned terminal_width(int fd)
{
	struct winsize ws;
	if (isatty(fd) && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
		return ws.ws_col;
	long long c;
	const char *cols = getenv("COLUMNS");
	if (cols && parse_count(cols, 40, 1000, &c))
		return (unsigned)c;
	return 100;
}

/* Write the report to path through a file beside it, renamed into place:
 * a reader never sees half a report. */
static int print_to(const char *path, int fmt, ctune_report *r)
{
	int (*print)(FILE *, ctune_report *) = fmt == FMT_JSON   ? ctune_report_print_json
						      : fmt == FMT_PROM ? ctune_report_print_prometheus
						      : fmt == FMT_HTML ? ctune_report_print_html
									: ctune_report_print_human;
	if (!path) {
		int e = print(stdout, r);
		return e < 0 || fflush(stdout) == EOF || ferror(stdout) ? -EIO : 0;
	}
	size_t n = strlen(path);
	_cleanup_free_ char *tmp = malloc(n + 16);
	if (!tmp)
		return -ENOMEM;
	snprintf(tmp, n + 16, "%s.tmpXXXXXX", path);
	int fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	FILE *f = fdopen(fd, "w");
	if (!f) {
		int e = -errno;
		close(fd);
		unlink(tmp);
		return e;
	}
	fchmod(fd, 0644);
	int e = print(f, r);
	if (fflush(f) == EOF || ferror(f) || fsync(fd) < 0)
		e = e < 0 ? e : -EIO;
	if (fclose(f) == EOF && e >= 0)
		e = -EIO;
	if (e >= 0 && rename(tmp, path) < 0)
		e = -errno;
	if (e < 0)
		unlink(tmp);
	return e < 0 ? e : 0;
}

int ctune_report_main(int argc, char **argv)
{
	ctune_report_opts opts = { .top = 20, .now = (int64_t)time(NULL) };
	int fmt = FMT_AUTO;
	const char *output = NULL;
	_cleanup_free_ const char **inputs = calloc((size_t)argc + 1, sizeof(*inputs));
	size_t ninputs = 0;
	if (!inputs)
		return 1;
	bool only_paths = false;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (only_paths || a[0] != '-' || strcmp(a, "-") == 0) {
			inputs[ninputs++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_paths = true;
			continue;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage, stdout);
			return 0;
		}
		const char *v = strchr(a, '=');
		char opt[32];
		snprintf(opt, sizeof(opt), "%.*s", v ? (int)(v - a) : (int)strlen(a), a);
		if (v)
			v++;
		else if (i + 1 < argc)
			v = argv[++i];
		else
			return usage_error(opt, NULL, "the option needs a value");
		long long n;
		if (strcmp(opt, "--top") == 0) {
			if (!parse_count(v, 0, 1000000, &n))
				return usage_error("--top:", v, "not a count from 0 to 1000000");
			opts.top = (size_t)n;
		} else if (strcmp(opt, "--max-age") == 0) {
			ctune_error err = { 0 };
			long long secs;
			if (ctune_duration_parse(v, CTUNE_DURATION_UNITS, &secs, &err) < 0 || secs < 1)
				return usage_error("--max-age:", v, "not a duration of 1 s or more (90s, 12h, 7d)");
			opts.max_age = secs;
		} else if (strcmp(opt, "--now") == 0) {
			if (!parse_count(v, 0, (long long)INT32_MAX * 4, &n))
				return usage_error("--now:", v, "not a time in seconds since 1970");
			opts.now = n;
		} else if (strcmp(opt, "--format") == 0) {
			static const char *const names[] = { "", "human", "json", "prometheus", "html" };
			fmt = -1;
			for (int k = 1; k < (int)ELEMENTSOF(names); k++)
				if (strcmp(v, names[k]) == 0)
					fmt = k;
			if (fmt < 0)
				return usage_error("--format:", v, "not one of human, json, prometheus, html");
		} else if (strcmp(opt, "--output") == 0) {
			if (!*v)
				return usage_error("--output:", v, "an empty path");
			output = v;
		} else
			return usage_error("unknown option", a, NULL);
	}
	if (ninputs == 0) {
		if (isatty(STDIN_FILENO))
			return usage_error("no input:", NULL, "give a PATH (a fact cache, --tree, Salt's output) or pipe "
							      "the facts in");
		inputs[ninputs++] = "-";
	}
	if (fmt == FMT_AUTO)
		fmt = !output && isatty(STDOUT_FILENO) ? FMT_HUMAN : FMT_JSON;
	opts.width = terminal_width(STDOUT_FILENO);

	ctune_report r;
	ctune_report_init(&r, &opts, inputs, ninputs);
	ctune_report_sink sink = ctune_report_sink_of(&r);
	int e = 0;
	for (size_t i = 0; i < ninputs && e >= 0; i++)
		e = ctune_report_read_path(inputs[i], (uint32_t)i, &sink);
	if (e >= 0)
		e = ctune_report_finish(&r);
	if (e >= 0)
		e = print_to(output, fmt, &r);
	ctune_report_free(&r);
	if (e < 0) {
		fprintf(stderr, "ctune report: %s\n", e == -ENOMEM ? "out of memory" : strerror(-e));
		return 1;
	}
	return 0;
}
