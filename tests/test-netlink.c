/* test-netlink.c - the ctnetlink path (netlink.c) against the real kernel.
 *
 * Every test runs in its own forked process (the runner forces CK_FORK) and
 * first moves that process into a private network namespace with
 * unshare(CLONE_NEWNET): the host's table is never read or written.  In the
 * namespace the test creates a known mix of entries directly over ctnetlink
 * (batched IPCTNL_MSG_CT_NEW built with ctune's own nl.h: both tuples, a timeout, a TCP
 * state, a status) and checks that
 *   - the netlink summary equals the numbers the mix was built from,
 *   - it equals the /proc/net/nf_conntrack summary (table.c) read in the
 *     same namespace, field by field,
 *   - count and max equal /proc/sys/net/netfilter/nf_conntrack_{count,max},
 *   - per-CPU statistics equal /proc/net/stat/nf_conntrack column by column,
 *   - without CAP_NET_ADMIN the calls fail with -EPERM and say why.
 *
 * Needs root (CAP_SYS_ADMIN for unshare, CAP_NET_ADMIN for ctnetlink) and a
 * kernel with conntrack, ctnetlink and the /proc table.  main() checks that
 * in a throwaway child first; when anything is missing it prints the reason
 * and exits 77, which ctest reports as skipped (SKIP_RETURN_CODE 77), never
 * as passed.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/capability.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "netlink.h"
#include "nl.h"
#include "root.h"
#include "stat.h"
#include "table.h"

/* ---- the known mix ------------------------------------------------------ */

#define MIX_ENTRIES 12000u
#define LONG_TIMEOUT 200000u /* > one day: counts as long_timeout */
#define SHORT_TIMEOUT 7200u  /* long enough not to expire during the test */

typedef struct mix_entry {
	int family;
	uint8_t l4;
	int tcp_state;
	uint32_t status;
	uint32_t timeout;
} mix_entry;

/* Entry i: ten slots of family/protocol, all ten TCP states, four status
 * combinations (unreplied, replied, assured, assured but unreplied) and two
 * timeouts, interleaved so that every combination occurs. */
static mix_entry mix(uint32_t i)
{
	static const struct {
		int family;
		uint8_t l4;
	} slots[10] = {
		{ AF_INET, IPPROTO_TCP },  { AF_INET, IPPROTO_TCP },  { AF_INET, IPPROTO_TCP },
		{ AF_INET, IPPROTO_TCP },  { AF_INET, IPPROTO_UDP },  { AF_INET, IPPROTO_UDP },
		{ AF_INET, IPPROTO_ICMP }, { AF_INET6, IPPROTO_TCP }, { AF_INET6, IPPROTO_UDP },
		{ AF_INET6, IPPROTO_ICMPV6 },
	};
	static const uint32_t statuses[4] = { 0, IPS_SEEN_REPLY, IPS_SEEN_REPLY | IPS_ASSURED, IPS_ASSURED };
	mix_entry e;
	e.family = slots[i % 10].family;
	e.l4 = slots[i % 10].l4;
	e.tcp_state = (int)((i / 10) % 10);
	e.status = statuses[(i / 7) % 4];
	e.timeout = i % 3 == 0 ? LONG_TIMEOUT : SHORT_TIMEOUT;
	return e;
}

/* The summary entries [0, n) must give, from the mix itself. */
static void mix_expect(uint32_t n, ctune_table_summary *s)
{
	memset(s, 0, sizeof(*s));
	for (uint32_t i = 0; i < n; i++) {
		mix_entry e = mix(i);
		s->total++;
		s->family[e.family == AF_INET ? CTUNE_FAMILY_IPV4 : CTUNE_FAMILY_IPV6]++;
		s->proto[e.l4 == IPPROTO_TCP   ? CTUNE_PROTO_TCP
			 : e.l4 == IPPROTO_UDP  ? CTUNE_PROTO_UDP
			 : e.l4 == IPPROTO_ICMP ? CTUNE_PROTO_ICMP
						: CTUNE_PROTO_ICMPV6]++;
		if (e.l4 == IPPROTO_TCP)
			s->tcp_state[e.tcp_state]++;
		s->assured += !!(e.status & IPS_ASSURED);
		s->unreplied += !(e.status & IPS_SEEN_REPLY);
		s->long_timeout += e.timeout > CTUNE_LONG_TIMEOUT_SECONDS;
	}
}

/* Every put goes into one message of at most MSG_ROOM bytes: the batch
 * leaves that much free before starting one. */
