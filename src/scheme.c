/* scheme.c - the table of conntrack tunables per naming scheme.
 *
 * Sources: the ctl_table of ip_conntrack_standalone.c and
 * ip_conntrack_proto_sctp.c in 2.6.18 (legacy), and the nf_conntrack
 * sysctl table of current kernels (modern).  Ranges are what the kernel can
 * store safely: timeouts go through proc_dointvec_jiffies, which refuses
 * seconds above INT_MAX / HZ, so with HZ up to 1000 we cap at 2147483 s; the
 * kernel itself accepts negative timeouts, we do not.
 */
#include "scheme.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define M(s) "net.netfilter.nf_conntrack_" s
#define L(s) "net.ipv4.netfilter.ip_conntrack_" s
#define INTMAX 2147483647LL
#define TMAX 2147483LL

#define TIMEOUT(n, leg, doc) \
	{ n, CTUNE_KIND_TIMEOUT, CTUNE_UNIT_SECONDS, 1, TMAX, 0, { leg, M(n) }, { NULL, NULL }, doc, NULL }
#define FLAG(n, leg, fl, doc) \
	{ n, CTUNE_KIND_SETTING, CTUNE_UNIT_NONE, 0, 1, CTUNE_TF_BOOL | (fl), { leg, M(n) }, { NULL, NULL }, doc, NULL }

