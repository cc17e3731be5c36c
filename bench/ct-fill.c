/* ct-fill.c - fill the conntrack table of the calling network namespace
 * with a known mix of entries, fast, straight through ctnetlink.
 *
 *   ct-fill FIRST COUNT EXPECTED_FILE
 *
 * Creates COUNT entries numbered FIRST .. FIRST+COUNT-1 (so a second call
 * with FIRST = the previous total adds distinct entries) and writes the
 * summary `ctune facts --table` must then report for the entries made by
 * this call to EXPECTED_FILE as one JSON object (the bench adds calls up).
 *
 * How: IPCTNL_MSG_CT_NEW requests with NLM_F_CREATE|NLM_F_EXCL and no ACK,
 * packed back to back into 64 KiB batches, one sendto() per batch, which is
 * what makes 250,000 entries take well under a second (REFERENCE.md).  The
 * kernel still answers a failed request with an NLMSG_ERROR; those are read
 * after each batch (non-blocking) and counted, and any error fails the run
 * (tests/data/ctnl-batch.h, shared with the tests' fillers).
 * Every entry has both tuples (with the layer-3/4 numbers of the reply
 * tuple: the kernel answers EINVAL without them), a status, a timeout of two
 * hours to five days (so nothing expires while the bench runs, and none
 * near the one-day mark of long_timeout) and, for TCP, a state.
 *
 * The mix (per 1000): TCP 700 (ESTABLISHED 620, TIME_WAIT 200, SYN_SENT 60
 * unreplied, CLOSE_WAIT 40, FIN_WAIT 30, LAST_ACK 20, SYN_RECV 20, CLOSE 10
 * of the TCP share), UDP 240 (a third unreplied), ICMP 60; one entry in
 * eight is IPv6.  Addresses come from documentation/private ranges and the
 * entry number, so no two entries share a tuple.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "../tests/data/ctnl-batch.h"

#define LONG_TIMEOUT 86400u

static const struct {
	unsigned permille;
	uint8_t state;
	const char *name;
	int replied, assured;
} tcp_mix[] = {
	{ 620, TCP_CONNTRACK_ESTABLISHED, "ESTABLISHED", 1, 1 },
	{ 200, TCP_CONNTRACK_TIME_WAIT, "TIME_WAIT", 1, 1 },
	{ 60, TCP_CONNTRACK_SYN_SENT, "SYN_SENT", 0, 0 },
	{ 40, TCP_CONNTRACK_CLOSE_WAIT, "CLOSE_WAIT", 1, 1 },
	{ 30, TCP_CONNTRACK_FIN_WAIT, "FIN_WAIT", 1, 1 },
	{ 20, TCP_CONNTRACK_LAST_ACK, "LAST_ACK", 1, 1 },
	{ 20, TCP_CONNTRACK_SYN_RECV, "SYN_RECV", 1, 0 },
	{ 10, TCP_CONNTRACK_CLOSE, "CLOSE", 1, 1 },
};
#define NTCP (sizeof(tcp_mix) / sizeof(tcp_mix[0]))

struct expect {
	uint64_t total, ipv4, ipv6, tcp, udp, icmp, icmpv6, state[NTCP], assured, unreplied, long_timeout;
};

/* A deterministic hash of the entry number: the mix without a generator
 * state, so FIRST can start anywhere. */
static uint64_t mix64(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ULL;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
	return x ^ (x >> 31);
}

