/* table.h - summary of the conntrack table text (/proc/net/nf_conntrack or
 * the legacy /proc/net/ip_conntrack).
 *
 * HOT PATH.  A busy router's table has a million lines; the summary is a
 * single pass over a fixed read buffer, no allocation per line, no sscanf or
 * strtok, constant memory whatever the table size.  Guarded by bench/ (case
 * 1 and 4).  The netlink dump (netlink.c) fills the same summary struct, so
 * both sources report the same figures in the same shape.
 */
#ifndef CTUNE_TABLE_H
#define CTUNE_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "root.h"
#include "scheme.h"
#include "topk.h"

typedef enum ctune_family {
	CTUNE_FAMILY_IPV4,
	CTUNE_FAMILY_IPV6,
	CTUNE_FAMILY_OTHER,
	CTUNE_FAMILY_COUNT
} ctune_family;

typedef enum ctune_proto {
	CTUNE_PROTO_TCP,
	CTUNE_PROTO_UDP,
	CTUNE_PROTO_UDPLITE,
	CTUNE_PROTO_ICMP,
	CTUNE_PROTO_ICMPV6,
	CTUNE_PROTO_SCTP,
	CTUNE_PROTO_DCCP,
	CTUNE_PROTO_GRE,
	CTUNE_PROTO_OTHER,
	CTUNE_PROTO_COUNT
} ctune_proto;

/* The kernel's own numbering (enum tcp_conntrack), so the netlink path can
 * index with CTA_PROTOINFO_TCP_STATE directly.  Index 9 is SYN_SENT2 on
 * current kernels and LISTEN on 2.6.18. */
enum {
	CTUNE_TCP_NONE,
	CTUNE_TCP_SYN_SENT,
	CTUNE_TCP_SYN_RECV,
	CTUNE_TCP_ESTABLISHED,
	CTUNE_TCP_FIN_WAIT,
	CTUNE_TCP_CLOSE_WAIT,
	CTUNE_TCP_LAST_ACK,
	CTUNE_TCP_TIME_WAIT,
	CTUNE_TCP_CLOSE,
	CTUNE_TCP_SYN_SENT2,
	CTUNE_TCP_STATE_UNKNOWN, /* a name we do not know */
	CTUNE_TCP_STATE_COUNT
};

/* Remaining timeout above which an entry counts as long-lived (one day):
 * the stuck-ESTABLISHED symptom of the default 5-day timeout. */
#define CTUNE_LONG_TIMEOUT_SECONDS 86400

typedef struct ctune_table_summary {
	uint64_t total;                              /* entries seen */
	uint64_t family[CTUNE_FAMILY_COUNT];
	uint64_t proto[CTUNE_PROTO_COUNT];
	uint64_t tcp_state[CTUNE_TCP_STATE_COUNT];
	uint64_t assured;      /* [ASSURED] */
	uint64_t unreplied;    /* [UNREPLIED] */
	uint64_t offload;      /* [OFFLOAD] or [HW_OFFLOAD] */
	uint64_t long_timeout; /* remaining timeout > CTUNE_LONG_TIMEOUT_SECONDS */
	uint64_t malformed;    /* lines that could not be parsed (counted, not fatal) */
	/* Top talkers (below), or NULL: owned by the caller, who sets it after
	 * ctune_table_summary_init() (or passes it to a *_summarize_top). */
	struct ctune_table_top *top;
} ctune_table_summary;

/* ---- top talkers -----------------------------------------------------------
 *
 * The largest groups of entries by original source address, original
 * destination address, protocol and destination port, zone and mark, each in
 * a Space-Saving summary of CTUNE_TOP_CAPACITY counters (topk.h): memory is
 * fixed whatever the table size, every count is exact while a dimension has
 * no more distinct keys than that, and past that each group's count is
 * within its reported error (at most entries / CTUNE_TOP_CAPACITY, twice that
 * for a file read in parallel ranges) of the truth.  With top talkers on, a
 * /proc line whose addresses, ports, zone or mark cannot be read is
 * malformed (and not counted anywhere), as a netlink entry without its
 * addresses is. */
#define CTUNE_TOP_CAPACITY 1024u
/* The most groups a dimension lists. */
#define CTUNE_TOP_LIMIT_MAX CTUNE_TOP_CAPACITY
#define CTUNE_TOP_LIMIT_DEFAULT 10u

