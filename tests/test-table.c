/* test-table.c - the conntrack table summary (table.c) alone.
 *
 * Every test states the exact figures it expects.  The line formats are the
 * kernel's: modern lines as REFERENCE.md quotes them, legacy 2.6.18
 * /proc/net/ip_conntrack lines, accounting, zones, secctx, offload.  The
 * streaming path is checked against the one-buffer parse with the same text
 * cut at other places: through a pipe in odd-sized writes, through a regular
 * file bigger than the read buffer, with lines longer than the buffer.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "table.h"
#include <sys/socket.h>

#define DATA CTUNE_TEST_DIR "/data/table/"

#define V6A "fd00:0000:0000:0000:0000:0000:0000:0009"
#define V6B "fd00:0000:0000:0000:0000:0000:0000:0002"

/* The three lines REFERENCE.md shows from a 6.18 kernel, verbatim. */
#define REF_TCP4                                                                                                     \
	"ipv4     2 tcp      6 3602 ESTABLISHED src=10.0.0.2 dst=10.100.0.1 sport=1026 dport=443 src=10.100.0.1 "      \
	"dst=10.0.0.2 sport=443 dport=1026 [ASSURED] mark=0 zone=0 use=2"
#define REF_UDP4                                                                                                     \
	"ipv4     2 udp      17 29 src=127.0.0.1 dst=127.0.0.1 sport=35545 dport=20027 [UNREPLIED] src=127.0.0.1 "     \
	"dst=127.0.0.1 sport=20027 dport=35545 mark=0 zone=0 use=2"
#define REF_TCP6                                                                                                     \
	"ipv6     10 tcp      6 3609 ESTABLISHED src=" V6A " dst=" V6B " sport=1033 dport=22 src=" V6B " dst=" V6A     \
	" sport=22 dport=1033 [ASSURED] mark=0 zone=0 use=2"
#define LEGACY_TCP                                                                                                   \
	"tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 packets=3 bytes=4 src=10.0.0.2 "          \
	"dst=10.0.0.1 sport=2 dport=1 packets=5 bytes=6 [ASSURED] mark=0 secmark=0 use=1"

/* ---- helpers ------------------------------------------------------------ */

static void check_summary(const ctune_table_summary *got, const ctune_table_summary *want, int line)
{
	ck_assert_msg(got->total == want->total, "line %d: total %" PRIu64 ", want %" PRIu64, line, got->total,
		      want->total);
	ck_assert_msg(got->malformed == want->malformed, "line %d: malformed %" PRIu64 ", want %" PRIu64, line,
		      got->malformed, want->malformed);
	for (int i = 0; i < CTUNE_FAMILY_COUNT; i++)
		ck_assert_msg(got->family[i] == want->family[i], "line %d: family %s %" PRIu64 ", want %" PRIu64, line,
			      ctune_family_name(i), got->family[i], want->family[i]);
	for (int i = 0; i < CTUNE_PROTO_COUNT; i++)
		ck_assert_msg(got->proto[i] == want->proto[i], "line %d: proto %s %" PRIu64 ", want %" PRIu64, line,
			      ctune_proto_name(i), got->proto[i], want->proto[i]);
	for (int i = 0; i < CTUNE_TCP_STATE_COUNT; i++)
		ck_assert_msg(got->tcp_state[i] == want->tcp_state[i],
			      "line %d: tcp_state %s %" PRIu64 ", want %" PRIu64, line, ctune_tcp_state_name(i),
			      got->tcp_state[i], want->tcp_state[i]);
	ck_assert_msg(got->assured == want->assured, "line %d: assured %" PRIu64 ", want %" PRIu64, line,
		      got->assured, want->assured);
	ck_assert_msg(got->unreplied == want->unreplied, "line %d: unreplied %" PRIu64 ", want %" PRIu64, line,
		      got->unreplied, want->unreplied);
	ck_assert_msg(got->offload == want->offload, "line %d: offload %" PRIu64 ", want %" PRIu64, line,
		      got->offload, want->offload);
	ck_assert_msg(got->long_timeout == want->long_timeout, "line %d: long_timeout %" PRIu64 ", want %" PRIu64,
		      line, got->long_timeout, want->long_timeout);
}
#define CHECK_SUMMARY(got, ...) check_summary((got), &(ctune_table_summary){ __VA_ARGS__ }, __LINE__)

static ctune_table_summary parse_str(const char *text)
{
	ctune_table_summary s;
	ctune_table_summary_init(&s);
	ctune_table_parse(text, strlen(text), &s);
	return s;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	ck_assert_ptr_nonnull(buf);
	size_t k;
	while ((k = fread(buf + n, 1, cap - n, f)) > 0) {
		n += k;
		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			ck_assert_ptr_nonnull(buf);
		}
	}
	fclose(f);
	*len = n;
	return buf;
}

static ctune_table_summary summarize_path(const char *path)
{
	ctune_table_summary s;
	ctune_table_summary_init(&s);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(ctune_table_summarize_fd(fd, &s), 0);
	close(fd);
	return s;
}

static void write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t k = write(fd, p, len);
		if (k < 0 && errno == EINTR)
			continue;
		ck_assert_int_gt(k, 0);
		p += k;
		len -= (size_t)k;
	}
}

/* Through a regular (unlinked) temporary file: under the configuration's
 * thread count it is cut into ranges, each read in buffers (or, when small
 * and nothing is forced, read() fills whole buffers), so lines straddle
 * range and buffer boundaries. */
static ctune_table_summary summarize_tmpfile(const char *text, size_t len)
{
	char path[] = "/tmp/ctune-test-table-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	unlink(path);
	write_all(fd, text, len);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ctune_table_summary s;
	ctune_table_summary_init(&s);
	ck_assert_int_eq(ctune_table_summarize_fd(fd, &s), 0);
	close(fd);
	return s;
}

/* Through a pipe, written by a child in writes of the sizes in chunks[]
 * (cycled): read() returns whatever arrived, so lines are cut everywhere. */
static ctune_table_summary summarize_pipe(const char *text, size_t len, const size_t *chunks, size_t nchunks)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(p[0]);
		size_t off = 0, i = 0;
		while (off < len) {
			size_t n = chunks[i++ % nchunks];
			if (n > len - off)
				n = len - off;
			ssize_t k = write(p[1], text + off, n);
			if (k < 0) {
				if (errno == EINTR)
					continue;
				_exit(1);
			}
			off += (size_t)k;
		}
		_exit(0);
	}
	close(p[1]);
	ctune_table_summary s;
	ctune_table_summary_init(&s);
	ck_assert_int_eq(ctune_table_summarize_fd(p[0], &s), 0);
	close(p[0]);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return s;
}

static void assert_same(const ctune_table_summary *a, const ctune_table_summary *b, int line)
{
	check_summary(a, b, line);
	ck_assert_msg(memcmp(a, b, sizeof(*a)) == 0, "line %d: summaries differ", line);
}

/* Lines in text the way ctune_table_parse counts them. */
static uint64_t count_lines(const char *text, size_t len)
{
	uint64_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += text[i] == '\n';
	return n + (len > 0 && text[len - 1] != '\n');
}

/* ---- every scanner, every thread count ----------------------------------
 *
 * Each test below that parses runs once per configuration: every stage-1
 * scanner this CPU supports (table.h), each with regular files read in one
 * range and in two, then four ranges and the automatic choice with the
 * widest scanner.  What a test expects never depends on the configuration;
 * a failure names it by the loop index check prints. */

struct config {
	ctune_table_scanner scanner;
	unsigned threads;
};
static struct config configs[2 * CTUNE_TABLE_SCANNER_COUNT + 2];
static int nconfigs;

static void build_configs(void)
{
	for (int sc = CTUNE_TABLE_SCANNER_MEMCHR; sc < CTUNE_TABLE_SCANNER_COUNT; sc++) {
		if (!ctune_table_scanner_supported((ctune_table_scanner)sc))
			continue;
		configs[nconfigs++] = (struct config){ (ctune_table_scanner)sc, 1 };
		configs[nconfigs++] = (struct config){ (ctune_table_scanner)sc, 2 };
	}
	configs[nconfigs++] = (struct config){ CTUNE_TABLE_SCANNER_AUTO, CTUNE_TABLE_THREADS_MAX };
	configs[nconfigs++] = (struct config){ CTUNE_TABLE_SCANNER_AUTO, 0 };
}

static void use_config(int i)
{
	ck_assert_int_eq(ctune_table_set_scanner(configs[i].scanner), 0);
	ck_assert_int_eq(ctune_table_set_threads(configs[i].threads), 0);
}

#define TABLE_TEST(name)              \
	static void name##_body(void); \
	START_TEST(name)               \
	{                              \
		use_config(_i);        \
		name##_body();         \
	}                              \
	END_TEST                       \
	static void name##_body(void)

/* ---- names and numbers -------------------------------------------------- */

START_TEST(test_names)
{
	ck_assert_str_eq(ctune_family_name(CTUNE_FAMILY_IPV4), "ipv4");
	ck_assert_str_eq(ctune_family_name(CTUNE_FAMILY_IPV6), "ipv6");
	ck_assert_str_eq(ctune_family_name(CTUNE_FAMILY_OTHER), "other");
	ck_assert_ptr_null(ctune_family_name(CTUNE_FAMILY_COUNT));

	static const char *const protos[] = { "tcp", "udp", "udplite", "icmp", "icmpv6", "sctp", "dccp", "gre", "other" };
	for (int i = 0; i < CTUNE_PROTO_COUNT; i++)
		ck_assert_str_eq(ctune_proto_name(i), protos[i]);
	ck_assert_ptr_null(ctune_proto_name(CTUNE_PROTO_COUNT));

	static const char *const states[] = { "NONE",     "SYN_SENT",  "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT",
					      "LAST_ACK", "TIME_WAIT", "CLOSE",    "SYN_SENT2",   "UNKNOWN" };
	for (int i = 0; i < CTUNE_TCP_STATE_COUNT; i++)
		ck_assert_str_eq(ctune_tcp_state_name(i), states[i]);
	ck_assert_ptr_null(ctune_tcp_state_name(-1));
	ck_assert_ptr_null(ctune_tcp_state_name(CTUNE_TCP_STATE_COUNT));
}
END_TEST

START_TEST(test_proto_numbers)
{
	ck_assert_int_eq(ctune_proto_from_number(6), CTUNE_PROTO_TCP);
	ck_assert_int_eq(ctune_proto_from_number(17), CTUNE_PROTO_UDP);
	ck_assert_int_eq(ctune_proto_from_number(136), CTUNE_PROTO_UDPLITE);
	ck_assert_int_eq(ctune_proto_from_number(1), CTUNE_PROTO_ICMP);
	ck_assert_int_eq(ctune_proto_from_number(58), CTUNE_PROTO_ICMPV6);
	ck_assert_int_eq(ctune_proto_from_number(132), CTUNE_PROTO_SCTP);
	ck_assert_int_eq(ctune_proto_from_number(33), CTUNE_PROTO_DCCP);
	ck_assert_int_eq(ctune_proto_from_number(47), CTUNE_PROTO_GRE);
	ck_assert_int_eq(ctune_proto_from_number(0), CTUNE_PROTO_OTHER);
	ck_assert_int_eq(ctune_proto_from_number(50), CTUNE_PROTO_OTHER);
	ck_assert_int_eq(ctune_proto_from_number(255), CTUNE_PROTO_OTHER);
	ck_assert_int_eq(ctune_proto_from_number(6 + 256), CTUNE_PROTO_OTHER);
}
END_TEST

