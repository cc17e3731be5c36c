/* ct-flood.c - fill the conntrack table of the calling network namespace
 * with ASSURED entries through ctnetlink, fast, for tests that need a full
 * table the kernel cannot free (tests/drops.test.sh).
 *
 *   ct-flood COUNT
 *
 * Creates COUNT IPv4 TCP entries in state ESTABLISHED with status
 * CONFIRMED | SEEN_REPLY | ASSURED and a timeout of one hour, from
 * 10.a.b.c (the entry number) to 192.0.2.1:443.  ASSURED is what matters:
 * the kernel's early drop (and its garbage collector's) only evicts entries
 * that are not assured or TCP entries that are closing, so once the table
 * holds COUNT = nf_conntrack_max of these, every new flow is dropped and
 * counted in the `drop` statistic.
 *
 * How (bench/ct-fill.c's way, over ctune's own netlink layer, so the test
 * needs no libmnl): IPCTNL_MSG_CT_NEW with NLM_F_CREATE | NLM_F_EXCL and no
 * ACK, packed into 64 KiB batches, one send per batch; the kernel answers
 * only failures, read after each batch without blocking.  A last request
 * with NLM_F_ACK is answered after everything before it, so reading up to
 * its acknowledgement sees every failure.  Prints the number created; exits
 * 1 when the kernel refused any entry (the first reason on stderr), 2 on a
 * usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "nl.h"

#define BATCH (64u * 1024u)
#define ENTRY_MAX 512u /* one request is ~150 bytes */
#define MAX_COUNT 0xffffffu

static _Alignas(4) char batch[BATCH];
static _Alignas(4) char answers[BATCH];

static void put_tuple(struct nlmsghdr *nlh, uint16_t type, uint32_t id, int reply)
{
	uint32_t client = htonl(0x0a000000u | (id & 0xffffffu)), server = htonl(0xc0000201u);
	uint16_t cport = htons((uint16_t)(1024 + id % 60000)), sport = htons(443);
	struct nlattr *t = ctune_nl_attr_nest_start(nlh, ENTRY_MAX, type);
	struct nlattr *ip = ctune_nl_attr_nest_start(nlh, ENTRY_MAX, CTA_TUPLE_IP);
	ctune_nl_attr_put_u32(nlh, ENTRY_MAX, CTA_IP_V4_SRC, reply ? server : client);
	ctune_nl_attr_put_u32(nlh, ENTRY_MAX, CTA_IP_V4_DST, reply ? client : server);
	ctune_nl_attr_nest_end(nlh, ip);
	struct nlattr *pr = ctune_nl_attr_nest_start(nlh, ENTRY_MAX, CTA_TUPLE_PROTO);
	ctune_nl_attr_put_u8(nlh, ENTRY_MAX, CTA_PROTO_NUM, IPPROTO_TCP);
	ctune_nl_attr_put_u16(nlh, ENTRY_MAX, CTA_PROTO_SRC_PORT, reply ? sport : cport);
	ctune_nl_attr_put_u16(nlh, ENTRY_MAX, CTA_PROTO_DST_PORT, reply ? cport : sport);
	ctune_nl_attr_nest_end(nlh, pr);
	ctune_nl_attr_nest_end(nlh, t);
}

/* One creation request at buf; returns its length. */
static size_t put_entry(char *buf, uint32_t id, uint32_t seq)
{
	struct nlmsghdr *nlh = ctune_nl_msg_put_nfgen(buf, NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_NEW,
						       NLM_F_CREATE | NLM_F_EXCL, seq, AF_INET, 0);
	put_tuple(nlh, CTA_TUPLE_ORIG, id, 0);
	put_tuple(nlh, CTA_TUPLE_REPLY, id, 1);
	/* CONFIRMED as `conntrack -I` sends it: a status without it is EBUSY. */
	ctune_nl_attr_put_u32(nlh, ENTRY_MAX, CTA_STATUS, htonl(IPS_CONFIRMED | IPS_SEEN_REPLY | IPS_ASSURED));
	ctune_nl_attr_put_u32(nlh, ENTRY_MAX, CTA_TIMEOUT, htonl(3600));
	struct nlattr *pi = ctune_nl_attr_nest_start(nlh, ENTRY_MAX, CTA_PROTOINFO);
	struct nlattr *tcp = ctune_nl_attr_nest_start(nlh, ENTRY_MAX, CTA_PROTOINFO_TCP);
	ctune_nl_attr_put_u8(nlh, ENTRY_MAX, CTA_PROTOINFO_TCP_STATE, TCP_CONNTRACK_ESTABLISHED);
	ctune_nl_attr_nest_end(nlh, tcp);
	ctune_nl_attr_nest_end(nlh, pi);
	return CTUNE_NL_ALIGN(nlh->nlmsg_len);
}

