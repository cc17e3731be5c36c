/* ct-skew.c - fill the conntrack table of the calling network namespace
 * with a skewed mix of entries over ctnetlink, for the top-talker test.
 *
 * Test helper of tests/top.test.sh (compiled there with cc and pkg-config
 * libmnl; not part of ctune).  Batches of IPCTNL_MSG_CT_NEW with an ACK for
 * each (as tests/data/netns/ctfill.c), so a refused entry is reported.
 *
 *   ct-skew FIRST COUNT SEED
 *
 * Entry i (FIRST <= i < FIRST + COUNT, at most 64000 in all) is drawn from
 * a generator seeded with SEED and i, so the same arguments make the same
 * table:
 *   family    one in five IPv6;
 *   source    Zipf-like over 4000 addresses (10.x.y.z / fd00:c7::N): a few
 *             sources hold most of the table, thousands hold one entry;
 *   dest      Zipf-like over 60 addresses (203.0.113.N / 2001:db8:c7::N);
 *   protocol  TCP 70% (dport 443 half of them, 80, 22, 8080, then a long
 *             tail), UDP 22% (53, 123, tail), ICMP/ICMPv6 6% (echo, one in
 *             ten timestamp / node information), GRE 2%;
 *   zone      0 (85%), 1 (10%), 7 (5%); mark 0, 16, 32, then 50 rare ones.
 * The source port (ICMP id) is 1024 + i % 64000, so no two entries share a
 * tuple.  Prints "created N"; exit 0 when every entry was acknowledged.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

static uint64_t state;

static uint64_t rnd(void)
{
	uint64_t z = (state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* rank in [0, n), density about 1/(rank + 1) */
static unsigned zipf(unsigned n)
{
	double u = (double)(rnd() >> 11) / 9007199254740992.0;
	unsigned r = (unsigned)(exp(u * log((double)n + 1)) - 1);
	return r < n ? r : n - 1;
}

typedef struct entry {
	int family;
	uint8_t l4;
	unsigned src, dst;
	uint16_t sport, dport;
	uint8_t icmp_type, icmp_reply;
	uint16_t zone;
	uint32_t mark;
} entry;

static void draw(entry *e, unsigned i)
{
	unsigned r = (unsigned)(rnd() % 100);
	memset(e, 0, sizeof(*e));
	e->family = i % 5 == 4 ? AF_INET6 : AF_INET;
	e->src = zipf(4000);
	e->dst = zipf(60);
	e->sport = (uint16_t)(1024 + i % 64000);
	if (r < 70) {
		unsigned t = (unsigned)(rnd() % 100);
		e->l4 = IPPROTO_TCP;
		e->dport = t < 50 ? 443 : t < 70 ? 80 : t < 78 ? 22 : t < 83 ? 8080 : (uint16_t)(1 + rnd() % 2000);
	} else if (r < 92) {
		unsigned t = (unsigned)(rnd() % 100);
		e->l4 = IPPROTO_UDP;
		e->dport = t < 60 ? 53 : t < 75 ? 123 : (uint16_t)(1 + rnd() % 3000);
	} else if (r < 98) {
		int v6 = e->family == AF_INET6;
		int rare = rnd() % 10 == 0;
		e->l4 = v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
		e->icmp_type = (uint8_t)(v6 ? (rare ? 139 : 128) : (rare ? 13 : 8));
		e->icmp_reply = (uint8_t)(v6 ? (rare ? 140 : 129) : (rare ? 14 : 0));
	} else {
		e->l4 = IPPROTO_GRE;
		e->dport = 0;
	}
	unsigned z = (unsigned)(rnd() % 100);
	e->zone = (uint16_t)(z < 85 ? 0 : z < 95 ? 1 : 7);
	unsigned m = (unsigned)(rnd() % 100);
	e->mark = m < 60 ? 0 : m < 80 ? 16 : m < 90 ? 32 : 1000 + (uint32_t)(rnd() % 50);
}

static void put_addr(struct nlmsghdr *nlh, uint16_t type, int family, unsigned n, int is_src)
{
	if (family == AF_INET) {
		uint32_t a = is_src ? 0x0a000000u | (n + 1) : 0xcb007100u | (n + 1); /* 10.0.x.y / 203.0.113.N */
		mnl_attr_put_u32(nlh, type, htonl(a));
	} else {
		uint8_t a[16] = { 0xfd, 0x00, 0x00, 0xc7 };
		if (!is_src) {
			static const uint8_t p[6] = { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0xc7 };
			memcpy(a, p, sizeof(p));
		}
		a[14] = (uint8_t)((n + 1) >> 8);
		a[15] = (uint8_t)(n + 1);
		mnl_attr_put(nlh, type, 16, a);
	}
}