/* client: 10.(id>>16).(id>>8).id or fd00::id; server: 192.0.2.1 / 2001:db8::1 */
static void set_tuple(ctnl_tuple *t, int v6, uint8_t l4, uint32_t id)
{
	memset(t, 0, sizeof(*t));
	t->family = v6 ? AF_INET6 : AF_INET;
	t->l4 = l4;
	if (!v6) {
		ctnl_ipv4(t->src, 0x0a000000u | (id & 0xffffffu));
		ctnl_ipv4(t->dst, 0xc0000201u);
	} else {
		t->src[0] = 0xfd;
		t->src[12] = (uint8_t)(id >> 24);
		t->src[13] = (uint8_t)(id >> 16);
		t->src[14] = (uint8_t)(id >> 8);
		t->src[15] = (uint8_t)id;
		t->dst[0] = 0x20;
		t->dst[1] = 0x01;
		t->dst[2] = 0x0d;
		t->dst[3] = 0xb8;
		t->dst[15] = 1;
	}
	if (l4 == IPPROTO_ICMP || l4 == IPPROTO_ICMPV6) {
		t->sport = (uint16_t)id; /* the echo id */
		t->icmp_type = l4 == IPPROTO_ICMP ? 8 : 128;
		t->icmp_reply = l4 == IPPROTO_ICMP ? 0 : 129;
	} else {
		t->sport = (uint16_t)(1024 + id % 60000);
		t->dport = l4 == IPPROTO_TCP ? 443 : 53;
	}
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: ct-fill FIRST COUNT EXPECTED_FILE\n");
		return 2;
	}
	uint32_t first = (uint32_t)strtoul(argv[1], NULL, 10), count = (uint32_t)strtoul(argv[2], NULL, 10);
	if ((uint64_t)first + count > 0xffffffu) {
		fprintf(stderr, "ct-fill: at most 16M entries\n");
		return 2;
	}
	static ctnl_batch b;
	if (ctnl_batch_open(&b, "ct-fill", 0) < 0)
		return 1;
	struct expect x;
	memset(&x, 0, sizeof(x));

	for (uint32_t id = first; id < first + count; id++) {
		uint64_t h = mix64(id);
		int v6 = (h & 7) == 0;
		unsigned r = (unsigned)((h >> 8) % 1000);
		uint8_t l4 = r < 700 ? IPPROTO_TCP : r < 940 ? IPPROTO_UDP : v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
		int replied = 1, assured = 0;
		size_t st = 0;
		if (l4 == IPPROTO_TCP) {
			unsigned w = (unsigned)((h >> 20) % 1000), acc = 0;
			for (st = 0; st < NTCP - 1; st++) {
				acc += tcp_mix[st].permille;
				if (w < acc)
					break;
			}
			replied = tcp_mix[st].replied;
			assured = tcp_mix[st].assured;
		} else {
			unsigned k = (unsigned)((h >> 20) % 3);
			replied = k != 0;
			assured = k == 2 && l4 == IPPROTO_UDP;
		}
		uint32_t timeout = 7200u + (uint32_t)((h >> 32) % (432000u - 7200u));
		/* none within two hours of the one-day mark, so long_timeout
		 * stays what is counted here while the bench runs */
		if (timeout > LONG_TIMEOUT - 7200u && timeout <= LONG_TIMEOUT + 7200u)
			timeout += 14400u;

		struct nlmsghdr *nlh = ctnl_batch_entry(&b, v6 ? AF_INET6 : AF_INET);
		if (!nlh)
			return 1;
		ctnl_tuple t;
		set_tuple(&t, v6, l4, id);
		ctnl_put_tuples(nlh, &t);
		/* IPS_CONFIRMED as `conntrack -I` sends it: the kernel refuses a
		 * status that would clear it with EBUSY */
		mnl_attr_put_u32(nlh, CTA_STATUS,
				 htonl(IPS_CONFIRMED | (replied ? IPS_SEEN_REPLY : 0) | (assured ? IPS_ASSURED : 0)));
		mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(timeout));
		if (l4 == IPPROTO_TCP)
			ctnl_put_tcp_state(nlh, tcp_mix[st].state);
		ctnl_batch_add(&b, nlh);

		x.total++;
		if (v6)
			x.ipv6++;
		else
			x.ipv4++;
		if (l4 == IPPROTO_TCP) {
			x.tcp++;
			x.state[st]++;
		} else if (l4 == IPPROTO_UDP) {
			x.udp++;
		} else if (l4 == IPPROTO_ICMP) {
			x.icmp++;
		} else {
			x.icmpv6++;
		}
		x.assured += assured;
		x.unreplied += !replied;
		x.long_timeout += timeout > LONG_TIMEOUT;
	}
	if (ctnl_batch_finish(&b) < 0)
		return 1;
	if (b.refused) {
		fprintf(stderr, "ct-fill: the kernel refused %lu of %" PRIu32 " entries (first error: %s)\n", b.refused,
			count, strerror(b.first_errno));
		return 1;
	}

	FILE *f = fopen(argv[3], "w");
	if (!f) {
		perror(argv[3]);
		return 1;
	}
	fprintf(f,
		"{\"total\": %" PRIu64 ", \"family\": {\"ipv4\": %" PRIu64 ", \"ipv6\": %" PRIu64
		", \"other\": 0}, \"protocol\": {\"tcp\": %" PRIu64 ", \"udp\": %" PRIu64 ", \"udplite\": 0, "
		"\"icmp\": %" PRIu64 ", \"icmpv6\": %" PRIu64 ", \"sctp\": 0, \"dccp\": 0, \"gre\": 0, \"other\": 0}, "
		"\"tcp_state\": {",
		x.total, x.ipv4, x.ipv6, x.tcp, x.udp, x.icmp, x.icmpv6);
	for (size_t i = 0; i < NTCP; i++)
		fprintf(f, "%s\"%s\": %" PRIu64, i ? ", " : "", tcp_mix[i].name, x.state[i]);
	fprintf(f,
		"}, \"assured\": %" PRIu64 ", \"unreplied\": %" PRIu64 ", \"offload\": 0, \"long_timeout\": %" PRIu64
		", \"malformed\": 0}\n",
		x.assured, x.unreplied, x.long_timeout);
	return fclose(f) == 0 ? 0 : 1;
}