typedef enum ctune_top_dim {
	CTUNE_TOP_SRC,   /* original source address */
	CTUNE_TOP_DST,   /* original destination address */
	CTUNE_TOP_DPORT, /* protocol and destination port: "tcp/443", "icmp/type=8", "gre" */
	CTUNE_TOP_ZONE,  /* conntrack zone (0 where the entry names none) */
	CTUNE_TOP_MARK,  /* conntrack mark (0 where the kernel prints none) */
	CTUNE_TOP_DIM_COUNT
} ctune_top_dim;

typedef struct ctune_table_top {
	unsigned limit; /* groups to list per dimension (1..CTUNE_TOP_LIMIT_MAX) */
	ctune_topk *dim[CTUNE_TOP_DIM_COUNT];
} ctune_table_top;

/* The keys of one entry, one per dimension. */
typedef struct ctune_top_keys {
	ctune_topk_key k[CTUNE_TOP_DIM_COUNT];
} ctune_top_keys;

/* NULL when out of memory or limit is 0 or above CTUNE_TOP_LIMIT_MAX. */
ctune_table_top *ctune_table_top_new(unsigned limit);
void ctune_table_top_free(ctune_table_top *t);
void ctune_table_top_reset(ctune_table_top *t);
void ctune_table_top_add(ctune_table_top *t, const ctune_top_keys *k);
/* to += from, dimension by dimension (topk.h).  0 or -ENOMEM. */
int ctune_table_top_merge(ctune_table_top *to, const ctune_table_top *from);

/* "by_src", "by_dst", "by_dport", "by_zone", "by_mark"; NULL outside. */
const char *ctune_top_dim_name(ctune_top_dim d);

/* The keys as the groups are named: an address as inet_ntop() writes it
 * (IPv6 in its canonical compressed form, whichever source gave it);
 * "tcp/443", "icmp/type=8", "gre", "proto-41"; a zone or mark as a decimal.
 * Returns the length, or -ENOBUFS (buf then holds ""). */
int ctune_top_key_text(ctune_top_dim d, const ctune_topk_key *k, char *buf, size_t size);

/* Key makers, shared by the /proc parser and the netlink dump.
 * family: AF_INET (addr 4 bytes) or AF_INET6 (16). */
void ctune_top_key_addr(ctune_topk_key *k, int family, const void *addr);
/* l4num: the protocol number; port: the destination port for TCP, UDP,
 * UDP-Lite, SCTP and DCCP, the ICMP or ICMPv6 type for those two, ignored
 * for the rest. */
void ctune_top_key_dport(ctune_topk_key *k, unsigned l4num, unsigned port);
void ctune_top_key_number(ctune_topk_key *k, uint32_t v);
/* Whether the protocol's group carries a port (1), an ICMP type (2) or
 * nothing (0). */
int ctune_top_proto_kind(unsigned l4num);

/* The keys of one /proc table line [p, e) (no '\n').  Returns false when
 * the line's addresses, ports, ICMP type, zone or mark are missing or
 * invalid: the line is then malformed. */
bool ctune_top_parse_line(const char *p, const char *e, ctune_top_keys *out);

/* Longest line the parser accepts, in bytes before its '\n'.  The kernel's
 * longest lines (full-width IPv6 with accounting, zones, secctx and
 * delta-time) stay under 600 bytes; a longer line is counted as malformed and
 * skipped without buffering it, so memory stays constant on any input. */
#define CTUNE_TABLE_LINE_MAX 4096

/* Names for JSON output: "ipv4", "tcp", "ESTABLISHED" ...  NULL for a value
 * outside the enum. */
const char *ctune_family_name(ctune_family f);
const char *ctune_proto_name(ctune_proto p);
const char *ctune_tcp_state_name(int state);

/* Map a layer-4 protocol number (6, 17, ...) to the summary's bucket. */
ctune_proto ctune_proto_from_number(unsigned num);

/* Zero the summary (top included: set it afterwards). */
void ctune_table_summary_init(ctune_table_summary *s);

/* Add the complete lines in buf[0..len) to s.  Either line format (modern
 * "ipv4 2 tcp 6 ..." or legacy "tcp 6 ...") is recognised per line.  A final
 * line without '\n' is counted as a line too.  A line counts as malformed
 * (and only there) when it is empty, longer than CTUNE_TABLE_LINE_MAX, has a
 * header token that is not what the format needs, lacks the "src=" tuple,
 * lacks the TCP state of a tcp line, or does not end in "use=N" as every
 * complete kernel line does (so a cut-off line is never half counted).  A
 * trailing '\r' is ignored.  A missing timeout is accepted only on an
 * [OFFLOAD]/[HW_OFFLOAD] line, where current kernels leave it out. */
void ctune_table_parse(const char *buf, size_t len, ctune_table_summary *s);

