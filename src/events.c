/* events.c - see events.h.  One pass over the log, one line at a time.
 *
 * How data moves: a source (the kmsg device record by record, or a file
 * through a fixed 64 KiB buffer with the partial last line carried over)
 * hands each line to ctune_events_feed(), which (1) recognises the line's
 * format and takes its timestamp, (2) looks for the conntrack words in the
 * message, (3) updates the counts and the first/last times, and (4) settles
 * the suppression lines by their neighbours.  Every scan is bounded by the
 * line's end; nothing is allocated.
 */
#include "events.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"

/* Class of a kernel line, for the suppression rule. */
enum { LINE_NONE, LINE_OTHER, LINE_EVENT, LINE_SUPPRESS };

typedef struct line {
	const char *msg, *end; /* the message, after the format's header */
	bool kernel;           /* from the kernel (facility 0 / tag "kernel") */
	bool convert;          /* may boot_usec become wall time (current boot) */
	ctune_event_time t;
} line;

static const char *const kind_names[CTUNE_EVENT_KIND_COUNT] = {
	[CTUNE_EVENT_TABLE_FULL] = "table_full",
	[CTUNE_EVENT_LIMIT_EXCEEDED] = "limit_exceeded",
};

const char *ctune_event_kind_name(ctune_event_kind k)
{
	return k >= 0 && k < CTUNE_EVENT_KIND_COUNT ? kind_names[k] : NULL;
}

void ctune_events_init(ctune_events *ev, int64_t boot_wall_usec)
{
	memset(ev, 0, sizeof(*ev));
	ev->first.boot_usec = ev->first.wall_usec = -1;
	ev->last = ev->first;
	ev->state.boot_wall_usec = boot_wall_usec;
	ev->state.prev = LINE_NONE;
}

/* ---- small scanners, all bounded by end ----------------------------------- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Digits at *p into *v (saturating); false when there is no digit. */
static bool scan_u64(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;
	uint64_t n = 0;
	while (s < end && is_digit(*s)) {
		unsigned d = (unsigned)(*s - '0');
		n = n > (UINT64_MAX - d) / 10 ? UINT64_MAX : n * 10 + d;
		s++;
	}
	if (s == *p)
		return false;
	*p = s;
	*v = n;
	return true;
}

static bool starts(const char *p, const char *end, const char *word)
{
	size_t n = strlen(word);
	return (size_t)(end - p) >= n && memcmp(p, word, n) == 0;
}

/* "[ 12345.678901]" at *p: the boot stamp in microseconds.  Moves *p past
 * the bracket and one space. */
static bool scan_boot_stamp(const char **p, const char *end, int64_t *usec)
{
	const char *s = *p;
	if (s >= end || *s != '[')
		return false;
	s++;
	while (s < end && *s == ' ')
		s++;
	uint64_t sec, frac = 0;
	if (!scan_u64(&s, end, &sec) || sec > 1000000000000ull)
		return false;
	int digits = 0;
	if (s < end && *s == '.') {
		s++;
		while (s < end && is_digit(*s)) {
			if (digits < 6) {
				frac = frac * 10 + (uint64_t)(*s - '0');
				digits++;
			}
			s++;
		}
	}
	if (s >= end || *s != ']')
		return false;
	while (digits < 6) {
		frac *= 10;
		digits++;
	}
	s++;
	if (s < end && *s == ' ')
		s++;
	*usec = (int64_t)(sec * 1000000ull + frac);
	*p = s;
	return true;
}

/* "prio,seq,usec,flags[,...];" - a /dev/kmsg record header. */
static bool parse_kmsg(const char *p, const char *end, line *l)
{
	uint64_t prio, seq, usec;
	if (!scan_u64(&p, end, &prio) || p >= end || *p++ != ',')
		return false;
	if (!scan_u64(&p, end, &seq) || p >= end || *p++ != ',')
		return false;
	if (!scan_u64(&p, end, &usec) || p >= end || *p != ',')
		return false;
	const char *semi = memchr(p, ';', (size_t)(end - p));
	if (!semi || semi - p > 64)
		return false;
	l->msg = semi + 1;
	l->kernel = (prio >> 3) == 0; /* facility LOG_KERN */
	l->convert = true;
	l->t.boot_usec = usec > INT64_MAX ? -1 : (int64_t)usec;
	return true;
}

static bool parse_dmesg(const char *p, const char *end, line *l)
{
	int64_t usec;
	if (!scan_boot_stamp(&p, end, &usec))
		return false;
	l->msg = p;
	l->kernel = true;
	l->convert = true;
	l->t.boot_usec = usec;
	return true;
}