#define MSG_ROOM 512u
#define PUT(call) ck_assert_int_eq((call), 0)

static void put_ip(struct nlmsghdr *nlh, int family, uint32_t host, bool host_is_src)
{
	struct nlattr *ip = ctune_nl_attr_nest_start(nlh, MSG_ROOM, CTA_TUPLE_IP);
	ck_assert_ptr_nonnull(ip);
	if (family == AF_INET) {
		uint32_t a = htonl(0x0a000000u | (host & 0x00ffffffu)); /* 10.x.y.z */
		uint32_t b = htonl(0xc0000201u);                        /* 192.0.2.1 */
		PUT(ctune_nl_attr_put_u32(nlh, MSG_ROOM, CTA_IP_V4_SRC, host_is_src ? a : b));
		PUT(ctune_nl_attr_put_u32(nlh, MSG_ROOM, CTA_IP_V4_DST, host_is_src ? b : a));
	} else {
		uint8_t a[16] = { 0xfd };
		uint8_t b[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
		a[12] = (uint8_t)(host >> 24);
		a[13] = (uint8_t)(host >> 16);
		a[14] = (uint8_t)(host >> 8);
		a[15] = (uint8_t)host;
		PUT(ctune_nl_attr_put(nlh, MSG_ROOM, CTA_IP_V6_SRC, 16, host_is_src ? a : b));
		PUT(ctune_nl_attr_put(nlh, MSG_ROOM, CTA_IP_V6_DST, 16, host_is_src ? b : a));
	}
	PUT(ctune_nl_attr_nest_end(nlh, ip));
}

static void put_tuple(struct nlmsghdr *nlh, uint16_t type, const mix_entry *e, uint32_t i, bool orig)
{
	struct nlattr *t = ctune_nl_attr_nest_start(nlh, MSG_ROOM, type);
	ck_assert_ptr_nonnull(t);
	put_ip(nlh, e->family, i + 1, orig);
	struct nlattr *p = ctune_nl_attr_nest_start(nlh, MSG_ROOM, CTA_TUPLE_PROTO);
	ck_assert_ptr_nonnull(p);
	PUT(ctune_nl_attr_put_u8(nlh, MSG_ROOM, CTA_PROTO_NUM, e->l4));
	uint16_t port = (uint16_t)(1024 + i % 60000);
	if (e->l4 == IPPROTO_ICMP || e->l4 == IPPROTO_ICMPV6) {
		bool v6 = e->l4 == IPPROTO_ICMPV6;
		/* echo request out, echo reply back */
		uint8_t req = v6 ? 128 : 8, rep = v6 ? 129 : 0;
		PUT(ctune_nl_attr_put_u16(nlh, MSG_ROOM, v6 ? CTA_PROTO_ICMPV6_ID : CTA_PROTO_ICMP_ID, htons(port)));
		PUT(ctune_nl_attr_put_u8(nlh, MSG_ROOM, v6 ? CTA_PROTO_ICMPV6_TYPE : CTA_PROTO_ICMP_TYPE,
					 orig ? req : rep));
		PUT(ctune_nl_attr_put_u8(nlh, MSG_ROOM, v6 ? CTA_PROTO_ICMPV6_CODE : CTA_PROTO_ICMP_CODE, 0));
	} else {
		PUT(ctune_nl_attr_put_u16(nlh, MSG_ROOM, CTA_PROTO_SRC_PORT, htons(orig ? port : 443)));
		PUT(ctune_nl_attr_put_u16(nlh, MSG_ROOM, CTA_PROTO_DST_PORT, htons(orig ? 443 : port)));
	}
	PUT(ctune_nl_attr_nest_end(nlh, p));
	PUT(ctune_nl_attr_nest_end(nlh, t));
}

/* Create entries [0, n) in the current namespace, many messages per
 * send and no ACK; the callers check the resulting count. */
static void mix_fill(uint32_t n)
{
	ctune_nl_socket *sock = NULL;
	ck_assert_int_eq(ctune_nl_socket_open(NETLINK_NETFILTER, &sock), 0);
	static uint32_t batch_words[64 * 1024 / 4]; /* aligned for the headers */
	char *batch = (char *)batch_words;
	size_t used = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (used + MSG_ROOM > sizeof(batch_words)) {
			ck_assert_int_eq(ctune_nl_socket_send(sock, batch, used), 0);
			used = 0;
		}
		mix_entry e = mix(i);
		struct nlmsghdr *nlh = ctune_nl_msg_put_nfgen(batch + used, NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_NEW,
							      NLM_F_CREATE | NLM_F_EXCL, i + 1, (uint8_t)e.family, 0);
		put_tuple(nlh, CTA_TUPLE_ORIG, &e, i, true);
		put_tuple(nlh, CTA_TUPLE_REPLY, &e, i, false);
		PUT(ctune_nl_attr_put_u32(nlh, MSG_ROOM, CTA_TIMEOUT, htonl(e.timeout)));
		/* The kernel refuses a status that would clear CONFIRMED, which
		 * a new entry already has (conntrack -I sends it too). */
		if (e.status)
			PUT(ctune_nl_attr_put_u32(nlh, MSG_ROOM, CTA_STATUS, htonl(e.status | IPS_CONFIRMED)));
		if (e.l4 == IPPROTO_TCP) {
			struct nlattr *pi = ctune_nl_attr_nest_start(nlh, MSG_ROOM, CTA_PROTOINFO);
			struct nlattr *tcp = ctune_nl_attr_nest_start(nlh, MSG_ROOM, CTA_PROTOINFO_TCP);
			ck_assert(pi && tcp);
			PUT(ctune_nl_attr_put_u8(nlh, MSG_ROOM, CTA_PROTOINFO_TCP_STATE, (uint8_t)e.tcp_state));
			PUT(ctune_nl_attr_nest_end(nlh, tcp));
			PUT(ctune_nl_attr_nest_end(nlh, pi));
		}
		used += CTUNE_NL_ALIGN(nlh->nlmsg_len);
	}
	if (used)
		ck_assert_int_eq(ctune_nl_socket_send(sock, batch, used), 0);
	ctune_nl_socket_close(sock);
}

