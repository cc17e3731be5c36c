/* table.c - the conntrack table text, summarised in one pass (HOT PATH).
 *
 * Why this file exists: `ctune facts --table` must count a million-entry
 * table about as fast as `wc -l` reads it, where awk or a Python split take
 * ten to forty times longer.  So the data moves like this:
 *
 *   read()   the live /proc file, a pipe, a small file: into one 64 KiB
 *            buffer; lines are parsed where they lie, and only a line cut
 *            by the buffer's end is copied (the carry).  A regular file of
 *            256 KiB or more is cut into ranges read by one thread per CPU
 *            (table-file.c), each through the same carry logic;
 *   stage 1  per 16 KiB window, every byte is compared with '\n' and '['
 *            64 (AVX-512BW), 32 (AVX2; both chosen at run time) or 16
 *            (SSE2) at a time, and the offsets of the hits go into two
 *            short arrays (elsewhere libc's memchr does this part; any of
 *            them can be forced, table.h);
 *   stage 2  per line end, the line's brackets are the next offsets of the
 *            other array, their flag words found by a perfect hash; the
 *            line's head (family, protocol, timeout, TCP state, "src=") is
 *            read with 8-byte loads and perfect-hash tables, with selects
 *            rather than branches, into a small tally (three increments a
 *            line); anything unusual goes to the general byte-by-byte
 *            parser, the reference for what a line means.
 *
 * The counts are taken only when the whole line has been accepted.
 * Nothing is allocated per line and memory is constant whatever the table
 * size.  Guarded by bench/run (cases 1, 2 and 4).
 *
 * Measured on the project VM (AMD EPYC, 2 shared vCPUs, 3.6 GHz; 1.25M
 * generated lines, 252 MB modern / 225 MB legacy).  The parse alone, one
 * thread, AVX-512, over the whole file in 256 KiB buffers (the way the
 * command reads it): 25.8 ns a modern line and 23.3 a legacy one (was 29.9
 * and 27.7 before the fast path lost its branches on the protocol and the
 * timeout width, and the window grew to 16 KiB).  Beware of timing one
 * L2-sized buffer parsed again and again: the branch predictor learns its
 * few hundred lines, and that shows 19 and 18 ns for the old code and 20
 * and 19 for the new, the wrong way round.  Stage 1 is about a quarter of
 * the parse.  The whole command on the file in the page cache, two threads
 * (bench/run case 1, three runs alternating with the previous build on the
 * VM while other work ran, medians): modern 37 ms (was 39), legacy 32 ms
 * (was 35), 1.2 to 1.4x `wc -l` and 14.5x faster than a mawk TCP state
 * count (was 13.7 and 14.1x); earlier versions of this file took 60 and
 * 55 ms (8x).  20x mawk is out of reach here: mawk takes only
 * 15 to 17x `wc -l`, so it takes a summary faster than `wc -l`, and
 * `wc -l` is mostly the kernel's copy out of the page cache (~22 ms of CPU
 * for 250 MB) which pread() pays too; the two threads give about 1.5x, not
 * 2x (memory bandwidth and the other vCPU's load).  On the live /proc file
 * the kernel's text generation (~2 us per entry) dominates: ctune is
 * within a few percent of `wc -l /proc/net/nf_conntrack`.
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
 * are not numbers.  Input is untrusted (it is fuzzed): no read goes past
 * the buffer given (the scan's last block goes through a zero-padded copy,
 * a flag word is loaded whole only where 16 bytes remain, and a line's head
 * is loaded in words only when the line has FAST_MIN_LINE bytes).
 */
#include "table.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "table-internal.h"

/* Big enough that the read() syscalls cost nothing next to the scan, small
 * enough that the kernel's copy lands in cache.  Page-aligned, as the
 * range buffers of table-file.c and for the same reason (the kernel's copy
 * into a misaligned destination is ~50% slower). */
#define TABLE_READ_BUF (64u * 1024u)

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

/* One line, without its '\n', the general way: any spacing, any protocol,
 * any timeout, flags found by their own scan.  Adds it to s and returns
 * true, or returns false (and touches nothing) when the line is malformed.
 * The fast path below hands every line it does not recognise to this
 * function, which is the definition of what a line means. */
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

/* ---- the fast path ------------------------------------------------------
 *
 * Everything below reads whole 8-byte words and looks tokens up in small
 * tables instead of testing byte after byte, because a busy table is a
 * random mix of protocols, states and timeout widths: a loop per token ends
 * in a mispredicted branch on a good share of the lines, and those cost
 * more than the bytes.  It accepts only what it recognises exactly (the
 * kernel's own padding, a known protocol head, a timeout of 1 to 7 digits,
 * a known TCP state, "src=" right after them); any other line goes to
 * parse_line() above, so the two can never disagree. */

/* The 8 (4) bytes of a string literal from offset o as a little-endian
 * word, a compile-time constant; the literal must be long enough. */
#define LE8_AT(s, o)                                                                                     \
	((uint64_t)(unsigned char)(s)[(o) + 0] | (uint64_t)(unsigned char)(s)[(o) + 1] << 8 |           \
	 (uint64_t)(unsigned char)(s)[(o) + 2] << 16 | (uint64_t)(unsigned char)(s)[(o) + 3] << 24 |    \
	 (uint64_t)(unsigned char)(s)[(o) + 4] << 32 | (uint64_t)(unsigned char)(s)[(o) + 5] << 40 |    \
	 (uint64_t)(unsigned char)(s)[(o) + 6] << 48 | (uint64_t)(unsigned char)(s)[(o) + 7] << 56)
