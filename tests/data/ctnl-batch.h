/* ctnl-batch.h - create conntrack entries over ctnetlink in batches, with
 * libmnl.  Header-only helper shared by the programs that fill a table for
 * a test or the bench: bench/ct-fill.c, tests/data/netns/ctfill.c and
 * tests/data/top/ct-skew.c (each keeps its own mix of entries; this file
 * is the wire side).  Not part of ctune.
 *
 * IPCTNL_MSG_CT_NEW requests with NLM_F_CREATE | NLM_F_EXCL are packed back
 * to back into 64 KiB batches, one sendto() per batch.  With ack set every
 * request asks for an acknowledgement and each batch waits for all of them
 * (a refused entry is reported by number); without it the kernel answers
 * only failures, read after each batch without blocking.  Either way the
 * last request is a statistics request with NLM_F_ACK: the kernel answers
 * it after everything before it, so reading up to its acknowledgement sees
 * every answer.
 *
 *   static ctnl_batch b;
 *   if (ctnl_batch_open(&b, "prog", ack) < 0) ...
 *   for (...) {
 *       struct nlmsghdr *nlh = ctnl_batch_entry(&b, family);
 *       if (!nlh) ...;                    (a send or read failed, said on stderr)
 *       ctnl_put_tuples(nlh, &tuple); ... other attributes ...
 *       ctnl_batch_add(&b, nlh);
 *   }
 *   if (ctnl_batch_finish(&b) < 0) ...;   then b.sent, b.refused, b.first_errno
 *   (or return ctnl_batch_end(&b);        which says "created N")
 */
#ifndef CTNL_BATCH_H
#define CTNL_BATCH_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

#define CTNL_BATCH_SIZE (64u * 1024u)
#define CTNL_ENTRY_MAX 512u /* room one request may take; they are ~150 bytes */
#define CTNL_REPORT_MAX 5u  /* refusals told on stderr one by one */

typedef struct ctnl_batch {
	struct mnl_socket *sock;
	const char *prog; /* prefix of the messages on stderr */
	int ack;          /* an acknowledgement for every entry */
	size_t used;      /* bytes of buf holding requests not sent yet */
	uint32_t seq;     /* the last sequence number used; entry n has n + 1 */
	uint32_t close_seq;
	unsigned long pending; /* answers still expected */
	unsigned long sent, refused;
	int first_errno; /* the first refusal's reason */
	_Alignas(8) char buf[CTNL_BATCH_SIZE];
} ctnl_batch;

/* One side of an entry: the original direction.  The reply tuple is the
 * same with addresses and ports swapped and icmp_reply for icmp_type. */
typedef struct ctnl_tuple {
	int family;                  /* AF_INET or AF_INET6 */
	uint8_t l4;                  /* IPPROTO_* */
	uint8_t src[16], dst[16];    /* network order; IPv4 in the first 4 bytes */
	uint16_t sport, dport;       /* host order; ICMP/ICMPv6: sport is the id */
	uint8_t icmp_type, icmp_reply;
} ctnl_tuple;

static inline void ctnl_ipv4(uint8_t addr[16], uint32_t host_order)
{
	uint32_t n = htonl(host_order);
	memset(addr, 0, 16);
	memcpy(addr, &n, sizeof(n));
}

static inline void ctnl_refusal(ctnl_batch *b, uint32_t seq, int err)
{
	if (b->refused < CTNL_REPORT_MAX && seq)
		fprintf(stderr, "%s: entry %lu refused: %s\n", b->prog, (unsigned long)seq - 1, strerror(err));
	else if (b->refused < CTNL_REPORT_MAX)
		fprintf(stderr, "%s: answers lost: %s\n", b->prog, strerror(err));
	if (!b->refused)
		b->first_errno = err;
	b->refused++;
}

/* Read the answers that have arrived; with block, until none is pending.
 * Returns 0, or -1 after saying why on stderr. */