/* ---- helpers -------------------------------------------------------------- */

static void enter_netns(void)
{
	ck_assert_msg(unshare(CLONE_NEWNET) == 0, "unshare(CLONE_NEWNET): %s", strerror(errno));
}

static uint64_t read_proc_u64(const char *abs)
{
	ctune_root root;
	ck_assert_int_eq(ctune_root_init(&root, NULL, NULL), 0);
	char buf[64];
	ssize_t n = ctune_root_read_small(&root, abs, buf, sizeof(buf));
	ck_assert_msg(n > 0, "%s: %s", abs, strerror((int)-n));
	return strtoull(buf, NULL, 10);
}

static ctune_netlink *open_nl(void)
{
	ctune_error err = { 0 };
	ctune_netlink *nl = NULL;
	int r = ctune_netlink_open(&nl, &err);
	ck_assert_msg(r == 0, "ctune_netlink_open: %s", err.msg);
	return nl;
}

#define ASSERT_U64(a, b, what) \
	ck_assert_msg((a) == (b), "%s: netlink %llu, expected %llu", what, (unsigned long long)(a), \
		      (unsigned long long)(b))

/* Field by field, so a failure names the field. */
static void assert_summary_eq(const ctune_table_summary *got, const ctune_table_summary *want, const char *who)
{
	char what[96];
	snprintf(what, sizeof(what), "%s total", who);
	ASSERT_U64(got->total, want->total, what);
	for (int f = 0; f < CTUNE_FAMILY_COUNT; f++) {
		snprintf(what, sizeof(what), "%s family %s", who, ctune_family_name(f));
		ASSERT_U64(got->family[f], want->family[f], what);
	}
	for (int p = 0; p < CTUNE_PROTO_COUNT; p++) {
		snprintf(what, sizeof(what), "%s protocol %s", who, ctune_proto_name(p));
		ASSERT_U64(got->proto[p], want->proto[p], what);
	}
	for (int t = 0; t < CTUNE_TCP_STATE_COUNT; t++) {
		snprintf(what, sizeof(what), "%s tcp_state %s", who, ctune_tcp_state_name(t));
		ASSERT_U64(got->tcp_state[t], want->tcp_state[t], what);
	}
	snprintf(what, sizeof(what), "%s assured", who);
	ASSERT_U64(got->assured, want->assured, what);
	snprintf(what, sizeof(what), "%s unreplied", who);
	ASSERT_U64(got->unreplied, want->unreplied, what);
	snprintf(what, sizeof(what), "%s offload", who);
	ASSERT_U64(got->offload, want->offload, what);
	snprintf(what, sizeof(what), "%s long_timeout", who);
	ASSERT_U64(got->long_timeout, want->long_timeout, what);
	snprintf(what, sizeof(what), "%s malformed", who);
	ASSERT_U64(got->malformed, want->malformed, what);
}