#define LE8(s) LE8_AT(s, 0)
#define LE4(s)                                                                                           \
	((uint32_t)(unsigned char)(s)[0] | (uint32_t)(unsigned char)(s)[1] << 8 |                       \
	 (uint32_t)(unsigned char)(s)[2] << 16 | (uint32_t)(unsigned char)(s)[3] << 24)

/* 8 (4) bytes from any address as a little-endian word, so that byte i of
 * the text is byte i of the word on every machine. */
static inline uint64_t load64(const char *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static inline uint32_t load32(const char *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	return v;
}

/* Count of trailing zero bits; 64 for 0 (tzcnt, or bsf and a cmov). */
static inline unsigned ctz64(uint64_t v)
{
	return v ? (unsigned)__builtin_ctzll(v) : 64;
}

/* The fast path reads at most this far into a line, and only takes lines
 * at least this long (every real kernel line is longer than 90 bytes). */
#define FAST_MIN_LINE 64

/* CTUNE_LONG_TIMEOUT_SECONDS as five digits of text, the first in the top
 * byte: the fast path compares a five-digit timeout with it as a number. */
_Static_assert(CTUNE_LONG_TIMEOUT_SECONDS == 86400, "LONG_TIMEOUT_TEXT spells 86400");
#define LONG_TIMEOUT_TEXT                                                                                \
	((uint64_t)'8' << 32 | (uint64_t)'6' << 24 | (uint64_t)'4' << 16 | (uint64_t)'0' << 8 | (uint64_t)'0')

/* The protocol heads the kernel prints ("%-8s %u "), found by a perfect
 * hash of their first word (a multiply, top 3 bits) and confirmed by two
 * compares.  A head that is not here, or hashes to a slot that is not its
 * own, simply goes the general way: the hash is only ever a shortcut. */
#define HEAD_HASH(w) ((unsigned)(((w) * UINT64_C(0xc8fea5d73716e7eb)) >> 61))
struct head {
	uint64_t w0;   /* the first 8 bytes: name and padding */
	uint64_t w1;   /* the rest: " 6 " or " 132 " ... */
	uint64_t m1;   /* which bytes of the second word count */
	unsigned char len, proto;
};
#define ZEROS8 "\0\0\0\0\0\0\0\0"
#define HEAD_ENTRY(lit, p)                                                                       \
	{ LE8(lit), LE8_AT(lit ZEROS8, 8), (UINT64_C(1) << (8 * (sizeof(lit) - 9))) - 1,           \
	  (unsigned char)(sizeof(lit) - 1), (p) }
static const struct head heads[8] = {
	[0] = HEAD_ENTRY("tcp      6 ", CTUNE_PROTO_TCP),
	[7] = HEAD_ENTRY("udp      17 ", CTUNE_PROTO_UDP),
	[6] = HEAD_ENTRY("icmp     1 ", CTUNE_PROTO_ICMP),
	[2] = HEAD_ENTRY("icmpv6   58 ", CTUNE_PROTO_ICMPV6),
	[5] = HEAD_ENTRY("gre      47 ", CTUNE_PROTO_GRE),
	[1] = HEAD_ENTRY("sctp     132 ", CTUNE_PROTO_SCTP),
	[3] = HEAD_ENTRY("dccp     33 ", CTUNE_PROTO_DCCP),
	[4] = HEAD_ENTRY("udplite  136 ", CTUNE_PROTO_UDPLITE),
};

/* The TCP state words, by a perfect hash of the first six bytes of the
 * word (a multiply, top 4 bits), each confirmed by a masked compare of the
 * name and the blank after it.  SYN_SENT2 shares SYN_SENT's six bytes and
 * fails the compare: that rare state goes the general way.  NONE's key
 * runs into the " src=" that follows it on a kernel line. */
#define STATE_HASH(w) ((unsigned)((((w) & UINT64_C(0xffffffffffff)) * UINT64_C(0x0f1a50d59c0aa21b)) >> 60))
struct state_word {
	uint64_t lo, hi;   /* the name and its blank, zero padded */
	uint64_t mlo, mhi; /* which bytes of lo and hi are theirs */
	unsigned char len, state;
};
#define STATE_MASK(n) ((n) >= 8 ? ~UINT64_C(0) : (UINT64_C(1) << (8 * (n) & 63)) - 1)
#define STATE_ENTRY(lit, st)                                                                             \
	{ LE8(lit " " ZEROS8), LE8_AT(lit " " ZEROS8 ZEROS8, 8), STATE_MASK(sizeof(lit)),                \
	  sizeof(lit) > 8 ? STATE_MASK(sizeof(lit) - 8) : 0, sizeof(lit) - 1, (st) }
static const struct state_word state_words[16] = {
	[11] = STATE_ENTRY("ESTABLISHED", CTUNE_TCP_ESTABLISHED),
	[13] = STATE_ENTRY("TIME_WAIT", CTUNE_TCP_TIME_WAIT),
	[6] = STATE_ENTRY("SYN_SENT", CTUNE_TCP_SYN_SENT),
	[5] = STATE_ENTRY("CLOSE", CTUNE_TCP_CLOSE),
	[12] = STATE_ENTRY("SYN_RECV", CTUNE_TCP_SYN_RECV),
	[4] = STATE_ENTRY("FIN_WAIT", CTUNE_TCP_FIN_WAIT),
	[15] = STATE_ENTRY("CLOSE_WAIT", CTUNE_TCP_CLOSE_WAIT),
	[1] = STATE_ENTRY("LAST_ACK", CTUNE_TCP_LAST_ACK),
	[3] = STATE_ENTRY("NONE", CTUNE_TCP_NONE),
	[9] = STATE_ENTRY("LISTEN", CTUNE_TCP_SYN_SENT2),
	/* the empty slots (masks 0, len 0) are refused by their len */
};

/* The bracketed flag words, by a perfect hash of their first eight bytes,
 * confirmed by a compare of those and a masked compare of the rest. */
#define FLAG_HASH(a) ((unsigned)(((a) * UINT64_C(0x729bfdea5375f6cb)) >> 62))
struct flag_word {
	uint64_t a, b, mb;
	unsigned flag;
};
static const struct flag_word flag_words[4] = {
	[2] = { LE8("ASSURED]"), 0, 0, FLAG_ASSURED },
	[1] = { LE8("UNREPLIE"), LE4("D]\0\0"), 0xffff, FLAG_UNREPLIED },
	[0] = { LE8("OFFLOAD]"), 0, 0, FLAG_OFFLOAD },
	[3] = { LE8("HW_OFFLO"), LE4("AD]\0"), 0xffffff, FLAG_OFFLOAD },
};

/* The flags of the bracket at q ('[' at q[-1]); end bounds the reads. */
static inline unsigned flag_at(const char *q, const char *end)
{
	if (end - q < 16)
		return STARTS_WITH(q, end, "ASSURED]")      ? FLAG_ASSURED
		       : STARTS_WITH(q, end, "UNREPLIED]")  ? FLAG_UNREPLIED
		       : STARTS_WITH(q, end, "OFFLOAD]")    ? FLAG_OFFLOAD
		       : STARTS_WITH(q, end, "HW_OFFLOAD]") ? FLAG_OFFLOAD
							    : 0;
	uint64_t a = load64(q);
	const struct flag_word *f = &flag_words[FLAG_HASH(a)];
	return a == f->a && (load64(q + 8) & f->mb) == f->b ? f->flag : 0;
}

/* Counts of the lines the fast path accepts, kept the cheap way while a
 * buffer is parsed (three increments a line where the summary takes
 * eight) and added to the summary at the end of ctune_table_parse(). */
struct tally {
	uint64_t head[2][CTUNE_PROTO_COUNT];      /* [ipv6][protocol] */
	uint64_t state[CTUNE_TCP_STATE_COUNT + 1]; /* the last: not TCP */
	uint64_t flags[16];                        /* FLAG_* | long timeout << 3 */
};

static void tally_add_to(const struct tally *t, ctune_table_summary *s)
{
	for (int v6 = 0; v6 < 2; v6++)
		for (int p = 0; p < CTUNE_PROTO_COUNT; p++) {
			uint64_t n = t->head[v6][p];
			s->total += n;
			s->family[v6 ? CTUNE_FAMILY_IPV6 : CTUNE_FAMILY_IPV4] += n;
			s->proto[p] += n;
		}
	for (int i = 0; i < CTUNE_TCP_STATE_COUNT; i++)
		s->tcp_state[i] += t->state[i];
	for (unsigned f = 0; f < 16; f++) {
		s->assured += f & FLAG_ASSURED ? t->flags[f] : 0;
		s->unreplied += f & FLAG_UNREPLIED ? t->flags[f] : 0;
		s->offload += f & FLAG_OFFLOAD ? t->flags[f] : 0;
		s->long_timeout += f & 8 ? t->flags[f] : 0;
	}
}

/* Bit 7 of each byte of w that is not an ASCII digit, exactly (no carry
 * crosses a byte). */
static inline uint64_t non_digits8(uint64_t w)
{
	uint64_t x = w ^ UINT64_C(0x3030303030303030);
	return (((x & UINT64_C(0x7f7f7f7f7f7f7f7f)) + UINT64_C(0x7676767676767676)) | x) &
	       UINT64_C(0x8080808080808080);
}

/* One line [p, e) the fast way.  brflags are the flags of every bracket in
 * the line, first_br the first '[' (NULL: none).  Counts the line in t and
 * returns true, or returns false, touching nothing, for parse_line() to
 * decide.  Every step is a word load, a table look-up or a select rather
 * than a branch on the text: the lines of a busy table come in a random
 * order of protocols, states and widths, and a mispredicted branch costs
 * more than the instructions that avoid it. */
/* What the fast path read of a line: the tally's three indices, and for
 * the top talkers where the original tuple starts and the "use=" ends. */
struct fast_line {
	unsigned v6, proto, state, flags;
	const char *tuple, *tail;
};

static inline __attribute__((always_inline)) bool fast_decode(const char *p, const char *e, unsigned brflags,
							      const char *first_br, struct fast_line *out)
{
	/* FAST_MIN_LINE to CTUNE_TABLE_LINE_MAX bytes (one compare) */
	if ((size_t)(e - p) - FAST_MIN_LINE > CTUNE_TABLE_LINE_MAX - FAST_MIN_LINE)
		return false;

	/* " use=N" at the very end: N's digits are the top bytes of the last
	 * word (a trailing '\r' or blank goes the general way; | 1 keeps the
	 * count at 7 when all eight are digits, which the "use=" compare
	 * then refuses) */
	unsigned ndig = (unsigned)__builtin_clzll(non_digits8(load64(e - 8)) | 1) >> 3;
	const char *tail = e - ndig;
	if (ndig == 0 || load32(tail - 4) != LE4("use=") || tail[-5] != ' ')
		return false;
	tail -= 4;

	/* "ipv4     2 " / "ipv6     10 ", or a legacy line that starts at the
	 * protocol head.  All reads below stay inside the first
	 * FAST_MIN_LINE bytes. */
	uint64_t w0 = load64(p);
	uint32_t w1 = load32(p + 8);
	bool v4 = w0 == LE8("ipv4    ") && (w1 & 0xffffff) == LE4(" 2 \0");
	bool v6 = w0 == LE8("ipv6    ") && w1 == LE4(" 10 ");
	const char *q = p + (v4 ? 11 : v6 ? 12 : 0);

	uint64_t u0 = load64(q);
	const struct head *h = &heads[HEAD_HASH(u0)];
	if (u0 != h->w0 || (load64(q + 8) & h->m1) != h->w1)
		return false;
	unsigned proto = h->proto;
	bool tcp = proto == CTUNE_PROTO_TCP;

	/* The timeout: 1 to 7 digits and a blank.  Only whether it is above
	 * CTUNE_LONG_TIMEOUT_SECONDS is counted, so the digits are compared
	 * as text: more than five, or five above "86400" (the kernel prints
	 * no leading zero; a line with one goes the general way). */
	const char *r = q + h->len;
	uint64_t tw = load64(r);
	unsigned n = (unsigned)ctz64(non_digits8(tw)) >> 3; /* 8: no end in sight */
	if (n == 0 || n == 8 || r[n] != ' ' || (r[0] == '0' && n > 1))
		return false;
	bool long_timeout = (n > 5) | ((n == 5) & ((__builtin_bswap64(tw) >> 24) > LONG_TIMEOUT_TEXT));

	/* The word after the timeout is looked up whatever the protocol (it
	 * is "src=..." on a line that is not TCP, and found nowhere), and
	 * the result is taken only for TCP: no branch on the protocol.  The
	 * conditions here and below that depend on the mix of the table
	 * (protocol, timeout width, brackets or none) are joined with & and
	 * |, not && and ||, which gcc turns into branches that a random mix
	 * mispredicts: 29.5 -> 26.5 ns a modern line over the whole file. */
	const char *w = r + n + 1;
	uint64_t lo = load64(w), hi = load64(w + 8);
	const struct state_word *sw = &state_words[STATE_HASH(lo)];
	bool known = (((lo ^ sw->lo) & sw->mlo) == 0) & (((hi ^ sw->hi) & sw->mhi) == 0) & (sw->len != 0);
	if (tcp & !known)
		return false;
	unsigned state = tcp ? sw->state : CTUNE_TCP_STATE_COUNT;
	const char *blank = tcp ? w + sw->len : r + n;

	const char *tuple = blank + 1;
	if (load32(tuple) != LE4("src=") || tuple + 4 > tail) {
		tuple = find_tuple(blank, tail);
		if (!tuple)
			return false;
	}
	unsigned flags = (first_br == NULL) | (first_br >= tuple) ? brflags : scan_flags(tuple, tail);

	out->v6 = v6;
	out->proto = proto;
	out->state = state;
	out->flags = flags | (unsigned)long_timeout << 3;
	out->tuple = tuple;
	out->tail = tail;
	return true;
}

static inline __attribute__((always_inline)) void fast_commit(const struct fast_line *f, struct tally *t)
{
	t->head[f->v6][f->proto]++;
	t->state[f->state]++;
	t->flags[f->flags]++;
}

static inline __attribute__((always_inline)) bool parse_line_fast(const char *p, const char *e, unsigned brflags,
								  const char *first_br, struct tally *t)
{
	struct fast_line f;
	if (!fast_decode(p, e, brflags, first_br, &f))
		return false;
	fast_commit(&f, t);
	return true;
}

/* ---- the scan: line ends and brackets in one pass ----------------------
 *
 * Two stages per window of WINDOW bytes (x86-64; elsewhere memchr, below).
 * Stage 1 compares every byte of the window with '\n' and '[', a 64-byte
 * block at a time, and writes the offsets of the hits into two short
 * arrays without a branch that depends on the text (a block with more than
 * one hit of a kind takes a rarely-taken loop).  Stage 2 walks the newline
 * offsets; the brackets that belong to a line are the next entries of the
 * other array, taken two at a time without branching.  Only then is the
 * line parsed.  The window is small enough for both arrays to stay on the
 * stack (64 KiB reserved, of which only the few hundred offsets a window
 * holds are touched) and its text in L1 between the stages; 16 KiB rather
 * than 4 KiB takes the per-window overhead and the mispredicted exit of
 * stage 2's loop off four times fewer lines (26.3 -> 25.8 ns a modern
 * line over the whole file). */

#define WINDOW 16384u

#define NO_POS 0xffffu /* sentinel after the last offset; > any offset */
_Static_assert(WINDOW <= NO_POS, "a window's offsets fit below NO_POS");

struct scan {
	uint16_t nl[WINDOW + 8];
	uint16_t br[WINDOW + 8];
	unsigned nnl, nbr;
};

/* Append the offsets of the bits of m (a block at offset base). */
static inline unsigned flatten(uint16_t *out, unsigned n, unsigned base, uint64_t m)
{
	out[n] = (uint16_t)(base + (unsigned)__builtin_ctzll(m | (UINT64_C(1) << 63)));
	n += m != 0;
	m &= m - 1;
	while (m) {
		out[n++] = (uint16_t)(base + (unsigned)__builtin_ctzll(m));
		m &= m - 1;
	}
	return n;
}

/* Stage 1 over [w, w + n), n <= WINDOW: MASKS(b, &nl, &br) gives the bits
 * of one 64-byte block; the last bytes go through a zero-padded copy, so
 * nothing is read past the end.  One body, stamped out per instruction set
 * (a macro, so that each copy is compiled for its own target). */
#define SCAN_WINDOW(name, attr, MASKS)                                          \
	attr static void name(const char *w, size_t n, struct scan *sc)         \
	{                                                                       \
		unsigned nnl = 0, nbr = 0;                                      \
		size_t off = 0;                                                 \
		uint64_t nl, br;                                                \
		for (; n - off >= 64; off += 64) {                              \
			MASKS(w + off, &nl, &br);                               \
			nnl = flatten(sc->nl, nnl, (unsigned)off, nl);          \
			nbr = flatten(sc->br, nbr, (unsigned)off, br);          \
		}                                                               \
		if (off < n) {                                                  \
			char pad[64] = { 0 };                                   \
			memcpy(pad, w + off, n - off);                          \
			MASKS(pad, &nl, &br);                                   \
			nnl = flatten(sc->nl, nnl, (unsigned)off, nl);          \
			nbr = flatten(sc->br, nbr, (unsigned)off, br);          \
		}                                                               \
		sc->nl[nnl] = NO_POS;                                           \
		sc->br[nbr] = sc->br[nbr + 1] = NO_POS;                         \
		sc->nnl = nnl;                                                  \
		sc->nbr = nbr;                                                  \
	}

#if defined(__SSE2__)
#define HAVE_SCAN 1
#include <emmintrin.h>
static inline void masks_sse2(const char *b, uint64_t *nl, uint64_t *br)
{
	const __m128i n = _mm_set1_epi8('\n'), k = _mm_set1_epi8('[');
	uint64_t mn = 0, mb = 0;
	for (int i = 0; i < 4; i++) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(b + 16 * i));
		mn |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, n)) << (16 * i);
		mb |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, k)) << (16 * i);
	}
	*nl = mn;
	*br = mb;
}
SCAN_WINDOW(scan_window_sse2, , masks_sse2)

