/* netlink.c - see netlink.h.  ctnetlink through ctune's own netlink layer
 * (nl.h), reading only the attributes ctune reports.  All conntrack
 * knowledge lives here; the layer below knows netlink only.
 *
 * How data moves: a request is one nlmsghdr + nfgenmsg built on the stack
 * and sent on the handle's socket; the answers land in the handle's one
 * receive buffer (allocated at open, CTUNE_NL_RECV_BUF bytes) and go through
 * ctune_nl_cb_run(), which calls one small callback per message.  The dump
 * callback (HOT PATH) walks the message's top-level attributes once with
 * nl.h's inline walk, keeps pointers to the four it needs, descends into
 * two nests, and bumps counters in the caller's summary.  Nothing is copied
 * or allocated per entry.  The other requests are rare and small and index
 * their attributes with ctune_nl_attr_parse().
 *
 * Why the receive buffer is 64 KiB: the kernel sizes each dump batch from
 * the largest buffer the reader has offered, up to 32 KiB
 * (netlink_recvmsg/netlink_dump), so a buffer of at least that size lets
 * every recvmsg() carry as many entries as the kernel will put in one skb;
 * twice that leaves room for any kernel that batches more, since a
 * truncated read (MSG_TRUNC) would lose entries.
 *
 * Why a dump is restarted instead of resumed after ENOBUFS: the kernel's
 * dump state lives with the socket, and once a message was dropped there is
 * no way to know which entries it held.  A fresh socket and a fresh dump are
 * the only way to an exact count.
 */
#include "netlink.h"

#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>

#include "cleanup.h"
#include "nl.h"

#define CTUNE_NL_RECV_BUF (64u * 1024u)
/* Socket receive buffer asked for; only non-dump traffic could ever fill it,
 * since a dump is paced by our own reads. */
#define CTUNE_NL_SOCK_BUF (1024 * 1024)

struct ctune_netlink {
	ctune_nl_socket *sock;
	unsigned int portid;
	unsigned int seq;
	char *buf;
};

/* Words for a failed request, once, where we know which request it was. */
static int nl_fail(ctune_error *err, int code, const char *what)
{
	switch (code) {
	case -EPERM:
	case -EACCES:
		return ctune_error_set(err, -EPERM,
				       "%s: ctnetlink needs CAP_NET_ADMIN, even to read (run as root or grant the "
				       "capability, or use the /proc source)",
				       what);
	case -EPROTONOSUPPORT:
		return ctune_error_set(err, code, "%s: this kernel has no nfnetlink (NETLINK_NETFILTER)", what);
	case -EOPNOTSUPP:
		return ctune_error_set(err, code,
				       "%s: ctnetlink is not available (nf_conntrack_netlink not loaded or not built, "
				       "or a kernel before 3.7 without this request)",
				       what);
	case -ENOBUFS:
		return ctune_error_set(err, code,
				       "%s: netlink socket buffer overrun (ENOBUFS); no count given rather than a "
				       "short one",
				       what);
	case -EINTR:
		return ctune_error_set(err, code, "%s: the kernel interrupted the dump (NLM_F_DUMP_INTR)", what);
	case -EMSGSIZE:
		return ctune_error_set(err, code, "%s: an answer did not fit the receive buffer (MSG_TRUNC)", what);
	case -EBADMSG:
		return ctune_error_set(err, code, "%s: the kernel's answer is malformed", what);
	default:
		return ctune_error_set(err, code, "%s: %s", what, strerror(-code));
	}
}

static int nl_socket_open(ctune_netlink *nl)
{
	ctune_nl_socket *sock;
	int r = ctune_nl_socket_open(NETLINK_NETFILTER, &sock);
	if (r < 0)
		return r;
	/* SO_RCVBUFFORCE passes rmem_max with CAP_NET_ADMIN, which the dump
	 * needs anyway; the plain option is the fallback.  Neither failing is
	 * fatal: the default buffer works, only with less headroom. */
	int size = CTUNE_NL_SOCK_BUF;
	int fd = ctune_nl_socket_fd(sock);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	nl->sock = sock;
	nl->portid = ctune_nl_socket_portid(sock);
	return 0;
}

