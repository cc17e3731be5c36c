/* test-nl.c - ctune's netlink layer (src/nl.h) alone, no conntrack: the
 * message and attribute builders, attribute parsing with its bounds and
 * length checks, nests, the receive loop's handling of errors, acks, dump
 * ends, sequence and port mismatches and truncated datagrams, and the
 * socket against the running kernel's NETLINK_ROUTE (which every kernel
 * has and which needs no privilege to dump the links).
 *
 * Old kernels: this test is linked with -Wl,--wrap=socket
 * (tests/CMakeLists.txt), so __wrap_socket below can answer SOCK_CLOEXEC
 * with EINVAL, as kernels before 2.6.27 do, and the test checks that the
 * socket still opens, close-on-exec.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>

#include "nl.h"
#include "testlib.h"

/* ---- socket() as an old kernel answers it ------------------------------- */

int __real_socket(int domain, int type, int protocol);
int __wrap_socket(int domain, int type, int protocol);

static bool old_kernel;  /* refuse SOCK_CLOEXEC with EINVAL */
static int socket_calls; /* calls since the last reset */

int __wrap_socket(int domain, int type, int protocol)
{
	socket_calls++;
	if (old_kernel && (type & SOCK_CLOEXEC)) {
		errno = EINVAL;
		return -1;
	}
	return __real_socket(domain, type, protocol);
}

/* ---- building messages -------------------------------------------------- */

static uint32_t words[1024]; /* 4 KiB, aligned as a receive buffer is */
#define BUF ((char *)words)