/* ---- line formats ------------------------------------------------------- */

TABLE_TEST(test_reference_lines)
{
	ctune_table_summary s = parse_str(REF_TCP4 "\n" REF_UDP4 "\n" REF_TCP6 "\n");
	CHECK_SUMMARY(&s, .total = 3, .family = { [CTUNE_FAMILY_IPV4] = 2, [CTUNE_FAMILY_IPV6] = 1 },
		      .proto = { [CTUNE_PROTO_TCP] = 2, [CTUNE_PROTO_UDP] = 1 },
		      .tcp_state = { [CTUNE_TCP_ESTABLISHED] = 2 }, .assured = 2, .unreplied = 1);
}
END_TEST

TABLE_TEST(test_modern_fixture)
{
	ctune_table_summary s = summarize_path(DATA "modern.txt");
	CHECK_SUMMARY(&s, .total = 19, .family = { [CTUNE_FAMILY_IPV4] = 16, [CTUNE_FAMILY_IPV6] = 3 },
		      .proto = { [CTUNE_PROTO_TCP] = 8, [CTUNE_PROTO_UDP] = 4, [CTUNE_PROTO_UDPLITE] = 1,
				 [CTUNE_PROTO_ICMP] = 1, [CTUNE_PROTO_ICMPV6] = 1, [CTUNE_PROTO_SCTP] = 1,
				 [CTUNE_PROTO_DCCP] = 1, [CTUNE_PROTO_GRE] = 1, [CTUNE_PROTO_OTHER] = 1 },
		      .tcp_state = { [CTUNE_TCP_ESTABLISHED] = 5, [CTUNE_TCP_TIME_WAIT] = 1, [CTUNE_TCP_SYN_SENT] = 1,
				     [CTUNE_TCP_CLOSE] = 1 },
		      .assured = 12, .unreplied = 4, .offload = 2, .long_timeout = 2);

	size_t len;
	char *text = slurp(DATA "modern.txt", &len);
	ctune_table_summary m;
	ctune_table_summary_init(&m);
	ctune_table_parse(text, len, &m);
	assert_same(&m, &s, __LINE__);
	free(text);
}
END_TEST

TABLE_TEST(test_legacy_fixture)
{
	/* 2.6.18 /proc/net/ip_conntrack, with nf_conntrack_acct-style counters
	 * as that kernel printed them, and LISTEN where SYN_SENT2 is now. */
	ctune_table_summary s = summarize_path(DATA "legacy.txt");
	CHECK_SUMMARY(&s, .total = 12, .family = { [CTUNE_FAMILY_IPV4] = 12 },
		      .proto = { [CTUNE_PROTO_TCP] = 6, [CTUNE_PROTO_UDP] = 2, [CTUNE_PROTO_ICMP] = 1,
				 [CTUNE_PROTO_SCTP] = 1, [CTUNE_PROTO_GRE] = 1, [CTUNE_PROTO_OTHER] = 1 },
		      .tcp_state = { [CTUNE_TCP_ESTABLISHED] = 2, [CTUNE_TCP_SYN_SENT] = 1, [CTUNE_TCP_TIME_WAIT] = 1,
				     [CTUNE_TCP_SYN_SENT2] = 1, [CTUNE_TCP_CLOSE_WAIT] = 1 },
		      .assured = 7, .unreplied = 3, .long_timeout = 2);
}
END_TEST

TABLE_TEST(test_legacy_inline)
{
	ctune_table_summary s = parse_str(
		LEGACY_TCP "\n"
		"udp      17 29 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=2 "
		"dport=1 use=1\n"
		"icmp     1 29 src=10.0.0.1 dst=10.0.0.2 type=8 code=0 id=1 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 type=0 "
		"code=0 id=1 mark=0 secmark=0 use=1\n");
	CHECK_SUMMARY(&s, .total = 3, .family = { [CTUNE_FAMILY_IPV4] = 3 },
		      .proto = { [CTUNE_PROTO_TCP] = 1, [CTUNE_PROTO_UDP] = 1, [CTUNE_PROTO_ICMP] = 1 },
		      .tcp_state = { [CTUNE_TCP_ESTABLISHED] = 1 }, .assured = 1, .unreplied = 2, .long_timeout = 1);
}
END_TEST

TABLE_TEST(test_accounting_zone_secctx)
{
	ctune_table_summary s = parse_str(
		/* nf_conntrack_acct=1 */
		"ipv4     2 tcp      6 431999 ESTABLISHED src=192.168.1.10 dst=93.184.216.34 sport=51234 dport=443 "
		"packets=12 bytes=3456 src=93.184.216.34 dst=192.168.1.10 sport=443 dport=51234 packets=10 bytes=9876 "
		"[ASSURED] mark=0 zone=0 use=2\n"
		/* accounting on an unreplied entry: [UNREPLIED] after the counters */
		"ipv6     10 udp      17 30 src=" V6A " dst=" V6B " sport=5353 dport=5353 packets=1 bytes=120 [UNREPLIED] "
		"src=" V6B " dst=" V6A " sport=5353 dport=5353 packets=0 bytes=0 mark=0 zone=0 use=2\n"
		/* directional zones, secctx, delta-time (nf_conntrack_timestamp=1) */
		"ipv4     2 tcp      6 300 ESTABLISHED src=10.1.0.1 dst=10.1.0.2 sport=5555 dport=22 zone-orig=5 "
		"src=10.1.0.2 dst=10.1.0.1 sport=22 dport=5555 zone-reply=5 [ASSURED] mark=42 "
		"secctx=system_u:object_r:unlabeled_t:s0 zone=5 delta-time=1234 use=2\n");
	CHECK_SUMMARY(&s, .total = 3, .family = { [CTUNE_FAMILY_IPV4] = 2, [CTUNE_FAMILY_IPV6] = 1 },
		      .proto = { [CTUNE_PROTO_TCP] = 2, [CTUNE_PROTO_UDP] = 1 },
		      .tcp_state = { [CTUNE_TCP_ESTABLISHED] = 2 }, .assured = 2, .unreplied = 1, .long_timeout = 1);
}
END_TEST

TABLE_TEST(test_offload)
{
	/* Offloaded entries have no timeout since 4.16; [HW_OFFLOAD] and
	 * [OFFLOAD] replace [ASSURED]. */
	ctune_table_summary s = parse_str(
		"ipv4     2 tcp      6 ESTABLISHED src=10.2.0.1 dst=10.3.0.1 sport=41000 dport=443 src=10.3.0.1 "
		"dst=10.2.0.1 sport=443 dport=41000 [OFFLOAD] mark=0 zone=0 use=3\n"
		"ipv6     10 udp      17 src=" V6A " dst=" V6B " sport=4500 dport=4500 src=" V6B " dst=" V6A
		" sport=4500 dport=4500 [HW_OFFLOAD] mark=0 zone=0 use=3\n"
		/* an entry leaving offload keeps a timeout and the flag */
		"ipv4     2 tcp      6 431000 ESTABLISHED src=10.2.0.2 dst=10.3.0.1 sport=41001 dport=443 src=10.3.0.1 "
		"dst=10.2.0.2 sport=443 dport=41001 [OFFLOAD] mark=0 zone=0 use=3\n"
		/* no timeout and no offload flag: not a kernel line */
		"ipv4     2 udp      17 src=10.2.0.1 dst=10.3.0.1 sport=1 dport=2 src=10.3.0.1 dst=10.2.0.1 sport=2 "
		"dport=1 [ASSURED] mark=0 zone=0 use=2\n");
	CHECK_SUMMARY(&s, .total = 3, .malformed = 1, .family = { [CTUNE_FAMILY_IPV4] = 2, [CTUNE_FAMILY_IPV6] = 1 },
		      .proto = { [CTUNE_PROTO_TCP] = 2, [CTUNE_PROTO_UDP] = 1 },
		      .tcp_state = { [CTUNE_TCP_ESTABLISHED] = 2 }, .offload = 3, .long_timeout = 1);
}
END_TEST

TABLE_TEST(test_other_protocols)
{
	ctune_table_summary s = parse_str(
		"ipv4     2 sctp     132 210 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=5000 dport=5001 src=10.0.0.2 "
		"dst=10.0.0.1 sport=5001 dport=5000 [ASSURED] mark=0 zone=0 use=2\n"
		"ipv4     2 dccp     33 43190 OPEN src=10.0.0.1 dst=10.0.0.2 sport=5000 dport=5001 src=10.0.0.2 "
		"dst=10.0.0.1 sport=5001 dport=5000 [ASSURED] mark=0 zone=0 use=2\n"
		"ipv4     2 gre      47 179 src=10.0.0.1 dst=10.0.0.2 srckey=0x0 dstkey=0x0 src=10.0.0.2 dst=10.0.0.1 "
		"srckey=0x0 dstkey=0x0 [ASSURED] mark=0 zone=0 use=2\n"
		/* GRE on older kernels: its own words before the tuple */
		"ipv4     2 gre      47 599 timeout=600, stream_timeout=7200 src=10.0.0.1 dst=10.0.0.2 srckey=0x0 "
		"dstkey=0x0 src=10.0.0.2 dst=10.0.0.1 srckey=0x0 dstkey=0x0 mark=0 use=2\n"
		"ipv4     2 unknown  50 599 src=10.0.0.1 dst=10.0.0.2 src=10.0.0.2 dst=10.0.0.1 [ASSURED] mark=0 zone=0 "
		"use=2\n"
		"ipv6     10 udplite  136 29 src=" V6A " dst=" V6B " sport=5004 dport=5004 [UNREPLIED] src=" V6B " dst=" V6A
		" sport=5004 dport=5004 mark=0 zone=0 use=2\n"
		"ipv6     10 icmpv6   58 29 src=" V6A " dst=" V6B " type=128 code=0 id=77 [UNREPLIED] src=" V6B
		" dst=" V6A " type=129 code=0 id=77 mark=0 zone=0 use=2\n"
		/* a layer-3 family that is neither IPv4 nor IPv6 */
		"unknown  7 unknown  253 100 src=0 dst=0 src=0 dst=0 mark=0 zone=0 use=2\n");
	CHECK_SUMMARY(&s, .total = 8,
		      .family = { [CTUNE_FAMILY_IPV4] = 5, [CTUNE_FAMILY_IPV6] = 2, [CTUNE_FAMILY_OTHER] = 1 },
		      .proto = { [CTUNE_PROTO_SCTP] = 1, [CTUNE_PROTO_DCCP] = 1, [CTUNE_PROTO_GRE] = 2,
				 [CTUNE_PROTO_OTHER] = 2, [CTUNE_PROTO_UDPLITE] = 1, [CTUNE_PROTO_ICMPV6] = 1 },
		      .assured = 4, .unreplied = 2);
}
END_TEST