int ctune_netlink_open(ctune_netlink **out, ctune_error *err)
{
	*out = NULL;
	ctune_netlink *nl = calloc(1, sizeof(*nl));
	if (!nl)
		return ctune_error_set(err, -ENOMEM, "netlink: out of memory");
	nl->buf = malloc(CTUNE_NL_RECV_BUF);
	if (!nl->buf) {
		free(nl);
		return ctune_error_set(err, -ENOMEM, "netlink: out of memory");
	}
	int r = nl_socket_open(nl);
	if (r < 0) {
		free(nl->buf);
		free(nl);
		return nl_fail(err, r, "netlink socket");
	}
	nl->seq = (unsigned int)time(NULL);
	*out = nl;
	return 0;
}

void ctune_netlink_close(ctune_netlink *nl)
{
	if (!nl)
		return;
	ctune_nl_socket_close(nl->sock);
	free(nl->buf);
	free(nl);
}

/* Replace the socket by a fresh one: the old one may hold a dump the kernel
 * is still running, or a queue that overflowed. */
static int nl_socket_reopen(ctune_netlink *nl)
{
	ctune_nl_socket_close(nl->sock);
	nl->sock = NULL;
	return nl_socket_open(nl);
}

static int nl_send(ctune_netlink *nl, uint16_t subsys, uint8_t msg, uint16_t flags)
{
	if (!nl->sock) {
		int r = nl_socket_open(nl);
		if (r < 0)
			return r;
	}
	uint32_t req[CTUNE_NL_NFMSG_LEN / sizeof(uint32_t)]; /* aligned for the header */
	struct nlmsghdr *nlh = ctune_nl_msg_put_nfgen(req, (uint8_t)subsys, msg, flags, ++nl->seq, AF_UNSPEC, 0);
	return ctune_nl_socket_send(nl->sock, nlh, nlh->nlmsg_len);
}

/* The rest of a failed dump must not reach the next request: that one
 * starts on a clean socket. */
static int nl_drop_socket(ctune_netlink *nl, int r)
{
	ctune_nl_socket_close(nl->sock);
	nl->sock = NULL;
	return r;
}

/* Read answers until the dump ends (dump) or one datagram was handled (a
 * plain request has a single answer).  The layer's NLM_F_MULTI rule is not
 * enough here: ctnetlink flags its one-message IPCTNL_MSG_CT_GET_STATS
 * answer NLM_F_MULTI (ctnetlink_stat_ct), and waiting for more would block.
 * Returns 0 or -errno; kernel errors arrive as NLMSG_ERROR and come back
 * here as their -errno. */
static int nl_run(ctune_netlink *nl, bool dump, ctune_nl_cb cb, void *data, uint64_t *bytes)
{
	for (;;) {
		ssize_t n = ctune_nl_socket_recv(nl->sock, nl->buf, CTUNE_NL_RECV_BUF);
		if (n < 0)
			return dump ? nl_drop_socket(nl, (int)n) : (int)n;
		if (bytes)
			*bytes += (uint64_t)n;
		int r = ctune_nl_cb_run(nl->buf, (size_t)n, nl->seq, nl->portid, cb, data);
		if (r < 0)
			return dump ? nl_drop_socket(nl, r) : r;
		if (r == CTUNE_NL_STOP || !dump)
			return 0;
	}
}

/* nfnetlink answers EINVAL when the ctnetlink subsystem is not registered,
 * and when the subsystem does not know the message type: kernels before 3.7
 * have no IPCTNL_MSG_CT_GET_STATS / GET_STATS_CPU.  For these argument-less
 * requests those are the only causes, and both mean "use /proc": the caller
 * (facts.c) falls back on any error of the probe, with this reason. */
static int nl_map(int r)
{
	return r == -EINVAL ? -EOPNOTSUPP : r;
}

/* ---- count and max ---------------------------------------------------- */

struct global_stats {
	bool have_count, have_max;
	uint64_t count, max;
};

