/* gen-table.c - a deterministic conntrack table text for the benchmarks.
 *
 *   gen-table modern|legacy LINES SEED OUT_FILE EXPECTED_FILE
 *
 * Writes LINES lines in the format of /proc/net/nf_conntrack (modern, as
 * kernel 6.x prints it) or of 2.6.18's /proc/net/ip_conntrack (legacy) to
 * OUT_FILE, and the summary `ctune facts --table` must report for it to
 * EXPECTED_FILE as one JSON object (the figures come from the model that
 * drives the text, never from parsing it).  The mix is what a busy server
 * holds: mostly ESTABLISHED TCP with the 5-day default timeout, TIME_WAIT,
 * half-open SYN_SENT, UDP with and without replies, ICMP, GRE, SCTP, a few
 * offloaded flows (modern: no timeout, [OFFLOAD]); IPv6 in its full-width
 * form; accounting fields (packets= bytes=) on about a quarter of the entries, as
 * a table does after nf_conntrack_acct was switched on at run time.  Same
 * arguments, byte-identical output: a private xorshift64* generator, no
 * clock, no locale.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t s = rng_state;
	s ^= s >> 12;
	s ^= s << 25;
	s ^= s >> 27;
	rng_state = s;
	return s * 0x2545F4914F6CDD1DULL;
}

/* Uniform enough in [lo, hi]. */
static uint64_t rint_(uint64_t lo, uint64_t hi)
{
	return lo + (rnd() >> 11) % (hi - lo + 1);
}

enum { P_TCP, P_UDP, P_ICMP, P_ICMPV6, P_GRE, P_SCTP, P_NPROTO };
static const char *const pname[P_NPROTO] = { "tcp", "udp", "icmp", "icmpv6", "gre", "sctp" };
static const unsigned pnum[P_NPROTO] = { 6, 17, 1, 58, 47, 132 };

/* TCP states with their share (per mille) and remaining-timeout range. */
static const struct {
	const char *name;
	unsigned permille;
	unsigned tmin, tmax;
	int unreplied, assured;
} tcp_mix[] = {
	{ "ESTABLISHED", 620, 1000, 432000, 0, 1 }, { "TIME_WAIT", 200, 1, 120, 0, 1 },
	{ "SYN_SENT", 60, 1, 120, 1, 0 },           { "CLOSE", 30, 1, 10, 0, 1 },
	{ "SYN_RECV", 20, 1, 60, 0, 0 },            { "FIN_WAIT", 30, 1, 120, 0, 1 },
	{ "CLOSE_WAIT", 25, 1, 60, 0, 1 },          { "LAST_ACK", 15, 1, 30, 0, 1 },
};
#define NTCP (sizeof(tcp_mix) / sizeof(tcp_mix[0]))

/* Kernel order of the summary's TCP states (table.h). */
static const char *const state_order[] = { "NONE",     "SYN_SENT",  "SYN_RECV", "ESTABLISHED",
					   "FIN_WAIT", "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT",
					   "CLOSE",    "SYN_SENT2",  "UNKNOWN" };

struct expect {
	uint64_t total, ipv4, ipv6, proto[P_NPROTO], tcp[11], assured, unreplied, offload, long_timeout;
};

static int state_index(const char *n)
{
	for (int i = 0; i < 11; i++)
		if (strcmp(state_order[i], n) == 0)
			return i;
	return 10;
}

static char *addr(char *o, int v6, int peer)
{
	if (!v6) {
		if (peer)
			return o + sprintf(o, "%u.%u.%u.%u", (unsigned)rint_(1, 223), (unsigned)rint_(0, 255),
					   (unsigned)rint_(0, 255), (unsigned)rint_(1, 254));
		return o + sprintf(o, "10.0.%u.%u", (unsigned)rint_(0, 3), (unsigned)rint_(1, 254));
	}
	if (peer)
		return o + sprintf(o, "2001:0db8:%04x:%04x:0000:0000:%04x:%04x", (unsigned)rint_(0, 0xffff),
				   (unsigned)rint_(0, 0xffff), (unsigned)rint_(0, 0xffff), (unsigned)rint_(1, 0xffff));
	return o + sprintf(o, "fd00:0000:0000:0000:0000:0000:0000:%04x", (unsigned)rint_(1, 16));
}

