/* ctfill.c - create many conntrack entries over ctnetlink, fast.
 *
 * Test helper of tests/netns-paths.test.sh (compiled by that test with cc and
 * pkg-config libmnl; not part of ctune).  `conntrack -I` costs a process and
 * a round trip per entry; this sends batches of IPCTNL_MSG_CT_NEW messages
 * in one sendmsg() each (up to 64 KiB) and then reads the kernel's ACK for
 * every message (tests/data/ctnl-batch.h), so a refused entry is reported,
 * never silently missing.
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

#include "../ctnl-batch.h"

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

/* Line L, entry i: 10.L.x.y / fd00:c7::L:i to 203.0.113.L+1 / 2001:db8:c7::L+1 */
static void put_entry(struct nlmsghdr *nlh, const kind *k, unsigned L, unsigned i)
{
	ctnl_tuple t = { .family = k->family, .l4 = k->l4, .sport = (uint16_t)(1024 + i),
			 .dport = (uint16_t)(k->l4 == IPPROTO_GRE ? 0 : 1 + L) };
	if (k->family == AF_INET) {
		ctnl_ipv4(t.src, 0x0a000000u | (L << 16) | (i & 0xffffu));
		ctnl_ipv4(t.dst, 0xcb007100u | ((L + 1) & 0xffu));
	} else {
		static const uint8_t host[4] = { 0xfd, 0x00, 0x00, 0xc7 }, peer[6] = { 0x20, 0x01, 0x0d, 0xb8, 0x00, 0xc7 };
		memcpy(t.src, host, sizeof(host));
		memcpy(t.dst, peer, sizeof(peer));
		t.src[12] = (uint8_t)(L >> 8);
		t.src[13] = (uint8_t)L;
		t.src[14] = (uint8_t)(i >> 8);
		t.src[15] = (uint8_t)i;
		t.dst[14] = (uint8_t)((L + 1) >> 8);
		t.dst[15] = (uint8_t)(L + 1);
	}
	/* echo request out, echo reply back */
	t.icmp_type = k->l4 == IPPROTO_ICMPV6 ? 128 : 8;
	t.icmp_reply = k->l4 == IPPROTO_ICMPV6 ? 129 : 0;
	ctnl_put_tuples(nlh, &t);
	mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(k->timeout));
	if (k->zone)
		mnl_attr_put_u16(nlh, CTA_ZONE, htons(k->zone));
	/* A new entry is already CONFIRMED; a status without it is refused. */
	if (k->status)
		mnl_attr_put_u32(nlh, CTA_STATUS, htonl(k->status | IPS_CONFIRMED));
	if (k->state >= 0 && k->l4 == IPPROTO_TCP) {
		ctnl_put_tcp_state(nlh, (uint8_t)k->state);
	} else if (k->state >= 0) {
		struct nlattr *pi = mnl_attr_nest_start(nlh, CTA_PROTOINFO);
		struct nlattr *sctp = mnl_attr_nest_start(nlh, CTA_PROTOINFO_SCTP);
		mnl_attr_put_u8(nlh, CTA_PROTOINFO_SCTP_STATE, (uint8_t)k->state);
		mnl_attr_put_u32(nlh, CTA_PROTOINFO_SCTP_VTAG_ORIGINAL, htonl(1000 + i));
		mnl_attr_put_u32(nlh, CTA_PROTOINFO_SCTP_VTAG_REPLY, htonl(2000 + i));
		mnl_attr_nest_end(nlh, sctp);
		mnl_attr_nest_end(nlh, pi);
	}
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

	static ctnl_batch b;
	if (ctnl_batch_open(&b, "ctfill", 1) < 0)
		return 1;
	for (unsigned L = 0; L < nkinds; L++) {
		for (unsigned i = 0; i < kinds[L].count; i++) {
			struct nlmsghdr *nlh = ctnl_batch_entry(&b, kinds[L].family);
			if (!nlh)
				return 1;
			put_entry(nlh, &kinds[L], L, i);
			ctnl_batch_add(&b, nlh);
		}
	}
	return ctnl_batch_end(&b);
}