static int global_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct global_stats *g = data;
	if (nlh->nlmsg_type != ((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET_STATS))
		return CTUNE_NL_MORE;
	const struct nlattr *tb[CTA_STATS_GLOBAL_MAX_ENTRIES + 1];
	int r = ctune_nl_attr_parse_msg(nlh, sizeof(struct nfgenmsg), tb, CTA_STATS_GLOBAL_MAX_ENTRIES, NULL);
	if (r < 0)
		return r;
	if (tb[CTA_STATS_GLOBAL_ENTRIES] && ctune_nl_attr_validate(tb[CTA_STATS_GLOBAL_ENTRIES], CTUNE_NL_U32) == 0) {
		g->count = ntohl(ctune_nl_attr_get_u32(tb[CTA_STATS_GLOBAL_ENTRIES]));
		g->have_count = true;
	}
	if (tb[CTA_STATS_GLOBAL_MAX_ENTRIES] &&
	    ctune_nl_attr_validate(tb[CTA_STATS_GLOBAL_MAX_ENTRIES], CTUNE_NL_U32) == 0) {
		g->max = ntohl(ctune_nl_attr_get_u32(tb[CTA_STATS_GLOBAL_MAX_ENTRIES]));
		g->have_max = true;
	}
	return CTUNE_NL_MORE;
}

static int nl_global(ctune_netlink *nl, struct global_stats *g)
{
	memset(g, 0, sizeof(*g));
	int r = nl_send(nl, NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_GET_STATS, 0);
	if (r < 0)
		return r;
	r = nl_run(nl, false, global_msg_cb, g, NULL);
	if (r < 0)
		return nl_map(r);
	return g->have_count && g->have_max ? 0 : -EBADMSG;
}

int ctune_netlink_count(ctune_netlink *nl, uint64_t *count, uint64_t *max, ctune_error *err)
{
	struct global_stats g;
	int r = nl_global(nl, &g);
	if (r == -EBADMSG)
		return ctune_error_set(err, r, "ctnetlink global statistics: the answer lacks the entry count or limit");
	if (r < 0)
		return nl_fail(err, r, "ctnetlink global statistics");
	if (count)
		*count = g.count;
	if (max)
		*max = g.max;
	return 0;
}

/* ---- per-CPU statistics ----------------------------------------------- */

#define CT_STATS_ATTRS 16 /* CTA_STATS_* types 1..15 on current kernels */
#define EXP_STATS_ATTRS 4

enum { SRC_GLOBAL, SRC_CT, SRC_EXP };

/* The /proc header names for what netlink sends, in /proc's column order
 * (the current and the old header merged: searched and clashres share a
 * slot, as do delete_list and chainlength). */
static const struct {
	const char *name;
	int src;
	int attr;
} stat_columns[] = {
	{ "entries", SRC_GLOBAL, 0 },
	{ "searched", SRC_CT, CTA_STATS_SEARCHED },
	{ "clashres", SRC_CT, CTA_STATS_CLASH_RESOLVE },
	{ "found", SRC_CT, CTA_STATS_FOUND },
	{ "new", SRC_CT, CTA_STATS_NEW },
	{ "invalid", SRC_CT, CTA_STATS_INVALID },
	{ "ignore", SRC_CT, CTA_STATS_IGNORE },
	{ "delete", SRC_CT, CTA_STATS_DELETE },
	{ "delete_list", SRC_CT, CTA_STATS_DELETE_LIST },
	{ "chainlength", SRC_CT, CTA_STATS_CHAIN_TOOLONG },
	{ "insert", SRC_CT, CTA_STATS_INSERT },
	{ "insert_failed", SRC_CT, CTA_STATS_INSERT_FAILED },
	{ "drop", SRC_CT, CTA_STATS_DROP },
	{ "early_drop", SRC_CT, CTA_STATS_EARLY_DROP },
	{ "icmp_error", SRC_CT, CTA_STATS_ERROR },
	{ "expect_new", SRC_EXP, CTA_STATS_EXP_NEW },
	{ "expect_create", SRC_EXP, CTA_STATS_EXP_CREATE },
	{ "expect_delete", SRC_EXP, CTA_STATS_EXP_DELETE },
	{ "search_restart", SRC_CT, CTA_STATS_SEARCH_RESTART },
};

struct cpu_row {
	unsigned int cpu;
	uint64_t ct[CT_STATS_ATTRS];
	uint64_t exp[EXP_STATS_ATTRS];
};

