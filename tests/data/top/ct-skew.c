/* ct-skew.c - fill the conntrack table of the calling network namespace
 * with a skewed mix of entries over ctnetlink, for the top-talker test.
 *
 * Test helper of tests/top.test.sh (compiled there with cc and pkg-config
 * libmnl; not part of ctune).  Batches of IPCTNL_MSG_CT_NEW with an ACK for
 * each (tests/data/ctnl-batch.h, as tests/data/netns/ctfill.c), so a refused
 * entry is reported.
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

#include "../ctnl-batch.h"

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

/* 10.0.x.y / fd00:c7::N for a source, 203.0.113.N / 2001:db8:c7::N for a destination */
static void set_addr(uint8_t a[16], int family, unsigned n, int is_src)
{
	if (family == AF_INET) {
		ctnl_ipv4(a, is_src ? 0x0a000000u | (n + 1) : 0xcb007100u | (n + 1));
	} else {
		static const uint8_t src[4] = { 0xfd, 0x00, 0x00, 0xc7 }, dst[6] = { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0xc7 };
		memset(a, 0, 16);
		if (is_src)
			memcpy(a, src, sizeof(src));
		else
			memcpy(a, dst, sizeof(dst));
		a[14] = (uint8_t)((n + 1) >> 8);
		a[15] = (uint8_t)(n + 1);
	}
}

static void put_entry(struct nlmsghdr *nlh, const entry *e)
{
	ctnl_tuple t = { .family = e->family, .l4 = e->l4, .sport = e->sport, .dport = e->dport,
			 .icmp_type = e->icmp_type, .icmp_reply = e->icmp_reply };
	set_addr(t.src, e->family, e->src, 1);
	set_addr(t.dst, e->family, e->dst, 0);
	ctnl_put_tuples(nlh, &t);
	mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(7200));
	if (e->zone)
		mnl_attr_put_u16(nlh, CTA_ZONE, htons(e->zone));
	if (e->mark)
		mnl_attr_put_u32(nlh, CTA_MARK, htonl(e->mark));
	mnl_attr_put_u32(nlh, CTA_STATUS, htonl(IPS_SEEN_REPLY | IPS_ASSURED | IPS_CONFIRMED));
	if (e->l4 == IPPROTO_TCP)
		ctnl_put_tcp_state(nlh, TCP_CONNTRACK_ESTABLISHED);
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
	static ctnl_batch b;
	if (ctnl_batch_open(&b, "ct-skew", 1) < 0)
		return 1;
	for (unsigned long i = first; i < first + count; i++) {
		state = seed * UINT64_C(1000003) + i;
		entry e;
		draw(&e, (unsigned)i);
		struct nlmsghdr *nlh = ctnl_batch_entry(&b, e.family);
		if (!nlh)
			return 1;
		put_entry(nlh, &e);
		ctnl_batch_add(&b, nlh);
	}
	return ctnl_batch_end(&b);
}
