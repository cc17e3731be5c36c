/* fuzz-nl.c - libFuzzer target for ctune's netlink layer alone (src/nl.h):
 * the receive loop (ctune_nl_cb_run), attribute parsing with a policy
 * (ctune_nl_attr_parse_msg / _parse_nested / _validate), the inline walks
 * and finds, the typed getters, and the builders (ctune_nl_attr_put,
 * nests) as a round trip.  src/netlink.c's conntrack parsers over the same
 * layer have fuzz-netlink.c.
 *
 * The input is one received datagram.  It runs through the loop twice:
 * with seq and port id 0 (nothing checked) and with both 1 (mismatches).
 * For each data message the callback
 *   - indexes the attributes after a 4-byte extra header with a policy
 *     that gives every type a meaning, and checks that every attribute the
 *     parser hands out lies inside its message;
 *   - descends into nests (NLA_F_NESTED) eight levels deep the same way;
 *   - reads each validated attribute with its typed getter (ASan reports a
 *     read past the end);
 *   - rebuilds the message's attributes with the put helpers into a fresh
 *     buffer just large enough and checks that the copy walks the same:
 *     same types, lengths and payloads, and no put refused.
 * The loop's answer must be MORE, STOP or one of the errors nl.h lists.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "nl.h"

#define MAX_TYPE 15
#define MAX_DEPTH 8

/* A meaning for every type: a mix of what real answers use. */
static const ctune_nl_type policy[MAX_TYPE + 1] = {
	CTUNE_NL_UNSPEC, CTUNE_NL_NESTED, CTUNE_NL_NESTED, CTUNE_NL_U32,    CTUNE_NL_NESTED, CTUNE_NL_U8,
	CTUNE_NL_U16,    CTUNE_NL_U32,    CTUNE_NL_U64,    CTUNE_NL_STRING, CTUNE_NL_U8,     CTUNE_NL_U16,
	CTUNE_NL_U32,    CTUNE_NL_U64,    CTUNE_NL_STRING, CTUNE_NL_UNSPEC,
};

struct state {
	size_t calls;
	uint64_t sink; /* keeps the getters' reads */
};

static void check_inside(const struct nlattr *a, const char *lo, const char *hi)
{
	CHECK((const char *)a >= lo);
	CHECK((const char *)a + CTUNE_NL_ATTR_HDRLEN <= hi);
	CHECK(a->nla_len >= CTUNE_NL_ATTR_HDRLEN);
	CHECK((const char *)a + a->nla_len <= hi);
}

static void read_typed(struct state *st, const struct nlattr *a, ctune_nl_type type)
{
	if (ctune_nl_attr_validate(a, type) < 0)
		return;
	switch (type) {
	case CTUNE_NL_U8:
		st->sink += ctune_nl_attr_get_u8(a);
		break;
	case CTUNE_NL_U16:
		st->sink += ctune_nl_attr_get_u16(a);
		break;
	case CTUNE_NL_U32:
		st->sink += ctune_nl_attr_get_u32(a);
		break;
	case CTUNE_NL_U64:
		st->sink += ctune_nl_attr_get_u64(a);
		break;
	case CTUNE_NL_STRING:
		st->sink += strlen(ctune_nl_attr_get_str(a));
		break;
	default:
		break;
	}
}

/* Index, check and read the attributes among len bytes at start. */
static void walk(struct state *st, const char *start, size_t len, int depth)
{
	const struct nlattr *tb[MAX_TYPE + 1];
	int r = ctune_nl_attr_parse(start, len, tb, MAX_TYPE, depth & 1 ? policy : NULL);
	CHECK(r == 0 || r == -EBADMSG);
	for (int t = 0; t <= MAX_TYPE; t++) {
		if (!tb[t])
			continue;
		check_inside(tb[t], start, start + len);
		CHECK(ctune_nl_attr_type(tb[t]) == t);
		CHECK(ctune_nl_attr_find(start, len, (uint16_t)t) == tb[t]); /* the first of its type */
		read_typed(st, tb[t], policy[t]);
	}
	if (depth >= MAX_DEPTH)
		return;
	const struct nlattr *a;
	size_t rem;
	ctune_nl_attr_for_each(a, rem, start, len) {
		check_inside(a, start, start + len);
		if (ctune_nl_attr_is_nested(a))
			walk(st, ctune_nl_attr_data(a), ctune_nl_attr_len(a), depth + 1);
	}
}