struct cpu_dump {
	struct cpu_row *rows;
	size_t n, cap;
	unsigned int ct_present;  /* bit per CTA_STATS_* type seen */
	unsigned int exp_present; /* bit per CTA_STATS_EXP_* type seen */
	bool exp;                 /* parsing the expectation dump */
};

static struct cpu_row *cpu_row_get(struct cpu_dump *d, unsigned int cpu, bool create)
{
	for (size_t i = d->n; i > 0; i--)
		if (d->rows[i - 1].cpu == cpu)
			return &d->rows[i - 1];
	if (!create)
		return NULL;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		if (cap > CTUNE_STAT_MAX_CPUS)
			cap = CTUNE_STAT_MAX_CPUS;
		if (d->n == cap) {
			errno = E2BIG;
			return NULL;
		}
		struct cpu_row *rows = realloc(d->rows, cap * sizeof(*rows));
		if (!rows) {
			errno = ENOMEM;
			return NULL;
		}
		d->rows = rows;
		d->cap = cap;
	}
	struct cpu_row *row = &d->rows[d->n++];
	memset(row, 0, sizeof(*row));
	row->cpu = cpu;
	return row;
}

static int cpu_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct cpu_dump *d = data;
	/* Only the message number is checked: kernels answer the expectation
	 * request under the conntrack subsystem's number (seen on 6.18), so
	 * the subsystem byte of the answer is not reliable. */
	uint8_t want = d->exp ? IPCTNL_MSG_EXP_GET_STATS_CPU : IPCTNL_MSG_CT_GET_STATS_CPU;
	if ((nlh->nlmsg_type & 0xff) != want || ctune_nl_msg_payload_len(nlh) < sizeof(struct nfgenmsg))
		return CTUNE_NL_MORE;
	const struct nfgenmsg *nfg = ctune_nl_msg_payload(nlh);
	unsigned int cpu = ntohs(nfg->res_id);
	/* The expectation rows attach to the CPUs the conntrack dump named;
	 * one the first dump did not name is ignored rather than invented. */
	struct cpu_row *row = cpu_row_get(d, cpu, !d->exp);
	if (!row)
		return d->exp ? CTUNE_NL_MORE : -errno;
	const struct nlattr *tb[CT_STATS_ATTRS];
	unsigned int max = d->exp ? EXP_STATS_ATTRS - 1 : CT_STATS_ATTRS - 1;
	int r = ctune_nl_attr_parse_msg(nlh, sizeof(*nfg), tb, (uint16_t)max, NULL);
	if (r < 0)
		return r;
	for (unsigned int t = 1; t <= max; t++) {
		if (!tb[t] || ctune_nl_attr_validate(tb[t], CTUNE_NL_U32) < 0)
			continue;
		uint64_t v = ntohl(ctune_nl_attr_get_u32(tb[t]));
		if (d->exp) {
			row->exp[t] = v;
			d->exp_present |= 1u << t;
		} else {
			row->ct[t] = v;
			d->ct_present |= 1u << t;
		}
	}
	return CTUNE_NL_MORE;
}