TABLE_TEST(test_tcp_states)
{
	static const struct {
		const char *word;
		int state;
	} cases[] = {
		{ "NONE", CTUNE_TCP_NONE },
		{ "SYN_SENT", CTUNE_TCP_SYN_SENT },
		{ "SYN_RECV", CTUNE_TCP_SYN_RECV },
		{ "ESTABLISHED", CTUNE_TCP_ESTABLISHED },
		{ "FIN_WAIT", CTUNE_TCP_FIN_WAIT },
		{ "CLOSE_WAIT", CTUNE_TCP_CLOSE_WAIT },
		{ "LAST_ACK", CTUNE_TCP_LAST_ACK },
		{ "TIME_WAIT", CTUNE_TCP_TIME_WAIT },
		{ "CLOSE", CTUNE_TCP_CLOSE },
		{ "SYN_SENT2", CTUNE_TCP_SYN_SENT2 },
		{ "LISTEN", CTUNE_TCP_SYN_SENT2 },
		{ "IGNORE", CTUNE_TCP_STATE_UNKNOWN },
		{ "ESTABLISHE", CTUNE_TCP_STATE_UNKNOWN },
		{ "ESTABLISHED2", CTUNE_TCP_STATE_UNKNOWN },
		{ "SYN_SENT3", CTUNE_TCP_STATE_UNKNOWN },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char line[512];
		snprintf(line, sizeof(line),
			 "ipv4     2 tcp      6 100 %s src=1.1.1.1 dst=2.2.2.2 sport=1 dport=2 src=2.2.2.2 "
			 "dst=1.1.1.1 sport=2 dport=1 mark=0 zone=0 use=2\n",
			 cases[i].word);
		ctune_table_summary s = parse_str(line);
		ck_assert_msg(s.total == 1 && s.malformed == 0, "%s: total %" PRIu64, cases[i].word, s.total);
		for (int k = 0; k < CTUNE_TCP_STATE_COUNT; k++)
			ck_assert_msg(s.tcp_state[k] == (k == cases[i].state), "%s: state %d counted %" PRIu64,
				      cases[i].word, k, s.tcp_state[k]);
	}
	/* A lower-case or '='-bearing word is no state: malformed. */
	ctune_table_summary s = parse_str("ipv4 2 tcp 6 100 established src=1.1.1.1 dst=2.2.2.2 use=2\n"
					  "ipv4 2 tcp 6 100 src=1.1.1.1 dst=2.2.2.2 use=2\n");
	CHECK_SUMMARY(&s, .malformed = 2);
	/* Non-TCP lines never touch tcp_state, even with a state word. */
	s = parse_str("ipv4 2 sctp 132 100 ESTABLISHED src=1.1.1.1 dst=2.2.2.2 use=2\n");
	CHECK_SUMMARY(&s, .total = 1, .family = { [CTUNE_FAMILY_IPV4] = 1 }, .proto = { [CTUNE_PROTO_SCTP] = 1 });
}
END_TEST

TABLE_TEST(test_timeouts)
{
	ctune_table_summary s = parse_str(
		"ipv4 2 udp 17 86400 src=1.1.1.1 dst=2.2.2.2 sport=1 dport=2 src=2.2.2.2 dst=1.1.1.1 use=1\n"
		"ipv4 2 udp 17 86401 src=1.1.1.1 dst=2.2.2.2 sport=1 dport=2 src=2.2.2.2 dst=1.1.1.1 use=1\n"
		"ipv4 2 tcp 6 432000 ESTABLISHED src=1.1.1.1 dst=2.2.2.2 src=2.2.2.2 dst=1.1.1.1 [ASSURED] use=1\n"
		"ipv4 2 tcp 6 -5 ESTABLISHED src=1.1.1.1 dst=2.2.2.2 src=2.2.2.2 dst=1.1.1.1 [ASSURED] use=1\n"
		"ipv4 2 tcp 6 0 CLOSE src=1.1.1.1 dst=2.2.2.2 src=2.2.2.2 dst=1.1.1.1 use=1\n"
		"ipv4 2 tcp 6 -999999999999 CLOSE src=1.1.1.1 dst=2.2.2.2 src=2.2.2.2 dst=1.1.1.1 use=1\n"
		"ipv4 2 tcp 6 999999999999999999 CLOSE src=1.1.1.1 dst=2.2.2.2 src=2.2.2.2 dst=1.1.1.1 use=1\n"
		"tcp 6 2147483 ESTABLISHED src=1.1.1.1 dst=2.2.2.2 src=2.2.2.2 dst=1.1.1.1 [ASSURED] use=1\n"
		"tcp 6 -1 TIME_WAIT src=1.1.1.1 dst=2.2.2.2 src=2.2.2.2 dst=1.1.1.1 [ASSURED] use=1\n"
		/* 19 digits: more than any kernel prints; refused */
		"ipv4 2 tcp 6 1000000000000000000 CLOSE src=1.1.1.1 dst=2.2.2.2 src=2.2.2.2 dst=1.1.1.1 use=1\n"
		/* a lone minus is not a number */
		"ipv4 2 tcp 6 - CLOSE src=1.1.1.1 dst=2.2.2.2 src=2.2.2.2 dst=1.1.1.1 use=1\n"
		"tcp 6 - CLOSE src=1.1.1.1 dst=2.2.2.2 src=2.2.2.2 dst=1.1.1.1 use=1\n");
	CHECK_SUMMARY(&s, .total = 9, .malformed = 3, .family = { [CTUNE_FAMILY_IPV4] = 9 },
		      .proto = { [CTUNE_PROTO_UDP] = 2, [CTUNE_PROTO_TCP] = 7 },
		      .tcp_state = { [CTUNE_TCP_ESTABLISHED] = 3, [CTUNE_TCP_CLOSE] = 3, [CTUNE_TCP_TIME_WAIT] = 1 },
		      .assured = 4, .long_timeout = 4);
}
END_TEST

TABLE_TEST(test_flags_anywhere)
{
	ctune_table_summary s = parse_str(
		/* both flags, in kernel order */
		"ipv4 2 tcp 6 10 SYN_RECV src=1.1.1.1 dst=2.2.2.2 [UNREPLIED] src=2.2.2.2 dst=1.1.1.1 [ASSURED] use=1\n"
		/* a flag repeated counts once per entry */
		"ipv4 2 udp 17 10 src=1.1.1.1 dst=2.2.2.2 [ASSURED] src=2.2.2.2 dst=1.1.1.1 [ASSURED] use=1\n"
		/* brackets that are not flags, and an unterminated one */
		"ipv4 2 udp 17 10 src=1.1.1.1 dst=2.2.2.2 [] [[ASSURED] [NOTAFLAG] [ASSURED src=2.2.2.2 use=1\n"
		/* flag words without brackets are not flags */
		"ipv4 2 udp 17 10 src=1.1.1.1 dst=2.2.2.2 ASSURED UNREPLIED OFFLOAD src=2.2.2.2 dst=1.1.1.1 use=1\n"
		/* a flag before the tuple does not count: the kernel never puts one there */
		"ipv4 2 udp 17 10 [ASSURED] src=1.1.1.1 dst=2.2.2.2 src=2.2.2.2 dst=1.1.1.1 use=1\n"
		/* "[ASSURED]use=1": use= must be a token of its own */
		"ipv4 2 udp 17 10 src=1.1.1.1 dst=2.2.2.2 src=2.2.2.2 dst=1.1.1.1 [ASSURED]use=1\n");
	CHECK_SUMMARY(&s, .total = 5, .malformed = 1, .family = { [CTUNE_FAMILY_IPV4] = 5 },
		      .proto = { [CTUNE_PROTO_TCP] = 1, [CTUNE_PROTO_UDP] = 4 },
		      .tcp_state = { [CTUNE_TCP_SYN_RECV] = 1 }, .assured = 3, .unreplied = 1);
}
END_TEST

/* ---- malformed input ---------------------------------------------------- */

TABLE_TEST(test_malformed_fixture)
{
	/* 19 lines (the last without '\n'): 3 good, 16 bad - empty, garbage,
	 * truncated, non-numeric fields, missing state/tuple/use=, NUL and
	 * high bytes. */
	ctune_table_summary s = summarize_path(DATA "malformed.txt");
	CHECK_SUMMARY(&s, .total = 3, .malformed = 16, .family = { [CTUNE_FAMILY_IPV4] = 3 },
		      .proto = { [CTUNE_PROTO_TCP] = 2, [CTUNE_PROTO_UDP] = 1 },
		      .tcp_state = { [CTUNE_TCP_ESTABLISHED] = 2 }, .assured = 2, .unreplied = 1, .long_timeout = 1);

	size_t len;
	char *text = slurp(DATA "malformed.txt", &len);
	ck_assert_uint_eq(count_lines(text, len), 19);
	ctune_table_summary m;
	ctune_table_summary_init(&m);
	ctune_table_parse(text, len, &m);
	assert_same(&m, &s, __LINE__);
	free(text);
}
END_TEST

TABLE_TEST(test_truncated_everywhere)
{
	/* Every proper prefix of a good line is malformed: none ends in
	 * "use=N" (these lines end in a one-digit count), so a line cut
	 * anywhere is never half counted. */
	static const char *const lines[] = { REF_TCP4, REF_UDP4, REF_TCP6, LEGACY_TCP };
	for (size_t l = 0; l < sizeof(lines) / sizeof(lines[0]); l++) {
		size_t n = strlen(lines[l]);
		for (size_t cut = 0; cut < n; cut++) {
			ctune_table_summary s;
			ctune_table_summary_init(&s);
			ctune_table_parse(lines[l], cut, &s);
			ck_assert_msg(s.total == 0, "line %zu cut at %zu counted", l, cut);
			ck_assert_uint_eq(s.malformed, cut > 0 ? 1 : 0);
		}
		ctune_table_summary s;
		ctune_table_summary_init(&s);
		ctune_table_parse(lines[l], n, &s);
		ck_assert_uint_eq(s.total, 1);
	}
}
END_TEST

TABLE_TEST(test_line_endings)
{
	/* no final '\n' */
	ctune_table_summary s = parse_str(REF_TCP4 "\n" REF_UDP4);
	CHECK_SUMMARY(&s, .total = 2, .family = { [CTUNE_FAMILY_IPV4] = 2 },
		      .proto = { [CTUNE_PROTO_TCP] = 1, [CTUNE_PROTO_UDP] = 1 },
		      .tcp_state = { [CTUNE_TCP_ESTABLISHED] = 1 }, .assured = 1, .unreplied = 1);
	/* CRLF, as a file copied through Windows would be */
	ctune_table_summary crlf = parse_str(REF_TCP4 "\r\n" REF_UDP4 "\r\n");
	assert_same(&crlf, &s, __LINE__);
	/* trailing blanks are harmless */
	ctune_table_summary blanks = parse_str(REF_TCP4 "  \n" REF_UDP4 " \t\n");
	assert_same(&blanks, &s, __LINE__);
	/* empty input: nothing at all; empty lines: malformed each */
	s = parse_str("");
	CHECK_SUMMARY(&s, .total = 0);
	ctune_table_parse(NULL, 0, &s);
	CHECK_SUMMARY(&s, .total = 0);
	s = parse_str("\n");
	CHECK_SUMMARY(&s, .malformed = 1);
	s = parse_str("\n\n\r\n" REF_TCP4 "\n\n");
	CHECK_SUMMARY(&s, .total = 1, .malformed = 4, .family = { [CTUNE_FAMILY_IPV4] = 1 },
		      .proto = { [CTUNE_PROTO_TCP] = 1 }, .tcp_state = { [CTUNE_TCP_ESTABLISHED] = 1 }, .assured = 1);
}
END_TEST