START_TEST(test_msg_nfgen)
{
	struct nlmsghdr *nlh = ctune_nl_msg_put_nfgen(BUF, NFNL_SUBSYS_CTNETLINK, 5, NLM_F_DUMP, 77, AF_INET6, 0x1234);
	ck_assert_ptr_eq(nlh, BUF);
	ck_assert_uint_eq(nlh->nlmsg_len, CTUNE_NL_NFMSG_LEN);
	ck_assert_uint_eq(nlh->nlmsg_len, 20);
	ck_assert_uint_eq(nlh->nlmsg_type, (NFNL_SUBSYS_CTNETLINK << 8) | 5);
	ck_assert_uint_eq(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
	ck_assert_uint_eq(nlh->nlmsg_seq, 77);
	ck_assert_uint_eq(nlh->nlmsg_pid, 0);
	const struct nfgenmsg *nfg = ctune_nl_msg_payload(nlh);
	ck_assert_uint_eq(nfg->nfgen_family, AF_INET6);
	ck_assert_uint_eq(nfg->version, NFNETLINK_V0);
	ck_assert_uint_eq(ntohs(nfg->res_id), 0x1234); /* big-endian on the wire */
	ck_assert_uint_eq(ctune_nl_msg_payload_len(nlh), 4);
}
END_TEST

START_TEST(test_msg_extra_header_padded)
{
	memset(words, 0xee, sizeof(words));
	struct nlmsghdr *nlh = ctune_nl_msg_put_header(BUF);
	ck_assert_uint_eq(nlh->nlmsg_len, 16);
	ck_assert_uint_eq(nlh->nlmsg_type, 0);
	unsigned char *x = ctune_nl_msg_put_extra_header(nlh, 5);
	ck_assert_ptr_eq(x, BUF + 16);
	ck_assert_uint_eq(nlh->nlmsg_len, 24); /* 5 padded to 8 */
	for (int i = 0; i < 8; i++)
		ck_assert_uint_eq(x[i], 0); /* zeroed, padding too */
}
END_TEST

/* ---- attributes --------------------------------------------------------- */

enum { A_U8 = 1, A_U16, A_U32, A_U64, A_STR, A_NEST, A_MAX = A_NEST };

static struct nlmsghdr *sample(void)
{
	memset(words, 0xee, sizeof(words));
	struct nlmsghdr *nlh = ctune_nl_msg_put_nfgen(BUF, 1, 0, 0, 1, AF_INET, 0);
	ck_assert_int_eq(ctune_nl_attr_put_u8(nlh, sizeof(words), A_U8, 0xab), 0);
	ck_assert_int_eq(ctune_nl_attr_put_u16(nlh, sizeof(words), A_U16, 0xbeef), 0);
	ck_assert_int_eq(ctune_nl_attr_put_u32(nlh, sizeof(words), A_U32, htonl(262144)), 0);
	ck_assert_int_eq(ctune_nl_attr_put_u64(nlh, sizeof(words), A_U64, 0x0102030405060708ull), 0);
	ck_assert_int_eq(ctune_nl_attr_put_strz(nlh, sizeof(words), A_STR, "tcp"), 0);
	struct nlattr *nest = ctune_nl_attr_nest_start(nlh, sizeof(words), A_NEST);
	ck_assert_ptr_nonnull(nest);
	struct nlattr *inner = ctune_nl_attr_nest_start(nlh, sizeof(words), 1);
	ck_assert_ptr_nonnull(inner);
	ck_assert_int_eq(ctune_nl_attr_put_u8(nlh, sizeof(words), 1, 3), 0);
	ck_assert_int_eq(ctune_nl_attr_nest_end(nlh, inner), 0);
	ck_assert_int_eq(ctune_nl_attr_put_u32(nlh, sizeof(words), 2, 9), 0);
	ck_assert_int_eq(ctune_nl_attr_nest_end(nlh, nest), 0);
	return nlh;
}

static const ctune_nl_type policy[A_MAX + 1] = {
	[A_U8] = CTUNE_NL_U8,   [A_U16] = CTUNE_NL_U16,       [A_U32] = CTUNE_NL_U32,
	[A_U64] = CTUNE_NL_U64, [A_STR] = CTUNE_NL_STRING, [A_NEST] = CTUNE_NL_NESTED,
};

START_TEST(test_attr_roundtrip)
{
	struct nlmsghdr *nlh = sample();
	/* 20 header + u8 8 + u16 8 + u32 8 + u64 12 + "tcp\0" 8 + nest (4 + inner 12 + u32 8) 24 */
	ck_assert_uint_eq(nlh->nlmsg_len, 20 + 8 + 8 + 8 + 12 + 8 + 24);
	const struct nlattr *tb[A_MAX + 1];
	ck_assert_int_eq(ctune_nl_attr_parse_msg(nlh, sizeof(struct nfgenmsg), tb, A_MAX, policy), 0);
	ck_assert_ptr_null(tb[0]);
	ck_assert_uint_eq(ctune_nl_attr_get_u8(tb[A_U8]), 0xab);
	ck_assert_uint_eq(ctune_nl_attr_get_u16(tb[A_U16]), 0xbeef);
	ck_assert_uint_eq(ntohl(ctune_nl_attr_get_u32(tb[A_U32])), 262144);
	ck_assert(ctune_nl_attr_get_u64(tb[A_U64]) == 0x0102030405060708ull); /* payload at offset 4 mod 8 */
	ck_assert_str_eq(ctune_nl_attr_get_str(tb[A_STR]), "tcp");
	ck_assert_uint_eq(ctune_nl_attr_len(tb[A_U8]), 1);
	ck_assert_uint_eq(tb[A_U8]->nla_len, 5); /* the length says 5, padding is not counted */
	ck_assert_uint_eq(((const unsigned char *)tb[A_U8])[5], 0); /* padding zeroed */
	ck_assert(!ctune_nl_attr_is_nested(tb[A_U8]));

	/* The nest: flagged, and its inner attributes reachable. */
	ck_assert(ctune_nl_attr_is_nested(tb[A_NEST]));
	ck_assert_uint_eq(ctune_nl_attr_type(tb[A_NEST]), A_NEST);
	const struct nlattr *ntb[3];
	ck_assert_int_eq(ctune_nl_attr_parse_nested(tb[A_NEST], ntb, 2, NULL), 0);
	ck_assert_ptr_nonnull(ntb[1]);
	ck_assert_uint_eq(ctune_nl_attr_get_u32(ntb[2]), 9);
	const struct nlattr *deep = ctune_nl_attr_find_nested(ntb[1], 1);
	ck_assert_ptr_nonnull(deep);
	ck_assert_uint_eq(ctune_nl_attr_get_u8(deep), 3);
	ck_assert_ptr_null(ctune_nl_attr_find_nested(ntb[1], 2));
}
END_TEST

START_TEST(test_attr_types_past_max_skipped_first_wins)
{
	struct nlmsghdr *nlh = ctune_nl_msg_put_nfgen(BUF, 1, 0, 0, 1, AF_INET, 0);
	ck_assert_int_eq(ctune_nl_attr_put_u32(nlh, sizeof(words), 1, 11), 0);
	ck_assert_int_eq(ctune_nl_attr_put_u32(nlh, sizeof(words), 1, 22), 0);
	ck_assert_int_eq(ctune_nl_attr_put_u32(nlh, sizeof(words), 40, 33), 0);
	const struct nlattr *tb[3];
	ck_assert_int_eq(ctune_nl_attr_parse_msg(nlh, 4, tb, 2, NULL), 0);
	ck_assert_uint_eq(ctune_nl_attr_get_u32(tb[1]), 11);
	ck_assert_ptr_null(tb[2]);
}
END_TEST

START_TEST(test_attr_put_bounds)
{
	memset(words, 0, sizeof(words));
	struct nlmsghdr *nlh = ctune_nl_msg_put_nfgen(BUF, 1, 0, 0, 1, AF_INET, 0);
	/* 20 used of 32: an 8-byte attribute fits, then nothing does. */
	ck_assert_int_eq(ctune_nl_attr_put_u32(nlh, 32, 1, 1), 0);
	ck_assert_uint_eq(nlh->nlmsg_len, 28);
	ck_assert_int_eq(ctune_nl_attr_put_u32(nlh, 32, 2, 2), -EMSGSIZE);
	ck_assert_int_eq(ctune_nl_attr_put_u8(nlh, 31, 2, 2), -EMSGSIZE);
	ck_assert_uint_eq(nlh->nlmsg_len, 28); /* nothing written */
	ck_assert_uint_eq(words[7], 0);
	ck_assert_int_eq(ctune_nl_attr_put(nlh, 32, 3, 0, NULL), 0); /* a bare header fits exactly */
	ck_assert_uint_eq(nlh->nlmsg_len, 32);
	ck_assert_ptr_null(ctune_nl_attr_nest_start(nlh, 32, 4));
	/* a payload too large for nla_len's 16 bits */
	static char big[70000];
	ck_assert_int_eq(ctune_nl_attr_put(nlh, sizeof(big) + 64, 5, 65532, big), -EMSGSIZE);
	ck_assert_uint_eq(nlh->nlmsg_len, 32);
}
END_TEST

START_TEST(test_attr_nest_too_long)
{
	static uint32_t big[40000]; /* 160 KB */
	struct nlmsghdr *nlh = ctune_nl_msg_put_header(big);
	struct nlattr *nest = ctune_nl_attr_nest_start(nlh, sizeof(big), 1);
	static char chunk[40000];
	ck_assert_int_eq(ctune_nl_attr_put(nlh, sizeof(big), 1, sizeof(chunk), chunk), 0);
	ck_assert_int_eq(ctune_nl_attr_put(nlh, sizeof(big), 1, sizeof(chunk), chunk), 0);
	ck_assert_int_eq(ctune_nl_attr_nest_end(nlh, nest), -EMSGSIZE);
}
END_TEST

/* Raw attribute bytes: type, length, payload as given. */
static size_t raw_attr(char *at, uint16_t len, uint16_t type)
{
	struct nlattr a = { .nla_len = len, .nla_type = type };
	memcpy(at, &a, sizeof(a));
	return CTUNE_NL_ALIGN((size_t)len);
}

START_TEST(test_attr_parse_truncated)
{
	memset(words, 0, sizeof(words));
	const struct nlattr *tb[4];
	/* a whole u32, then one that claims 8 bytes with 6 left */
	size_t off = raw_attr(BUF, 8, 1);
	raw_attr(BUF + off, 8, 2);
	ck_assert_int_eq(ctune_nl_attr_parse(BUF, off + 6, tb, 3, NULL), -EBADMSG);
	ck_assert_ptr_nonnull(tb[1]); /* what came before stays indexed */
	ck_assert_ptr_null(tb[2]);
	/* nla_len shorter than the attribute header */
	raw_attr(BUF + off, 3, 2);
	ck_assert_int_eq(ctune_nl_attr_parse(BUF, off + 8, tb, 3, NULL), -EBADMSG);
	/* fewer bytes left than a header */
	ck_assert_int_eq(ctune_nl_attr_parse(BUF, off + 2, tb, 3, NULL), -EBADMSG);
	/* a huge length walks nowhere */
	raw_attr(BUF + off, 0xffff, 2);
	ck_assert_int_eq(ctune_nl_attr_parse(BUF, off + 8, tb, 3, NULL), -EBADMSG);
	/* an unpadded last attribute is whole */
	raw_attr(BUF + off, 5, 2);
	ck_assert_int_eq(ctune_nl_attr_parse(BUF, off + 5, tb, 3, NULL), 0);
	ck_assert_uint_eq(ctune_nl_attr_len(tb[2]), 1);
	/* nothing at all */
	ck_assert_int_eq(ctune_nl_attr_parse(BUF, 0, tb, 3, NULL), 0);
	ck_assert_ptr_null(tb[1]);
}
END_TEST

START_TEST(test_attr_validate)
{
	memset(words, 0, sizeof(words));
	const struct nlattr *a = (const struct nlattr *)BUF;
	raw_attr(BUF, 4 + 3, 1); /* 3 payload bytes */
	ck_assert_int_eq(ctune_nl_attr_validate(a, CTUNE_NL_U8), 0);
	ck_assert_int_eq(ctune_nl_attr_validate(a, CTUNE_NL_U16), 0);
	ck_assert_int_eq(ctune_nl_attr_validate(a, CTUNE_NL_U32), -EBADMSG);
	ck_assert_int_eq(ctune_nl_attr_validate(a, CTUNE_NL_U64), -EBADMSG);
	ck_assert_int_eq(ctune_nl_attr_validate(a, CTUNE_NL_STRING), 0); /* zeros: a NUL */
	memset(BUF + 4, 'x', 3);
	ck_assert_int_eq(ctune_nl_attr_validate(a, CTUNE_NL_STRING), -EBADMSG);
	ck_assert_int_eq(ctune_nl_attr_validate(a, (ctune_nl_type)99), -EBADMSG);
	raw_attr(BUF, 4, 1);
	ck_assert_int_eq(ctune_nl_attr_validate(a, CTUNE_NL_UNSPEC), 0);
	ck_assert_int_eq(ctune_nl_attr_validate(a, CTUNE_NL_NESTED), 0); /* an empty nest */
	ck_assert_int_eq(ctune_nl_attr_validate(a, CTUNE_NL_U8), -EBADMSG);

	/* a nest whose inner attribute overruns it */
	raw_attr(BUF, 4 + 8, 1 | NLA_F_NESTED);
	raw_attr(BUF + 4, 12, 1);
	ck_assert_int_eq(ctune_nl_attr_validate(a, CTUNE_NL_NESTED), -EBADMSG);
	raw_attr(BUF + 4, 8, 1);
	ck_assert_int_eq(ctune_nl_attr_validate(a, CTUNE_NL_NESTED), 0);

	/* the policy fails the parse */
	const struct nlattr *tb[2];
	raw_attr(BUF, 4 + 2, 1);
	static const ctune_nl_type u32[2] = { CTUNE_NL_UNSPEC, CTUNE_NL_U32 };
	ck_assert_int_eq(ctune_nl_attr_parse(BUF, 8, tb, 1, u32), -EBADMSG);
	ck_assert_ptr_null(tb[1]);
}
END_TEST

START_TEST(test_attr_parse_msg_short)
{
	struct nlmsghdr *nlh = ctune_nl_msg_put_header(BUF);
	const struct nlattr *tb[2] = { (void *)1, (void *)1 };
	ck_assert_int_eq(ctune_nl_attr_parse_msg(nlh, sizeof(struct nfgenmsg), tb, 1, NULL), -EBADMSG);
	ck_assert_ptr_null(tb[0]);
	ck_assert_ptr_null(tb[1]);
	/* a header claiming less than itself has no payload */
	nlh->nlmsg_len = 3;
	ck_assert_uint_eq(ctune_nl_msg_payload_len(nlh), 0);
}
END_TEST

/* ---- the receive loop --------------------------------------------------- */

static size_t used;

static struct nlmsghdr *add(uint16_t type, uint16_t flags, uint32_t seq, uint32_t pid, size_t payload)
{
	struct nlmsghdr *nlh = ctune_nl_msg_put_header(BUF + used);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = pid;
	memset(ctune_nl_msg_payload(nlh), 0, CTUNE_NL_ALIGN(payload));
	nlh->nlmsg_len += (uint32_t)payload;
	used += CTUNE_NL_ALIGN((size_t)nlh->nlmsg_len);
	return nlh;
}

static void add_status(uint16_t type, uint32_t seq, int32_t status)
{
	struct nlmsghdr *nlh = add(type, NLM_F_MULTI, seq, 0, type == NLMSG_ERROR ? sizeof(struct nlmsgerr) : 4);
	memcpy(ctune_nl_msg_payload(nlh), &status, sizeof(status));
}

struct seen {
	int calls;
	uint32_t last_seq;
	int answer; /* what the callback returns */
};

static int count_cb(const struct nlmsghdr *nlh, void *data)
{
	struct seen *s = data;
	s->calls++;
	s->last_seq = nlh->nlmsg_seq;
	return s->answer;
}

static int run(struct seen *s, uint32_t seq, uint32_t portid)
{
	return ctune_nl_cb_run(BUF, used, seq, portid, count_cb, s);
}

static void reset(struct seen *s)
{
	used = 0;
	memset(words, 0, sizeof(words));
	memset(s, 0, sizeof(*s));
	s->answer = CTUNE_NL_MORE;
}

START_TEST(test_loop_dump)
{
	struct seen s;
	reset(&s);
	add(NLMSG_MIN_TYPE, NLM_F_MULTI, 7, 42, 8);
	add(NLMSG_NOOP, 0, 7, 42, 0); /* skipped */
	add(NLMSG_MIN_TYPE + 1, NLM_F_MULTI, 7, 42, 0);
	ck_assert_int_eq(run(&s, 7, 42), CTUNE_NL_MORE); /* no DONE yet: read on */
	ck_assert_int_eq(s.calls, 2);
	add_status(NLMSG_DONE, 7, 0);
	add(NLMSG_MIN_TYPE, NLM_F_MULTI, 7, 42, 0); /* after DONE: not reached */
	s.calls = 0;
	ck_assert_int_eq(run(&s, 7, 42), CTUNE_NL_STOP);
	ck_assert_int_eq(s.calls, 2);
	/* the notifications' 0 in seq and pid passes; 0 asked checks nothing */
	reset(&s);
	add(NLMSG_MIN_TYPE, NLM_F_MULTI, 0, 0, 0);
	add(NLMSG_MIN_TYPE, NLM_F_MULTI, 9, 9, 0);
	ck_assert_int_eq(run(&s, 7, 0), -EPROTO);
	ck_assert_int_eq(s.calls, 1);
	s.calls = 0;
	ck_assert_int_eq(run(&s, 0, 0), CTUNE_NL_MORE);
	ck_assert_int_eq(s.calls, 2);
}
END_TEST

START_TEST(test_loop_single_reply)
{
	struct seen s;
	reset(&s);
	add(NLMSG_MIN_TYPE, 0, 3, 0, 4); /* no NLM_F_MULTI: the whole answer */
	ck_assert_int_eq(run(&s, 3, 0), CTUNE_NL_STOP);
	ck_assert_int_eq(s.calls, 1);
	ck_assert_int_eq(ctune_nl_cb_run(BUF, used, 3, 0, NULL, NULL), CTUNE_NL_STOP); /* no callback */
}
END_TEST

START_TEST(test_loop_errors)
{
	struct seen s;
	reset(&s);
	add(NLMSG_MIN_TYPE, NLM_F_MULTI, 5, 0, 0);
	add_status(NLMSG_ERROR, 5, -EPERM);
	ck_assert_int_eq(run(&s, 5, 0), -EPERM);
	ck_assert_int_eq(s.calls, 1);

	reset(&s);
	add_status(NLMSG_ERROR, 5, 0); /* the ack */
	ck_assert_int_eq(run(&s, 5, 0), CTUNE_NL_STOP);
	reset(&s);
	add_status(NLMSG_ERROR, 5, EOPNOTSUPP); /* a positive error is still one */
	ck_assert_int_eq(run(&s, 5, 0), -EOPNOTSUPP);
	reset(&s);
	add_status(NLMSG_ERROR, 5, INT32_MIN);
	ck_assert_int_eq(run(&s, 5, 0), -EPROTO);
	reset(&s);
	add(NLMSG_ERROR, 0, 5, 0, 4); /* shorter than struct nlmsgerr */
	ck_assert_int_eq(run(&s, 5, 0), -EBADMSG);

	reset(&s);
	add_status(NLMSG_DONE, 5, -ENOBUFS);
	ck_assert_int_eq(run(&s, 5, 0), -ENOBUFS);
	reset(&s);
	add(NLMSG_DONE, NLM_F_MULTI, 5, 0, 0); /* old kernels: DONE without a status */
	ck_assert_int_eq(run(&s, 5, 0), CTUNE_NL_STOP);

	reset(&s);
	add(NLMSG_MIN_TYPE, NLM_F_MULTI, 5, 0, 0);
	add(NLMSG_MIN_TYPE, NLM_F_MULTI | NLM_F_DUMP_INTR, 5, 0, 0);
	ck_assert_int_eq(run(&s, 5, 0), -EINTR);
	ck_assert_int_eq(s.calls, 1);
}
END_TEST

START_TEST(test_loop_mismatch)
{
	struct seen s;
	reset(&s);
	add(NLMSG_MIN_TYPE, NLM_F_MULTI, 4, 42, 0); /* a stale answer */
	ck_assert_int_eq(run(&s, 5, 42), -EPROTO);
	ck_assert_int_eq(s.calls, 0);
	ck_assert_int_eq(run(&s, 4, 43), -ESRCH);
	ck_assert_int_eq(s.calls, 0);
	ck_assert_int_eq(run(&s, 4, 42), CTUNE_NL_MORE);
	ck_assert_int_eq(s.calls, 1);
}
END_TEST

START_TEST(test_loop_callback_answers)
{
	struct seen s;
	reset(&s);
	add(NLMSG_MIN_TYPE, NLM_F_MULTI, 1, 0, 0);
	add(NLMSG_MIN_TYPE, NLM_F_MULTI, 2, 0, 0);
	s.answer = -ENOMEM;
	ck_assert_int_eq(run(&s, 0, 0), -ENOMEM);
	ck_assert_int_eq(s.calls, 1);
	s.calls = 0;
	s.answer = CTUNE_NL_STOP;
	ck_assert_int_eq(run(&s, 0, 0), CTUNE_NL_STOP);
	ck_assert_int_eq(s.calls, 1);
	ck_assert_uint_eq(s.last_seq, 1);
}
END_TEST

START_TEST(test_loop_truncated)
{
	struct seen s;
	reset(&s);
	add(NLMSG_MIN_TYPE, NLM_F_MULTI, 1, 0, 8);
	struct nlmsghdr *second = add(NLMSG_MIN_TYPE, NLM_F_MULTI, 1, 0, 8);
	/* the second message cut short: its length says more than is there */
	ck_assert_int_eq(ctune_nl_cb_run(BUF, used - 4, 1, 0, count_cb, &s), -EBADMSG);
	ck_assert_int_eq(s.calls, 1);
	/* a length past 2 GiB (libmnl's signed compare let it through) */
	s.calls = 0;
	second->nlmsg_len = 0x80000010u;
	ck_assert_int_eq(run(&s, 1, 0), -EBADMSG);
	ck_assert_int_eq(s.calls, 1);
	second->nlmsg_len = 0xffffffffu;
	ck_assert_int_eq(run(&s, 1, 0), -EBADMSG);
	/* a length shorter than the header */
	second->nlmsg_len = 8;
	ck_assert_int_eq(run(&s, 1, 0), -EBADMSG);
	/* a few stray bytes after whole messages */
	second->nlmsg_len = 24;
	s.calls = 0;
	ck_assert_int_eq(ctune_nl_cb_run(BUF, used + 4, 1, 0, count_cb, &s), -EBADMSG);
	ck_assert_int_eq(s.calls, 2);
	/* the last message without its padding is whole */
	reset(&s);
	add(NLMSG_MIN_TYPE, NLM_F_MULTI, 1, 0, 5);
	ck_assert_int_eq(ctune_nl_cb_run(BUF, 21, 1, 0, count_cb, &s), CTUNE_NL_MORE);
	ck_assert_int_eq(s.calls, 1);
	/* nothing at all: nothing to say yet */
	ck_assert_int_eq(ctune_nl_cb_run(BUF, 0, 1, 0, count_cb, &s), CTUNE_NL_MORE);
}
END_TEST

/* ---- the socket, against the kernel ------------------------------------- */

struct links {
	int n;
};

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct links *l = data;
	if (nlh->nlmsg_type == RTM_NEWLINK)
		l->n++;
	return CTUNE_NL_MORE;
}