static void put_tuple(struct nlmsghdr *nlh, uint16_t type, const entry *e, int orig)
{
	struct nlattr *t = mnl_attr_nest_start(nlh, type);
	struct nlattr *ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	int v6 = e->family == AF_INET6;
	put_addr(nlh, v6 ? CTA_IP_V6_SRC : CTA_IP_V4_SRC, e->family, orig ? e->src : e->dst, orig);
	put_addr(nlh, v6 ? CTA_IP_V6_DST : CTA_IP_V4_DST, e->family, orig ? e->dst : e->src, !orig);
	mnl_attr_nest_end(nlh, ip);
	struct nlattr *p = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, e->l4);
	if (e->l4 == IPPROTO_ICMP || e->l4 == IPPROTO_ICMPV6) {
		int i6 = e->l4 == IPPROTO_ICMPV6;
		mnl_attr_put_u16(nlh, i6 ? CTA_PROTO_ICMPV6_ID : CTA_PROTO_ICMP_ID, htons(e->sport));
		mnl_attr_put_u8(nlh, i6 ? CTA_PROTO_ICMPV6_TYPE : CTA_PROTO_ICMP_TYPE,
				orig ? e->icmp_type : e->icmp_reply);
		mnl_attr_put_u8(nlh, i6 ? CTA_PROTO_ICMPV6_CODE : CTA_PROTO_ICMP_CODE, 0);
	} else {
		mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(orig ? e->sport : e->dport));
		mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(orig ? e->dport : e->sport));
	}
	mnl_attr_nest_end(nlh, p);
	mnl_attr_nest_end(nlh, t);
}

static void put_entry(struct nlmsghdr *nlh, const entry *e)
{
	put_tuple(nlh, CTA_TUPLE_ORIG, e, 1);
	put_tuple(nlh, CTA_TUPLE_REPLY, e, 0);
	mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(7200));
	if (e->zone)
		mnl_attr_put_u16(nlh, CTA_ZONE, htons(e->zone));
	if (e->mark)
		mnl_attr_put_u32(nlh, CTA_MARK, htonl(e->mark));
	mnl_attr_put_u32(nlh, CTA_STATUS, htonl(IPS_SEEN_REPLY | IPS_ASSURED | IPS_CONFIRMED));
	if (e->l4 == IPPROTO_TCP) {
		struct nlattr *pi = mnl_attr_nest_start(nlh, CTA_PROTOINFO);
		struct nlattr *tcp = mnl_attr_nest_start(nlh, CTA_PROTOINFO_TCP);
		mnl_attr_put_u8(nlh, CTA_PROTOINFO_TCP_STATE, TCP_CONNTRACK_ESTABLISHED);
		mnl_attr_nest_end(nlh, tcp);
		mnl_attr_nest_end(nlh, pi);
	}
}

static int collect_acks(struct mnl_socket *sock, uint32_t first, uint32_t last, unsigned *refused)
{
	static char buf[256 * 1024];
	uint32_t pending = last - first + 1;
	while (pending) {
		ssize_t n = mnl_socket_recvfrom(sock, buf, sizeof(buf));
		if (n < 0) {
			fprintf(stderr, "ct-skew: reading ACKs: %s\n", strerror(errno));
			return -1;
		}
		int len = (int)n;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; mnl_nlmsg_ok(h, len); h = mnl_nlmsg_next(h, &len)) {
			if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_seq < first || h->nlmsg_seq > last)
				continue;
			const struct nlmsgerr *er = mnl_nlmsg_get_payload(h);
			if (er->error) {
				if (*refused < 5)
					fprintf(stderr, "ct-skew: entry refused: %s\n", strerror(-er->error));
				++*refused;
			}
			pending--;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: ct-skew FIRST COUNT SEED\n");
		return 2;
	}
	unsigned long first = strtoul(argv[1], NULL, 10), count = strtoul(argv[2], NULL, 10);
	uint64_t seed = strtoull(argv[3], NULL, 10);
	if (first + count > 64000) {
		fprintf(stderr, "ct-skew: at most 64000 entries in all\n");
		return 2;
	}
	struct mnl_socket *sock = mnl_socket_open(NETLINK_NETFILTER);
	if (!sock || mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		fprintf(stderr, "ct-skew: netlink socket: %s\n", strerror(errno));
		return 1;
	}
	int one = 1;
	mnl_socket_setsockopt(sock, NETLINK_CAP_ACK, &one, sizeof(one));
	int rcv = 4 << 20;
	if (setsockopt(mnl_socket_get_fd(sock), SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) < 0)
		setsockopt(mnl_socket_get_fd(sock), SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));

	static char batch[64 * 1024];
	size_t used = 0;
	uint32_t seq = 0, batch_first = 1;
	unsigned refused = 0, sent = 0;
	for (unsigned long i = first; i < first + count; i++) {
		state = seed * UINT64_C(1000003) + i;
		entry e;
		draw(&e, (unsigned)i);
		if (used + 512 > sizeof(batch)) {
			if (mnl_socket_sendto(sock, batch, used) < 0 || collect_acks(sock, batch_first, seq, &refused) < 0)
				return 1;
			used = 0;
			batch_first = seq + 1;
		}
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(batch + used);
		nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
		nlh->nlmsg_seq = ++seq;
		struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
		nfg->nfgen_family = (uint8_t)e.family;
		nfg->version = NFNETLINK_V0;
		put_entry(nlh, &e);
		used += nlh->nlmsg_len;
		sent++;
	}
	if (used && (mnl_socket_sendto(sock, batch, used) < 0 || collect_acks(sock, batch_first, seq, &refused) < 0))
		return 1;
	mnl_socket_close(sock);
	printf("created %u\n", sent - refused);
	if (refused) {
		fprintf(stderr, "ct-skew: %u of %u entries refused\n", refused, sent);
		return 1;
	}
	return 0;
}