/* A good tcp line of exactly len bytes (len >= 160), padded with mark=0. */
static char *padded_line(size_t len)
{
	static const char head[] = "ipv4     2 tcp      6 100 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 "
				   "src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [ASSURED] ";
	static const char tail[] = "use=2";
	char *p = malloc(len + 1);
	ck_assert_ptr_nonnull(p);
	size_t h = sizeof(head) - 1, t = sizeof(tail) - 1;
	ck_assert_uint_ge(len, h + t);
	memcpy(p, head, h);
	size_t i = h;
	while (len - t - i >= 7) {
		memcpy(p + i, "mark=0 ", 7);
		i += 7;
	}
	while (i < len - t)
		p[i++] = ' ';
	memcpy(p + i, tail, t);
	p[len] = '\0';
	return p;
}

TABLE_TEST(test_line_max)
{
	char *ok = padded_line(CTUNE_TABLE_LINE_MAX);
	char *over = padded_line(CTUNE_TABLE_LINE_MAX + 1);
	ctune_table_summary s = parse_str(ok);
	CHECK_SUMMARY(&s, .total = 1, .family = { [CTUNE_FAMILY_IPV4] = 1 }, .proto = { [CTUNE_PROTO_TCP] = 1 },
		      .tcp_state = { [CTUNE_TCP_ESTABLISHED] = 1 }, .assured = 1);
	s = parse_str(over);
	CHECK_SUMMARY(&s, .malformed = 1);

	/* The same through the streaming path, cut at small odd sizes. */
	size_t len = 2 * CTUNE_TABLE_LINE_MAX + 64;
	char *text = malloc(2 * len);
	ck_assert_ptr_nonnull(text);
	int n = snprintf(text, 2 * len, "%s\n%s\n%s\n%s", ok, over, REF_UDP4, over);
	ctune_table_summary whole;
	ctune_table_summary_init(&whole);
	ctune_table_parse(text, (size_t)n, &whole);
	CHECK_SUMMARY(&whole, .total = 2, .malformed = 2, .family = { [CTUNE_FAMILY_IPV4] = 2 },
		      .proto = { [CTUNE_PROTO_TCP] = 1, [CTUNE_PROTO_UDP] = 1 },
		      .tcp_state = { [CTUNE_TCP_ESTABLISHED] = 1 }, .assured = 1, .unreplied = 1);
	static const size_t chunks[] = { 1000, 3, 4096, 17 };
	ctune_table_summary piped = summarize_pipe(text, (size_t)n, chunks, 4);
	assert_same(&piped, &whole, __LINE__);
	ctune_table_summary filed = summarize_tmpfile(text, (size_t)n);
	assert_same(&filed, &whole, __LINE__);
	free(text);
	free(ok);
	free(over);
}
END_TEST

TABLE_TEST(test_line_longer_than_buffer)
{
	/* 300 KiB in one line (the read buffer is 256 KiB): skipped as one
	 * malformed line without growing memory, in the middle and at the end
	 * (without '\n'), and as the first line. */
	size_t big = 300 * 1024;
	size_t cap = big * 2 + 4096;
	char *text = malloc(cap);
	ck_assert_ptr_nonnull(text);
	size_t n = 0;
	n += (size_t)sprintf(text + n, "%s\n", REF_TCP4);
	memset(text + n, 'x', big);
	n += big;
	n += (size_t)sprintf(text + n, "\n%s\n", REF_UDP4);
	memset(text + n, '[', big);
	n += big;

	ctune_table_summary want = { 0 };
	want.total = 2;
	want.malformed = 2;
	want.family[CTUNE_FAMILY_IPV4] = 2;
	want.proto[CTUNE_PROTO_TCP] = 1;
	want.proto[CTUNE_PROTO_UDP] = 1;
	want.tcp_state[CTUNE_TCP_ESTABLISHED] = 1;
	want.assured = 1;
	want.unreplied = 1;

	ctune_table_summary s;
	ctune_table_summary_init(&s);
	ctune_table_parse(text, n, &s);
	assert_same(&s, &want, __LINE__);
	s = summarize_tmpfile(text, n);
	assert_same(&s, &want, __LINE__);
	static const size_t chunks[] = { 65536, 7, 200000 };
	s = summarize_pipe(text, n, chunks, 3);
	assert_same(&s, &want, __LINE__);

	/* long line first, then a good line after exactly one buffer's worth */
	n = 0;
	memset(text, 'y', 256 * 1024 - 1);
	n = 256 * 1024 - 1;
	n += (size_t)sprintf(text + n, "\n%s\n", REF_TCP6);
	s = summarize_tmpfile(text, n);
	CHECK_SUMMARY(&s, .total = 1, .malformed = 1, .family = { [CTUNE_FAMILY_IPV6] = 1 },
		      .proto = { [CTUNE_PROTO_TCP] = 1 }, .tcp_state = { [CTUNE_TCP_ESTABLISHED] = 1 }, .assured = 1);
	free(text);
}
END_TEST

/* ---- streaming ---------------------------------------------------------- */

TABLE_TEST(test_split_everywhere)
{
	/* The fixtures glued together, written through a pipe in writes of 1,
	 * 2, 3 ... bytes: every line is cut at every place at least once. */
	size_t l1, l2, l3;
	char *a = slurp(DATA "modern.txt", &l1), *b = slurp(DATA "legacy.txt", &l2),
	     *c = slurp(DATA "malformed.txt", &l3);
	size_t n = l1 + l2 + l3 + 1;
	char *text = malloc(n);
	ck_assert_ptr_nonnull(text);
	memcpy(text, a, l1);
	memcpy(text + l1, b, l2);
	memcpy(text + l1 + l2, c, l3);
	text[n - 1] = '\n';

	ctune_table_summary whole;
	ctune_table_summary_init(&whole);
	ctune_table_parse(text, n, &whole);
	CHECK_SUMMARY(&whole, .total = 34, .malformed = 16, .family = { [CTUNE_FAMILY_IPV4] = 31, [CTUNE_FAMILY_IPV6] = 3 },
		      .proto = { [CTUNE_PROTO_TCP] = 16, [CTUNE_PROTO_UDP] = 7, [CTUNE_PROTO_UDPLITE] = 1,
				 [CTUNE_PROTO_ICMP] = 2, [CTUNE_PROTO_ICMPV6] = 1, [CTUNE_PROTO_SCTP] = 2,
				 [CTUNE_PROTO_DCCP] = 1, [CTUNE_PROTO_GRE] = 2, [CTUNE_PROTO_OTHER] = 2 },
		      .tcp_state = { [CTUNE_TCP_ESTABLISHED] = 9, [CTUNE_TCP_TIME_WAIT] = 2, [CTUNE_TCP_SYN_SENT] = 2,
				     [CTUNE_TCP_CLOSE] = 1, [CTUNE_TCP_SYN_SENT2] = 1, [CTUNE_TCP_CLOSE_WAIT] = 1 },
		      .assured = 21, .unreplied = 8, .offload = 2, .long_timeout = 5);

	for (size_t step = 1; step <= 9; step++) {
		size_t chunks[] = { step };
		ctune_table_summary s = summarize_pipe(text, n, chunks, 1);
		assert_same(&s, &whole, (int)step);
	}
	static const size_t odd[] = { 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377 };
	ctune_table_summary s = summarize_pipe(text, n, odd, sizeof(odd) / sizeof(odd[0]));
	assert_same(&s, &whole, __LINE__);
	s = summarize_tmpfile(text, n);
	assert_same(&s, &whole, __LINE__);

	/* ctune_table_summarize_fd adds to what s holds */
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	write_all(p[1], REF_TCP4 "\n", sizeof(REF_TCP4));
	close(p[1]);
	ck_assert_int_eq(ctune_table_summarize_fd(p[0], &s), 0);
	close(p[0]);
	ck_assert_uint_eq(s.total, 35);
	ck_assert_uint_eq(s.tcp_state[CTUNE_TCP_ESTABLISHED], 10);

	free(text);
	free(a);
	free(b);
	free(c);
}
END_TEST

/* Lines in 8 kinds (one of them malformed); the addresses vary so lines
 * have many lengths and cross read buffer and range boundaries at many
 * offsets.  make_big() makes 200,000 of them. */
#define BIG_LINES 200000
static char *make_lines(unsigned lines, size_t *len)
{
	size_t cap = (size_t)lines * 320, n = 0;
	char *t = malloc(cap);
	ck_assert_ptr_nonnull(t);
	for (unsigned i = 0; i < lines; i++) {
		unsigned a = i % 250 + 1, b = (i / 250) % 250 + 1, port = 1024 + i % 60000;
		int k = 0;
		switch (i % 8) {
		case 0:
			k = sprintf(t + n,
				    "ipv4     2 tcp      6 431999 ESTABLISHED src=10.%u.%u.1 dst=192.0.2.%u sport=%u "
				    "dport=443 packets=%u bytes=%u src=192.0.2.%u dst=10.%u.%u.1 sport=443 dport=%u "
				    "packets=%u bytes=%u [ASSURED] mark=0 zone=0 use=2\n",
				    a, b, a, port, i, i * 40, a, a, b, port, i, i * 1400);
			break;
		case 1:
			k = sprintf(t + n,
				    "ipv4     2 udp      17 %u src=10.%u.%u.2 dst=10.0.0.53 sport=%u dport=53 [UNREPLIED] "
				    "src=10.0.0.53 dst=10.%u.%u.2 sport=53 dport=%u mark=0 zone=0 use=2\n",
				    i % 30, a, b, port, a, b, port);
			break;
		case 2:
			k = sprintf(t + n,
				    "ipv6     10 tcp      6 %u TIME_WAIT src=fd00:0000:0000:0000:0000:0000:%04x:%04x "
				    "dst=" V6B " sport=%u dport=22 src=" V6B
				    " dst=fd00:0000:0000:0000:0000:0000:%04x:%04x sport=22 dport=%u [ASSURED] mark=0 "
				    "zone=0 use=2\n",
				    i % 120, a, b, port, a, b, port);
			break;
		case 3:
			k = sprintf(t + n,
				    "tcp      6 %u ESTABLISHED src=10.%u.%u.3 dst=10.9.9.9 sport=%u dport=80 src=10.9.9.9 "
				    "dst=10.%u.%u.3 sport=80 dport=%u [ASSURED] mark=0 secmark=0 use=1\n",
				    86401 + i % 300000, a, b, port, a, b, port);
			break;
		case 4:
			k = sprintf(t + n,
				    "ipv4     2 tcp      6 %u SYN_SENT src=10.%u.%u.4 dst=198.51.100.%u sport=%u dport=25 "
				    "[UNREPLIED] src=198.51.100.%u dst=10.%u.%u.4 sport=25 dport=%u mark=0 zone=0 use=2\n",
				    i % 120, a, b, a, port, a, a, b, port);
			break;
		case 5:
			k = sprintf(t + n,
				    "ipv4     2 icmp     1 %u src=10.%u.%u.5 dst=10.0.0.1 type=8 code=0 id=%u src=10.0.0.1 "
				    "dst=10.%u.%u.5 type=0 code=0 id=%u mark=0 zone=0 use=2\n",
				    i % 30, a, b, i % 65536, a, b, i % 65536);
			break;
		case 6: /* cut short, as a snapshot copied mid-line would be */
			k = sprintf(t + n, "ipv4     2 tcp      6 %u ESTABLISHED src=10.%u.%u.6 dst=10.0.0.1 sport=%u\n",
				    i % 1000, a, b, port);
			break;
		case 7:
			k = sprintf(t + n,
				    "ipv6     10 udp      17 src=fd00:0000:0000:0000:0000:0000:%04x:%04x dst=" V6A
				    " sport=%u dport=4500 packets=%u bytes=%u src=" V6A
				    " dst=fd00:0000:0000:0000:0000:0000:%04x:%04x sport=4500 dport=%u packets=%u "
				    "bytes=%u [OFFLOAD] mark=0 zone=0 use=3\n",
				    a, b, port, i, i * 100, a, b, port, i, i * 90);
			break;
		}
		n += (size_t)k;
		ck_assert_uint_lt(n, cap);
	}
	*len = n;
	return t;
}