#if defined(__x86_64__) && defined(__GNUC__)
/* Wider compares for the CPUs that have them, chosen at run time, so the
 * build stays runnable on any x86-64: 32 bytes (AVX2) or the whole block
 * at once (AVX-512BW), which take about a tenth and a fifth off the parse
 * (33 and 30 ns a line here, against 38 with SSE2). */
#include <cpuid.h>
#include <immintrin.h>
#define HAVE_SCAN_WIDE 1
#define TARGET_AVX2 __attribute__((target("avx2")))
#define TARGET_AVX512 __attribute__((target("avx512bw")))
TARGET_AVX2 static inline void masks_avx2(const char *b, uint64_t *nl, uint64_t *br)
{
	const __m256i cn = _mm256_set1_epi8('\n'), ck = _mm256_set1_epi8('[');
	__m256i lo = _mm256_loadu_si256((const __m256i *)(const void *)b);
	__m256i hi = _mm256_loadu_si256((const __m256i *)(const void *)(b + 32));
	*nl = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, cn)) |
	      (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, cn)) << 32;
	*br = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, ck)) |
	      (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, ck)) << 32;
}
TARGET_AVX512 static inline void masks_avx512(const char *b, uint64_t *nl, uint64_t *br)
{
	__m512i v = _mm512_loadu_si512((const void *)b);
	*nl = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\n'));
	*br = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('['));
}
SCAN_WINDOW(scan_window_avx2, TARGET_AVX2, masks_avx2)
SCAN_WINDOW(scan_window_avx512, TARGET_AVX512, masks_avx512)
#endif
#endif /* __SSE2__ */