/* Dump the links over s: >= 1 (lo) or -errno. */
static int dump_links(ctune_nl_socket *s, size_t bufsize, uint32_t seq)
{
	uint32_t req[(CTUNE_NL_MSG_HDRLEN + sizeof(struct ifinfomsg) + 3) / 4];
	struct nlmsghdr *nlh = ctune_nl_msg_put_header(req);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	ctune_nl_msg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	int r = ctune_nl_socket_send(s, nlh, nlh->nlmsg_len);
	if (r < 0)
		return r;
	struct links l = { 0 };
	char *buf = malloc(bufsize);
	ck_assert_ptr_nonnull(buf);
	for (;;) {
		ssize_t n = ctune_nl_socket_recv(s, buf, bufsize);
		if (n < 0) {
			r = (int)n;
			break;
		}
		r = ctune_nl_cb_run(buf, (size_t)n, seq, ctune_nl_socket_portid(s), link_cb, &l);
		if (r <= CTUNE_NL_STOP)
			break;
	}
	free(buf);
	return r < 0 ? r : l.n;
}

static void assert_cloexec(const ctune_nl_socket *s)
{
	int flags = fcntl(ctune_nl_socket_fd(s), F_GETFD);
	ck_assert_int_ge(flags, 0);
	ck_assert_msg(flags & FD_CLOEXEC, "the socket is not close-on-exec");
}

