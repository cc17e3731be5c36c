/* table.c - the conntrack table text, summarised in one pass (HOT PATH).
 *
 * Why this file exists: `ctune facts --table` must count a million-entry
 * table about as fast as `wc -l` reads it, where awk or a Python split take
 * thirty to forty times longer.  So the data moves like this: read() fills a
 * fixed 256 KiB buffer; memchr() finds each '\n'; each line is scanned once
 * by hand, left to right, for its few header tokens, and then memchr() jumps
 * from '[' to '[' for the flags; the counts go into the caller's summary only
 * when the whole line has been accepted.  A partial last line is carried to
 * the front of the buffer for the next read.  Nothing is allocated per line,
 * nothing is copied except that carry, and memory is constant whatever the
 * table size.  The kernel's exact "%-8s %u " heads and the ESTABLISHED word
 * are matched whole (word compares) before the generic byte scan, because
 * they are most of every real table.
 *
 * Measured on the project VM (regular file of 1.25M modern lines, 238 MB,
 * page cache, best of 11): read() alone 0.033 s, `wc -l` 0.040-0.047 s,
 * this 0.080 s, mawk '{c[$6]++}' 0.93 s.  What is left above `wc -l` is
 * mostly the second memchr pass (for '[') over each line.  On the real
 * /proc file the kernel's text generation (~2 us per entry) dominates.
 *
 * A line (modern kernels, and legacy /proc/net/ip_conntrack without the
 * leading l3 pair):
 *
 *   ipv4     2 tcp      6 3602 ESTABLISHED src=... dst=... sport=.. dport=..
 *       [UNREPLIED] src=... [ASSURED] mark=0 zone=0 use=2
 *   tcp      6 431999 ESTABLISHED src=... [ASSURED] mark=0 secmark=0 use=1
 *
 * Kernels since 4.16 leave the timeout out for offloaded entries
 * ("ipv4 2 tcp 6 ESTABLISHED src=... [OFFLOAD] ..."); such a line is
 * accepted only when it does carry [OFFLOAD] or [HW_OFFLOAD].  Every kernel
 * ends a line with "use=N", and the kernel never prints a partial record, so
 * a line that does not end that way was cut short: it is malformed, as are
 * empty lines, lines over CTUNE_TABLE_LINE_MAX bytes and lines whose numbers
 * are not numbers.  Input is untrusted (it is fuzzed): every read is bounded
 * by the line's end pointer.
 */
#include "table.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"

/* Big enough that the read() syscalls cost nothing next to the scan, small
 * enough to stay in L2 on the machines ctune runs on. */
#define TABLE_READ_BUF (256u * 1024u)

enum {
	FLAG_ASSURED = 1u << 0,
	FLAG_UNREPLIED = 1u << 1,
	FLAG_OFFLOAD = 1u << 2,
};

static const char *const family_names[CTUNE_FAMILY_COUNT] = {
	[CTUNE_FAMILY_IPV4] = "ipv4",
	[CTUNE_FAMILY_IPV6] = "ipv6",
	[CTUNE_FAMILY_OTHER] = "other",
};

static const char *const proto_names[CTUNE_PROTO_COUNT] = {
	[CTUNE_PROTO_TCP] = "tcp",       [CTUNE_PROTO_UDP] = "udp",   [CTUNE_PROTO_UDPLITE] = "udplite",
	[CTUNE_PROTO_ICMP] = "icmp",     [CTUNE_PROTO_ICMPV6] = "icmpv6", [CTUNE_PROTO_SCTP] = "sctp",
	[CTUNE_PROTO_DCCP] = "dccp",     [CTUNE_PROTO_GRE] = "gre",   [CTUNE_PROTO_OTHER] = "other",
};