int ctune_netlink_stats(ctune_netlink *nl, ctune_stats *st, ctune_error *err)
{
	memset(st, 0, sizeof(*st));
	struct cpu_dump d = { 0 };
	_cleanup_free_ struct cpu_row *rows = NULL;

	int r = nl_send(nl, NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_GET_STATS_CPU, NLM_F_DUMP);
	if (r == 0)
		r = nl_run(nl, true, cpu_msg_cb, &d, NULL);
	rows = d.rows;
	if (r < 0)
		return nl_fail(err, nl_map(r), "ctnetlink per-CPU statistics");

	/* The expectation counters live in another subsystem.  Without it the
	 * expect_* columns are simply absent, as the header documents. */
	d.exp = true;
	r = nl_send(nl, NFNL_SUBSYS_CTNETLINK_EXP, IPCTNL_MSG_EXP_GET_STATS_CPU, NLM_F_DUMP);
	if (r == 0)
		r = nl_run(nl, true, cpu_msg_cb, &d, NULL);
	if (r < 0)
		d.exp_present = 0;

	struct global_stats g;
	r = nl_global(nl, &g);
	if (r < 0 && r != -EBADMSG)
		return nl_fail(err, r, "ctnetlink global statistics");

	size_t idx[ELEMENTSOF(stat_columns)];
	size_t ncols = 0;
	for (size_t c = 0; c < ELEMENTSOF(stat_columns); c++) {
		bool present = stat_columns[c].src == SRC_GLOBAL ? g.have_count
			       : stat_columns[c].src == SRC_CT ? (d.ct_present >> stat_columns[c].attr) & 1u
							       : (d.exp_present >> stat_columns[c].attr) & 1u;
		if (!present)
			continue;
		idx[ncols] = c;
		snprintf(st->names[ncols], CTUNE_STAT_NAME_MAX, "%s", stat_columns[c].name);
		ncols++;
	}
	st->ncols = ncols;
	st->ncpus = d.n;
	st->per_cpu = calloc(d.n * ncols > 0 ? d.n * ncols : 1, sizeof(uint64_t));
	if (!st->per_cpu) {
		memset(st, 0, sizeof(*st));
		return ctune_error_set(err, -ENOMEM, "ctnetlink per-CPU statistics: out of memory");
	}
	for (size_t i = 0; i < d.n; i++) {
		for (size_t k = 0; k < ncols; k++) {
			size_t c = idx[k];
			uint64_t v = stat_columns[c].src == SRC_GLOBAL ? g.count
				     : stat_columns[c].src == SRC_CT ? d.rows[i].ct[stat_columns[c].attr]
								     : d.rows[i].exp[stat_columns[c].attr];
			st->per_cpu[i * ncols + k] = v;
			if (stat_columns[c].src == SRC_GLOBAL)
				st->total[k] = v;
			else
				st->total[k] += v;
		}
	}
	if (d.n == 0)
		for (size_t k = 0; k < ncols; k++)
			if (stat_columns[idx[k]].src == SRC_GLOBAL)
				st->total[k] = g.count;
	return 0;
}

/* ---- the table dump (HOT PATH) ---------------------------------------- */

struct dump_state {
	ctune_table_summary *s;
	uint64_t messages;
};

/* The hot path's attribute walk is nl.h's inline one (bounds-checked ok
 * and next, no call per attribute).  Through exported functions, as with
 * libmnl's, the walk cost ~190 ns an entry, a tenth of what the kernel
 * spends producing it; inline it is a fraction of that. */
static inline uint32_t attr_be32(const struct nlattr *a)
{
	uint32_t v;
	memcpy(&v, ctune_nl_attr_data(a), sizeof(v));
	return ntohl(v);
}

static inline uint8_t attr_u8(const struct nlattr *a)
{
	return *(const uint8_t *)ctune_nl_attr_data(a);
}

static inline uint16_t attr_be16(const struct nlattr *a)
{
	uint16_t v;
	memcpy(&v, ctune_nl_attr_data(a), sizeof(v));
	return ntohs(v);
}

/* A zone id in a tuple (CTA_TUPLE_ZONE: a zone of one direction). */
static bool tuple_zone(const struct nlattr *tuple, uint32_t *zone)
{
	const struct nlattr *z = tuple ? ctune_nl_attr_find_nested(tuple, CTA_TUPLE_ZONE) : NULL;
	if (!z || ctune_nl_attr_len(z) < 2)
		return false;
	*zone = attr_be16(z);
	return true;
}

/* The top talkers' keys of one entry (table.h), as the /proc parser makes
 * them from the same entry's line: false when the original tuple lacks its
 * addresses, or a port protocol its destination port (malformed). */