START_TEST(test_socket_dump)
{
	ctune_nl_socket *s = NULL;
	ck_assert_int_eq(ctune_nl_socket_open(NETLINK_ROUTE, &s), 0);
	assert_cloexec(s);
	ck_assert_uint_ne(ctune_nl_socket_portid(s), 0);
	ck_assert_int_ge(dump_links(s, 32768, 100), 1);
	ck_assert_int_ge(dump_links(s, 32768, 101), 1); /* the socket is reusable */
	ctune_nl_socket_close(s);
	ctune_nl_socket_close(NULL);
}
END_TEST

/* A datagram larger than the buffer: MSG_TRUNC, never a short answer. */
START_TEST(test_socket_truncated_datagram)
{
	ctune_nl_socket *s = NULL;
	ck_assert_int_eq(ctune_nl_socket_open(NETLINK_ROUTE, &s), 0);
	ck_assert_int_eq(dump_links(s, 32, 7), -EMSGSIZE);
	ctune_nl_socket_close(s);
}
END_TEST

/* The kernel's error answer comes back as the request's -errno. */
START_TEST(test_socket_kernel_error)
{
	ctune_nl_socket *s = NULL;
	ck_assert_int_eq(ctune_nl_socket_open(NETLINK_ROUTE, &s), 0);
	uint32_t req[CTUNE_NL_MSG_HDRLEN / 4 + 8];
	struct nlmsghdr *nlh = ctune_nl_msg_put_header(req);
	nlh->nlmsg_type = RTM_GETLINK; /* a link that does not exist */
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = 9;
	struct ifinfomsg *ifi = ctune_nl_msg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_index = 0x7ffffff0;
	ck_assert_int_eq(ctune_nl_socket_send(s, nlh, nlh->nlmsg_len), 0);
	ssize_t n = ctune_nl_socket_recv(s, words, sizeof(words));
	ck_assert_int_gt(n, 0);
	int r = ctune_nl_cb_run(words, (size_t)n, 9, ctune_nl_socket_portid(s), NULL, NULL);
	ck_assert_int_eq(r, -ENODEV);
	ctune_nl_socket_close(s);
}
END_TEST