/* ---- which scanner -------------------------------------------------------
 *
 * The widest the CPU has, unless CTUNE_TABLE_SCANNER (read once) or
 * ctune_table_set_scanner() names another: the tests run every case under
 * each one this machine supports, and a benchmark can compare them. */

typedef void (*scan_fn)(const char *w, size_t n, struct scan *sc);

static const char *const scanner_names[CTUNE_TABLE_SCANNER_COUNT] = {
	[CTUNE_TABLE_SCANNER_AUTO] = "auto",     [CTUNE_TABLE_SCANNER_MEMCHR] = "memchr",
	[CTUNE_TABLE_SCANNER_SSE2] = "sse2",     [CTUNE_TABLE_SCANNER_AVX2] = "avx2",
	[CTUNE_TABLE_SCANNER_AVX512] = "avx512",
};

/* The stage-1 function of a scanner; NULL for memchr (its own loop). */
static scan_fn scanner_fn(ctune_table_scanner sc)
{
	switch (sc) {
#ifdef HAVE_SCAN
	case CTUNE_TABLE_SCANNER_SSE2:
		return scan_window_sse2;
#endif
#ifdef HAVE_SCAN_WIDE
	case CTUNE_TABLE_SCANNER_AVX2:
		return scan_window_avx2;
	case CTUNE_TABLE_SCANNER_AVX512:
		return scan_window_avx512;
#endif
	default:
		return NULL;
	}
}