static const ctune_tunable table[] = {
	{ "max", CTUNE_KIND_SIZE, CTUNE_UNIT_ENTRIES, 1, INTMAX, CTUNE_TF_INIT_NS,
	  { L("max"), M("max") }, { "net.ipv4.ip_conntrack_max", "net.nf_conntrack_max" },
	  "maximum number of tracked connections", NULL },
	{ "count", CTUNE_KIND_SIZE, CTUNE_UNIT_ENTRIES, 0, INTMAX, CTUNE_TF_READONLY,
	  { L("count"), M("count") }, { NULL, NULL }, "connections tracked now", NULL },
	{ "buckets", CTUNE_KIND_SIZE, CTUNE_UNIT_BUCKETS, 1, 268435455LL, CTUNE_TF_INIT_NS,
	  { L("buckets"), M("buckets") }, { NULL, NULL }, "size of the conntrack hash table", "hashsize" },
	{ "expect_max", CTUNE_KIND_SIZE, CTUNE_UNIT_ENTRIES, 1, INTMAX, CTUNE_TF_INIT_NS,
	  { NULL, M("expect_max") }, { NULL, NULL }, "maximum number of expectations", NULL },

	TIMEOUT("tcp_timeout_established", L("tcp_timeout_established"), "idle TCP connection in ESTABLISHED"),
	TIMEOUT("tcp_timeout_syn_sent", L("tcp_timeout_syn_sent"), "TCP SYN_SENT"),
	TIMEOUT("tcp_timeout_syn_recv", L("tcp_timeout_syn_recv"), "TCP SYN_RECV"),
	TIMEOUT("tcp_timeout_fin_wait", L("tcp_timeout_fin_wait"), "TCP FIN_WAIT"),
	TIMEOUT("tcp_timeout_close_wait", L("tcp_timeout_close_wait"), "TCP CLOSE_WAIT"),
	TIMEOUT("tcp_timeout_last_ack", L("tcp_timeout_last_ack"), "TCP LAST_ACK"),
	TIMEOUT("tcp_timeout_time_wait", L("tcp_timeout_time_wait"), "TCP TIME_WAIT"),
	TIMEOUT("tcp_timeout_close", L("tcp_timeout_close"), "TCP CLOSE"),
	TIMEOUT("tcp_timeout_max_retrans", L("tcp_timeout_max_retrans"), "TCP after too many retransmissions"),
	TIMEOUT("tcp_timeout_unacknowledged", NULL, "TCP with unacknowledged data"),
	TIMEOUT("udp_timeout", L("udp_timeout"), "UDP, one direction seen"),
	TIMEOUT("udp_timeout_stream", L("udp_timeout_stream"), "UDP stream, both directions seen"),
	TIMEOUT("icmp_timeout", L("icmp_timeout"), "ICMP"),
	TIMEOUT("icmpv6_timeout", NULL, "ICMPv6"),
	TIMEOUT("generic_timeout", L("generic_timeout"), "any other layer-4 protocol"),
	TIMEOUT("gre_timeout", NULL, "GRE"),
	TIMEOUT("gre_timeout_stream", NULL, "GRE stream"),
	TIMEOUT("sctp_timeout_closed", L("sctp_timeout_closed"), "SCTP CLOSED"),
	TIMEOUT("sctp_timeout_cookie_wait", L("sctp_timeout_cookie_wait"), "SCTP COOKIE_WAIT"),
	TIMEOUT("sctp_timeout_cookie_echoed", L("sctp_timeout_cookie_echoed"), "SCTP COOKIE_ECHOED"),
	TIMEOUT("sctp_timeout_established", L("sctp_timeout_established"), "SCTP ESTABLISHED"),
	TIMEOUT("sctp_timeout_shutdown_sent", L("sctp_timeout_shutdown_sent"), "SCTP SHUTDOWN_SENT"),
	TIMEOUT("sctp_timeout_shutdown_recd", L("sctp_timeout_shutdown_recd"), "SCTP SHUTDOWN_RECD"),
	TIMEOUT("sctp_timeout_shutdown_ack_sent", L("sctp_timeout_shutdown_ack_sent"), "SCTP SHUTDOWN_ACK_SENT"),
	TIMEOUT("sctp_timeout_heartbeat_sent", NULL, "SCTP HEARTBEAT_SENT"),
	TIMEOUT("sctp_timeout_heartbeat_acked", NULL, "SCTP HEARTBEAT_ACKED (kernels before 6.4)"),
	TIMEOUT("events_retry_timeout", NULL, "retry of an undelivered conntrack event (kernels before 5.19)"),
	TIMEOUT("dccp_timeout_request", NULL, "DCCP REQUEST (kernels before 6.4)"),
	TIMEOUT("dccp_timeout_respond", NULL, "DCCP RESPOND"),
	TIMEOUT("dccp_timeout_partopen", NULL, "DCCP PARTOPEN"),
	TIMEOUT("dccp_timeout_open", NULL, "DCCP OPEN"),
	TIMEOUT("dccp_timeout_closereq", NULL, "DCCP CLOSEREQ"),
	TIMEOUT("dccp_timeout_closing", NULL, "DCCP CLOSING"),
	TIMEOUT("dccp_timeout_timewait", NULL, "DCCP TIMEWAIT"),
	TIMEOUT("frag6_timeout", NULL, "IPv6 fragment reassembly"),

	FLAG("acct", NULL, 0, "per-connection packet and byte counters"),
	FLAG("timestamp", NULL, 0, "per-connection start timestamps"),
	FLAG("checksum", L("checksum"), 0, "verify checksums of incoming packets"),
	FLAG("tcp_loose", L("tcp_loose"), 0, "pick up already established TCP connections"),
	FLAG("tcp_be_liberal", L("tcp_be_liberal"), 0, "only mark out-of-window RST as invalid"),
	FLAG("tcp_ignore_invalid_rst", NULL, 0, "do not mark out-of-window RST as invalid"),
	FLAG("dccp_loose", NULL, 0, "pick up already established DCCP connections"),
	FLAG("helper", NULL, 0, "automatic conntrack helper assignment"),
	{ "events", CTUNE_KIND_SETTING, CTUNE_UNIT_NONE, 0, 2, 0, { NULL, M("events") }, { NULL, NULL },
	  "connection tracking events (2: only when a listener asks)", NULL },
	{ "log_invalid", CTUNE_KIND_SETTING, CTUNE_UNIT_NONE, 0, 255, 0, { L("log_invalid"), M("log_invalid") },
	  { NULL, NULL }, "log invalid packets of this IP protocol number (255: all)", NULL },
	{ "tcp_max_retrans", CTUNE_KIND_SETTING, CTUNE_UNIT_NONE, 0, INTMAX, 0,
	  { L("tcp_max_retrans"), M("tcp_max_retrans") }, { NULL, NULL },
	  "retransmissions before tcp_timeout_max_retrans applies", NULL },
	{ "frag6_low_thresh", CTUNE_KIND_SETTING, CTUNE_UNIT_BYTES, 0, INTMAX, 0, { NULL, M("frag6_low_thresh") },
	  { NULL, NULL }, "IPv6 reassembly memory low threshold", NULL },
	{ "frag6_high_thresh", CTUNE_KIND_SETTING, CTUNE_UNIT_BYTES, 0, INTMAX, 0, { NULL, M("frag6_high_thresh") },
	  { NULL, NULL }, "IPv6 reassembly memory high threshold", NULL },
};