START_TEST(test_socket_no_such_bus)
{
	ctune_nl_socket *s = (ctune_nl_socket *)1;
	ck_assert_int_lt(ctune_nl_socket_open(31 /* MAX_LINKS - 1: nobody */, &s), 0);
	ck_assert_ptr_null(s);
}
END_TEST

/* Kernels before 2.6.27 refuse SOCK_CLOEXEC in socket() with EINVAL. */
START_TEST(test_socket_old_kernel)
{
	old_kernel = true;
	socket_calls = 0;
	ctune_nl_socket *s = NULL;
	ck_assert_int_eq(ctune_nl_socket_open(NETLINK_ROUTE, &s), 0);
	ck_assert_int_eq(socket_calls, 2); /* refused, then the plain one */
	assert_cloexec(s);
	ck_assert_int_ge(dump_links(s, 32768, 1), 1);
	ctune_nl_socket_close(s);
	old_kernel = false;
}
END_TEST

int main(void)
{
	Suite *su = suite_create("nl");
	TCase *tc = tcase_create("message");
	tcase_add_test(tc, test_msg_nfgen);
	tcase_add_test(tc, test_msg_extra_header_padded);
	suite_add_tcase(su, tc);
	tc = tcase_create("attribute");
	tcase_add_test(tc, test_attr_roundtrip);
	tcase_add_test(tc, test_attr_types_past_max_skipped_first_wins);
	tcase_add_test(tc, test_attr_put_bounds);
	tcase_add_test(tc, test_attr_nest_too_long);
	tcase_add_test(tc, test_attr_parse_truncated);
	tcase_add_test(tc, test_attr_validate);
	tcase_add_test(tc, test_attr_parse_msg_short);
	suite_add_tcase(su, tc);
	tc = tcase_create("loop");
	tcase_add_test(tc, test_loop_dump);
	tcase_add_test(tc, test_loop_single_reply);
	tcase_add_test(tc, test_loop_errors);
	tcase_add_test(tc, test_loop_mismatch);
	tcase_add_test(tc, test_loop_callback_answers);
	tcase_add_test(tc, test_loop_truncated);
	suite_add_tcase(su, tc);
	tc = tcase_create("socket");
	tcase_add_test(tc, test_socket_dump);
	tcase_add_test(tc, test_socket_truncated_datagram);
	tcase_add_test(tc, test_socket_kernel_error);
	tcase_add_test(tc, test_socket_no_such_bus);
	tcase_add_test(tc, test_socket_old_kernel);
	suite_add_tcase(su, tc);
	return tl_run(su);
}