static const char *const tcp_state_names[CTUNE_TCP_STATE_COUNT] = {
	[CTUNE_TCP_NONE] = "NONE",
	[CTUNE_TCP_SYN_SENT] = "SYN_SENT",
	[CTUNE_TCP_SYN_RECV] = "SYN_RECV",
	[CTUNE_TCP_ESTABLISHED] = "ESTABLISHED",
	[CTUNE_TCP_FIN_WAIT] = "FIN_WAIT",
	[CTUNE_TCP_CLOSE_WAIT] = "CLOSE_WAIT",
	[CTUNE_TCP_LAST_ACK] = "LAST_ACK",
	[CTUNE_TCP_TIME_WAIT] = "TIME_WAIT",
	[CTUNE_TCP_CLOSE] = "CLOSE",
	[CTUNE_TCP_SYN_SENT2] = "SYN_SENT2",
	[CTUNE_TCP_STATE_UNKNOWN] = "UNKNOWN",
};

/* The names the kernel prints, in the order a busy table meets them, so the
 * common case is the first comparison.  2.6.18 printed LISTEN where current
 * kernels print SYN_SENT2: same index. */
static const struct {
	char name[12];
	unsigned char len;
	unsigned char state;
} tcp_state_words[] = {
	{ "ESTABLISHED", 11, CTUNE_TCP_ESTABLISHED },
	{ "TIME_WAIT", 9, CTUNE_TCP_TIME_WAIT },
	{ "SYN_SENT", 8, CTUNE_TCP_SYN_SENT },
	{ "CLOSE", 5, CTUNE_TCP_CLOSE },
	{ "SYN_RECV", 8, CTUNE_TCP_SYN_RECV },
	{ "FIN_WAIT", 8, CTUNE_TCP_FIN_WAIT },
	{ "CLOSE_WAIT", 10, CTUNE_TCP_CLOSE_WAIT },
	{ "LAST_ACK", 8, CTUNE_TCP_LAST_ACK },
	{ "NONE", 4, CTUNE_TCP_NONE },
	{ "SYN_SENT2", 9, CTUNE_TCP_SYN_SENT2 },
	{ "LISTEN", 6, CTUNE_TCP_SYN_SENT2 },
};

const char *ctune_family_name(ctune_family f)
{
	return (unsigned)f < CTUNE_FAMILY_COUNT ? family_names[f] : NULL;
}

const char *ctune_proto_name(ctune_proto p)
{
	return (unsigned)p < CTUNE_PROTO_COUNT ? proto_names[p] : NULL;
}

const char *ctune_tcp_state_name(int state)
{
	return state >= 0 && state < CTUNE_TCP_STATE_COUNT ? tcp_state_names[state] : NULL;
}

/* Layer-4 protocol number -> bucket; everything unnamed is "other" (0 here
 * is CTUNE_PROTO_TCP, so the table is filled by a designated initialiser
 * list and a +1 offset keeps the unlisted entries at "other"). */
static const unsigned char proto_by_number[256] = {
	[6] = CTUNE_PROTO_TCP + 1,     [17] = CTUNE_PROTO_UDP + 1,  [136] = CTUNE_PROTO_UDPLITE + 1,
	[1] = CTUNE_PROTO_ICMP + 1,    [58] = CTUNE_PROTO_ICMPV6 + 1, [132] = CTUNE_PROTO_SCTP + 1,
	[33] = CTUNE_PROTO_DCCP + 1,   [47] = CTUNE_PROTO_GRE + 1,
};

static inline ctune_proto proto_from_number(unsigned num)
{
	unsigned v = num < 256 ? proto_by_number[num] : 0;
	return v ? (ctune_proto)(v - 1) : CTUNE_PROTO_OTHER;
}

ctune_proto ctune_proto_from_number(unsigned num)
{
	return proto_from_number(num);
}

void ctune_table_summary_init(ctune_table_summary *s)
{
	memset(s, 0, sizeof(*s));
}

/* Character classes by hand: <ctype.h> goes through the locale table. */
static inline bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static inline bool is_digit(char c)
{
	return (unsigned char)(c - '0') < 10;
}

