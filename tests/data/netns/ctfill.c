/* ctfill.c - create many conntrack entries over ctnetlink, fast.
 *
 * Test helper of tests/netns-paths.test.sh (compiled by that test with cc and
 * pkg-config libmnl; not part of ctune).  `conntrack -I` costs a process and
 * a round trip per entry; this sends batches of IPCTNL_MSG_CT_NEW messages
 * in one sendmsg() each (up to 64 KiB) and then reads the kernel's ACK for
 * every message, so a refused entry is reported, never silently missing.
 *
 * Input on stdin, one line per kind of entry (blank lines and # comments
 * are skipped):
 *
 *   COUNT FAMILY PROTO STATE FLAGS TIMEOUT [ZONE]
 *
 *   FAMILY  ipv4 | ipv6
 *   PROTO   tcp | udp | udplite | icmp | icmpv6 | sctp | gre | a number
 *           (any other layer-4 protocol: the kernel's generic tracker)
 *   STATE   a TCP state name (NONE SYN_SENT SYN_RECV ESTABLISHED FIN_WAIT
 *           CLOSE_WAIT LAST_ACK TIME_WAIT CLOSE SYN_SENT2), an SCTP state
 *           name (CLOSED COOKIE_WAIT COOKIE_ECHOED ESTABLISHED ...), or -
 *   FLAGS   - no status bit (the kernel lists it [UNREPLIED]);
 *           R SEEN_REPLY; A SEEN_REPLY|ASSURED; U ASSURED alone
 *           ([UNREPLIED] ... [ASSURED])
 *   TIMEOUT seconds
 *   ZONE    conntrack zone (CTA_ZONE), default 0
 *
 * Addresses: line L (0-based, < 250) gets its own destination,
 * 203.0.113.L+1 or 2001:db8:c7::L+1, and entry i of the line
 * (i < 60000) the source 10.L.i/256.i%256 or fd00:c7::L:i with source
 * port / ICMP id 1024+i, so no two entries of the input collide.
 *
 * Output: "created N" on stdout.  Exit 0 when every entry was acknowledged,
 * 1 with the first refusals on stderr otherwise, 2 on bad input.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

typedef struct kind {
	int family;
	uint8_t l4;
	int state; /* -1: none */
	uint32_t status;
	uint32_t timeout;
	uint16_t zone;
	unsigned count;
	unsigned line;
} kind;

static const char *const tcp_states[] = { "NONE",      "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT",
					  "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE",      "SYN_SENT2" };
static const char *const sctp_states[] = { "NONE",          "CLOSED",        "COOKIE_WAIT",       "COOKIE_ECHOED",
					   "ESTABLISHED",   "SHUTDOWN_SENT", "SHUTDOWN_RECD",
					   "SHUTDOWN_ACK_SENT", "HEARTBEAT_SENT" };

static int lookup(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return -2;
}

static int parse_kind(char *line, unsigned lineno, kind *k)
{
	char fam[16], proto[16], state[32], flags[8];
	unsigned count, timeout, zone = 0;
	int n = sscanf(line, "%u %15s %15s %31s %7s %u %u", &count, fam, proto, state, flags, &timeout, &zone);
	if (n != 6 && n != 7) {
		fprintf(stderr, "ctfill: line %u: expected COUNT FAMILY PROTO STATE FLAGS TIMEOUT [ZONE]\n", lineno);
		return -1;
	}
	if (zone > 65535) {
		fprintf(stderr, "ctfill: line %u: zone %u\n", lineno, zone);
		return -1;
	}
	memset(k, 0, sizeof(*k));
	k->count = count;
	k->timeout = timeout;
	k->zone = (uint16_t)zone;
	if (strcmp(fam, "ipv4") == 0)
		k->family = AF_INET;
	else if (strcmp(fam, "ipv6") == 0)
		k->family = AF_INET6;
	else {
		fprintf(stderr, "ctfill: line %u: family '%s'\n", lineno, fam);
		return -1;
	}
	if (strcmp(proto, "tcp") == 0)
		k->l4 = IPPROTO_TCP;
	else if (strcmp(proto, "udp") == 0)
		k->l4 = IPPROTO_UDP;
	else if (strcmp(proto, "udplite") == 0)
		k->l4 = IPPROTO_UDPLITE;
	else if (strcmp(proto, "icmp") == 0)
		k->l4 = IPPROTO_ICMP;
	else if (strcmp(proto, "icmpv6") == 0)
		k->l4 = IPPROTO_ICMPV6;
	else if (strcmp(proto, "sctp") == 0)
		k->l4 = IPPROTO_SCTP;
	else if (strcmp(proto, "gre") == 0)
		k->l4 = IPPROTO_GRE;
	else {
		char *end;
		unsigned long n = strtoul(proto, &end, 10);
		if (*end || n == 0 || n > 255) {
			fprintf(stderr, "ctfill: line %u: protocol '%s'\n", lineno, proto);
			return -1;
		}
		k->l4 = (uint8_t)n;
	}
	if ((k->l4 == IPPROTO_ICMP && k->family != AF_INET) || (k->l4 == IPPROTO_ICMPV6 && k->family != AF_INET6)) {
		fprintf(stderr, "ctfill: line %u: %s over %s\n", lineno, proto, fam);
		return -1;
	}
	k->state = -1;
	if (strcmp(state, "-") != 0) {
		if (k->l4 == IPPROTO_TCP)
			k->state = lookup(tcp_states, sizeof(tcp_states) / sizeof(tcp_states[0]), state);
		else if (k->l4 == IPPROTO_SCTP)
			k->state = lookup(sctp_states, sizeof(sctp_states) / sizeof(sctp_states[0]), state);
		else
			k->state = -2;
		if (k->state < 0) {
			fprintf(stderr, "ctfill: line %u: state '%s' for %s\n", lineno, state, proto);
			return -1;
		}
	}
	if (strcmp(flags, "-") == 0)
		k->status = 0;
	else if (strcmp(flags, "R") == 0)
		k->status = IPS_SEEN_REPLY;
	else if (strcmp(flags, "A") == 0)
		k->status = IPS_SEEN_REPLY | IPS_ASSURED;
	else if (strcmp(flags, "U") == 0)
		k->status = IPS_ASSURED;
	else {
		fprintf(stderr, "ctfill: line %u: flags '%s' (one of - R A U)\n", lineno, flags);
		return -1;
	}
	if (count > 60000) {
		fprintf(stderr, "ctfill: line %u: at most 60000 entries per line\n", lineno);
		return -1;
	}
	return 0;
}