typedef struct answers_seen {
	unsigned long errors;
	int first_errno;
	bool done; /* the acknowledgement of the last request arrived */
} answers_seen;

/* Read what has arrived (or, when wait, up to the acknowledgement of
 * last_seq); returns 0 or -errno of the socket. */
static int read_answers(ctune_nl_socket *s, uint32_t last_seq, bool wait, answers_seen *a)
{
	while (!a->done) {
		ssize_t k = recv(ctune_nl_socket_fd(s), answers, sizeof(answers), wait ? 0 : MSG_DONTWAIT);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == ENOBUFS) { /* answers were lost: failures, surely */
			a->errors++;
			if (!a->first_errno)
				a->first_errno = ENOBUFS;
			continue;
		}
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && !wait)
			return 0;
		if (k <= 0)
			return k < 0 ? -errno : -EPROTO;
		size_t len = (size_t)k;
		for (const struct nlmsghdr *h = (const struct nlmsghdr *)answers; ctune_nl_msg_ok(h, len);
		     h = ctune_nl_msg_next(h, &len)) {
			if (h->nlmsg_type != NLMSG_ERROR || ctune_nl_msg_payload_len(h) < sizeof(struct nlmsgerr))
				continue;
			const struct nlmsgerr *e = ctune_nl_msg_payload(h);
			if (h->nlmsg_seq == last_seq) {
				a->done = true;
			} else if (e->error) {
				a->errors++;
				if (!a->first_errno)
					a->first_errno = -e->error;
			}
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	char *end;
	unsigned long count = argc == 2 ? strtoul(argv[1], &end, 10) : 0;
	if (argc != 2 || !argv[1][0] || *end || argv[1][0] == '-' || count > MAX_COUNT) {
		fprintf(stderr, "usage: ct-flood COUNT (at most %u)\n", MAX_COUNT);
		return 2;
	}
	ctune_nl_socket *s;
	int r = ctune_nl_socket_open(NETLINK_NETFILTER, &s);
	if (r < 0) {
		fprintf(stderr, "ct-flood: netlink socket: %s\n", strerror(-r));
		return 1;
	}
	int size = 8 << 20;
	(void)setsockopt(ctune_nl_socket_fd(s), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));

	answers_seen a = { 0 };
	uint32_t seq = (uint32_t)time(NULL);
	size_t used = 0;
	for (uint32_t id = 0; id < count; id++) {
		if (BATCH - used < ENTRY_MAX) {
			if ((r = ctune_nl_socket_send(s, batch, used)) < 0 || (r = read_answers(s, 0, false, &a)) < 0)
				goto fail;
			used = 0;
		}
		used += put_entry(batch + used, id, ++seq);
	}
	if (used && (r = ctune_nl_socket_send(s, batch, used)) < 0)
		goto fail;
	/* The closing request: statistics, acknowledged after everything sent. */
	uint32_t last = ++seq;
	struct nlmsghdr *nlh = ctune_nl_msg_put_nfgen(batch, NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_GET_STATS,
						       NLM_F_ACK, last, AF_UNSPEC, 0);
	if ((r = ctune_nl_socket_send(s, nlh, nlh->nlmsg_len)) < 0 || (r = read_answers(s, last, true, &a)) < 0)
		goto fail;
	ctune_nl_socket_close(s);
	if (a.errors) {
		fprintf(stderr, "ct-flood: the kernel refused %lu of %lu entries (first: %s)\n", a.errors, count,
			strerror(a.first_errno));
		return 1;
	}
	printf("%lu\n", count);
	return 0;
fail:
	fprintf(stderr, "ct-flood: netlink: %s\n", strerror(-r));
	ctune_nl_socket_close(s);
	return 1;
}