/* After a syslog timestamp: " host kernel: msg".  Only the kernel tag
 * counts; a boot stamp at the start of the message is taken (not
 * converted: the file may hold earlier boots). */
static bool parse_syslog_rest(const char *p, const char *end, line *l)
{
	if (p >= end || *p != ' ')
		return false;
	while (p < end && *p == ' ')
		p++;
	const char *host = p;
	while (p < end && *p != ' ')
		p++;
	if (p == host || p >= end)
		return false;
	p++;
	l->kernel = false;
	if (starts(p, end, "kernel:") || starts(p, end, "kernel[")) {
		const char *colon = memchr(p, ':', (size_t)(end - p));
		if (colon) {
			l->kernel = true;
			p = colon + 1;
			if (p < end && *p == ' ')
				p++;
			int64_t usec;
			if (scan_boot_stamp(&p, end, &usec))
				l->t.boot_usec = usec;
		}
	}
	l->msg = p;
	l->convert = false;
	return true;
}

static int month_index(const char *p)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	for (int m = 0; m < 12; m++)
		if (memcmp(p, months + 3 * m, 3) == 0)
			return m;
	return -1;
}

/* "Nov 25 08:30:00" (day space-padded) */
static bool parse_bsd_syslog(const char *p, const char *end, line *l)
{
	if (end - p < 16 || month_index(p) < 0 || p[3] != ' ')
		return false;
	if (!(p[4] == ' ' || is_digit(p[4])) || !is_digit(p[5]) || p[6] != ' ')
		return false;
	if (!is_digit(p[7]) || !is_digit(p[8]) || p[9] != ':' || !is_digit(p[10]) || !is_digit(p[11]) ||
	    p[12] != ':' || !is_digit(p[13]) || !is_digit(p[14]))
		return false;
	memcpy(l->t.text, p, 15);
	l->t.text[15] = '\0';
	return parse_syslog_rest(p + 15, end, l);
}

static bool scan_fixed(const char **p, const char *end, int n, int *v)
{
	if (end - *p < n)
		return false;
	int x = 0;
	for (int i = 0; i < n; i++) {
		if (!is_digit((*p)[i]))
			return false;
		x = x * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*v = x;
	return true;
}

/* "2025-11-25T08:30:00[.123456](Z|+01:00|+0100)" (RFC 3339, rsyslog's
 * high-precision format and journalctl -o short-iso). */
static bool parse_rfc3339(const char *p, const char *end, line *l)
{
	const char *start = p;
	int Y, M, D, h, m, s;
	if (!scan_fixed(&p, end, 4, &Y) || p >= end || *p++ != '-' || !scan_fixed(&p, end, 2, &M) || p >= end ||
	    *p++ != '-' || !scan_fixed(&p, end, 2, &D) || p >= end || (*p != 'T' && *p != ' '))
		return false;
	p++;
	if (!scan_fixed(&p, end, 2, &h) || p >= end || *p++ != ':' || !scan_fixed(&p, end, 2, &m) || p >= end ||
	    *p++ != ':' || !scan_fixed(&p, end, 2, &s))
		return false;
	if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || s > 60)
		return false;
	int64_t usec = 0;
	if (p < end && *p == '.') {
		p++;
		int digits = 0;
		while (p < end && is_digit(*p)) {
			if (digits < 6) {
				usec = usec * 10 + (*p - '0');
				digits++;
			}
			p++;
		}
		while (digits++ < 6)
			usec *= 10;
	}
	int64_t offset = 0; /* seconds east of UTC */
	bool zone = false;
	if (p < end && (*p == 'Z' || *p == 'z')) {
		p++;
		zone = true;
	} else if (p < end && (*p == '+' || *p == '-')) {
		int sign = *p == '-' ? -1 : 1, oh, om;
		p++;
		if (!scan_fixed(&p, end, 2, &oh))
			return false;
		if (p < end && *p == ':')
			p++;
		if (!scan_fixed(&p, end, 2, &om))
			return false;
		offset = sign * (oh * 3600 + om * 60);
		zone = true;
	}
	size_t n = (size_t)(p - start);
	if (n >= sizeof(l->t.text))
		n = sizeof(l->t.text) - 1;
	memcpy(l->t.text, start, n);
	l->t.text[n] = '\0';
	if (zone) {
		struct tm tm = { .tm_year = Y - 1900, .tm_mon = M - 1, .tm_mday = D,
				 .tm_hour = h, .tm_min = m, .tm_sec = s };
		time_t secs = timegm(&tm);
		if (secs != (time_t)-1)
			l->t.wall_usec = ((int64_t)secs - offset) * 1000000 + usec;
	}
	return parse_syslog_rest(p, end, l);
}