static inline bool is_alpha(char c)
{
	return (unsigned char)((c | 0x20) - 'a') < 26;
}

static inline bool is_state_char(char c)
{
	return (unsigned char)(c - 'A') < 26 || is_digit(c) || c == '_';
}

static inline const char *skip_blanks(const char *p, const char *e)
{
	while (p < e && is_blank(*p))
		p++;
	return p;
}

/* A name token ("ipv4", "tcp", "unknown"): starts with a letter and runs to
 * the next blank, which must be there.  Returns the blank, or NULL. */
static inline const char *scan_name(const char *p, const char *e)
{
	if (p >= e || !is_alpha(*p))
		return NULL;
	do
		p++;
	while (p < e && !is_blank(*p));
	return p < e ? p : NULL;
}

/* An unsigned decimal of at most 9 digits (protocol numbers are 8 and 16
 * bits), followed by a blank.  Returns the blank, or NULL. */
static inline const char *scan_uint(const char *p, const char *e, unsigned *out)
{
	const char *start = p;
	unsigned v = 0;
	while (p < e && is_digit(*p)) {
		if (p - start >= 9)
			return NULL;
		v = v * 10 + (unsigned)(*p - '0');
		p++;
	}
	if (p == start || p >= e || !is_blank(*p))
		return NULL;
	*out = v;
	return p;
}

/* The remaining timeout: "%ld", negative on kernels that print an expired
 * timer's remainder.  At most 18 digits, so the value cannot overflow. */
static inline const char *scan_timeout(const char *p, const char *e, long long *out)
{
	bool neg = false;
	if (p < e && *p == '-') {
		neg = true;
		p++;
	}
	const char *start = p;
	long long v = 0;
	while (p < e && is_digit(*p)) {
		if (p - start >= 18)
			return NULL;
		v = v * 10 + (*p - '0');
		p++;
	}
	if (p == start || p >= e || !is_blank(*p))
		return NULL;
	*out = neg ? -v : v;
	return p;
}

static inline int tcp_state_from_word(const char *p, size_t n)
{
	for (size_t i = 0; i < ELEMENTSOF(tcp_state_words); i++)
		if (tcp_state_words[i].len == n && memcmp(tcp_state_words[i].name, p, n) == 0)
			return tcp_state_words[i].state;
	return CTUNE_TCP_STATE_UNKNOWN;
}

/* The first "src=" token at or after p: the original tuple.  Before it there
 * may be a protocol's own words (an SCTP or DCCP state, GRE's "timeout=30,
 * stream_timeout=180"). */
static inline const char *find_tuple(const char *p, const char *e)
{
	while (e - p >= 4) {
		if (memcmp(p, "src=", 4) == 0)
			return p;
		while (p < e && !is_blank(*p))
			p++;
		p = skip_blanks(p, e);
	}
	return NULL;
}

/* True when [p, e) starts with the string literal lit.  The length is a
 * constant, so the compiler turns the memcmp into a couple of word loads. */
#define STARTS_WITH(p, e, lit) ((size_t)((e) - (p)) >= sizeof(lit) - 1 && memcmp((p), (lit), sizeof(lit) - 1) == 0)

/* The bracketed flags in [p, e).  Tuples, counters, mark, zone, secctx and
 * delta-time never contain '[', so memchr hops straight from flag to flag,
 * and each '[' costs one or two word compares. */
static inline unsigned scan_flags(const char *p, const char *e)
{
	unsigned f = 0;
	while (p < e && (p = memchr(p, '[', (size_t)(e - p)))) {
		p++;
		if (STARTS_WITH(p, e, "ASSURED]"))
			f |= FLAG_ASSURED;
		else if (STARTS_WITH(p, e, "UNREPLIED]"))
			f |= FLAG_UNREPLIED;
		else if (STARTS_WITH(p, e, "OFFLOAD]") || STARTS_WITH(p, e, "HW_OFFLOAD]"))
			f |= FLAG_OFFLOAD;
	}
	return f;
}