#ifdef HAVE_SCAN_WIDE
/* AVX2 and AVX-512BW, with the OS saving their registers, asked of the CPU
 * once, when a table is first parsed.  Not __builtin_cpu_supports(): it
 * links libgcc's constructor, which runs CPUID a dozen times at every
 * process start, and in a virtual machine each CPUID is an exit to the
 * hypervisor (~5 us here): `ctune facts` paid that on every run without
 * ever parsing a table (bench case 3). */
enum { CPU_KNOWN = 1, CPU_AVX2 = 2, CPU_AVX512BW = 4 };

static int cpu_features(void)
{
	static _Atomic int known;
	int f = atomic_load_explicit(&known, memory_order_relaxed);
	if (f)
		return f;
	f = CPU_KNOWN;
	unsigned a, b, c, d;
	if (__get_cpuid(1, &a, &b, &c, &d) && (c & bit_OSXSAVE) && (c & bit_AVX)) {
		unsigned lo, hi;
		__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		bool ymm = (lo & 0x6) == 0x6;   /* SSE and AVX state */
		bool zmm = (lo & 0xe6) == 0xe6; /* ... and the opmask and upper ZMM state */
		if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
			if (ymm && (b & bit_AVX2))
				f |= CPU_AVX2;
			if (zmm && (b & bit_AVX512F) && (b & bit_AVX512BW))
				f |= CPU_AVX512BW;
		}
	}
	atomic_store_explicit(&known, f, memory_order_relaxed);
	return f;
}
#endif