static void put_ip(struct nlmsghdr *nlh, const kind *k, unsigned L, unsigned i, int orig)
{
	struct nlattr *ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	if (k->family == AF_INET) {
		uint32_t host = htonl(0x0a000000u | (L << 16) | (i & 0xffffu));  /* 10.L.x.y */
		uint32_t peer = htonl(0xcb007100u | ((L + 1) & 0xffu));           /* 203.0.113.L+1 */
		mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, orig ? host : peer);
		mnl_attr_put_u32(nlh, CTA_IP_V4_DST, orig ? peer : host);
	} else {
		uint8_t host[16] = { 0xfd, 0x00, 0x00, 0xc7 }; /* fd00:c7::L:i */
		uint8_t peer[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0xc7 }; /* 2001:db8:c7::L+1 */
		host[12] = (uint8_t)(L >> 8);
		host[13] = (uint8_t)L;
		host[14] = (uint8_t)(i >> 8);
		host[15] = (uint8_t)i;
		peer[14] = (uint8_t)((L + 1) >> 8);
		peer[15] = (uint8_t)(L + 1);
		mnl_attr_put(nlh, CTA_IP_V6_SRC, 16, orig ? host : peer);
		mnl_attr_put(nlh, CTA_IP_V6_DST, 16, orig ? peer : host);
	}
	mnl_attr_nest_end(nlh, ip);
}

static void put_tuple(struct nlmsghdr *nlh, uint16_t type, const kind *k, unsigned L, unsigned i, int orig)
{
	struct nlattr *t = mnl_attr_nest_start(nlh, type);
	put_ip(nlh, k, L, i, orig);
	struct nlattr *p = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, k->l4);
	uint16_t port = (uint16_t)(1024 + i);
	uint16_t svc = (uint16_t)(k->l4 == IPPROTO_GRE ? 0 : 1 + L);
	switch (k->l4) {
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6: {
		int v6 = k->l4 == IPPROTO_ICMPV6;
		/* echo request out, echo reply back */
		mnl_attr_put_u16(nlh, v6 ? CTA_PROTO_ICMPV6_ID : CTA_PROTO_ICMP_ID, htons(port));
		mnl_attr_put_u8(nlh, v6 ? CTA_PROTO_ICMPV6_TYPE : CTA_PROTO_ICMP_TYPE,
				(uint8_t)(orig ? (v6 ? 128 : 8) : (v6 ? 129 : 0)));
		mnl_attr_put_u8(nlh, v6 ? CTA_PROTO_ICMPV6_CODE : CTA_PROTO_ICMP_CODE, 0);
		break;
	}
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
	case IPPROTO_GRE:
		mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(orig ? port : svc));
		mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(orig ? svc : port));
		break;
	default: /* generic tracker: addresses only */
		break;
	}
	mnl_attr_nest_end(nlh, p);
	mnl_attr_nest_end(nlh, t);
}