/* A name followed by an unsigned number: "ipv4     2", "tcp      6".
 * Returns the blank after the number, or NULL.
 *
 * The heads the kernel prints for the common entries, with its "%-8s %u "
 * padding, are matched whole first: the same result as the scan below,
 * without a branch per padding byte.  Most lines take this path. */
static inline const char *scan_pair(const char *p, const char *e, unsigned *num)
{
#define HEAD(lit, n)                                     \
	if (STARTS_WITH(p, e, lit)) {                    \
		*num = (n);                              \
		return p + sizeof(lit) - 2;              \
	}
	switch (p < e ? *p : 0) {
	case 'i':
		HEAD("ipv4     2 ", 2)
		HEAD("ipv6     10 ", 10)
		HEAD("icmp     1 ", 1)
		HEAD("icmpv6   58 ", 58)
		break;
	case 't':
		HEAD("tcp      6 ", 6)
		break;
	case 'u':
		HEAD("udp      17 ", 17)
		break;
	}
#undef HEAD
	p = scan_name(p, e);
	if (!p)
		return NULL;
	return scan_uint(skip_blanks(p, e), e, num);
}

/* One line, without its '\n'.  Adds it to s and returns true, or returns
 * false (and touches nothing) when the line is malformed. */
static bool parse_line(const char *p, const char *e, ctune_table_summary *s)
{
	while (e > p && (e[-1] == '\r' || is_blank(e[-1])))
		e--;
	p = skip_blanks(p, e);
	if (p == e)
		return false;

	/* "use=N" ends every complete line; the flags stand before it. */
	const char *tail = e;
	while (tail > p && is_digit(tail[-1]))
		tail--;
	if (tail == e || tail - p < 5 || memcmp(tail - 4, "use=", 4) != 0 || !is_blank(tail[-5]))
		return false;
	tail -= 4;

	unsigned num, l4num;
	long long timeout = 0;
	bool has_timeout = true;
	ctune_family family;

	p = scan_pair(p, e, &num);
	if (!p)
		return false;
	p = skip_blanks(p, e);
	if (p < e && is_alpha(*p)) {
		/* modern: "ipv4 2 tcp 6 [timeout] ..." */
		family = num == 2 ? CTUNE_FAMILY_IPV4 : num == 10 ? CTUNE_FAMILY_IPV6 : CTUNE_FAMILY_OTHER;
		p = scan_pair(p, e, &l4num);
		if (!p)
			return false;
		p = skip_blanks(p, e);
		if (p < e && (is_digit(*p) || *p == '-')) {
			p = scan_timeout(p, e, &timeout);
			if (!p)
				return false;
		} else {
			has_timeout = false;
		}
	} else {
		/* legacy: "tcp 6 431999 ..." is IPv4 only */
		family = CTUNE_FAMILY_IPV4;
		l4num = num;
		p = scan_timeout(p, e, &timeout);
		if (!p)
			return false;
	}
	p = skip_blanks(p, e);

	ctune_proto proto = proto_from_number(l4num);
	int state = CTUNE_TCP_STATE_UNKNOWN;
	if (proto == CTUNE_PROTO_TCP) {
		if (STARTS_WITH(p, e, "ESTABLISHED ")) {
			/* most of a busy table: skip the word scan */
			state = CTUNE_TCP_ESTABLISHED;
			p += 11;
		} else {
			const char *w = p;
			while (p < e && is_state_char(*p))
				p++;
			if (p == w || p >= e || !is_blank(*p))
				return false;
			state = tcp_state_from_word(w, (size_t)(p - w));
		}
	}

	const char *tuple = find_tuple(p, tail);
	if (!tuple)
		return false;
	unsigned flags = scan_flags(tuple, tail);
	if (!has_timeout && !(flags & FLAG_OFFLOAD))
		return false;

	s->total++;
	s->family[family]++;
	s->proto[proto]++;
	if (proto == CTUNE_PROTO_TCP)
		s->tcp_state[state]++;
	s->assured += !!(flags & FLAG_ASSURED);
	s->unreplied += !!(flags & FLAG_UNREPLIED);
	s->offload += !!(flags & FLAG_OFFLOAD);
	s->long_timeout += timeout > CTUNE_LONG_TIMEOUT_SECONDS;
	return true;
}