bool ctune_table_scanner_supported(ctune_table_scanner sc)
{
	switch (sc) {
	case CTUNE_TABLE_SCANNER_AUTO:
	case CTUNE_TABLE_SCANNER_MEMCHR:
		return true;
#ifdef HAVE_SCAN
	case CTUNE_TABLE_SCANNER_SSE2:
		return true;
#endif
#ifdef HAVE_SCAN_WIDE
	case CTUNE_TABLE_SCANNER_AVX2:
		return cpu_features() & CPU_AVX2;
	case CTUNE_TABLE_SCANNER_AVX512:
		return cpu_features() & CPU_AVX512BW;
#endif
	default:
		return false;
	}
}

const char *ctune_table_scanner_name(ctune_table_scanner sc)
{
	return (unsigned)sc < CTUNE_TABLE_SCANNER_COUNT ? scanner_names[sc] : NULL;
}

static ctune_table_scanner scanner_best(void)
{
	static const ctune_table_scanner order[] = { CTUNE_TABLE_SCANNER_AVX512, CTUNE_TABLE_SCANNER_AVX2,
						     CTUNE_TABLE_SCANNER_SSE2 };
	for (size_t i = 0; i < ELEMENTSOF(order); i++)
		if (ctune_table_scanner_supported(order[i]))
			return order[i];
	return CTUNE_TABLE_SCANNER_MEMCHR;
}

/* The scanner in use, never AUTO once resolved; 0 (AUTO) until the first
 * parse or setting resolves it. */
static _Atomic int scanner_in_use;

static ctune_table_scanner scanner_from_env(void)
{
	const char *v = secure_getenv("CTUNE_TABLE_SCANNER");
	if (v)
		for (int i = CTUNE_TABLE_SCANNER_MEMCHR; i < CTUNE_TABLE_SCANNER_COUNT; i++)
			if (strcmp(v, scanner_names[i]) == 0 && ctune_table_scanner_supported((ctune_table_scanner)i))
				return (ctune_table_scanner)i;
	return scanner_best();
}

static inline ctune_table_scanner scanner_current(void)
{
	int sc = atomic_load_explicit(&scanner_in_use, memory_order_relaxed);
	if (__builtin_expect(sc == CTUNE_TABLE_SCANNER_AUTO, 0)) {
		/* two threads may both get here: they resolve the same answer */
		int want = scanner_from_env();
		if (!atomic_compare_exchange_strong(&scanner_in_use, &sc, want))
			return (ctune_table_scanner)sc;
		sc = want;
	}
	return (ctune_table_scanner)sc;
}

int ctune_table_set_scanner(ctune_table_scanner sc)
{
	if ((unsigned)sc >= CTUNE_TABLE_SCANNER_COUNT || !ctune_table_scanner_supported(sc))
		return -ENOTSUP;
	atomic_store(&scanner_in_use, sc == CTUNE_TABLE_SCANNER_AUTO ? scanner_best() : sc);
	return 0;
}

ctune_table_scanner ctune_table_get_scanner(void)
{
	return scanner_current();
}

/* Where the current line stands while the scan moves on. */
struct line_state {
	const char *start;    /* its first byte */
	const char *first_br; /* its first '[', or NULL */
	unsigned flags;       /* the flags of its brackets so far */
};

/* A line the fast path did not take: the general parser decides. */
static __attribute__((noinline)) void end_line_slow(const char *p, const char *nl, ctune_table_summary *s)
{
	if (nl - p > CTUNE_TABLE_LINE_MAX || !parse_line(p, nl, s))
		s->malformed++;
}