/* ---- tests ---------------------------------------------------------------- */

START_TEST(test_empty_namespace)
{
	enter_netns();
	ctune_netlink *nl = open_nl();
	ctune_error err = { 0 };
	uint64_t count = 99, max = 0;
	ck_assert_msg(ctune_netlink_count(nl, &count, &max, &err) == 0, "%s", err.msg);
	ASSERT_U64(count, 0, "count in a new namespace");
	ASSERT_U64(max, read_proc_u64("/proc/sys/net/netfilter/nf_conntrack_max"), "max vs /proc");

	ctune_table_summary s, zero;
	memset(&s, 0xff, sizeof(s));
	ctune_netlink_dump_info info;
	ck_assert_msg(ctune_netlink_summarize(nl, &s, &info, &err) == 0, "%s", err.msg);
	memset(&zero, 0, sizeof(zero));
	assert_summary_eq(&s, &zero, "empty");
	ASSERT_U64(info.messages, 0, "messages");
	ck_assert_uint_eq(info.attempts, 1);
	ctune_netlink_close(nl);
}
END_TEST

START_TEST(test_mix_known_numbers)
{
	enter_netns();
	mix_fill(MIX_ENTRIES);
	ctune_netlink *nl = open_nl();
	ctune_error err = { 0 };
	uint64_t count = 0, max = 0;
	ck_assert_msg(ctune_netlink_count(nl, &count, &max, &err) == 0, "%s", err.msg);
	ASSERT_U64(count, MIX_ENTRIES, "count after creating the mix");

	ctune_table_summary got, want;
	ctune_netlink_dump_info info;
	ck_assert_msg(ctune_netlink_summarize(nl, &got, &info, &err) == 0, "%s", err.msg);
	mix_expect(MIX_ENTRIES, &want);
	assert_summary_eq(&got, &want, "mix");

	/* The same numbers written out, so a change to mix() that also
	 * breaks mix_expect() cannot pass unnoticed. */
	ASSERT_U64(got.total, 12000, "total");
	ASSERT_U64(got.family[CTUNE_FAMILY_IPV4], 8400, "ipv4");
	ASSERT_U64(got.family[CTUNE_FAMILY_IPV6], 3600, "ipv6");
	ASSERT_U64(got.proto[CTUNE_PROTO_TCP], 6000, "tcp");
	ASSERT_U64(got.proto[CTUNE_PROTO_UDP], 3600, "udp");
	ASSERT_U64(got.proto[CTUNE_PROTO_ICMP], 1200, "icmp");
	ASSERT_U64(got.proto[CTUNE_PROTO_ICMPV6], 1200, "icmpv6");
	for (int t = CTUNE_TCP_NONE; t <= CTUNE_TCP_SYN_SENT2; t++)
		ASSERT_U64(got.tcp_state[t], 600, ctune_tcp_state_name(t));
	ASSERT_U64(got.tcp_state[CTUNE_TCP_STATE_UNKNOWN], 0, "UNKNOWN");
	ASSERT_U64(got.assured, 5994, "assured");
	ASSERT_U64(got.unreplied, 5999, "unreplied");
	ASSERT_U64(got.long_timeout, 4000, "long_timeout");
	ASSERT_U64(got.offload, 0, "offload");
	ASSERT_U64(got.malformed, 0, "malformed");
	ASSERT_U64(info.messages, MIX_ENTRIES, "messages");
	ck_assert_uint_eq(info.attempts, 1);
	ck_assert_uint_gt(info.bytes, (uint64_t)MIX_ENTRIES * 100);
	ctune_netlink_close(nl);
}
END_TEST

