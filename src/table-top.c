/* table-top.c - top talkers of the conntrack table (table.h): the keys of a
 * /proc line, the keys of a netlink entry, and their names.
 *
 * Keys are binary and fixed-size (topk.h's 24 bytes): an address is its 16
 * bytes and the family, a port group its protocol number and port.  Both
 * sources make the same key for the same entry, and text is formatted only
 * for the groups finally listed, so IPv6 comes out in inet_ntop's canonical
 * form whichever way it came in (the kernel's /proc prints all eight groups
 * with their zeros, "fd00:0000:...:0009", netlink gives 16 bytes).
 *
 * The /proc line parser is strict about what it reads and ignores the rest:
 * a line counts only when "src=" and "dst=" hold a valid address, a port
 * protocol's "sport=" and "dport=" are 0..65535, an ICMP line's "type=" is
 * 0..255, and "mark=" (a 32-bit number) and "zone=" (16-bit) are numbers
 * when they are there.  Input is untrusted (fuzzed): every read is bounded
 * by the line's end, and nothing is allocated.
 */
#include "table.h"
#include "table-internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* ---- the summary of top talkers ------------------------------------------ */

static const char *const dim_names[CTUNE_TOP_DIM_COUNT] = {
	[CTUNE_TOP_SRC] = "by_src",   [CTUNE_TOP_DST] = "by_dst",   [CTUNE_TOP_DPORT] = "by_dport",
	[CTUNE_TOP_ZONE] = "by_zone", [CTUNE_TOP_MARK] = "by_mark",
};

const char *ctune_top_dim_name(ctune_top_dim d)
{
	return (unsigned)d < CTUNE_TOP_DIM_COUNT ? dim_names[d] : NULL;
}

ctune_table_top *ctune_table_top_new(unsigned limit)
{
	if (limit == 0 || limit > CTUNE_TOP_LIMIT_MAX)
		return NULL;
	ctune_table_top *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->limit = limit;
	for (int d = 0; d < CTUNE_TOP_DIM_COUNT; d++)
		if (!(t->dim[d] = ctune_topk_new(CTUNE_TOP_CAPACITY))) {
			ctune_table_top_free(t);
			return NULL;
		}
	return t;
}

void ctune_table_top_free(ctune_table_top *t)
{
	if (!t)
		return;
	for (int d = 0; d < CTUNE_TOP_DIM_COUNT; d++)
		ctune_topk_free(t->dim[d]);
	free(t);
}

void ctune_table_top_reset(ctune_table_top *t)
{
	for (int d = 0; d < CTUNE_TOP_DIM_COUNT; d++)
		ctune_topk_reset(t->dim[d]);
}

void ctune_table_top_add(ctune_table_top *t, const ctune_top_keys *k)
{
	/* the five summaries' cache lines are loaded side by side */
	uint32_t h[CTUNE_TOP_DIM_COUNT];
	unsigned todo = 0;
	for (int d = 0; d < CTUNE_TOP_DIM_COUNT; d++)
		if (!ctune_topk_add_same(t->dim[d], &k->k[d])) {
			h[d] = ctune_topk_prefetch(t->dim[d], &k->k[d]);
			todo |= 1u << d;
		}
	for (int d = 0; d < CTUNE_TOP_DIM_COUNT; d++)
		if (todo & (1u << d))
			ctune_topk_add_hashed(t->dim[d], &k->k[d], h[d]);
}