/* ---- the conntrack words ---------------------------------------------------- */

typedef struct match {
	int cls;
	ctune_event_kind kind;
	bool netns;
	uint64_t number; /* netns id, limit or suppressed count */
} match;

/* Skip "nf_conntrack: " / "ip_conntrack: " prefixes (the kernel doubled
 * them for a while); true when at least one was there. */
static bool skip_prefixes(const char **p, const char *end)
{
	bool any = false;
	while (starts(*p, end, "nf_conntrack: ") || starts(*p, end, "ip_conntrack: ")) {
		*p += 14;
		any = true;
	}
	return any;
}

static void match_message(const char *msg, const char *end, match *m)
{
	m->cls = LINE_OTHER;
	/* The prefix may stand after a caller id or other decoration, so it
	 * is searched for, then anchored: "xx_conntrack: " with xx nf or ip. */
	const char *p = msg;
	while (p < end) {
		const char *hit = memmem(p, (size_t)(end - p), "_conntrack: ", 12);
		if (!hit)
			break;
		if (hit - msg >= 2 && (memcmp(hit - 2, "nf", 2) == 0 || memcmp(hit - 2, "ip", 2) == 0)) {
			const char *q = hit - 2;
			skip_prefixes(&q, end);
			if (starts(q, end, "table full")) {
				m->cls = LINE_EVENT;
				m->kind = CTUNE_EVENT_TABLE_FULL;
				q += 10;
				uint64_t id;
				if (starts(q, end, " in netns ")) {
					q += 10;
					if (scan_u64(&q, end, &id)) {
						m->netns = true;
						m->number = id;
					}
				}
				return;
			}
			if (starts(q, end, "maximum limit of ")) {
				q += 17;
				uint64_t limit;
				if (scan_u64(&q, end, &limit)) {
					m->cls = LINE_EVENT;
					m->kind = CTUNE_EVENT_LIMIT_EXCEEDED;
					m->number = limit;
					return;
				}
			}
		}
		p = hit + 12;
	}
	/* "net_ratelimit: N callbacks suppressed" / "printk: N messages suppressed." */
	static const struct {
		const char *head, *tail;
	} sup[] = { { "net_ratelimit: ", " callbacks suppressed" }, { "printk: ", " messages suppressed" } };
	for (size_t i = 0; i < ELEMENTSOF(sup); i++) {
		const char *h = memmem(msg, (size_t)(end - msg), sup[i].head, strlen(sup[i].head));
		if (!h)
			continue;
		const char *q = h + strlen(sup[i].head);
		uint64_t n;
		if (scan_u64(&q, end, &n) && starts(q, end, sup[i].tail)) {
			m->cls = LINE_SUPPRESS;
			m->number = n;
			return;
		}
	}
}

/* ---- feeding ---------------------------------------------------------------- */

static void settle_pending(ctune_events *ev, int cls)
{
	if (!ev->state.pending)
		return;
	if (cls == LINE_EVENT)
		ev->suppressed += ev->state.pending;
	else
		ev->suppressed_other += ev->state.pending;
	ev->state.pending = 0;
}

void ctune_events_feed(ctune_events *ev, const char *buf, size_t len)
{
	const char *nl = memchr(buf, '\n', len);
	const char *end = nl ? nl : buf + len;
	if (end > buf && end[-1] == '\r')
		end--;
	/* kmsg continuation lines (" SUBSYSTEM=...") and blank lines carry no
	 * message and do not break adjacency. */
	if (end == buf || *buf == ' ')
		return;
	ev->lines++;

	line l = { .t = { .boot_usec = -1, .wall_usec = -1, .text = "" } };
	bool ok;
	if (is_digit(*buf))
		ok = parse_kmsg(buf, end, &l) || parse_rfc3339(buf, end, &l);
	else if (*buf == '[')
		ok = parse_dmesg(buf, end, &l);
	else
		ok = parse_bsd_syslog(buf, end, &l);
	if (!ok) {
		ev->unrecognized++;
		return;
	}
	if (!l.kernel)
		return;
	/* A stamp is text from the log: one near INT64_MAX must not overflow
	 * (such a time cannot be known, so it stays -1). */
	if (l.convert && l.t.boot_usec >= 0 && ev->state.boot_wall_usec >= 0 &&
	    __builtin_add_overflow(ev->state.boot_wall_usec, l.t.boot_usec, &l.t.wall_usec))
		l.t.wall_usec = -1;

	match m = { 0 };
	match_message(l.msg, end, &m);
	settle_pending(ev, m.cls);

	if (m.cls == LINE_EVENT) {
		ev->count++;
		ev->kind[m.kind]++;
		if (m.kind == CTUNE_EVENT_TABLE_FULL && m.netns) {
			ev->in_netns++;
			ev->last_netns = m.number;
		}
		if (m.kind == CTUNE_EVENT_LIMIT_EXCEEDED)
			ev->limit = m.number;
		if (ev->count == 1)
			ev->first = l.t;
		ev->last = l.t;
	} else if (m.cls == LINE_SUPPRESS) {
		if (ev->state.prev == LINE_EVENT)
			ev->suppressed += m.number;
		else
			ev->state.pending = m.number;
	}
	ev->state.prev = m.cls;
}

