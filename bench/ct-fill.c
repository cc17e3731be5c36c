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
 * after each batch (non-blocking) and counted, and any error fails the run.
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
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#define BATCH (64u * 1024u)
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

static void put_addrs(struct nlmsghdr *nlh, int v6, uint32_t id, int reply)
{
	/* client: 10.(id>>16).(id>>8).id or fd00::id; server: 192.0.2.1 / 2001:db8::1 */
	struct nlattr *ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	if (!v6) {
		uint32_t client = htonl(0x0a000000u | (id & 0xffffffu)), server = htonl(0xc0000201u);
		mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, reply ? server : client);
		mnl_attr_put_u32(nlh, CTA_IP_V4_DST, reply ? client : server);
	} else {
		struct in6_addr client = { 0 }, server = { 0 };
		client.s6_addr[0] = 0xfd;
		client.s6_addr[12] = (uint8_t)(id >> 24);
		client.s6_addr[13] = (uint8_t)(id >> 16);
		client.s6_addr[14] = (uint8_t)(id >> 8);
		client.s6_addr[15] = (uint8_t)id;
		server.s6_addr[0] = 0x20;
		server.s6_addr[1] = 0x01;
		server.s6_addr[2] = 0x0d;
		server.s6_addr[3] = 0xb8;
		server.s6_addr[15] = 1;
		mnl_attr_put(nlh, CTA_IP_V6_SRC, 16, reply ? &server : &client);
		mnl_attr_put(nlh, CTA_IP_V6_DST, 16, reply ? &client : &server);
	}
	mnl_attr_nest_end(nlh, ip);
}

static void put_tuple(struct nlmsghdr *nlh, int type, int v6, uint8_t l4, uint32_t id, int reply)
{
	struct nlattr *t = mnl_attr_nest_start(nlh, (uint16_t)type);
	put_addrs(nlh, v6, id, reply);
	struct nlattr *pr = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, l4);
	uint16_t cport = htons((uint16_t)(1024 + id % 60000)), sport = htons(l4 == IPPROTO_TCP ? 443 : 53);
	if (l4 == IPPROTO_ICMP) {
		mnl_attr_put_u16(nlh, CTA_PROTO_ICMP_ID, htons((uint16_t)id));
		mnl_attr_put_u8(nlh, CTA_PROTO_ICMP_TYPE, reply ? 0 : 8);
		mnl_attr_put_u8(nlh, CTA_PROTO_ICMP_CODE, 0);
	} else if (l4 == IPPROTO_ICMPV6) {
		mnl_attr_put_u16(nlh, CTA_PROTO_ICMPV6_ID, htons((uint16_t)id));
		mnl_attr_put_u8(nlh, CTA_PROTO_ICMPV6_TYPE, reply ? 129 : 128);
		mnl_attr_put_u8(nlh, CTA_PROTO_ICMPV6_CODE, 0);
	} else {
		mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, reply ? sport : cport);
		mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, reply ? cport : sport);
	}
	mnl_attr_nest_end(nlh, pr);
	mnl_attr_nest_end(nlh, t);
}

/* Read the error answers that arrived so far; returns how many. */
static unsigned long drain_errors(struct mnl_socket *nl, int *first_errno)
{
	static char buf[BATCH];
	unsigned long errors = 0;
	for (;;) {
		ssize_t k = recv(mnl_socket_get_fd(nl), buf, sizeof(buf), MSG_DONTWAIT);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == ENOBUFS) { /* answers were dropped: surely errors */
			errors++;
			if (!*first_errno)
				*first_errno = ENOBUFS;
			continue;
		}
		if (k <= 0)
			return errors;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; mnl_nlmsg_ok(h, (int)k);
		     h = mnl_nlmsg_next(h, (int *)&k)) {
			if (h->nlmsg_type != NLMSG_ERROR)
				continue;
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);
			if (e->error) {
				errors++;
				if (!*first_errno)
					*first_errno = -e->error;
			}
		}
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
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("ct-fill: netlink socket");
		return 1;
	}
	int size = 8 << 20;
	(void)setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));

	static char batch[BATCH];
	size_t used = 0;
	unsigned long errors = 0;
	int first_errno = 0;
	struct expect x;
	memset(&x, 0, sizeof(x));
	unsigned seq = (unsigned)time(NULL);

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

		if (BATCH - used < 512) {
			if (mnl_socket_sendto(nl, batch, used) < 0) {
				perror("ct-fill: send");
				return 1;
			}
			used = 0;
			errors += drain_errors(nl, &first_errno);
		}
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(batch + used);
		nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
		nlh->nlmsg_seq = ++seq;
		struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
		nfg->nfgen_family = v6 ? AF_INET6 : AF_INET;
		nfg->version = NFNETLINK_V0;
		nfg->res_id = 0;
		put_tuple(nlh, CTA_TUPLE_ORIG, v6, l4, id, 0);
		put_tuple(nlh, CTA_TUPLE_REPLY, v6, l4, id, 1);
		/* IPS_CONFIRMED as `conntrack -I` sends it: the kernel refuses a
		 * status that would clear it with EBUSY */
		mnl_attr_put_u32(nlh, CTA_STATUS,
				 htonl(IPS_CONFIRMED | (replied ? IPS_SEEN_REPLY : 0) | (assured ? IPS_ASSURED : 0)));
		mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(timeout));
		if (l4 == IPPROTO_TCP) {
			struct nlattr *pi = mnl_attr_nest_start(nlh, CTA_PROTOINFO);
			struct nlattr *tcp = mnl_attr_nest_start(nlh, CTA_PROTOINFO_TCP);
			mnl_attr_put_u8(nlh, CTA_PROTOINFO_TCP_STATE, tcp_mix[st].state);
			mnl_attr_nest_end(nlh, tcp);
			mnl_attr_nest_end(nlh, pi);
		}
		used += nlh->nlmsg_len;

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
	if (used && mnl_socket_sendto(nl, batch, used) < 0) {
		perror("ct-fill: send");
		return 1;
	}
	/* The last answers may still be on their way: a cheap request with an
	 * ACK, answered after everything before it, closes the stream. */
	char req[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET_STATS;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++seq;
	struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		perror("ct-fill: send");
		return 1;
	}
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	nanosleep(&pause, NULL);
	errors += drain_errors(nl, &first_errno);
	mnl_socket_close(nl);
	if (errors) {
		fprintf(stderr, "ct-fill: the kernel refused %lu of %" PRIu32 " entries (first error: %s)\n", errors,
			count, strerror(first_errno));
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