START_TEST(test_mix_equals_proc)
{
	enter_netns();
	mix_fill(MIX_ENTRIES);
	ctune_netlink *nl = open_nl();
	ctune_error err = { 0 };

	ctune_table_summary nls, procs;
	ck_assert_msg(ctune_netlink_summarize(nl, &nls, NULL, &err) == 0, "%s", err.msg);
	ctune_root root;
	ck_assert_int_eq(ctune_root_init(&root, NULL, NULL), 0);
	const char *path = NULL;
	ck_assert_msg(ctune_table_summarize(&root, CTUNE_SCHEME_MODERN, &procs, &path, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(path, "/proc/net/nf_conntrack");
	assert_summary_eq(&nls, &procs, "netlink vs /proc");

	uint64_t count = 0, max = 0;
	ck_assert_msg(ctune_netlink_count(nl, &count, &max, &err) == 0, "%s", err.msg);
	ASSERT_U64(count, read_proc_u64("/proc/sys/net/netfilter/nf_conntrack_count"), "count vs /proc");
	ASSERT_U64(max, read_proc_u64("/proc/sys/net/netfilter/nf_conntrack_max"), "max vs /proc");
	ASSERT_U64(count, nls.total, "count vs dump total");
	ctune_netlink_close(nl);
}
END_TEST

START_TEST(test_stats_equal_proc)
{
	enter_netns();
	mix_fill(MIX_ENTRIES);
	ctune_netlink *nl = open_nl();
	ctune_error err = { 0 };
	ctune_stats nst, pst;
	ck_assert_msg(ctune_netlink_stats(nl, &nst, &err) == 0, "%s", err.msg);
	ctune_root root;
	ck_assert_int_eq(ctune_root_init(&root, NULL, NULL), 0);
	ck_assert_msg(ctune_stats_read(&root, CTUNE_SCHEME_MODERN, &pst, &err) == 0, "%s", err.msg);

	ck_assert_uint_eq(nst.ncpus, pst.ncpus);
	ck_assert_uint_gt(nst.ncpus, 0);
	/* The counters this kernel sends (conntrack -S) and the global
	 * count and the expectation counters: all must be there. */
	static const char *const must[] = { "entries",    "found",         "invalid",       "insert",
					    "insert_failed", "drop",       "early_drop",    "icmp_error",
					    "search_restart", "clashres",  "chainlength",   "expect_new",
					    "expect_create", "expect_delete" };
	for (size_t i = 0; i < sizeof(must) / sizeof(must[0]); i++)
		ck_assert_msg(ctune_stats_col(&nst, must[i]) >= 0, "netlink stats lack %s", must[i]);

	for (size_t c = 0; c < nst.ncols; c++) {
		int pc = ctune_stats_col(&pst, nst.names[c]);
		ck_assert_msg(pc >= 0, "column %s is not in /proc/net/stat/nf_conntrack", nst.names[c]);
		for (size_t cpu = 0; cpu < nst.ncpus; cpu++) {
			char what[96];
			snprintf(what, sizeof(what), "%s on cpu row %zu", nst.names[c], cpu);
			ASSERT_U64(ctune_stats_cpu(&nst, cpu, c), ctune_stats_cpu(&pst, cpu, (size_t)pc), what);
		}
		ASSERT_U64(nst.total[c], pst.total[pc], nst.names[c]);
	}
	ASSERT_U64(nst.total[ctune_stats_col(&nst, "entries")], MIX_ENTRIES, "entries");
	ASSERT_U64(nst.total[ctune_stats_col(&nst, "insert")], MIX_ENTRIES, "insert");
	/* /proc columns netlink does not give are the ones current kernels
	 * print as constant 0 (see netlink.h). */
	for (size_t c = 0; c < pst.ncols; c++)
		if (ctune_stats_col(&nst, pst.names[c]) < 0)
			ASSERT_U64(pst.total[c], 0, pst.names[c]);
	ctune_stats_free(&nst);
	ctune_stats_free(&pst);
	ctune_netlink_close(nl);
}
END_TEST

START_TEST(test_probe_ok)
{
	enter_netns();
	ctune_error err = { 0 };
	ck_assert_msg(ctune_netlink_probe(&err) == 0, "%s", err.msg);
	ck_assert_int_eq(err.code, 0);
}
END_TEST

/* Without CAP_NET_ADMIN every request fails with -EPERM and words that name
 * the capability; nothing is returned as if it were a count. */
START_TEST(test_without_cap_net_admin)
{
	enter_netns();
	mix_fill(100);
	ctune_netlink *nl = open_nl(); /* opening needs no capability */

	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	memset(data, 0, sizeof(data));
	ck_assert_msg(syscall(SYS_capset, &hdr, data) == 0, "capset: %s", strerror(errno));

	ctune_error err = { 0 };
	ck_assert_int_eq(ctune_netlink_probe(&err), -EPERM);
	ck_assert_msg(strstr(err.msg, "CAP_NET_ADMIN"), "message: %s", err.msg);

	ctune_error_clear(&err);
	uint64_t count = 7;
	ck_assert_int_eq(ctune_netlink_count(nl, &count, NULL, &err), -EPERM);
	ASSERT_U64(count, 7, "count untouched");
	ck_assert_msg(strstr(err.msg, "CAP_NET_ADMIN"), "message: %s", err.msg);

	ctune_error_clear(&err);
	ctune_table_summary s;
	ck_assert_int_eq(ctune_netlink_summarize(nl, &s, NULL, &err), -EPERM);
	ASSERT_U64(s.total, 0, "no partial total");
	ck_assert_msg(strstr(err.msg, "CAP_NET_ADMIN"), "message: %s", err.msg);

	ctune_error_clear(&err);
	ctune_stats st;
	ck_assert_int_eq(ctune_netlink_stats(nl, &st, &err), -EPERM);
	ck_assert_ptr_null(st.per_cpu);
	ctune_netlink_close(nl);
}
END_TEST

/* The handle stays usable after many requests on one socket. */
START_TEST(test_handle_reuse)
{
	enter_netns();
	mix_fill(1000);
	ctune_netlink *nl = open_nl();
	ctune_error err = { 0 };
	ctune_table_summary want;
	mix_expect(1000, &want);
	for (int i = 0; i < 5; i++) {
		ctune_table_summary s;
		ck_assert_msg(ctune_netlink_summarize(nl, &s, NULL, &err) == 0, "%s", err.msg);
		assert_summary_eq(&s, &want, "reuse");
		ctune_stats st;
		ck_assert_msg(ctune_netlink_stats(nl, &st, &err) == 0, "%s", err.msg);
		ctune_stats_free(&st);
		uint64_t count = 0;
		ck_assert_msg(ctune_netlink_count(nl, &count, NULL, &err) == 0, "%s", err.msg);
		ASSERT_U64(count, 1000, "count");
	}
	ctune_netlink_close(nl);
	ctune_netlink_close(NULL);
}
END_TEST

/* ---- prerequisites and runner --------------------------------------------- */

/* In a throwaway child: can we make a namespace, use ctnetlink in it and
 * read the /proc files the comparisons need?  Returns true or fills why. */
static bool prerequisites(char *why, size_t size)
{
	int fds[2];
	if (pipe(fds) < 0) {
		snprintf(why, size, "pipe: %s", strerror(errno));
		return false;
	}
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(why, size, "fork: %s", strerror(errno));
		return false;
	}
	if (pid == 0) {
		close(fds[0]);
		char msg[1100] = "";
		ctune_error err = { 0 };
		if (unshare(CLONE_NEWNET) < 0)
			snprintf(msg, sizeof(msg), "cannot create a network namespace (unshare(CLONE_NEWNET): %s); "
						   "run as root",
				 strerror(errno));
		else if (ctune_netlink_probe(&err) < 0)
			snprintf(msg, sizeof(msg), "ctnetlink is not usable here: %s", err.msg);
		else if (access("/proc/net/nf_conntrack", R_OK) < 0)
			snprintf(msg, sizeof(msg), "/proc/net/nf_conntrack is not readable (%s): the kernel lacks "
						   "CONFIG_NF_CONNTRACK_PROCFS, so netlink cannot be compared with it",
				 strerror(errno));
		else if (access("/proc/net/stat/nf_conntrack", R_OK) < 0)
			snprintf(msg, sizeof(msg), "/proc/net/stat/nf_conntrack is not readable (%s)", strerror(errno));
		if (write(fds[1], msg, strlen(msg)) < 0)
			_exit(2);
		_exit(0);
	}
	close(fds[1]);
	ssize_t n = read(fds[0], why, size - 1);
	close(fds[0]);
	int status;
	waitpid(pid, &status, 0);
	if (n < 0)
		n = 0;
	why[n] = '\0';
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(why, size, "the prerequisite check itself failed (status %d)", status);
		return false;
	}
	return n == 0;
}

int main(void)
{
	char why[1200];
	if (!prerequisites(why, sizeof(why))) {
		fprintf(stderr, "test-netlink skipped: %s\n", why);
		return 77;
	}
	Suite *s = suite_create("netlink");
	TCase *tc = tcase_create("kernel");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_empty_namespace);
	tcase_add_test(tc, test_mix_known_numbers);
	tcase_add_test(tc, test_mix_equals_proc);
	tcase_add_test(tc, test_stats_equal_proc);
	tcase_add_test(tc, test_probe_ok);
	tcase_add_test(tc, test_without_cap_net_admin);
	tcase_add_test(tc, test_handle_reuse);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	/* Each test unshares its own namespace: that must be a child. */
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