void ctune_events_finish(ctune_events *ev)
{
	settle_pending(ev, LINE_NONE);
}

/* ---- sources ---------------------------------------------------------------- */

int64_t ctune_events_boot_wall_usec(void)
{
	struct timespec real, boot;
	if (clock_gettime(CLOCK_REALTIME, &real) < 0 || clock_gettime(CLOCK_BOOTTIME, &boot) < 0)
		return -errno;
	return ((int64_t)real.tv_sec - boot.tv_sec) * 1000000 + (real.tv_nsec - boot.tv_nsec) / 1000;
}

/* Boot time of a root prefix: its /proc/uptime against the current time.
 * The host's own is CLOCK_BOOTTIME's, which kernels before 2.6.39 refuse
 * (EINVAL): /proc/uptime stands in there too. */
static int64_t root_boot_wall_usec(const ctune_root *r)
{
	if (r->len == 0) {
		int64_t t = ctune_events_boot_wall_usec();
		if (t >= 0)
			return t;
	}
	char buf[64];
	if (ctune_root_read_small(r, "/proc/uptime", buf, sizeof(buf)) <= 0)
		return -1;
	char *endp;
	double up = strtod(buf, &endp);
	if (endp == buf || !(up >= 0 && up < 1e10)) /* NaN, inf, and beyond 300 years: no uptime */
		return -1;
	struct timespec real;
	if (clock_gettime(CLOCK_REALTIME, &real) < 0)
		return -1;
	return (int64_t)real.tv_sec * 1000000 + real.tv_nsec / 1000 - (int64_t)(up * 1e6);
}

#define EVENTS_READ_BUF (64u * 1024u)
#define KMSG_RECORD_MAX (16u * 1024u) /* the kernel's records are under 8 KiB */

/* A file, line by line through a fixed buffer.  A line longer than the
 * buffer is garbage by definition: it is dropped up to its '\n'. */
static int scan_lines(int fd, ctune_events *ev)
{
	_cleanup_free_ char *buf = malloc(EVENTS_READ_BUF);
	if (!buf)
		return -ENOMEM;
	size_t have = 0;
	bool skipping = false;
	for (;;) {
		ssize_t n = read(fd, buf + have, EVENTS_READ_BUF - have);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		have += (size_t)n;
		const char *p = buf, *end = buf + have;
		for (;;) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			if (!nl)
				break;
			if (!skipping)
				ctune_events_feed(ev, p, (size_t)(nl - p));
			skipping = false;
			p = nl + 1;
		}
		have = (size_t)(end - p);
		if (have == EVENTS_READ_BUF) {
			if (!skipping) {
				ev->lines++;
				ev->unrecognized++;
			}
			skipping = true;
			have = 0;
		} else if (have && p != buf) {
			memmove(buf, p, have);
		}
	}
	if (have && !skipping)
		ctune_events_feed(ev, buf, have);
	return 0;
}

/* The kmsg device: one record per read(), EAGAIN at the end, EPIPE when
 * records were overwritten under us (skip and go on).  Before 3.5 the device
 * only took writes and the first read() is EINVAL: -EOPNOTSUPP, which AUTO
 * takes as "no /dev/kmsg here" and goes on to the log files (CentOS 5, 6). */
static int scan_kmsg_device(int fd, ctune_events *ev)
{
	_cleanup_free_ char *buf = malloc(KMSG_RECORD_MAX);
	if (!buf)
		return -ENOMEM;
	for (bool first = true;; first = false) {
		ssize_t n = read(fd, buf, KMSG_RECORD_MAX);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			if (errno == EPIPE) {
				ev->lost++;
				continue;
			}
			if (errno == EINVAL && first)
				return -EOPNOTSUPP;
			return -errno;
		}
		if (n == 0)
			return 0;
		ctune_events_feed(ev, buf, (size_t)n);
	}
}