static void put_entry(struct nlmsghdr *nlh, const kind *k, unsigned L, unsigned i)
{
	put_tuple(nlh, CTA_TUPLE_ORIG, k, L, i, 1);
	put_tuple(nlh, CTA_TUPLE_REPLY, k, L, i, 0);
	mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(k->timeout));
	if (k->zone)
		mnl_attr_put_u16(nlh, CTA_ZONE, htons(k->zone));
	/* A new entry is already CONFIRMED; a status without it is refused. */
	if (k->status)
		mnl_attr_put_u32(nlh, CTA_STATUS, htonl(k->status | IPS_CONFIRMED));
	if (k->state >= 0) {
		struct nlattr *pi = mnl_attr_nest_start(nlh, CTA_PROTOINFO);
		if (k->l4 == IPPROTO_TCP) {
			struct nlattr *tcp = mnl_attr_nest_start(nlh, CTA_PROTOINFO_TCP);
			mnl_attr_put_u8(nlh, CTA_PROTOINFO_TCP_STATE, (uint8_t)k->state);
			mnl_attr_nest_end(nlh, tcp);
		} else {
			struct nlattr *sctp = mnl_attr_nest_start(nlh, CTA_PROTOINFO_SCTP);
			mnl_attr_put_u8(nlh, CTA_PROTOINFO_SCTP_STATE, (uint8_t)k->state);
			mnl_attr_put_u32(nlh, CTA_PROTOINFO_SCTP_VTAG_ORIGINAL, htonl(1000 + i));
			mnl_attr_put_u32(nlh, CTA_PROTOINFO_SCTP_VTAG_REPLY, htonl(2000 + i));
			mnl_attr_nest_end(nlh, sctp);
		}
		mnl_attr_nest_end(nlh, pi);
	}
}

/* Read ACKs until every sequence number in [first, last] has answered. */
static int collect_acks(struct mnl_socket *sock, uint32_t first, uint32_t last, unsigned *refused)
{
	static char buf[256 * 1024];
	uint32_t pending = last - first + 1;
	while (pending) {
		ssize_t n = mnl_socket_recvfrom(sock, buf, sizeof(buf));
		if (n < 0) {
			fprintf(stderr, "ctfill: reading ACKs: %s\n", strerror(errno));
			return -1;
		}
		int len = (int)n;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; mnl_nlmsg_ok(h, len); h = mnl_nlmsg_next(h, &len)) {
			if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_seq < first || h->nlmsg_seq > last)
				continue;
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);
			if (e->error) {
				if (*refused < 5)
					fprintf(stderr, "ctfill: entry %u refused: %s\n", h->nlmsg_seq - 1,
						strerror(-e->error));
				++*refused;
			}
			pending--;
		}
	}
	return 0;
}

int main(void)
{
	enum { MAX_KINDS = 250 };
	static kind kinds[MAX_KINDS];
	unsigned nkinds = 0, lineno = 0;
	char line[256];
	while (fgets(line, sizeof(line), stdin)) {
		lineno++;
		char *s = line + strspn(line, " \t");
		if (*s == '#' || *s == '\n' || *s == 0)
			continue;
		if (nkinds == MAX_KINDS) {
			fprintf(stderr, "ctfill: more than %d lines\n", MAX_KINDS);
			return 2;
		}
		if (parse_kind(s, lineno, &kinds[nkinds]) < 0)
			return 2;
		kinds[nkinds].line = lineno;
		nkinds++;
	}

	struct mnl_socket *sock = mnl_socket_open(NETLINK_NETFILTER);
	if (!sock || mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		fprintf(stderr, "ctfill: netlink socket: %s\n", strerror(errno));
		return 1;
	}
	int one = 1;
	mnl_socket_setsockopt(sock, NETLINK_CAP_ACK, &one, sizeof(one)); /* short ACKs; optional */
	int rcv = 4 << 20;
	if (setsockopt(mnl_socket_get_fd(sock), SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) < 0)
		setsockopt(mnl_socket_get_fd(sock), SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));

	static char batch[64 * 1024];
	size_t used = 0;
	uint32_t seq = 0, batch_first = 1;
	unsigned refused = 0, sent = 0;
	for (unsigned L = 0; L < nkinds; L++) {
		for (unsigned i = 0; i < kinds[L].count; i++) {
			if (used + 512 > sizeof(batch)) {
				if (mnl_socket_sendto(sock, batch, used) < 0) {
					fprintf(stderr, "ctfill: sendmsg: %s\n", strerror(errno));
					return 1;
				}
				if (collect_acks(sock, batch_first, seq, &refused) < 0)
					return 1;
				used = 0;
				batch_first = seq + 1;
			}
			struct nlmsghdr *nlh = mnl_nlmsg_put_header(batch + used);
			nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
			nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
			nlh->nlmsg_seq = ++seq;
			struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
			nfg->nfgen_family = (uint8_t)kinds[L].family;
			nfg->version = NFNETLINK_V0;
			put_entry(nlh, &kinds[L], L, i);
			used += nlh->nlmsg_len;
			sent++;
		}
	}
	if (used) {
		if (mnl_socket_sendto(sock, batch, used) < 0) {
			fprintf(stderr, "ctfill: sendmsg: %s\n", strerror(errno));
			return 1;
		}
		if (collect_acks(sock, batch_first, seq, &refused) < 0)
			return 1;
	}
	mnl_socket_close(sock);
	printf("created %u\n", sent - refused);
	if (refused) {
		fprintf(stderr, "ctfill: %u of %u entries refused\n", refused, sent);
		return 1;
	}
	return 0;
}