static bool entry_top_keys(const struct nlattr *orig, const struct nlattr *proto, uint8_t l4,
			   const struct nlattr *reply, const struct nlattr *mark_a, const struct nlattr *zone_a,
			   ctune_top_keys *k)
{
	const struct nlattr *ip = ctune_nl_attr_find_nested(orig, CTA_TUPLE_IP);
	if (!ip)
		return false;
	const struct nlattr *src = ctune_nl_attr_find_nested(ip, CTA_IP_V4_SRC);
	const struct nlattr *dst = ctune_nl_attr_find_nested(ip, CTA_IP_V4_DST);
	int family = AF_INET;
	size_t alen = 4;
	if (!src || !dst) {
		src = ctune_nl_attr_find_nested(ip, CTA_IP_V6_SRC);
		dst = ctune_nl_attr_find_nested(ip, CTA_IP_V6_DST);
		family = AF_INET6;
		alen = 16;
	}
	if (!src || !dst || ctune_nl_attr_len(src) < alen || ctune_nl_attr_len(dst) < alen)
		return false;
	ctune_top_key_addr(&k->k[CTUNE_TOP_SRC], family, ctune_nl_attr_data(src));
	ctune_top_key_addr(&k->k[CTUNE_TOP_DST], family, ctune_nl_attr_data(dst));

	unsigned port = 0;
	int kind = ctune_top_proto_kind(l4);
	if (kind == 1) {
		const struct nlattr *dp = ctune_nl_attr_find_nested(proto, CTA_PROTO_DST_PORT);
		if (!dp || ctune_nl_attr_len(dp) < 2)
			return false;
		port = attr_be16(dp);
	} else if (kind == 2) {
		const struct nlattr *ty =
			ctune_nl_attr_find_nested(proto, l4 == IPPROTO_ICMP ? CTA_PROTO_ICMP_TYPE : CTA_PROTO_ICMPV6_TYPE);
		if (!ty || ctune_nl_attr_len(ty) < 1)
			return false;
		port = attr_u8(ty);
	}
	ctune_top_key_dport(&k->k[CTUNE_TOP_DPORT], l4, port);

	/* CTA_ZONE for a zone of both directions; the kernel leaves zone 0 out */
	uint32_t zone = 0;
	if (zone_a && ctune_nl_attr_len(zone_a) >= 2)
		zone = attr_be16(zone_a);
	else if (!tuple_zone(orig, &zone))
		(void)tuple_zone(reply, &zone);
	ctune_top_key_number(&k->k[CTUNE_TOP_ZONE], zone);
	ctune_top_key_number(&k->k[CTUNE_TOP_MARK],
			     mark_a && ctune_nl_attr_len(mark_a) >= 4 ? attr_be32(mark_a) : 0);
	return true;
}