/* A line with top talkers on: its keys first (a line whose addresses,
 * ports, zone or mark do not read is malformed), then the summary's own
 * parse, and the keys count only when that accepts the line too. */
static __attribute__((noinline)) void end_line_top(const char *p, const char *nl, unsigned flags,
						   const char *first_br, struct tally *t, ctune_table_summary *s)
{
	/* the protocol numbers of the fast path's heads (it takes no other) */
	static const unsigned char l4num[CTUNE_PROTO_COUNT] = {
		[CTUNE_PROTO_TCP] = 6,     [CTUNE_PROTO_UDP] = 17,     [CTUNE_PROTO_UDPLITE] = 136,
		[CTUNE_PROTO_ICMP] = 1,    [CTUNE_PROTO_ICMPV6] = 58,  [CTUNE_PROTO_SCTP] = 132,
		[CTUNE_PROTO_DCCP] = 33,   [CTUNE_PROTO_GRE] = 47,
	};
	ctune_top_keys k;
	struct fast_line f;
	if (fast_decode(p, nl, flags, first_br, &f)) {
		/* the head is read: the keys from the tuple on */
		bool modern = f.tuple > p && (p[0] == 'i' && p[1] == 'p');
		if (!table_top_parse_tuple(f.tuple, f.tail, l4num[f.proto], modern, &k)) {
			s->malformed++;
			return;
		}
		fast_commit(&f, t);
		ctune_table_top_add(s->top, &k);
		return;
	}
	if (nl - p > CTUNE_TABLE_LINE_MAX || !ctune_top_parse_line(p, nl, &k) || !parse_line(p, nl, s))
		s->malformed++;
	else
		ctune_table_top_add(s->top, &k);
}

static inline __attribute__((always_inline)) void end_line(struct line_state *ls, const char *nl, struct tally *t,
							   ctune_table_summary *s)
{
	const char *p = ls->start;
	if (__builtin_expect(s->top != NULL, 0))
		end_line_top(p, nl, ls->flags, ls->first_br, t, s);
	else if (__builtin_expect(!parse_line_fast(p, nl, ls->flags, ls->first_br, t), 0))
		end_line_slow(p, nl, s);
	ls->start = nl + 1;
	ls->first_br = NULL;
	ls->flags = 0;
}

#ifdef HAVE_SCAN
/* Stage 1 by windows, stage 2 from the offset arrays (x86-64). */
static void parse_scanned(const char *buf, const char *end, scan_fn scan, struct line_state *lsp, struct tally *t,
			  ctune_table_summary *s)
{
	/* a copy the compiler can keep in registers (the tally's stores
	 * might otherwise alias it) */
	struct line_state l = *lsp, *ls = &l;
	/* readable bytes for flag_at() to look at when a slot holds no bracket */
	static const char no_flag[16];
	struct scan sc;
	for (const char *w = buf; w < end; w += WINDOW) {
		size_t n = (size_t)(end - w) < WINDOW ? (size_t)(end - w) : WINDOW;
		scan(w, n, &sc);
		unsigned j = 0;
		for (unsigned i = 0; i < sc.nnl; i++) {
			unsigned pos = sc.nl[i];
			/* this line's brackets: the next zero, one or two offsets
			 * below pos (a third is rare and takes the loop) */
			unsigned b0 = sc.br[j], b1 = sc.br[j + 1];
			bool in0 = b0 < pos, in1 = b1 < pos;
			unsigned f0 = flag_at(in0 ? w + b0 + 1 : no_flag, in0 ? end : no_flag + 16);
			unsigned f1 = flag_at(in1 ? w + b1 + 1 : no_flag, in1 ? end : no_flag + 16);
			ls->flags |= f0 | f1;
			ls->first_br = ls->first_br ? ls->first_br : in0 ? w + b0 : NULL;
			j += in0 + in1;
			while (sc.br[j] < pos) {
				ls->flags |= flag_at(w + sc.br[j] + 1, end);
				j++;
			}
			end_line(ls, w + pos, t, s);
		}
		/* brackets after the last line end belong to the open line */
		for (; j < sc.nbr; j++) {
			ls->flags |= flag_at(w + sc.br[j] + 1, end);
			if (!ls->first_br)
				ls->first_br = w + sc.br[j];
		}
	}
	*lsp = l;
}
#endif

/* libc's memchr, vectorised on every common platform, finds each line end
 * and then each bracket: the only way without SSE2 (ARM, POWER, ...). */
static void parse_memchr(const char *end, struct line_state *ls, struct tally *t, ctune_table_summary *s)
{
	while (ls->start < end) {
		const char *nl = memchr(ls->start, '\n', (size_t)(end - ls->start));
		const char *le = nl ? nl : end;
		for (const char *q = ls->start; (q = memchr(q, '[', (size_t)(le - q))); q++) {
			ls->flags |= flag_at(q + 1, end);
			if (!ls->first_br)
				ls->first_br = q;
		}
		if (!nl)
			break;
		end_line(ls, nl, t, s);
	}
}

void ctune_table_parse(const char *buf, size_t len, ctune_table_summary *s)
{
	if (len == 0)
		return;
	const char *end = buf + len;
	struct line_state ls = { buf, NULL, 0 };
	struct tally t;
	memset(&t, 0, sizeof(t));
	scan_fn scan = scanner_fn(scanner_current());
#ifdef HAVE_SCAN
	if (scan)
		parse_scanned(buf, end, scan, &ls, &t, s);
	else
#endif
		parse_memchr(end, &ls, &t, s);
	(void)scan;
	/* A final line without '\n' counts too. */
	if (ls.start < end)
		end_line(&ls, end, &t, s);
	tally_add_to(&t, s);
}