/* Read one source into ev.  An open() failure is returned as it is, with
 * err untouched, so AUTO can go on to the next source; once the source is
 * open, a failure is an error with words. */
static int scan_path(const ctune_root *r, const char *abs, bool kmsg, ctune_events *ev, ctune_error *err)
{
	/* Only a regular file, or the kmsg device itself: a FIFO or another
	 * device node in an image is passed over unopened. */
	unsigned kinds = CTUNE_KIND_REG | (kmsg ? CTUNE_KIND_KMSG : 0);
	_cleanup_close_ int fd = ctune_root_open_as(r, abs, O_RDONLY | O_NONBLOCK, kinds);
	if (fd < 0)
		return fd;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return ctune_error_set(err, -errno, "%s%s: %s", r->dir, abs, strerror(errno));
	snprintf(ev->source, sizeof(ev->source), "%s", kmsg ? "kmsg" : "file");
	snprintf(ev->path, sizeof(ev->path), "%s", abs);
	int k;
	if (S_ISCHR(st.st_mode)) {
		k = scan_kmsg_device(fd, ev);
		if (k == -EOPNOTSUPP)
			return k; /* like an open() failure: err untouched */
	} else if (S_ISREG(st.st_mode))
		k = scan_lines(fd, ev); /* O_NONBLOCK changes nothing for a regular file */
	else
		return ctune_error_set(err, -EINVAL, "%s%s is neither a character device nor a regular file", r->dir,
				       abs);
	if (k < 0)
		return ctune_error_set(err, k, "reading %s%s: %s", r->dir, abs, strerror(-k));
	ctune_events_finish(ev);
	return 1;
}

static bool open_error(int k)
{
	return k == -ENOENT || k == -EACCES || k == -EPERM || k == -ENXIO || k == -ENODEV || k == -ENOTDIR ||
	       k == -EOPNOTSUPP;
}

static const char *const log_files[] = { "/var/log/kern.log", "/var/log/messages", "/var/log/syslog" };

int ctune_events_scan(const ctune_root *r, const ctune_events_options *opts, ctune_events *ev,
		      ctune_error *err)
{
	ctune_events_options def = { CTUNE_EVENTS_AUTO, NULL, CTUNE_EVENTS_BOOT_AUTO };
	if (!opts)
		opts = &def;
	int64_t boot = opts->boot_wall_usec == CTUNE_EVENTS_BOOT_AUTO ? root_boot_wall_usec(r) : opts->boot_wall_usec;
	if (boot < 0)
		boot = -1;
	ctune_events_init(ev, boot);

	if (opts->source == CTUNE_EVENTS_FILE) {
		if (!opts->path || opts->path[0] != '/')
			return ctune_error_set(err, -EINVAL, "events: the log file must be an absolute path");
		int k = scan_path(r, opts->path, false, ev, err);
		if (k < 0)
			return ctune_error_set(err, k, "log file %s%s: %s", r->dir, opts->path, ctune_root_strerror(k));
		return 0;
	}

	int k = scan_path(r, "/dev/kmsg", true, ev, err);
	if (k > 0)
		return 0;
	if (opts->source == CTUNE_EVENTS_KMSG || !open_error(k))
		return ctune_error_set(err, k, "%s/dev/kmsg: %s%s", r->dir, ctune_root_strerror(k),
				       k == -EPERM || k == -EACCES ? " (kernel.dmesg_restrict: run as root)" : "");

	/* AUTO: the log files, in order; remember why each was passed over. */
	char why[512];
	int n = snprintf(why, sizeof(why), "/dev/kmsg: %s", ctune_root_strerror(k));
	int worst = k == -ENOENT ? -ENOENT : -EACCES;
	for (size_t i = 0; i < ELEMENTSOF(log_files); i++) {
		ctune_events_init(ev, boot);
		k = scan_path(r, log_files[i], false, ev, err);
		if (k > 0)
			return 0;
		if (!open_error(k))
			return ctune_error_set(err, k, "log file %s%s: %s", r->dir, log_files[i], ctune_root_strerror(k));
		if (k != -ENOENT)
			worst = -EACCES;
		if (n >= 0 && (size_t)n < sizeof(why))
			n += snprintf(why + n, sizeof(why) - (size_t)n, "; %s: %s", log_files[i], ctune_root_strerror(k));
	}
	ctune_events_init(ev, boot);
	return ctune_error_set(err, worst, "no kernel log could be read under %s (%s)", ctune_root_name(r), why);
}