void ctune_table_parse(const char *buf, size_t len, ctune_table_summary *s)
{
	const char *p = buf, *end = buf + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		if (le - p > CTUNE_TABLE_LINE_MAX || !parse_line(p, le, s))
			s->malformed++;
		if (!nl)
			break;
		p = nl + 1;
	}
}

int ctune_table_summarize_fd(int fd, ctune_table_summary *s)
{
	_cleanup_free_ char *buf = malloc(TABLE_READ_BUF);
	if (!buf)
		return -ENOMEM;

	/* A hint for regular files (snapshots, tests); /proc ignores it. */
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

	size_t have = 0;       /* bytes of an unfinished line at buf[0] */
	bool skipping = false; /* inside an over-long line already counted */
	for (;;) {
		ssize_t k = read(fd, buf + have, TABLE_READ_BUF - have);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			break;

		const char *p = buf, *end = buf + have + (size_t)k;
		if (skipping) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			if (!nl) {
				have = 0;
				continue;
			}
			p = nl + 1;
			skipping = false;
		}

		const char *last = memrchr(p, '\n', (size_t)(end - p));
		if (last) {
			ctune_table_parse(p, (size_t)(last + 1 - p), s);
			p = last + 1;
		}

		size_t rest = (size_t)(end - p);
		if (rest > CTUNE_TABLE_LINE_MAX) {
			/* Too long whatever follows: count it now, drop the rest. */
			s->malformed++;
			skipping = true;
			have = 0;
		} else {
			memmove(buf, p, rest);
			have = rest;
		}
	}
	if (have)
		ctune_table_parse(buf, have, s);
	return 0;
}

int ctune_table_summarize(const ctune_root *r, ctune_scheme scheme, ctune_table_summary *s,
			  const char **path_used, ctune_error *err)
{
	ctune_scheme order[2];
	if (scheme == CTUNE_SCHEME_LEGACY) {
		order[0] = CTUNE_SCHEME_LEGACY;
		order[1] = CTUNE_SCHEME_MODERN;
	} else {
		order[0] = CTUNE_SCHEME_MODERN;
		order[1] = CTUNE_SCHEME_LEGACY;
	}
	ctune_table_summary_init(s);
	if (path_used)
		*path_used = NULL;

	for (size_t i = 0; i < ELEMENTSOF(order); i++) {
		const char *abs = ctune_scheme_table_file(order[i]);
		_cleanup_close_ int fd = ctune_root_open(r, abs, O_RDONLY);
		if (fd == -ENOENT)
			continue;
		char shown[4352];
		if (ctune_root_path(r, abs, shown, sizeof(shown)) < 0)
			snprintf(shown, sizeof(shown), "%s", abs);
		if (fd < 0)
			return ctune_error_set(err, fd, "cannot open %s: %s", shown, strerror(-fd));
		int k = ctune_table_summarize_fd(fd, s);
		if (k < 0)
			return ctune_error_set(err, k, "cannot read %s: %s", shown, strerror(-k));
		if (path_used)
			*path_used = abs;
		return 0;
	}
	return ctune_error_set(err, -ENOENT, "no conntrack table under %s: neither %s nor %s exists",
			       ctune_root_name(r), ctune_scheme_table_file(order[0]),
			       ctune_scheme_table_file(order[1]));
}