int ctune_table_top_merge(ctune_table_top *to, const ctune_table_top *from)
{
	for (int d = 0; d < CTUNE_TOP_DIM_COUNT; d++) {
		int r = ctune_topk_merge(to->dim[d], from->dim[d]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- keys ------------------------------------------------------------------- */

enum { KIND_NONE, KIND_PORT, KIND_ICMP };

int ctune_top_proto_kind(unsigned l4num)
{
	switch (l4num) {
	case 6:   /* tcp */
	case 17:  /* udp */
	case 33:  /* dccp */
	case 132: /* sctp */
	case 136: /* udplite */
		return KIND_PORT;
	case 1:  /* icmp */
	case 58: /* icmpv6 */
		return KIND_ICMP;
	default:
		return KIND_NONE;
	}
}

void ctune_top_key_addr(ctune_topk_key *k, int family, const void *addr)
{
	memset(k, 0, sizeof(*k));
	unsigned char b[16] = { 0 };
	memcpy(b, addr, family == AF_INET6 ? 16 : 4);
	memcpy(&k->a, b, 8);
	memcpy(&k->b, b + 8, 8);
	k->c = family == AF_INET6 ? 6 : 4;
}

void ctune_top_key_dport(ctune_topk_key *k, unsigned l4num, unsigned port)
{
	memset(k, 0, sizeof(*k));
	k->c = l4num;
	k->a = ctune_top_proto_kind(l4num) == KIND_NONE ? 0 : port;
}

void ctune_top_key_number(ctune_topk_key *k, uint32_t v)
{
	memset(k, 0, sizeof(*k));
	k->a = v;
}

int ctune_top_key_text(ctune_top_dim d, const ctune_topk_key *k, char *buf, size_t size)
{
	int n = -1;
	if (size == 0)
		return -ENOBUFS;
	switch (d) {
	case CTUNE_TOP_SRC:
	case CTUNE_TOP_DST: {
		unsigned char b[16];
		memcpy(b, &k->a, 8);
		memcpy(b + 8, &k->b, 8);
		n = inet_ntop(k->c == 6 ? AF_INET6 : AF_INET, b, buf, (socklen_t)(size > 65535 ? 65535 : size))
			    ? (int)strlen(buf)
			    : -1;
		break;
	}
	case CTUNE_TOP_DPORT: {
		const char *name = ctune_proto_from_number(k->c) == CTUNE_PROTO_OTHER
					   ? NULL
					   : ctune_proto_name(ctune_proto_from_number(k->c));
		int kind = ctune_top_proto_kind(k->c);
		if (!name)
			n = snprintf(buf, size, "proto-%u", k->c);
		else if (kind == KIND_PORT)
			n = snprintf(buf, size, "%s/%u", name, (unsigned)k->a);
		else if (kind == KIND_ICMP)
			n = snprintf(buf, size, "%s/type=%u", name, (unsigned)k->a);
		else
			n = snprintf(buf, size, "%s", name);
		break;
	}
	case CTUNE_TOP_ZONE:
	case CTUNE_TOP_MARK:
		n = snprintf(buf, size, "%u", (unsigned)k->a);
		break;
	default:
		break;
	}
	if (n < 0 || (size_t)n >= size) {
		buf[0] = '\0';
		return -ENOBUFS;
	}
	return n;
}

/* ---- a /proc line ------------------------------------------------------------ */

static inline const char *skip_blanks(const char *p, const char *e)
{
	while (p < e && is_blank(*p))
		p++;
	return p;
}

static inline const char *token_end(const char *p, const char *e)
{
	while (p < e && !is_blank(*p))
		p++;
	return p;
}

#define STARTS_WITH(p, e, lit) ((size_t)((e) - (p)) >= sizeof(lit) - 1 && memcmp((p), (lit), sizeof(lit) - 1) == 0)

/* Byte i of the text (or of an address) as byte i of a little-endian word
 * on every machine, and back to memory order: the same bytes as a memcpy
 * (ctune_top_key_addr's keys) on any host. */
static inline uint64_t from_le64(uint64_t w)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	return w;
}

static inline uint64_t load64(const char *p)
{
	uint64_t w;
	memcpy(&w, p, sizeof(w));
	return from_le64(w);
}

/* Bit 7 of each byte of w that is not an ASCII digit, exactly (no carry
 * crosses a byte). */
static inline uint64_t non_digits8(uint64_t w)
{
	uint64_t x = w ^ UINT64_C(0x3030303030303030);
	return (((x & UINT64_C(0x7f7f7f7f7f7f7f7f)) + UINT64_C(0x7676767676767676)) | x) &
	       UINT64_C(0x8080808080808080);
}

/* How many ASCII digits w starts with (8: all of them). */
static inline unsigned digits8(uint64_t w)
{
	uint64_t nd = non_digits8(w);
	return nd ? (unsigned)__builtin_ctzll(nd) >> 3 : 8;
}

/* The value of the first n (1..8) bytes of w, which are digits: they are
 * shifted to the top (the bytes after them fall out, zeros come in as
 * leading zeros) and combined in three multiplies, no loop, no branch. */
static inline uint32_t digits_value(uint64_t w, unsigned n)
{
	uint64_t x = (w << (8 * (8 - n))) & UINT64_C(0x0f0f0f0f0f0f0f0f);
	x = (x * 2561) >> 8;
	x = ((x & UINT64_C(0x00ff00ff00ff00ff)) * 6553601) >> 16;
	return (uint32_t)(((x & UINT64_C(0x0000ffff0000ffff)) * UINT64_C(42949672960001)) >> 32);
}

/* A decimal of at most max (and at most 10 digits) at p, ending at a
 * blank or e: the value into out, the end returned, or NULL.  With eight
 * bytes to read, a number of up to seven digits is read in one word. */
static inline const char *number_at(const char *p, const char *e, uint32_t max, uint32_t *out)
{
	if (e - p >= 8) {
		uint64_t w = load64(p);
		unsigned n = digits8(w);
		if (n - 1 < 7 && is_blank(p[n])) {
			uint32_t v = digits_value(w, n);
			if (v > max)
				return NULL;
			*out = v;
			return p + n;
		}
	}
	const char *s = p;
	uint64_t v = 0;
	while (p < e && is_digit(*p) && p - s < 10)
		v = v * 10 + (uint64_t)(*p++ - '0');
	if (p == s || (p < e && !is_blank(*p)) || v > max)
		return NULL;
	*out = (uint32_t)v;
	return p;
}

/* "NAME=N" at p as the whole token (lit is "NAME="): N into out, the
 * token's end (a blank or e), or NULL.  The name's compare has a constant
 * length, so it is a word compare, not a call. */
#define FIELD(p, e, lit, max, out) \
	(STARTS_WITH((p), (e), lit) ? number_at((p) + sizeof(lit) - 1, (e), (max), (out)) : NULL)

/* Bit i set for each byte i of w that has bit 7 set (the other bits of
 * w must be clear): a multiply gathers them into the top byte. */
static inline unsigned byte_mask8(uint64_t w)
{
	return (unsigned)(((w >> 7) * UINT64_C(0x0102040810204080)) >> 56);
}

/* A dotted quad at p ending at a blank or e: its end, or NULL; the
 * address into *out with its first byte lowest, built in a register (a
 * 4-byte load of four 1-byte stores stalls on store forwarding).  With 32
 * bytes to read (a tuple's address has them: its ports or the line's tail
 * follow), there are no loops over the text: two words say where the
 * first four non-digits are, each part's value is three multiplies, and
 * all the checks meet in one test at the end, so the random widths of a
 * busy table's addresses cost no mispredictions; shorter text takes the
 * byte loop. */
static inline const char *parse_v4(const char *p, const char *e, uint32_t *out)
{
	uint32_t a = 0;
	if (e - p >= 32) {
		/* where the first four non-digits are, from two words: the dots
		 * and the blank (a quad is at most 15 bytes); bits from 16 on
		 * stand for "none" and keep every read below p + 32 */
		uint32_t m = byte_mask8(non_digits8(load64(p))) | byte_mask8(non_digits8(load64(p + 8))) << 8 |
			     UINT32_C(0xffff0000);
		unsigned d[4];
		for (int i = 0; i < 4; i++) {
			d[i] = (unsigned)__builtin_ctz(m);
			m &= m - 1;
		}
		unsigned bad = !is_blank(p[d[3]]);
		for (int i = 0; i < 4; i++) {
			unsigned start = i ? d[i - 1] + 1 : 0;
			unsigned n = d[i] - start; /* 0..19: reads stay below p + 32 */
			bad |= (n - 1 > 2) | (i < 3 && p[d[i]] != '.');
			n = n > 3 ? 3 : n + (n == 0);
			uint32_t v = digits_value(load64(p + start), n);
			bad |= v > 255;
			a |= v << (8 * i);
		}
		*out = a;
		return bad ? NULL : p + d[3];
	}
	for (int i = 0; i < 4; i++) {
		const char *s = p;
		unsigned v = 0;
		while (p < e && is_digit(*p) && p - s < 3)
			v = v * 10 + (unsigned)(*p++ - '0');
		if (p == s || v > 255)
			return NULL;
		a |= v << (8 * i);
		if (i < 3) {
			if (p >= e || *p != '.')
				return NULL;
			p++;
		}
	}
	*out = a;
	return p == e || is_blank(*p) ? p : NULL;
}

/* The kernel's "%pI6" at p: eight groups of four hex digits (39 bytes),
 * into two words in memory order (built in registers, as above). */
static inline bool parse_v6_full(const char *p, uint64_t out[2])
{
	uint64_t w[2] = { 0, 0 };
	uint32_t bad = 0;
	for (int g = 0; g < 8; g++) {
		const char *q = p + 5 * g;
		uint32_t x;
		memcpy(&x, q, 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		x = __builtin_bswap32(x);
#endif
		/* four hex digits a lane each: 0x80 of a lane is set where the
		 * byte is at least lo (no lane carries: the bytes are ASCII) */
		uint32_t l = x | 0x20202020u;
		uint32_t digit = (x + 0x50505050u) & ~(x + 0x46464646u);       /* '0'..'9' */
		uint32_t alpha = (l + 0x1f1f1f1fu) & ~(l + 0x19191919u);       /* 'a'..'f' */
		uint32_t ok = (digit | alpha) & ~x & 0x80808080u;
		bad |= (ok != 0x80808080u) | (g < 7 && q[4] != ':');
		uint32_t v = (x & 0x0f0f0f0fu) + ((alpha & 0x80808080u) >> 7) * 9;
		/* nibbles h0 h1 h2 h3 into bytes (h0 h1) (h2 h3), first lowest */
		uint32_t r = ((v << 4) | (v >> 8)) & 0x00ff00ffu;
		w[g / 4] |= (uint64_t)((r & 0xff) | ((r >> 8) & 0xff00)) << (16 * (g % 4));
	}
	out[0] = w[0];
	out[1] = w[1];
	return !bad;
}

/* Any other IPv6 text filling [p, te) that inet_pton() accepts, through a
 * bounded copy. */
static bool parse_v6_text(const char *p, const char *te, unsigned char out[16])
{
	char buf[INET6_ADDRSTRLEN];
	size_t n = (size_t)(te - p);
	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return inet_pton(AF_INET6, buf, out) == 1;
}

/* "src=ADDR" / "dst=ADDR" (prefix already matched at p) as a key; the
 * token's end, or NULL.  IPv4 and the kernel's full-width IPv6 are read
 * in place; other IPv6 spellings go through inet_pton(). */
static inline const char *address(const char *p, const char *e, ctune_topk_key *k)
{
	uint32_t v4;
	const char *te = parse_v4(p, e, &v4);
	if (te) {
		*k = (ctune_topk_key){ .a = from_le64(v4), .c = 4 };
		return te;
	}
	uint64_t w[2];
	if (e - p >= 39 && (e - p == 39 || is_blank(p[39])) && parse_v6_full(p, w)) {
		*k = (ctune_topk_key){ .a = from_le64(w[0]), .b = from_le64(w[1]), .c = 6 };
		return p + 39;
	}
	unsigned char b[16];
	te = token_end(p, e);
	if (!parse_v6_text(p, te, b))
		return NULL;
	ctune_top_key_addr(k, AF_INET6, b);
	return te;
}

/* "name N" of the line's head ("ipv4 2", "tcp 6"): N, the blank after. */
static const char *head_pair(const char *p, const char *e, uint32_t *num)
{
	if (p >= e || !is_alpha(*p))
		return NULL;
	p = skip_blanks(token_end(p, e), e);
	return number_at(p, e, 255, num);
}

/* mark= and zone= stand in the last tokens of a line, after the flags
 * ("... [ASSURED] mark=0 secctx=... zone=0 delta-time=... use=2"; 2.6.18:
 * "mark=0 secmark=0 use=1").  Neither name can be part of a tuple, so the
 * last few tokens are looked through from the end, up to mark= (the first
 * of them), a flag, or TAIL_TOKENS tokens. */
enum { TAIL_TOKENS = 8 };

static bool tail_fields(const char *p, const char *e, uint32_t *mark, uint32_t *zone, bool *zone_seen)
{
	/* The usual ends first, one-digit values after a blank each: "...
	 * mark=0 zone=0" and 2.6.18's "... mark=0 secmark=0", where the walk
	 * below finds the same byte by byte. */
	const char *x = e;
	while (x > p && is_blank(x[-1]))
		x--;
	if (x - p >= 17 && is_blank(x[-17]) && STARTS_WITH(x - 16, x, "mark=") && is_digit(x[-11]) &&
	    is_blank(x[-10]) && STARTS_WITH(x - 9, x, "secmark=") && is_digit(x[-1])) {
		*mark = (uint32_t)(x[-11] - '0');
		return true;
	}
	if (x - p >= 14 && is_blank(x[-14]) && STARTS_WITH(x - 13, x, "mark=") && is_digit(x[-8]) &&
	    is_blank(x[-7]) && STARTS_WITH(x - 6, x, "zone=") && is_digit(x[-1])) {
		*mark = (uint32_t)(x[-8] - '0');
		*zone = (uint32_t)(x[-1] - '0');
		*zone_seen = true;
		return true;
	}
	const char *te = e;
	for (int i = 0; i < TAIL_TOKENS && te > p; i++) {
		const char *ts = te;
		while (ts > p && !is_blank(ts[-1]))
			ts--;
		if (ts < te && *ts == '[')
			break;
		if (STARTS_WITH(ts, te, "mark=")) {
			if (!FIELD(ts, te, "mark=", UINT32_MAX, mark))
				return false;
			/* the first of the tail fields: zone= is behind it */
			break;
		} else if (!*zone_seen && STARTS_WITH(ts, te, "zone=")) {
			if (!FIELD(ts, te, "zone=", 65535, zone))
				return false;
			*zone_seen = true;
		}
		te = ts;
		while (te > p && is_blank(te[-1]))
			te--;
	}
	return true;
}

/* A zone of one direction ("zone-orig=N" after the original tuple,
 * "zone-reply=N" after the reply tuple): looked for only on a modern line
 * that has no "zone=". */
static bool direction_zone(const char *p, const char *e, uint32_t *zone)
{
	const char *q = p;
	while ((q = memmem(q, (size_t)(e - q), "zone-", 5))) {
		if (q > p && is_blank(q[-1])) {
			if (STARTS_WITH(q, e, "zone-orig="))
				return FIELD(q, e, "zone-orig=", 65535, zone) != NULL;
			if (STARTS_WITH(q, e, "zone-reply="))
				return FIELD(q, e, "zone-reply=", 65535, zone) != NULL;
		}
		q += 5;
	}
	return true;
}

bool ctune_top_parse_line(const char *p, const char *e, ctune_top_keys *out)
{
	while (e > p && (e[-1] == '\r' || is_blank(e[-1])))
		e--;
	p = skip_blanks(p, e);

	/* the head: "ipv4 2 tcp 6 ..." or legacy "tcp 6 ..." */
	uint32_t l4;
	const char *q = head_pair(p, e, &l4);
	if (!q)
		return false;
	q = skip_blanks(q, e);
	bool modern = q < e && is_alpha(*q);
	if (modern) {
		q = head_pair(q, e, &l4);
		if (!q)
			return false;
	}

	/* the original tuple: the first "src=" token */
	while (q < e && !STARTS_WITH(q, e, "src="))
		q = skip_blanks(token_end(q, e), e);
	if (q >= e)
		return false;
	return table_top_parse_tuple(q, e, l4, modern, out);
}

bool table_top_parse_tuple(const char *q, const char *e, unsigned l4, bool modern, ctune_top_keys *out)
{
	q = address(q + 4, e, &out->k[CTUNE_TOP_SRC]);
	if (!q)
		return false;
	q = skip_blanks(q, e);
	if (!STARTS_WITH(q, e, "dst="))
		return false;
	q = address(q + 4, e, &out->k[CTUNE_TOP_DST]);
	if (!q)
		return false;
	q = skip_blanks(q, e);

	uint32_t port = 0, ignored;
	switch (ctune_top_proto_kind(l4)) {
	case KIND_PORT:
		q = FIELD(q, e, "sport=", 65535, &ignored);
		if (!q)
			return false;
		q = FIELD(skip_blanks(q, e), e, "dport=", 65535, &port);
		if (!q)
			return false;
		break;
	case KIND_ICMP:
		q = FIELD(q, e, "type=", 255, &port);
		if (!q)
			return false;
		break;
	default:
		break;
	}
	ctune_top_key_dport(&out->k[CTUNE_TOP_DPORT], l4, port);

	uint32_t mark = 0, zone = 0;
	bool zone_seen = false;
	if (!tail_fields(q, e, &mark, &zone, &zone_seen))
		return false;
	if (!zone_seen && modern && !direction_zone(q, e, &zone))
		return false;
	ctune_top_key_number(&out->k[CTUNE_TOP_ZONE], zone);
	ctune_top_key_number(&out->k[CTUNE_TOP_MARK], mark);
	return true;
}