const ctune_tunable *ctune_tunables(size_t *n)
{
	*n = sizeof(table) / sizeof(table[0]);
	return table;
}

const ctune_tunable *ctune_tunable_find(const char *name)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}

int ctune_key_normalize(const char *key, char *buf, size_t size)
{
	if (key[0] == '-')
		key++;
	size_t n = strlen(key);
	if (n + 1 > size)
		return -ENAMETOOLONG;
	for (size_t i = 0; i <= n; i++)
		buf[i] = key[i] == '/' ? '.' : key[i];
	return (int)n;
}

const ctune_tunable *ctune_tunable_by_key(const char *key, ctune_scheme *scheme)
{
	char norm[256];
	if (ctune_key_normalize(key, norm, sizeof(norm)) < 0)
		return NULL;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		for (int s = 0; s < CTUNE_SCHEME_COUNT; s++) {
			const char *k = table[i].key[s], *a = table[i].alias[s];
			if ((k && strcmp(k, norm) == 0) || (a && strcmp(a, norm) == 0)) {
				if (scheme)
					*scheme = (ctune_scheme)s;
				return &table[i];
			}
		}
	}
	return NULL;
}

int ctune_key_procpath(const char *key, char *buf, size_t size)
{
	static const char pre[] = "/proc/sys/";
	size_t n = strlen(key);
	if (sizeof(pre) + n > size)
		return -ENAMETOOLONG;
	memcpy(buf, pre, sizeof(pre) - 1);
	for (size_t i = 0; i <= n; i++)
		buf[sizeof(pre) - 1 + i] = key[i] == '.' ? '/' : key[i];
	return (int)(sizeof(pre) - 1 + n);
}

const char *ctune_scheme_name(ctune_scheme s)
{
	switch (s) {
	case CTUNE_SCHEME_LEGACY:
		return "legacy";
	case CTUNE_SCHEME_MODERN:
		return "modern";
	default:
		return "none";
	}
}

ctune_scheme ctune_scheme_from_name(const char *s)
{
	if (strcmp(s, "legacy") == 0)
		return CTUNE_SCHEME_LEGACY;
	if (strcmp(s, "modern") == 0)
		return CTUNE_SCHEME_MODERN;
	return CTUNE_SCHEME_NONE;
}

const char *ctune_unit_name(ctune_unit u)
{
	static const char *const names[] = {
		[CTUNE_UNIT_NONE] = NULL,           [CTUNE_UNIT_SECONDS] = "seconds",
		[CTUNE_UNIT_ENTRIES] = "entries",   [CTUNE_UNIT_BUCKETS] = "buckets",
		[CTUNE_UNIT_BYTES] = "bytes",
	};
	return names[u];
}

static const struct {
	const char *table_file, *stat_file, *module;
} files[CTUNE_SCHEME_COUNT] = {
	[CTUNE_SCHEME_LEGACY] = { "/proc/net/ip_conntrack", "/proc/net/stat/ip_conntrack", "ip_conntrack" },
	[CTUNE_SCHEME_MODERN] = { "/proc/net/nf_conntrack", "/proc/net/stat/nf_conntrack", "nf_conntrack" },
};

const char *ctune_scheme_table_file(ctune_scheme s)
{
	return s >= 0 && s < CTUNE_SCHEME_COUNT ? files[s].table_file : NULL;
}

const char *ctune_scheme_stat_file(ctune_scheme s)
{
	return s >= 0 && s < CTUNE_SCHEME_COUNT ? files[s].stat_file : NULL;
}

unsigned long ctune_scheme_round_buckets(ctune_scheme s, unsigned long buckets)
{
	/* Bucket heads per page, per scheme: data, like the rest of this file. */
	long page = sysconf(_SC_PAGESIZE);
	unsigned long per_page[CTUNE_SCHEME_COUNT] = {
		[CTUNE_SCHEME_LEGACY] = 1,
		[CTUNE_SCHEME_MODERN] = page > 0 ? (unsigned long)page / sizeof(void *) : 512,
	};
	if (s < 0 || s >= CTUNE_SCHEME_COUNT || buckets == 0)
		return buckets;
	unsigned long q = per_page[s];
	return (buckets + q - 1) / q * q;
}

const char *ctune_scheme_module(ctune_scheme s)
{
	return s >= 0 && s < CTUNE_SCHEME_COUNT ? files[s].module : NULL;
}