int main(int argc, char **argv)
{
	if (argc != 6 || (strcmp(argv[1], "modern") != 0 && strcmp(argv[1], "legacy") != 0)) {
		fprintf(stderr, "usage: gen-table modern|legacy LINES SEED OUT_FILE EXPECTED_FILE\n");
		return 2;
	}
	int legacy = strcmp(argv[1], "legacy") == 0;
	uint64_t lines = strtoull(argv[2], NULL, 10);
	rng_state = strtoull(argv[3], NULL, 10) * 0x9E3779B97F4A7C15ULL + 1;
	FILE *out = fopen(argv[4], "w");
	FILE *exp = fopen(argv[5], "w");
	if (!out || !exp) {
		perror("gen-table");
		return 1;
	}
	static char obuf[1 << 20];
	setvbuf(out, obuf, _IOFBF, sizeof(obuf));

	struct expect x;
	memset(&x, 0, sizeof(x));
	char line[1024];
	for (uint64_t n = 0; n < lines; n++) {
		int v6 = !legacy && rint_(0, 99) < 12;
		unsigned r = (unsigned)rint_(0, 999);
		int p = r < 700 ? P_TCP : r < 930 ? P_UDP : r < 975 ? (v6 ? P_ICMPV6 : P_ICMP) : r < 988 ? P_GRE : P_SCTP;
		if (legacy && p == P_GRE)
			p = P_UDP; /* 2.6.18's GRE needs the PPTP helper: keep it out */
		const char *state = NULL;
		unsigned tmo;
		int unreplied = 0, assured = 0;
		if (p == P_TCP) {
			unsigned w = (unsigned)rint_(0, 999), acc = 0;
			size_t i = 0;
			for (; i < NTCP - 1; i++) {
				acc += tcp_mix[i].permille;
				if (w < acc)
					break;
			}
			state = tcp_mix[i].name;
			tmo = (unsigned)rint_(tcp_mix[i].tmin, tcp_mix[i].tmax);
			unreplied = tcp_mix[i].unreplied;
			assured = tcp_mix[i].assured;
		} else if (p == P_SCTP) {
			state = "ESTABLISHED";
			tmo = (unsigned)rint_(1000, 432000);
			assured = 1;
		} else {
			tmo = (unsigned)rint_(1, p == P_UDP ? 180 : 30);
			unsigned k = (unsigned)rint_(0, 9);
			unreplied = k < 3;
			assured = !unreplied && k < 7;
		}
		int offload = !legacy && !unreplied && (p == P_TCP || p == P_UDP) && rint_(0, 999) < 5;
		int acct = rint_(0, 99) < 25;

		char *o = line;
		if (legacy)
			o += sprintf(o, "%-8s %u %u ", pname[p], pnum[p], tmo);
		else if (offload)
			o += sprintf(o, "%-8s %u %-8s %u ", v6 ? "ipv6" : "ipv4", v6 ? 10 : 2, pname[p], pnum[p]);
		else
			o += sprintf(o, "%-8s %u %-8s %u %u ", v6 ? "ipv6" : "ipv4", v6 ? 10 : 2, pname[p], pnum[p],
				     tmo);
		if (state)
			o += sprintf(o, "%s ", state);
		if (p == P_GRE)
			o += sprintf(o, "timeout=30, stream_timeout=180 ");

		char a1[64], a2[64];
		int inbound = rint_(0, 3) != 0;
		addr(a1, v6, 1);
		addr(a2, v6, 0);
		const char *src = inbound ? a1 : a2, *dst = inbound ? a2 : a1;
		unsigned sp = (unsigned)rint_(32768, 60999), dp = (unsigned)rint_(1, 1024);
		uint64_t po = rint_(1, 90000), pr = unreplied ? 0 : rint_(1, 90000);
		for (int dir = 0; dir < 2; dir++) {
			const char *s = dir ? dst : src, *d = dir ? src : dst;
			if (p == P_ICMP || p == P_ICMPV6)
				o += sprintf(o, "src=%s dst=%s type=%u code=0 id=%u ", s, d,
					     p == P_ICMP ? (dir ? 0u : 8u) : (dir ? 129u : 128u), sp);
			else if (p == P_GRE)
				o += sprintf(o, "src=%s dst=%s srckey=0x0 dstkey=0x0 ", s, d);
			else
				o += sprintf(o, "src=%s dst=%s sport=%u dport=%u ", s, d, dir ? dp : sp, dir ? sp : dp);
			if (acct)
				o += sprintf(o, "packets=%" PRIu64 " bytes=%" PRIu64 " ", dir ? pr : po,
					     (dir ? pr : po) * rint_(52, 1400));
			if (!dir && unreplied)
				o += sprintf(o, "[UNREPLIED] ");
		}
		if (offload)
			o += sprintf(o, "[OFFLOAD] ");
		else if (assured)
			o += sprintf(o, "[ASSURED] ");
		if (legacy)
			o += sprintf(o, "mark=0 secmark=0 use=1\n");
		else
			o += sprintf(o, "mark=0 zone=0 use=2\n");
		fwrite(line, 1, (size_t)(o - line), out);

		x.total++;
		if (v6)
			x.ipv6++;
		else
			x.ipv4++;
		x.proto[p]++;
		if (p == P_TCP)
			x.tcp[state_index(state)]++;
		x.assured += assured && !offload;
		x.unreplied += unreplied;
		x.offload += offload;
		x.long_timeout += !offload && tmo > 86400;
	}
	if (fclose(out) != 0) {
		perror("gen-table: write");
		return 1;
	}
	fprintf(exp,
		"{\"total\": %" PRIu64 ", \"family\": {\"ipv4\": %" PRIu64 ", \"ipv6\": %" PRIu64
		", \"other\": 0}, \"protocol\": {",
		x.total, x.ipv4, x.ipv6);
	for (int i = 0; i < P_NPROTO; i++)
		fprintf(exp, "\"%s\": %" PRIu64 ", ", pname[i], x.proto[i]);
	fprintf(exp, "\"udplite\": 0, \"dccp\": 0, \"other\": 0}, \"tcp_state\": {");
	for (int i = 0; i < 11; i++)
		fprintf(exp, "%s\"%s\": %" PRIu64, i ? ", " : "", state_order[i], x.tcp[i]);
	fprintf(exp,
		"}, \"assured\": %" PRIu64 ", \"unreplied\": %" PRIu64 ", \"offload\": %" PRIu64
		", \"long_timeout\": %" PRIu64 ", \"malformed\": 0}\n",
		x.assured, x.unreplied, x.offload, x.long_timeout);
	return fclose(exp) == 0 ? 0 : 1;
}