static int ct_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_state *d = data;
	if (nlh->nlmsg_type != ((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW))
		return CTUNE_NL_MORE;
	d->messages++;
	ctune_table_summary *s = d->s;
	size_t plen = ctune_nl_msg_payload_len(nlh);
	if (plen < sizeof(struct nfgenmsg)) {
		s->malformed++;
		return CTUNE_NL_MORE;
	}
	const struct nfgenmsg *nfg = ctune_nl_msg_payload(nlh);
	const struct nlattr *orig = NULL, *status_a = NULL, *timeout_a = NULL, *protoinfo = NULL;
	const struct nlattr *reply = NULL, *mark_a = NULL, *zone_a = NULL;
	const struct nlattr *a;
	size_t rem;
	ctune_nl_attr_for_each(a, rem, (const char *)nfg + CTUNE_NL_ALIGN(sizeof(*nfg)),
			       plen - CTUNE_NL_ALIGN(sizeof(*nfg))) {
		switch (ctune_nl_attr_type(a)) {
		case CTA_TUPLE_ORIG:
			orig = a;
			break;
		case CTA_STATUS:
			status_a = a;
			break;
		case CTA_TIMEOUT:
			timeout_a = a;
			break;
		case CTA_PROTOINFO:
			protoinfo = a;
			break;
		case CTA_TUPLE_REPLY:
			reply = a;
			break;
		case CTA_MARK:
			mark_a = a;
			break;
		case CTA_ZONE:
			zone_a = a;
			break;
		}
	}

	const struct nlattr *proto = orig ? ctune_nl_attr_find_nested(orig, CTA_TUPLE_PROTO) : NULL;
	const struct nlattr *num = proto ? ctune_nl_attr_find_nested(proto, CTA_PROTO_NUM) : NULL;
	if (!num || ctune_nl_attr_len(num) < 1 || !status_a || ctune_nl_attr_len(status_a) < 4) {
		s->malformed++;
		return CTUNE_NL_MORE;
	}
	uint8_t l4 = attr_u8(num);
	uint32_t status = attr_be32(status_a);
	if (s->top) {
		ctune_top_keys k;
		if (!entry_top_keys(orig, proto, l4, reply, mark_a, zone_a, &k)) {
			s->malformed++;
			return CTUNE_NL_MORE;
		}
		ctune_table_top_add(s->top, &k);
	}

	ctune_family fam = nfg->nfgen_family == AF_INET ? CTUNE_FAMILY_IPV4
			   : nfg->nfgen_family == AF_INET6 ? CTUNE_FAMILY_IPV6
							   : CTUNE_FAMILY_OTHER;
	ctune_proto p = ctune_proto_from_number(l4);
	s->total++;
	s->family[fam]++;
	s->proto[p]++;

	if (p == CTUNE_PROTO_TCP) {
		int state = CTUNE_TCP_STATE_UNKNOWN;
		const struct nlattr *tcp = protoinfo ? ctune_nl_attr_find_nested(protoinfo, CTA_PROTOINFO_TCP) : NULL;
		const struct nlattr *st = tcp ? ctune_nl_attr_find_nested(tcp, CTA_PROTOINFO_TCP_STATE) : NULL;
		if (st && ctune_nl_attr_len(st) >= 1 && attr_u8(st) < CTUNE_TCP_STATE_UNKNOWN)
			state = attr_u8(st);
		s->tcp_state[state]++;
	}

	/* The kernel's /proc printer: [UNREPLIED] without SEEN_REPLY; then the
	 * first of [HW_OFFLOAD], [OFFLOAD], [ASSURED]; no timeout on OFFLOAD. */
	s->unreplied += !(status & IPS_SEEN_REPLY);
	if (status & (IPS_OFFLOAD | IPS_HW_OFFLOAD))
		s->offload++;
	else if (status & IPS_ASSURED)
		s->assured++;
	if (!(status & IPS_OFFLOAD) && timeout_a && ctune_nl_attr_len(timeout_a) >= 4)
		s->long_timeout += attr_be32(timeout_a) > CTUNE_LONG_TIMEOUT_SECONDS;
	return CTUNE_NL_MORE;
}

int ctune_netlink_summarize(ctune_netlink *nl, ctune_table_summary *s, ctune_netlink_dump_info *info,
			    ctune_error *err)
{
	return ctune_netlink_summarize_top(nl, s, NULL, info, err);
}

int ctune_netlink_summarize_top(ctune_netlink *nl, ctune_table_summary *s, struct ctune_table_top *top,
				ctune_netlink_dump_info *info, ctune_error *err)
{
	ctune_netlink_dump_info local = { 0 };
	int r = 0;
	for (unsigned attempt = 0; attempt <= CTUNE_NETLINK_DUMP_RETRIES; attempt++) {
		if (attempt > 0) {
			r = nl_socket_reopen(nl);
			if (r < 0)
				return nl_fail(err, r, "netlink socket");
		}
		ctune_table_summary_init(s);
		s->top = top;
		if (top)
			ctune_table_top_reset(top);
		struct dump_state d = { s, 0 };
		local.attempts = attempt + 1;
		local.bytes = 0;
		r = nl_send(nl, NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_GET, NLM_F_DUMP);
		if (r == 0)
			r = nl_run(nl, true, ct_msg_cb, &d, &local.bytes);
		local.messages = d.messages;
		if (r != -ENOBUFS && r != -EINTR)
			break;
	}
	if (info)
		*info = local;
	if (r < 0) {
		ctune_table_summary_init(s);
		s->top = top;
		if (top)
			ctune_table_top_reset(top);
		char what[64];
		snprintf(what, sizeof(what), "ctnetlink table dump (%u tries)", local.attempts);
		return nl_fail(err, nl_map(r), what);
	}
	return 0;
}

int ctune_netlink_probe(ctune_error *err)
{
	ctune_netlink *nl;
	int r = ctune_netlink_open(&nl, err);
	if (r < 0)
		return r;
	r = ctune_netlink_count(nl, NULL, NULL, err);
	ctune_netlink_close(nl);
	return r;
}