void ctune_table_summary_add(ctune_table_summary *to, const ctune_table_summary *from)
{
	to->total += from->total;
	for (size_t i = 0; i < ELEMENTSOF(to->family); i++)
		to->family[i] += from->family[i];
	for (size_t i = 0; i < ELEMENTSOF(to->proto); i++)
		to->proto[i] += from->proto[i];
	for (size_t i = 0; i < ELEMENTSOF(to->tcp_state); i++)
		to->tcp_state[i] += from->tcp_state[i];
	to->assured += from->assured;
	to->unreplied += from->unreplied;
	to->offload += from->offload;
	to->long_timeout += from->long_timeout;
	to->malformed += from->malformed;
}

/* ---- streaming -----------------------------------------------------------
 *
 * The text arrives in read() calls of whatever size the source gives (the
 * kernel's seq_file hands out about 4 KiB per call, each costing it about
 * 2 us an entry to print; a file gives the whole buffer), or in the pread()
 * buffers of table-file.c's ranges.  Lines are parsed where they lie in the
 * buffer; only a line cut by the buffer's end is copied, into a carry of at
 * most CTUNE_TABLE_LINE_MAX bytes, and finished from the next buffer.  Memory
 * is constant: the buffer and the carry. */

void table_stream_init(struct table_stream *st, ctune_table_summary *s)
{
	st->s = s;
	st->have = 0;
	st->skipping = false;
}

void table_stream_feed(struct table_stream *st, const char *p, size_t n)
{
	const char *end = p + n;
	if (st->have || st->skipping) {
		const char *nl = memchr(p, '\n', n);
		size_t k = (size_t)((nl ? nl : end) - p);
		if (!st->skipping) {
			if (st->have + k > CTUNE_TABLE_LINE_MAX) {
				/* too long whatever follows: count it now, drop the rest */
				st->s->malformed++;
				st->skipping = true;
				st->have = 0;
			} else {
				memcpy(st->carry + st->have, p, k);
				st->have += k;
			}
		}
		if (!nl)
			return;
		if (st->have)
			ctune_table_parse(st->carry, st->have, st->s);
		st->have = 0;
		st->skipping = false;
		p = nl + 1;
	}
	const char *last = memrchr(p, '\n', (size_t)(end - p));
	if (last) {
		ctune_table_parse(p, (size_t)(last + 1 - p), st->s);
		p = last + 1;
	}
	size_t rest = (size_t)(end - p);
	if (rest > CTUNE_TABLE_LINE_MAX) {
		st->s->malformed++;
		st->skipping = true;
	} else {
		memcpy(st->carry, p, rest);
		st->have = rest;
	}
}

void table_stream_finish(struct table_stream *st)
{
	/* a last line without '\n' counts too */
	if (st->have)
		ctune_table_parse(st->carry, st->have, st->s);
	st->have = 0;
	st->skipping = false;
}

/* The sequential way: read() into one buffer, whatever the source. */
static int summarize_read(int fd, ctune_table_summary *s)
{
	_cleanup_free_ char *buf = aligned_alloc(4096, TABLE_READ_BUF);
	_cleanup_free_ struct table_stream *st = malloc(sizeof(*st));
	if (!buf || !st)
		return -ENOMEM;
	table_stream_init(st, s);

	/* A hint for regular files (snapshots, tests); /proc ignores it. */
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

	for (;;) {
		ssize_t k = read(fd, buf, TABLE_READ_BUF);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			break;
		table_stream_feed(st, buf, (size_t)k);
	}
	table_stream_finish(st);
	return 0;
}

int ctune_table_summarize_fd(int fd, ctune_table_summary *s)
{
	/* A regular file (a saved table, a --root snapshot) has a size and can
	 * be cut into ranges read in parallel without a copy; the live /proc
	 * file (size 0, generated as it is read), a pipe or a device cannot. */
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
		int r = table_summarize_file(fd, (uint64_t)st.st_size, s);
		if (r != -EOPNOTSUPP)
			return r;
	}
	return summarize_read(fd, s);
}

int ctune_table_summarize(const ctune_root *r, ctune_scheme scheme, ctune_table_summary *s,
			  const char **path_used, ctune_error *err)
{
	return ctune_table_summarize_top(r, scheme, s, NULL, path_used, err);
}

int ctune_table_summarize_top(const ctune_root *r, ctune_scheme scheme, ctune_table_summary *s,
			      struct ctune_table_top *top, const char **path_used, ctune_error *err)
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
	s->top = top;
	if (top)
		ctune_table_top_reset(top);
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
			return ctune_error_set(err, fd, "cannot open %s: %s", shown, ctune_root_strerror(fd));
		int k = ctune_table_summarize_fd(fd, s);
		if (k < 0)
			return ctune_error_set(err, k, "cannot read %s: %s", shown, ctune_root_strerror(k));
		if (path_used)
			*path_used = abs;
		return 0;
	}
	return ctune_error_set(err, -ENOENT, "no conntrack table under %s: neither %s nor %s exists",
			       ctune_root_name(r), ctune_scheme_table_file(order[0]),
			       ctune_scheme_table_file(order[1]));
}