static char *make_big(size_t *len)
{
	return make_lines(BIG_LINES, len);
}

TABLE_TEST(test_large_generated)
{
	size_t n;
	char *text = make_big(&n);
	ck_assert_uint_gt(n, 4 * 256 * 1024);
	ck_assert_uint_eq(count_lines(text, n), BIG_LINES);

	const uint64_t k = BIG_LINES / 8;
	ctune_table_summary want = { 0 };
	want.total = 7 * k;
	want.malformed = k;
	want.family[CTUNE_FAMILY_IPV4] = 5 * k;
	want.family[CTUNE_FAMILY_IPV6] = 2 * k;
	want.proto[CTUNE_PROTO_TCP] = 4 * k;
	want.proto[CTUNE_PROTO_UDP] = 2 * k;
	want.proto[CTUNE_PROTO_ICMP] = k;
	want.tcp_state[CTUNE_TCP_ESTABLISHED] = 2 * k;
	want.tcp_state[CTUNE_TCP_TIME_WAIT] = k;
	want.tcp_state[CTUNE_TCP_SYN_SENT] = k;
	want.assured = 3 * k;
	want.unreplied = 2 * k;
	want.offload = k;
	want.long_timeout = 2 * k;

	ctune_table_summary s;
	ctune_table_summary_init(&s);
	ctune_table_parse(text, n, &s);
	assert_same(&s, &want, __LINE__);
	s = summarize_tmpfile(text, n);
	assert_same(&s, &want, __LINE__);
	static const size_t chunks[] = { 4093, 65537, 262145, 1 };
	s = summarize_pipe(text, n, chunks, 4);
	assert_same(&s, &want, __LINE__);
	free(text);
}
END_TEST

/* ---- regular files in parallel ranges ----------------------------------- */

/* An unlinked temporary file holding text. */
static int tmpfile_with(const char *text, size_t len)
{
	char path[] = "/tmp/ctune-test-table-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	unlink(path);
	write_all(fd, text, len);
	return fd;
}

static ctune_table_summary summarize_fd_at_start(int fd)
{
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ctune_table_summary s;
	ctune_table_summary_init(&s);
	ck_assert_int_eq(ctune_table_summarize_fd(fd, &s), 0);
	return s;
}

TABLE_TEST(test_file_ranges)
{
	/* The fixtures with an over-long line among them, the file cut to
	 * every length: wherever it ends, and wherever its one to four ranges
	 * fall (inside a line, just before or after a '\n', inside the long
	 * line, past the last '\n'), the summary is the one-buffer parse's. */
	size_t l1, l2, l3;
	char *a = slurp(DATA "modern.txt", &l1), *b = slurp(DATA "legacy.txt", &l2),
	     *c = slurp(DATA "malformed.txt", &l3);
	size_t longlen = CTUNE_TABLE_LINE_MAX + 300;
	size_t n = l1 + longlen + 1 + l2 + l3;
	char *text = malloc(n);
	ck_assert_ptr_nonnull(text);
	memcpy(text, a, l1);
	memset(text + l1, 'x', longlen);
	memcpy(text + l1 + 100, "[ASSURED] use=1", 15);
	text[l1 + longlen] = '\n';
	memcpy(text + l1 + longlen + 1, b, l2);
	memcpy(text + l1 + longlen + 1 + l2, c, l3);

	int fd = tmpfile_with(text, n);
	for (size_t len = n; len > 0; len -= len > 300 ? 41 : 1) {
		ck_assert_int_eq(ftruncate(fd, (off_t)len), 0);
		ctune_table_summary want;
		ctune_table_summary_init(&want);
		ctune_table_parse(text, len, &want);
		for (unsigned t = 1; t <= CTUNE_TABLE_THREADS_MAX; t++) {
			ck_assert_int_eq(ctune_table_set_threads(t), 0);
			ctune_table_summary s = summarize_fd_at_start(fd);
			assert_same(&s, &want, (int)len);
		}
	}
	close(fd);
	free(text);
	free(a);
	free(b);
	free(c);
}
END_TEST

/* Append to text (at *n) malformed filler lines ending exactly at target. */
static void fill_to(char *text, size_t *n, size_t target)
{
	while (*n < target) {
		size_t k = target - *n;
		if (k > 1000)
			k = 1000;
		memset(text + *n, 'f', k - 1);
		text[*n + k - 1] = '\n';
		*n += k;
	}
}

TABLE_TEST(test_file_buffers)
{
	/* Nine MiB of lines with, at every MiB (where the first range's read
	 * buffers end, whatever their size up to 1 MiB), one of: a '\n' as a
	 * buffer's last byte, a '\n' as the next one's first, a good line
	 * across, an over-long line across, a flag's '[' as a buffer's last
	 * byte. */
	size_t cap = 10u << 20, n = 0;
	char *text = malloc(cap);
	ck_assert_ptr_nonnull(text);
	static const char *const good[] = { REF_TCP4 "\n", REF_UDP4 "\n", REF_TCP6 "\n", LEGACY_TCP "\n" };
	for (unsigned mib = 1; mib <= 9; mib++) {
		size_t edge = (size_t)mib << 20;
		for (unsigned i = 0; n + 8000 < edge; i++) {
			size_t l = strlen(good[i % 4]);
			memcpy(text + n, good[i % 4], l);
			n += l;
		}
		switch (mib % 5) {
		case 0: /* '\n' is a buffer's last byte */
			fill_to(text, &n, edge);
			break;
		case 1: /* '\n' is the next buffer's first byte */
			fill_to(text, &n, edge - 50);
			memset(text + n, 'g', 50);
			n += 50;
			text[n++] = '\n';
			break;
		case 2: /* a good line across */
			fill_to(text, &n, edge - 40);
			n += (size_t)sprintf(text + n, "%s\n", REF_TCP4);
			break;
		case 3: /* an over-long line across */
			fill_to(text, &n, edge - 3000);
			memset(text + n, 'L', CTUNE_TABLE_LINE_MAX + 10);
			n += CTUNE_TABLE_LINE_MAX + 10;
			text[n++] = '\n';
			break;
		case 4: { /* a flag's '[' is a buffer's last byte */
			size_t before = (size_t)(strchr(REF_TCP4, '[') - REF_TCP4);
			fill_to(text, &n, edge - 1 - before);
			n += (size_t)sprintf(text + n, "%s\n", REF_TCP4);
			break;
		}
		}
	}
	ctune_table_summary want;
	ctune_table_summary_init(&want);
	ctune_table_parse(text, n, &want);
	ck_assert_uint_gt(want.total, 30000);
	ck_assert_uint_gt(want.malformed, 9);

	int fd = tmpfile_with(text, n);
	for (unsigned t = 0; t <= CTUNE_TABLE_THREADS_MAX; t++) {
		ck_assert_int_eq(ctune_table_set_threads(t), 0);
		ctune_table_summary s = summarize_fd_at_start(fd);
		assert_same(&s, &want, (int)t);
	}
	/* the same without the last '\n' */
	ck_assert_int_eq(ftruncate(fd, (off_t)n - 1), 0);
	ctune_table_summary_init(&want);
	ctune_table_parse(text, n - 1, &want);
	for (unsigned t = 0; t <= CTUNE_TABLE_THREADS_MAX; t++) {
		ck_assert_int_eq(ctune_table_set_threads(t), 0);
		ctune_table_summary s = summarize_fd_at_start(fd);
		assert_same(&s, &want, (int)t);
	}
	close(fd);
	free(text);
}
END_TEST

struct shrinker {
	int fd;
	off_t to;
	long delay_us;
};

static void *shrink_later(void *arg)
{
	struct shrinker *sh = arg;
	struct timespec ts = { 0, sh->delay_us * 1000 };
	nanosleep(&ts, NULL);
	if (ftruncate(sh->fd, sh->to) < 0)
		abort();
	return NULL;
}

TABLE_TEST(test_file_shrinks)
{
	/* A file cut short while it is summarised (a snapshot being
	 * rewritten): whatever the timing, the call succeeds, ends where the
	 * file now ends, and no line is counted twice or half. */
	size_t n;
	char *text = make_lines(40000, &n); /* 8 MB: long enough to be cut while read */
	ctune_table_summary whole;
	ctune_table_summary_init(&whole);
	ctune_table_parse(text, n, &whole);
	static const long delays_us[] = { 0, 300, 1500 };
	for (size_t d = 0; d < sizeof(delays_us) / sizeof(delays_us[0]); d++) {
		int fd = tmpfile_with(text, n);
		struct shrinker sh = { fd, (off_t)(n / 3), delays_us[d] };
		pthread_t th;
		ck_assert_int_eq(pthread_create(&th, NULL, shrink_later, &sh), 0);
		ctune_table_summary s = summarize_fd_at_start(fd);
		pthread_join(th, NULL);
		ck_assert_uint_le(s.total + s.malformed, whole.total + whole.malformed);
		uint64_t fam = 0, proto = 0;
		for (int i = 0; i < CTUNE_FAMILY_COUNT; i++)
			fam += s.family[i];
		for (int i = 0; i < CTUNE_PROTO_COUNT; i++)
			proto += s.proto[i];
		ck_assert_uint_eq(fam, s.total);
		ck_assert_uint_eq(proto, s.total);
		close(fd);
	}
	free(text);
}
END_TEST

/* The environment's choices, in a fresh process (this program run again
 * with --env-check): whether CTUNE_TABLE_SCANNER=scanner and
 * CTUNE_TABLE_THREADS=threads are taken as table.h says, and only once.
 * Returns the child's exit status. */