static inline int ctnl_batch_read(ctnl_batch *b, int block)
{
	static _Alignas(8) char answers[256 * 1024];
	while (!block || b->pending) {
		ssize_t k = recv(mnl_socket_get_fd(b->sock), answers, sizeof(answers), block ? 0 : MSG_DONTWAIT);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && !block && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (k < 0 && errno == ENOBUFS && !b->ack) {
			/* answers were dropped: only failures are sent, so surely some */
			ctnl_refusal(b, 0, ENOBUFS);
			continue;
		}
		if (k <= 0) {
			fprintf(stderr, "%s: reading answers: %s\n", b->prog, k < 0 ? strerror(errno) : "end of stream");
			return -1;
		}
		int len = (int)k;
		for (const struct nlmsghdr *h = (const struct nlmsghdr *)answers; mnl_nlmsg_ok(h, len);
		     h = mnl_nlmsg_next(h, &len)) {
			if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_seq == 0 || h->nlmsg_seq > b->seq ||
			    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
				continue;
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);
			if (h->nlmsg_seq == b->close_seq) {
				b->pending--;
				continue;
			}
			if (e->error)
				ctnl_refusal(b, h->nlmsg_seq, -e->error);
			if (b->ack && b->pending)
				b->pending--;
		}
	}
	return 0;
}

static inline int ctnl_batch_send(ctnl_batch *b, const void *buf, size_t len)
{
	if (mnl_socket_sendto(b->sock, buf, len) < 0) {
		fprintf(stderr, "%s: send: %s\n", b->prog, strerror(errno));
		return -1;
	}
	return 0;
}

/* Send what is batched and read its answers (waiting for them with ack). */
static inline int ctnl_batch_flush(ctnl_batch *b)
{
	if (!b->used)
		return 0;
	if (ctnl_batch_send(b, b->buf, b->used) < 0)
		return -1;
	b->used = 0;
	return ctnl_batch_read(b, b->ack);
}