/* Add the counts of from to to: the summaries of two parts of one table
 * make the summary of the whole.  Top talkers are not merged here (each
 * summary's owner merges them with ctune_table_top_merge). */
void ctune_table_summary_add(ctune_table_summary *to, const ctune_table_summary *from);

/* Summarise what fd gives into s (s is not zeroed first); the summary is
 * the one ctune_table_parse() gives for the same bytes.  A regular file of
 * 256 KiB or more (a saved table, a --root snapshot) is cut at line ends
 * into one range per CPU (at most CTUNE_TABLE_THREADS_MAX, each of 1 MiB
 * or more) and the ranges are read with pread() and summarised in
 * parallel threads; anything else (the live /proc file, which has size 0,
 * a pipe) is read sequentially.  Memory is constant either way: a fixed
 * buffer per thread.  A regular file is summarised as long as it was when
 * the call began; one that shrinks meanwhile ends early, as a read() of it
 * would.  Returns 0 or -errno. */
int ctune_table_summarize_fd(int fd, ctune_table_summary *s);

/* Summarise the table file of the scheme under the root (falls back to the
 * other scheme's file when the scheme's own is missing; CTUNE_SCHEME_NONE
 * tries the modern file first).  s is zeroed first.  *path_used (may be NULL)
 * gets the absolute path read, as the running system names it (a static
 * string), or NULL.  Returns 0, or -ENOENT when no table file exists, or
 * -errno; err names the file (also for -ENOENT: pass a scratch error or NULL
 * where a missing table is an answer rather than a failure). */
int ctune_table_summarize(const ctune_root *r, ctune_scheme scheme, ctune_table_summary *s,
			  const char **path_used, ctune_error *err);

/* The same with top talkers: top (may be NULL) is reset and filled, and
 * s->top points to it. */
int ctune_table_summarize_top(const ctune_root *r, ctune_scheme scheme, ctune_table_summary *s,
			      struct ctune_table_top *top, const char **path_used, ctune_error *err);

/* ---- how the summary runs: for tests and benchmarks ----------------------
 *
 * Stage 1 (table.c) finds line ends and brackets with the widest vector
 * compare the CPU has; the regular-file path uses one thread per CPU, at
 * most CTUNE_TABLE_THREADS_MAX.  Both can be forced, so that every path can
 * be exercised and measured on one machine:
 *
 *   CTUNE_TABLE_SCANNER=auto|memchr|sse2|avx2|avx512
 *   CTUNE_TABLE_THREADS=N        (1..CTUNE_TABLE_THREADS_MAX; 0 or unset: auto)
 *
 * are read from the environment once, at the first summary (ignored when
 * the process is set-user-ID; a scanner this CPU lacks, or a value that is
 * not one of these, means auto), and the functions below override them for
 * the rest of the process.  The results never depend on either choice. */
#define CTUNE_TABLE_THREADS_MAX 4

typedef enum ctune_table_scanner {
	CTUNE_TABLE_SCANNER_AUTO,   /* the widest below this CPU supports */
	CTUNE_TABLE_SCANNER_MEMCHR, /* libc's memchr: the portable way */
	CTUNE_TABLE_SCANNER_SSE2,   /* 16 bytes per compare (every x86-64) */
	CTUNE_TABLE_SCANNER_AVX2,   /* 32 bytes */
	CTUNE_TABLE_SCANNER_AVX512, /* 64 bytes (AVX-512BW) */
	CTUNE_TABLE_SCANNER_COUNT
} ctune_table_scanner;

/* True when this build and this CPU can run sc (AUTO and MEMCHR always). */
bool ctune_table_scanner_supported(ctune_table_scanner sc);

/* "auto", "memchr", "sse2", "avx2", "avx512"; NULL outside the enum. */
const char *ctune_table_scanner_name(ctune_table_scanner sc);

/* Use sc from now on (AUTO: the widest supported).  Returns 0, or -ENOTSUP
 * when sc is not supported here (the choice is then unchanged). */
int ctune_table_set_scanner(ctune_table_scanner sc);

/* The scanner in use: never AUTO. */
ctune_table_scanner ctune_table_get_scanner(void);

/* Summarise regular files in n parallel ranges from now on, whatever their
 * size (n = 1: one range, through the same pread() path); 0 goes back to
 * auto (one per CPU the process may run on, at most CTUNE_TABLE_THREADS_MAX,
 * and fewer for a small file).  Returns 0, or -EINVAL when n is above
 * CTUNE_TABLE_THREADS_MAX. */
int ctune_table_set_threads(unsigned n);

/* The forced thread count, or 0 for auto. */
unsigned ctune_table_get_threads(void);

#endif