static int env_check_in_child(const char *scanner, const char *threads)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		setenv("CTUNE_TABLE_SCANNER", scanner, 1);
		setenv("CTUNE_TABLE_THREADS", threads, 1);
		execl("/proc/self/exe", "test-table", "--env-check", scanner, threads, (char *)NULL);
		_exit(127);
	}
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int env_check(const char *scanner, const char *threads)
{
	ctune_table_scanner want = CTUNE_TABLE_SCANNER_AUTO;
	for (int i = CTUNE_TABLE_SCANNER_MEMCHR; i < CTUNE_TABLE_SCANNER_COUNT; i++)
		if (strcmp(scanner, ctune_table_scanner_name((ctune_table_scanner)i)) == 0 &&
		    ctune_table_scanner_supported((ctune_table_scanner)i))
			want = (ctune_table_scanner)i;
	unsigned n = (unsigned)atoi(threads);
	unsigned want_threads = n <= CTUNE_TABLE_THREADS_MAX ? n : 0;
	ctune_table_scanner got = ctune_table_get_scanner();
	if (want == CTUNE_TABLE_SCANNER_AUTO ? got == CTUNE_TABLE_SCANNER_AUTO : got != want)
		return 1;
	if (ctune_table_get_threads() != want_threads)
		return 2;
	setenv("CTUNE_TABLE_SCANNER", "memchr", 1); /* read once: too late now */
	setenv("CTUNE_TABLE_THREADS", "1", 1);
	if (ctune_table_get_scanner() != got || ctune_table_get_threads() != want_threads)
		return 3;
	return 0;
}

START_TEST(test_run_options)
{
	/* Scanner names, the choices this machine has, overrides.  First the
	 * environment, which is read once, at the first use: in fresh
	 * processes. */
	ck_assert_int_eq(env_check_in_child("memchr", "2"), 0);
	ck_assert_int_eq(env_check_in_child("avx9000", "99"), 0); /* unknown: auto */

	static const char *const names[] = { "auto", "memchr", "sse2", "avx2", "avx512" };
	for (int i = 0; i < CTUNE_TABLE_SCANNER_COUNT; i++)
		ck_assert_str_eq(ctune_table_scanner_name((ctune_table_scanner)i), names[i]);
	ck_assert_ptr_null(ctune_table_scanner_name(CTUNE_TABLE_SCANNER_COUNT));
	ck_assert(ctune_table_scanner_supported(CTUNE_TABLE_SCANNER_AUTO));
	ck_assert(ctune_table_scanner_supported(CTUNE_TABLE_SCANNER_MEMCHR));
	ck_assert(!ctune_table_scanner_supported(CTUNE_TABLE_SCANNER_COUNT));
	for (int i = CTUNE_TABLE_SCANNER_MEMCHR; i < CTUNE_TABLE_SCANNER_COUNT; i++) {
		int r = ctune_table_set_scanner((ctune_table_scanner)i);
		if (ctune_table_scanner_supported((ctune_table_scanner)i)) {
			ck_assert_int_eq(r, 0);
			ck_assert_int_eq(ctune_table_get_scanner(), i);
		} else {
			ck_assert_int_eq(r, -ENOTSUP);
		}
	}
	ck_assert_int_eq(ctune_table_set_scanner(CTUNE_TABLE_SCANNER_AUTO), 0);
	ck_assert_int_ne(ctune_table_get_scanner(), CTUNE_TABLE_SCANNER_AUTO);
	ck_assert_int_eq(ctune_table_set_threads(CTUNE_TABLE_THREADS_MAX + 1), -EINVAL);
	ck_assert_int_eq(ctune_table_set_threads(3), 0);
	ck_assert_uint_eq(ctune_table_get_threads(), 3);
	ck_assert_int_eq(ctune_table_set_threads(0), 0);
	ck_assert_uint_eq(ctune_table_get_threads(), 0);
}
END_TEST

/* ---- robustness --------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

TABLE_TEST(test_mutations)
{
	/* Good lines with bytes flipped, dropped, duplicated and cut: whatever
	 * comes out, every line is either counted or malformed, never both or
	 * neither, and the streaming path agrees.  (libFuzzer does this for
	 * real; this keeps the invariant in the unit tests.) */
	static const char *const seeds[] = { REF_TCP4, REF_UDP4, REF_TCP6, LEGACY_TCP,
					     "ipv4     2 udp      17 src=1.1.1.1 dst=2.2.2.2 [HW_OFFLOAD] use=3" };
	static const char alphabet[] = " \t\n\r[]=-0123456789ASDEU_usetcpipv4";
	size_t cap = 4 << 20, n = 0;
	char *text = malloc(cap);
	ck_assert_ptr_nonnull(text);
	while (n < cap - 1024) {
		const char *seed = seeds[rng() % (sizeof(seeds) / sizeof(seeds[0]))];
		size_t l = strlen(seed);
		memcpy(text + n, seed, l);
		unsigned edits = (unsigned)(rng() % 4);
		for (unsigned e = 0; e < edits; e++) {
			size_t at = rng() % l;
			switch (rng() % 4) {
			case 0:
				text[n + at] = alphabet[rng() % (sizeof(alphabet) - 1)];
				break;
			case 1:
				text[n + at] = (char)(rng() & 0xff);
				break;
			case 2:
				memmove(text + n + at, text + n + at + 1, l - at - 1);
				l--;
				break;
			case 3:
				l = at + 1;
				break;
			}
			if (l == 0)
				break;
		}
		n += l;
		text[n++] = '\n';
	}
	uint64_t lines = count_lines(text, n);
	ctune_table_summary whole;
	ctune_table_summary_init(&whole);
	ctune_table_parse(text, n, &whole);
	ck_assert_uint_eq(whole.total + whole.malformed, lines);
	ck_assert_uint_gt(whole.total, 0);
	ck_assert_uint_gt(whole.malformed, 0);
	uint64_t fam = 0, proto = 0;
	for (int i = 0; i < CTUNE_FAMILY_COUNT; i++)
		fam += whole.family[i];
	for (int i = 0; i < CTUNE_PROTO_COUNT; i++)
		proto += whole.proto[i];
	ck_assert_uint_eq(fam, whole.total);
	ck_assert_uint_eq(proto, whole.total);
	uint64_t states = 0;
	for (int i = 0; i < CTUNE_TCP_STATE_COUNT; i++)
		states += whole.tcp_state[i];
	ck_assert_uint_eq(states, whole.proto[CTUNE_PROTO_TCP]);

	static const size_t chunks[] = { 777, 1, 31, 100000 };
	ctune_table_summary s = summarize_pipe(text, n, chunks, 4);
	assert_same(&s, &whole, __LINE__);

	/* pure noise */
	for (size_t i = 0; i < n; i++)
		text[i] = (char)(rng() & 0xff);
	ctune_table_summary_init(&whole);
	ctune_table_parse(text, n, &whole);
	ck_assert_uint_eq(whole.total + whole.malformed, count_lines(text, n));
	free(text);
}
END_TEST

/* ---- the file under a root ---------------------------------------------- */

static void put_file(const char *root, const char *rel, const char *content)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/proc", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/proc/net", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s%s", root, rel);
	FILE *f = fopen(path, "w");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	fputs(content, f);
	fclose(f);
}

static void remove_root(const char *root)
{
	static const char *const rels[] = { "/proc/net/nf_conntrack", "/proc/net/ip_conntrack" };
	char path[512];
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s%s", root, rels[i]);
		if (unlink(path) < 0 && errno == EISDIR)
			rmdir(path);
		rmdir(path);
	}
	snprintf(path, sizeof(path), "%s/proc/net", root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/proc", root);
	rmdir(path);
	ck_assert_int_eq(rmdir(root), 0);
}

TABLE_TEST(test_summarize_root)
{
	char dir[] = "/tmp/ctune-test-table-root-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ctune_root r;
	ctune_error err = { 0 };
	ck_assert_int_eq(ctune_root_init(&r, dir, &err), 0);
	ctune_table_summary s;
	const char *used = "junk";

	/* nothing there */
	ck_assert_int_eq(ctune_table_summarize(&r, CTUNE_SCHEME_MODERN, &s, &used, &err), -ENOENT);
	ck_assert_ptr_null(used);
	ck_assert_int_eq(err.code, -ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "/proc/net/nf_conntrack"));
	ck_assert_ptr_nonnull(strstr(err.msg, "/proc/net/ip_conntrack"));
	ck_assert_int_eq(ctune_table_summarize(&r, CTUNE_SCHEME_NONE, &s, NULL, NULL), -ENOENT);

	/* legacy file only: the modern scheme falls back to it */
	put_file(dir, "/proc/net/ip_conntrack", LEGACY_TCP "\n");
	for (int scheme = CTUNE_SCHEME_NONE; scheme < CTUNE_SCHEME_COUNT; scheme++) {
		ck_assert_int_eq(ctune_table_summarize(&r, (ctune_scheme)scheme, &s, &used, NULL), 0);
		ck_assert_str_eq(used, "/proc/net/ip_conntrack");
		CHECK_SUMMARY(&s, .total = 1, .family = { [CTUNE_FAMILY_IPV4] = 1 }, .proto = { [CTUNE_PROTO_TCP] = 1 },
			      .tcp_state = { [CTUNE_TCP_ESTABLISHED] = 1 }, .assured = 1, .long_timeout = 1);
	}

	/* both files: each scheme reads its own (s is zeroed each time) */
	put_file(dir, "/proc/net/nf_conntrack", REF_TCP4 "\n" REF_UDP4 "\n" REF_TCP6 "\n");
	ck_assert_int_eq(ctune_table_summarize(&r, CTUNE_SCHEME_MODERN, &s, &used, NULL), 0);
	ck_assert_str_eq(used, "/proc/net/nf_conntrack");
	ck_assert_uint_eq(s.total, 3);
	ck_assert_int_eq(ctune_table_summarize(&r, CTUNE_SCHEME_NONE, &s, &used, NULL), 0);
	ck_assert_str_eq(used, "/proc/net/nf_conntrack");
	ck_assert_uint_eq(s.total, 3);
	ck_assert_int_eq(ctune_table_summarize(&r, CTUNE_SCHEME_LEGACY, &s, &used, NULL), 0);
	ck_assert_str_eq(used, "/proc/net/ip_conntrack");
	ck_assert_uint_eq(s.total, 1);

	/* modern file only, legacy scheme asked: falls back the other way */
	char path[512];
	snprintf(path, sizeof(path), "%s/proc/net/ip_conntrack", dir);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(ctune_table_summarize(&r, CTUNE_SCHEME_LEGACY, &s, &used, NULL), 0);
	ck_assert_str_eq(used, "/proc/net/nf_conntrack");
	CHECK_SUMMARY(&s, .total = 3, .family = { [CTUNE_FAMILY_IPV4] = 2, [CTUNE_FAMILY_IPV6] = 1 },
		      .proto = { [CTUNE_PROTO_TCP] = 2, [CTUNE_PROTO_UDP] = 1 },
		      .tcp_state = { [CTUNE_TCP_ESTABLISHED] = 2 }, .assured = 2, .unreplied = 1);

	/* a file that opens but cannot be read: the error names it */
	snprintf(path, sizeof(path), "%s/proc/net/nf_conntrack", dir);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	ctune_error_clear(&err);
	ck_assert_int_eq(ctune_table_summarize(&r, CTUNE_SCHEME_MODERN, &s, &used, &err), -EISDIR);
	ck_assert_int_eq(err.code, -EISDIR);
	ck_assert_ptr_nonnull(strstr(err.msg, path));
	ck_assert_ptr_null(used);

	remove_root(dir);
}
END_TEST