/* Returns 0, or -1 after saying why on stderr. */
static inline int ctnl_batch_open(ctnl_batch *b, const char *prog, int ack)
{
	memset(b, 0, sizeof(*b));
	b->prog = prog;
	b->ack = ack;
	b->sock = mnl_socket_open(NETLINK_NETFILTER);
	if (!b->sock || mnl_socket_bind(b->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		fprintf(stderr, "%s: netlink socket: %s\n", prog, strerror(errno));
		if (b->sock)
			mnl_socket_close(b->sock);
		b->sock = NULL;
		return -1;
	}
	int one = 1;
	(void)mnl_socket_setsockopt(b->sock, NETLINK_CAP_ACK, &one, sizeof(one)); /* short answers; optional */
	int rcv = 8 << 20;
#ifdef SO_RCVBUFFORCE /* _GNU_SOURCE; beyond rmem_max for root */
	if (setsockopt(mnl_socket_get_fd(b->sock), SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) == 0)
		return 0;
#endif
	(void)setsockopt(mnl_socket_get_fd(b->sock), SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	return 0;
}

/* Start the next creation request (sending the batch first when it is
 * full); NULL when that send failed. */
static inline struct nlmsghdr *ctnl_batch_entry(ctnl_batch *b, int family)
{
	if (CTNL_BATCH_SIZE - b->used < CTNL_ENTRY_MAX && ctnl_batch_flush(b) < 0)
		return NULL;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(b->buf + b->used);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | (b->ack ? NLM_F_ACK : 0);
	nlh->nlmsg_seq = ++b->seq;
	struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = (uint8_t)family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

/* The request started by ctnl_batch_entry is complete. */
static inline void ctnl_batch_add(ctnl_batch *b, const struct nlmsghdr *nlh)
{
	b->used += MNL_ALIGN(nlh->nlmsg_len);
	b->sent++;
	if (b->ack)
		b->pending++;
}

/* Send the rest, then the closing request, and read every answer; closes
 * the socket.  Returns 0 (refusals are in b->refused), or -1 after saying
 * why on stderr. */
static inline int ctnl_batch_finish(ctnl_batch *b)
{
	int r = ctnl_batch_flush(b);
	if (r == 0) {
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(b->buf);
		nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET_STATS;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
		nlh->nlmsg_seq = b->close_seq = ++b->seq;
		struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
		nfg->nfgen_family = AF_UNSPEC;
		nfg->version = NFNETLINK_V0;
		nfg->res_id = 0;
		b->pending++;
		r = ctnl_batch_send(b, nlh, nlh->nlmsg_len);
		if (r == 0)
			r = ctnl_batch_read(b, 1);
	}
	mnl_socket_close(b->sock);
	b->sock = NULL;
	return r;
}

/* ctnl_batch_finish for the tests' fillers: "created N" on stdout, the
 * count of refusals on stderr; returns the exit status (0: every entry
 * made). */
static inline int ctnl_batch_end(ctnl_batch *b)
{
	const char *prog = b->prog;
	if (ctnl_batch_finish(b) < 0)
		return 1;
	printf("created %lu\n", b->sent - b->refused);
	if (b->refused) {
		fprintf(stderr, "%s: %lu of %lu entries refused\n", prog, b->refused, b->sent);
		return 1;
	}
	return 0;
}

static inline void ctnl_put_addrs(struct nlmsghdr *nlh, const ctnl_tuple *t, int reply)
{
	const uint8_t *src = reply ? t->dst : t->src, *dst = reply ? t->src : t->dst;
	struct nlattr *ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	if (t->family == AF_INET) {
		mnl_attr_put(nlh, CTA_IP_V4_SRC, 4, src);
		mnl_attr_put(nlh, CTA_IP_V4_DST, 4, dst);
	} else {
		mnl_attr_put(nlh, CTA_IP_V6_SRC, 16, src);
		mnl_attr_put(nlh, CTA_IP_V6_DST, 16, dst);
	}
	mnl_attr_nest_end(nlh, ip);
}

static inline void ctnl_put_tuple(struct nlmsghdr *nlh, uint16_t type, const ctnl_tuple *t, int reply)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, type);
	ctnl_put_addrs(nlh, t, reply);
	struct nlattr *p = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, t->l4);
	switch (t->l4) {
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6: {
		int v6 = t->l4 == IPPROTO_ICMPV6;
		mnl_attr_put_u16(nlh, v6 ? CTA_PROTO_ICMPV6_ID : CTA_PROTO_ICMP_ID, htons(t->sport));
		mnl_attr_put_u8(nlh, v6 ? CTA_PROTO_ICMPV6_TYPE : CTA_PROTO_ICMP_TYPE,
				reply ? t->icmp_reply : t->icmp_type);
		mnl_attr_put_u8(nlh, v6 ? CTA_PROTO_ICMPV6_CODE : CTA_PROTO_ICMP_CODE, 0);
		break;
	}
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
	case IPPROTO_GRE:
		mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(reply ? t->dport : t->sport));
		mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(reply ? t->sport : t->dport));
		break;
	default: /* the generic tracker: addresses only */
		break;
	}
	mnl_attr_nest_end(nlh, p);
	mnl_attr_nest_end(nlh, nest);
}

/* Both tuples; the kernel answers EINVAL without the reply one. */
static inline void ctnl_put_tuples(struct nlmsghdr *nlh, const ctnl_tuple *t)
{
	ctnl_put_tuple(nlh, CTA_TUPLE_ORIG, t, 0);
	ctnl_put_tuple(nlh, CTA_TUPLE_REPLY, t, 1);
}

static inline void ctnl_put_tcp_state(struct nlmsghdr *nlh, uint8_t state)
{
	struct nlattr *pi = mnl_attr_nest_start(nlh, CTA_PROTOINFO);
	struct nlattr *tcp = mnl_attr_nest_start(nlh, CTA_PROTOINFO_TCP);
	mnl_attr_put_u8(nlh, CTA_PROTOINFO_TCP_STATE, state);
	mnl_attr_nest_end(nlh, tcp);
	mnl_attr_nest_end(nlh, pi);
}

#endif