/* Put every whole attribute of the message into a fresh one and walk both
 * side by side. */
static void roundtrip(const struct nlmsghdr *nlh, const char *start, size_t len)
{
	size_t cap = CTUNE_NL_MSG_HDRLEN + 4 + len + 4;
	uint32_t *copy = malloc(cap);
	CHECK(copy != NULL);
	struct nlmsghdr *out = ctune_nl_msg_put_header(copy);
	out->nlmsg_type = nlh->nlmsg_type;
	ctune_nl_msg_put_extra_header(out, 4);
	const struct nlattr *a;
	size_t rem;
	ctune_nl_attr_for_each(a, rem, start, len)
		CHECK(ctune_nl_attr_put(out, cap, a->nla_type, ctune_nl_attr_len(a), ctune_nl_attr_data(a)) == 0);
	const struct nlattr *b;
	size_t brem = ctune_nl_msg_payload_len(out) - 4;
	b = (const struct nlattr *)((const char *)ctune_nl_msg_payload(out) + 4);
	ctune_nl_attr_for_each(a, rem, start, len) {
		CHECK(ctune_nl_attr_ok(b, brem));
		CHECK(b->nla_type == a->nla_type && b->nla_len == a->nla_len);
		CHECK(memcmp(ctune_nl_attr_data(a), ctune_nl_attr_data(b), ctune_nl_attr_len(a)) == 0);
		b = ctune_nl_attr_next(b, &brem);
	}
	CHECK(brem == 0);
	free(copy);
}

static int message_cb(const struct nlmsghdr *nlh, void *data)
{
	struct state *st = data;
	st->calls++;
	CHECK(nlh->nlmsg_type >= NLMSG_MIN_TYPE);
	size_t plen = ctune_nl_msg_payload_len(nlh);
	const struct nlattr *tb[MAX_TYPE + 1];
	int r = ctune_nl_attr_parse_msg(nlh, 4, tb, MAX_TYPE, policy);
	CHECK(r == 0 || r == -EBADMSG);
	if (plen < 4) {
		CHECK(r == -EBADMSG);
		return CTUNE_NL_MORE;
	}
	const char *start = (const char *)ctune_nl_msg_payload(nlh) + 4;
	for (int t = 0; t <= MAX_TYPE; t++)
		if (tb[t]) {
			check_inside(tb[t], start, start + plen - 4);
			if (policy[t] == CTUNE_NL_NESTED) {
				const struct nlattr *ntb[MAX_TYPE + 1];
				r = ctune_nl_attr_parse_nested(tb[t], ntb, MAX_TYPE, policy);
				CHECK(r == 0 || r == -EBADMSG);
			}
		}
	walk(st, start, plen - 4, 0);
	roundtrip(nlh, start, plen - 4);
	/* Some messages end the answer, as a callback may decide. */
	return nlh->nlmsg_type == 0xffff ? CTUNE_NL_STOP : CTUNE_NL_MORE;
}

static void check_answer(int r)
{
	CHECK(r == CTUNE_NL_MORE || r == CTUNE_NL_STOP || r < 0);
	/* An error is either the loop's own or one a message carried: any
	 * negative errno; never below INT_MIN's stand-in, never -0. */
	CHECK(r >= -0x7fffffff);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Aligned, exact-size copy, as the receive buffer would hold it. */
	void *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	struct state st = { 0 };
	check_answer(ctune_nl_cb_run(buf, size, 0, 0, message_cb, &st));
	CHECK(st.calls <= size / CTUNE_NL_MSG_HDRLEN);
	check_answer(ctune_nl_cb_run(buf, size, 1, 1, message_cb, &st));
	check_answer(ctune_nl_cb_run(buf, size, 0, 0, NULL, NULL));
	free(buf);
	return 0;
}