/* The scanner choice asks the CPU itself (CPUID and XGETBV, see table.c);
 * the kernel's own view of the same features is the flags line of
 * /proc/cpuinfo, which must agree, so a wrong bit test cannot silently
 * leave this machine on a narrower scanner (or a CPU without AVX2 on a
 * wide one). */
static bool cpuinfo_has(const char *flags, const char *flag)
{
	size_t n = strlen(flag);
	for (const char *p = flags; (p = strstr(p, flag)); p += n)
		if ((p == flags || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

START_TEST(test_scanner_matches_cpuinfo)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return; /* not Linux /proc: nothing to compare with */
	char line[8192];
	bool found = false;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "flags", 5) == 0) {
			found = true;
			break;
		}
	fclose(f);
	if (!found)
		return; /* not x86: the wide scanners are not built */
	const char *flags = strchr(line, ':');
	ck_assert_ptr_nonnull(flags);
	ck_assert(ctune_table_scanner_supported(CTUNE_TABLE_SCANNER_MEMCHR));
#if defined(__x86_64__)
	ck_assert(ctune_table_scanner_supported(CTUNE_TABLE_SCANNER_SSE2));
	ck_assert_int_eq(ctune_table_scanner_supported(CTUNE_TABLE_SCANNER_AVX2), cpuinfo_has(flags, "avx2"));
	ck_assert_int_eq(ctune_table_scanner_supported(CTUNE_TABLE_SCANNER_AVX512),
			 cpuinfo_has(flags, "avx512f") && cpuinfo_has(flags, "avx512bw"));
#endif
}
END_TEST

/* ---- top talkers ----------------------------------------------------------- */

/* The groups of dimension d as "key=count/error," text, largest first. */
static void top_text(const ctune_table_top *t, ctune_top_dim d, char *buf, size_t size)
{
	ctune_topk_item items[16];
	size_t n = ctune_topk_top(t->dim[d], items, 16), used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && used < size; i++) {
		char key[64];
		ck_assert_int_ge(ctune_top_key_text(d, &items[i].key, key, sizeof(key)), 1);
		used += (size_t)snprintf(buf + used, size - used, "%s=%llu/%llu,", key, (unsigned long long)items[i].count,
					 (unsigned long long)items[i].error);
	}
}

static void top_expect(const char *text, ctune_top_dim d, const char *want)
{
	ctune_table_summary s;
	ctune_table_summary_init(&s);
	s.top = ctune_table_top_new(10);
	ck_assert_ptr_nonnull(s.top);
	ctune_table_parse(text, strlen(text), &s);
	char got[1024];
	top_text(s.top, d, got, sizeof(got));
	ck_assert_msg(strcmp(got, want) == 0, "%s: got '%s', want '%s'", ctune_top_dim_name(d), got, want);
	ctune_table_top_free(s.top);
}

TABLE_TEST(test_top_keys)
{
	const char *text = REF_TCP4 "\n" REF_UDP4 "\n" REF_TCP6 "\n" LEGACY_TCP "\n"
				    "ipv4     2 icmp     1 29 src=10.0.0.2 dst=10.0.0.1 type=8 code=0 id=7 src=10.0.0.1 "
				    "dst=10.0.0.2 type=0 code=0 id=7 mark=7 zone=3 use=2\n"
				    "ipv6     10 icmpv6   58 29 src=::ffff:10.0.0.2 dst=FD00::1 type=128 code=0 id=7 "
				    "src=fd00::1 dst=::ffff:10.0.0.2 type=129 code=0 id=7 mark=4294967295 zone-orig=65535 use=2\n"
				    "ipv4     2 gre      47 179 timeout=180, stream_timeout=180 src=10.0.0.1 dst=10.0.0.2 "
				    "srckey=0x0 dstkey=0x0 src=10.0.0.2 dst=10.0.0.1 srckey=0x0 dstkey=0x0 [ASSURED] mark=0 "
				    "secctx=system_u:object_r:unlabeled_t:s0 zone=0 delta-time=5 use=2\n"
				    "ipv4     2 unknown  41 579 src=10.0.0.1 dst=10.0.0.9 src=10.0.0.9 dst=10.0.0.1 mark=0 "
				    "zone=1 use=2\n"
				    "ipv4     2 udp      17 29 src=10.0.0.1 dst=10.0.0.9 sport=5 dport=53 packets=1 bytes=2 "
				    "[UNREPLIED] src=10.0.0.9 dst=10.0.0.1 sport=53 dport=5 packets=0 bytes=0 mark=0 "
				    "zone-reply=9 use=2\n";
	/* equal counts in the order of the key's bytes (the address first) */
	top_expect(text, CTUNE_TOP_SRC,
		   "10.0.0.1=4/0,10.0.0.2=2/0,::ffff:10.0.0.2=1/0,127.0.0.1=1/0,fd00::9=1/0,");
	top_expect(text, CTUNE_TOP_DST,
		   "10.0.0.2=2/0,10.0.0.9=2/0,10.0.0.1=1/0,10.100.0.1=1/0,127.0.0.1=1/0,fd00::1=1/0,fd00::2=1/0,");
	top_expect(text, CTUNE_TOP_DPORT,
		   "proto-41=1/0,gre=1/0,tcp/2=1/0,icmp/type=8=1/0,tcp/22=1/0,udp/53=1/0,udp/20027=1/0,"
		   "icmpv6/type=128=1/0,tcp/443=1/0,");
	top_expect(text, CTUNE_TOP_ZONE, "0=5/0,1=1/0,3=1/0,9=1/0,65535=1/0,");
	top_expect(text, CTUNE_TOP_MARK, "0=7/0,7=1/0,4294967295=1/0,");
}

/* Lines the summary alone accepts, whose addresses, ports, type, zone or
 * mark do not read: malformed with top talkers on (and counted nowhere),
 * counted as before with them off. */
static const char *const top_hostile[] = {
	"ipv4     2 tcp      6 5 ESTABLISHED src=256.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 "
	"sport=2 dport=1 [ASSURED] mark=0 zone=0 use=2",
	"ipv4     2 tcp      6 5 ESTABLISHED src=10.0.0 dst=10.0.0.2 sport=1 dport=2 mark=0 zone=0 use=2",
	"ipv4     2 tcp      6 5 ESTABLISHED src=10.0.0.1.5 dst=10.0.0.2 sport=1 dport=2 mark=0 zone=0 use=2",
	"ipv4     2 tcp      6 5 ESTABLISHED src=0010.0.0.1 dst=10.0.0.2 sport=1 dport=2 mark=0 zone=0 use=2",
	"ipv4     2 tcp      6 5 ESTABLISHED src= dst=10.0.0.2 sport=1 dport=2 mark=0 zone=0 use=2",
	"ipv6     10 tcp      6 5 ESTABLISHED src=fd00:::1 dst=fd00::2 sport=1 dport=2 mark=0 zone=0 use=2",
	"ipv6     10 tcp      6 5 ESTABLISHED src=fd00:0000:0000:0000:0000:0000:0000:000g dst=fd00::2 sport=1 "
	"dport=2 mark=0 zone=0 use=2",
	"ipv6     10 tcp      6 5 ESTABLISHED src=fd00:0000:0000:0000:0000:0000:0000:0000:0001 dst=fd00::2 sport=1 "
	"dport=2 mark=0 zone=0 use=2",
	"ipv6     10 tcp      6 5 ESTABLISHED src=fd00:0000:0000:0000:0000:0000:0000:0000000000001 dst=fd00::2 "
	"sport=1 dport=2 mark=0 zone=0 use=2",
	"ipv4     2 tcp      6 5 ESTABLISHED src=10.0.0.1 sport=1 dport=2 mark=0 zone=0 use=2",
	"ipv4     2 tcp      6 5 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=65536 mark=0 zone=0 use=2",
	"ipv4     2 tcp      6 5 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=-1 mark=0 zone=0 use=2",
	"ipv4     2 tcp      6 5 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=99999999999999999999 mark=0 "
	"zone=0 use=2",
	"ipv4     2 tcp      6 5 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=x dport=2 mark=0 zone=0 use=2",
	"ipv4     2 tcp      6 5 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 dport=2 mark=0 zone=0 use=2",
	"ipv4     2 udp      17 5 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 mark=4294967296 zone=0 use=2",
	"ipv4     2 udp      17 5 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 mark=0x10 zone=0 use=2",
	"ipv4     2 udp      17 5 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 mark=0 zone=65536 use=2",
	"ipv4     2 udp      17 5 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 mark=0 zone= use=2",
	"ipv4     2 udp      17 5 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 mark=0 zone-orig=70000 use=2",
	"ipv4     2 icmp     1 5 src=10.0.0.1 dst=10.0.0.2 type=256 code=0 id=1 mark=0 zone=0 use=2",
	"ipv4     2 icmp     1 5 src=10.0.0.1 dst=10.0.0.2 code=0 id=1 mark=0 zone=0 use=2",
	"tcp      6 5 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 mark=-1 secmark=0 use=1",
};

TABLE_TEST(test_top_hostile)
{
	for (size_t i = 0; i < sizeof(top_hostile) / sizeof(top_hostile[0]); i++) {
		ctune_table_summary off = parse_str(top_hostile[i]), on;
		ck_assert_msg(off.total == 1 && off.malformed == 0, "line %zu: not a valid summary line", i);
		ctune_table_summary_init(&on);
		on.top = ctune_table_top_new(5);
		ck_assert_ptr_nonnull(on.top);
		ctune_table_parse(top_hostile[i], strlen(top_hostile[i]), &on);
		ck_assert_msg(on.total == 0 && on.malformed == 1, "line %zu: with top, total %llu malformed %llu", i,
			      (unsigned long long)on.total, (unsigned long long)on.malformed);
		for (int d = 0; d < CTUNE_TOP_DIM_COUNT; d++)
			ck_assert_uint_eq(ctune_topk_total(on.top->dim[d]), 0);
		ctune_table_top_free(on.top);
	}
}

/* The word-at-a-time readers of addresses and ports against a plain
 * reference, on random tokens of digits and dots (near-misses included:
 * empty parts, 4-digit parts, 256, 5 parts, trailing dots) and random
 * digit strings for the port, each placed both far from the line's end
 * (the word path) and at its very end (the byte loop). */
static bool ref_v4(const char *tok, unsigned char out[4])
{
	const char *p = tok;
	for (int i = 0; i < 4; i++) {
		unsigned v = 0, n = 0;
		while (*p >= '0' && *p <= '9' && n < 4)
			v = v * 10 + (unsigned)(*p++ - '0'), n++;
		if (n == 0 || n > 3 || v > 255)
			return false;
		out[i] = (unsigned char)v;
		if (i < 3 && *p++ != '.')
			return false;
	}
	return *p == '\0';
}

static bool ref_port(const char *tok, uint32_t *out)
{
	size_t n = strlen(tok);
	uint64_t v = 0;
	if (n == 0 || n > 10)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (tok[i] < '0' || tok[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(tok[i] - '0');
	}
	*out = (uint32_t)v;
	return v <= 65535;
}

START_TEST(test_top_words_agree)
{
	for (int iter = 0; iter < 200000; iter++) {
		char tok[32], port[16];
		size_t n = 0;
		int parts = 3 + (int)(rng() % 3 == 0) + (rng() % 8 == 0 ? -1 : 0);
		for (int i = 0; i < parts + 1 && n < 20; i++) {
			int width = (int)(rng() % 10 == 0 ? rng() % 5 : 1 + rng() % 3);
			for (int j = 0; j < width; j++)
				tok[n++] = (char)('0' + rng() % (rng() % 3 ? 10 : 3));
			if (i < parts && n < 20)
				tok[n++] = '.';
		}
		tok[n] = '\0';
		size_t pn = 1 + rng() % 11;
		for (size_t i = 0; i < pn; i++)
			port[i] = (char)('0' + rng() % (i == 0 && rng() % 2 ? 7 : 10));
		port[pn] = rng() % 50 ? '\0' : 'x';
		port[pn + 1] = '\0';

		unsigned char want[4];
		uint32_t want_port = 0;
		bool ok_addr = ref_v4(tok, want), ok_port = ref_port(port, &want_port);
		char line[256];
		for (int at_end = 0; at_end < 2; at_end++) {
			if (at_end) /* the address last before " use=": under 32 bytes left */
				snprintf(line, sizeof(line), "ipv4     2 gre      47 5 src=10.0.0.1 dst=%s use=2", tok);
			else
				snprintf(line, sizeof(line),
					 "ipv4     2 udp      17 5 src=%s dst=10.0.0.2 sport=1 dport=%s mark=0 zone=0 use=2", tok,
					 port);
			ctune_top_keys k;
			bool got = ctune_top_parse_line(line, line + strlen(line), &k);
			bool want_ok = ok_addr && (at_end || ok_port);
			ck_assert_msg(got == want_ok, "'%s': got %d, want %d", line, got, want_ok);
			if (!got)
				continue;
			ctune_topk_key a;
			ctune_top_key_addr(&a, AF_INET, want);
			ck_assert_msg(memcmp(&k.k[at_end ? CTUNE_TOP_DST : CTUNE_TOP_SRC], &a, sizeof(a)) == 0, "'%s'", line);
			if (!at_end) {
				ctune_top_key_dport(&a, 17, want_port);
				ck_assert_msg(memcmp(&k.k[CTUNE_TOP_DPORT], &a, sizeof(a)) == 0, "'%s'", line);
			}
		}
	}
}
END_TEST

/* The kernel's full-width IPv6 ("%pI6", read a group a word at a time)
 * against inet_pton on random 39-byte tokens: hex digits of both cases,
 * with now and then a byte that is not one (a letter past 'f', a colon
 * out of place, a byte with bit 7 set, whose carry must not hide it). */
START_TEST(test_top_v6_words_agree)
{
	static const char hex[] = "0123456789abcdefABCDEF";
	static const char odd[] = { 'g', 'G', ':', '/', '@', '`', 'z', (char)0xc3, (char)0xa9, (char)0xff, '.' };
	for (int iter = 0; iter < 200000; iter++) {
		char tok[40];
		for (int i = 0; i < 39; i++)
			tok[i] = i % 5 == 4 ? ':' : hex[rng() % (sizeof(hex) - 1)];
		unsigned edits = (unsigned)(rng() % 3);
		for (unsigned j = 0; j < edits; j++)
			if (rng() % 4 == 0)
				tok[rng() % 39] = odd[rng() % sizeof(odd)];
		tok[39] = '\0';
		unsigned char want[16];
		bool ok = inet_pton(AF_INET6, tok, want) == 1;
		char line[256];
		snprintf(line, sizeof(line), "ipv6     10 udp      17 5 src=%s dst=fd00::2 sport=1 dport=2 mark=0 zone=0 use=2",
			 tok);
		ctune_top_keys k;
		bool got = ctune_top_parse_line(line, line + strlen(line), &k);
		ck_assert_msg(got == ok, "'%s': got %d, want %d", tok, got, ok);
		if (got) {
			ctune_topk_key a;
			ctune_top_key_addr(&a, AF_INET6, want);
			ck_assert_msg(memcmp(&k.k[CTUNE_TOP_SRC], &a, sizeof(a)) == 0, "'%s'", tok);
		}
	}
}
END_TEST

/* The generated table, parsed whole, through a file in 1..4 ranges and a
 * pipe cut anywhere: the same summary and the same top talkers (every
 * dimension within the capacity here, so all exact). */
TABLE_TEST(test_top_paths_agree)
{
	size_t len;
	char *text = make_lines(60000, &len);
	ctune_table_summary whole;
	ctune_table_summary_init(&whole);
	whole.top = ctune_table_top_new(CTUNE_TOP_LIMIT_MAX);
	ck_assert_ptr_nonnull(whole.top);
	ctune_table_parse(text, len, &whole);
	/* every line make_lines() writes has readable keys: top talkers change
	 * no count */
	ctune_table_summary plain;
	ctune_table_summary_init(&plain);
	ctune_table_parse(text, len, &plain);
	plain.top = whole.top;
	check_summary(&whole, &plain, __LINE__);

	int fd = tmpfile_with(text, len);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ctune_table_summary f;
	ctune_table_summary_init(&f);
	f.top = ctune_table_top_new(CTUNE_TOP_LIMIT_MAX);
	ck_assert_ptr_nonnull(f.top);
	ck_assert_int_eq(ctune_table_summarize_fd(fd, &f), 0);
	close(fd);
	struct ctune_table_top *keep = f.top;
	f.top = whole.top;
	check_summary(&f, &whole, __LINE__);
	f.top = keep;
	for (int d = 0; d < CTUNE_TOP_DIM_COUNT; d++) {
		ctune_topk *a = whole.top->dim[d], *b = f.top->dim[d];
		ck_assert_uint_eq(ctune_topk_total(a), ctune_topk_total(b));
		ck_assert_int_eq(ctune_topk_exact(a), ctune_topk_exact(b));
		size_t cap = CTUNE_TOP_CAPACITY;
		ctune_topk_item *x = malloc(cap * sizeof(*x)), *y = malloc(cap * sizeof(*y));
		ck_assert_ptr_nonnull(x);
		ck_assert_ptr_nonnull(y);
		size_t nx = ctune_topk_top(a, x, cap), ny = ctune_topk_top(b, y, cap);
		ck_assert_uint_eq(nx, ny);
		if (ctune_topk_exact(a))
			ck_assert_msg(memcmp(x, y, nx * sizeof(*x)) == 0, "%s differs", ctune_top_dim_name(d));
		else /* approximate (topk's own tests check the bounds against truth) */
			for (size_t i = 0; i < ny; i++)
				ck_assert(y[i].error <= 2 * ctune_topk_total(b) / CTUNE_TOP_CAPACITY && y[i].count > y[i].error);
		free(x);
		free(y);
	}
	ctune_table_top_free(whole.top);
	ctune_table_top_free(f.top);
	free(text);
}

START_TEST(test_top_key_text)
{
	char buf[64];
	ctune_topk_key k;
	unsigned char v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	ctune_top_key_addr(&k, AF_INET6, v6);
	ck_assert_int_eq(ctune_top_key_text(CTUNE_TOP_SRC, &k, buf, sizeof(buf)), 11);
	ck_assert_str_eq(buf, "2001:db8::1");
	ck_assert_int_eq(ctune_top_key_text(CTUNE_TOP_SRC, &k, buf, 5), -ENOBUFS);
	ck_assert_str_eq(buf, "");
	ctune_top_key_dport(&k, 132, 9);
	ck_assert_int_eq(ctune_top_key_text(CTUNE_TOP_DPORT, &k, buf, sizeof(buf)), 6);
	ck_assert_str_eq(buf, "sctp/9");
	ctune_top_key_dport(&k, 47, 1234); /* GRE: no port in the group */
	ctune_top_key_text(CTUNE_TOP_DPORT, &k, buf, sizeof(buf));
	ck_assert_str_eq(buf, "gre");
	ctune_top_key_dport(&k, 255, 0);
	ctune_top_key_text(CTUNE_TOP_DPORT, &k, buf, sizeof(buf));
	ck_assert_str_eq(buf, "proto-255");
	ck_assert_str_eq(ctune_top_dim_name(CTUNE_TOP_MARK), "by_mark");
	ck_assert_ptr_null(ctune_top_dim_name(CTUNE_TOP_DIM_COUNT));
	ck_assert_ptr_null(ctune_table_top_new(0));
	ck_assert_ptr_null(ctune_table_top_new(CTUNE_TOP_LIMIT_MAX + 1));
}
END_TEST

static Suite *table_suite(void)
{
	Suite *s = suite_create("table");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_proto_numbers);
	tcase_add_loop_test(tc, test_reference_lines, 0, nconfigs);
	tcase_add_loop_test(tc, test_modern_fixture, 0, nconfigs);
	tcase_add_loop_test(tc, test_legacy_fixture, 0, nconfigs);
	tcase_add_loop_test(tc, test_legacy_inline, 0, nconfigs);
	tcase_add_loop_test(tc, test_accounting_zone_secctx, 0, nconfigs);
	tcase_add_loop_test(tc, test_offload, 0, nconfigs);
	tcase_add_loop_test(tc, test_other_protocols, 0, nconfigs);
	tcase_add_loop_test(tc, test_tcp_states, 0, nconfigs);
	tcase_add_loop_test(tc, test_timeouts, 0, nconfigs);
	tcase_add_loop_test(tc, test_flags_anywhere, 0, nconfigs);
	tcase_add_loop_test(tc, test_malformed_fixture, 0, nconfigs);
	tcase_add_loop_test(tc, test_truncated_everywhere, 0, nconfigs);
	tcase_add_loop_test(tc, test_line_endings, 0, nconfigs);
	tcase_add_loop_test(tc, test_line_max, 0, nconfigs);
	tcase_add_loop_test(tc, test_line_longer_than_buffer, 0, nconfigs);
	tcase_add_loop_test(tc, test_split_everywhere, 0, nconfigs);
	tcase_add_loop_test(tc, test_large_generated, 0, nconfigs);
	tcase_add_loop_test(tc, test_file_ranges, 0, nconfigs);
	tcase_add_loop_test(tc, test_file_buffers, 0, nconfigs);
	tcase_add_loop_test(tc, test_file_shrinks, 0, nconfigs);
	tcase_add_loop_test(tc, test_mutations, 0, nconfigs);
	tcase_add_loop_test(tc, test_summarize_root, 0, nconfigs);
	tcase_add_test(tc, test_run_options);
	tcase_add_test(tc, test_scanner_matches_cpuinfo);
	tcase_add_loop_test(tc, test_top_keys, 0, nconfigs);
	tcase_add_loop_test(tc, test_top_hostile, 0, nconfigs);
	tcase_add_loop_test(tc, test_top_paths_agree, 0, nconfigs);
	tcase_add_test(tc, test_top_words_agree);
	tcase_add_test(tc, test_top_v6_words_agree);
	tcase_add_test(tc, test_top_key_text);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "--env-check") == 0)
		return env_check(argv[2], argv[3]);
	build_configs();
	SRunner *sr = srunner_create(table_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
