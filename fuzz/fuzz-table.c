/* fuzz-table.c - libFuzzer target for the conntrack table text parser
 * (table.h: ctune_table_parse, the streaming ctune_table_summarize_fd and
 * its regular-file path in parallel ranges).
 *
 * Input: the text of a /proc/net/nf_conntrack (or ip_conntrack) file, any
 * bytes.  The first two bytes (when present) pick the chunk sizes a fake
 * read() hands the streaming reader, so its buffer-boundary logic (lines
 * cut between reads, over-long lines skipped across reads) is exercised on
 * every input, deterministically.  Checked:
 *   - every line is counted exactly once: total + malformed == lines;
 *   - the breakdowns add up: family and proto sums == total, TCP states
 *     sum == proto[tcp], flag counts <= total;
 *   - the streaming reader gives exactly the summary the one-buffer parser
 *     gives, whatever the read sizes;
 *   - so does every stage-1 scanner this CPU has (memchr, SSE2, AVX2,
 *     AVX-512);
 *   - so does the regular-file path, the input in a memfd cut into one to
 *     four ranges (the last byte picks how many), so range cuts fall inside
 *     the input's lines;
 *   - with top talkers on (table.h): every line still counted once, only
 *     lines the plain parse accepts are accepted, each dimension's summary
 *     holds exactly the accepted lines, its groups keep topk.h's bounds and
 *     name themselves; streamed and in file ranges the counts are the
 *     one-buffer parse's and so are the groups of every exact dimension.
 *
 * The fake read() is linked with -Wl,--wrap=read: only the descriptor this
 * harness marks is served from memory, every other read goes to libc.
 * Built with CTUNE_FUZZ_NO_WRAP (the unit tests' replay, which cannot add
 * link options), the streamed bytes come from a memfd in whole reads.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "table.h"

#ifndef CTUNE_FUZZ_NO_WRAP
ssize_t __real_read(int fd, void *buf, size_t n);
ssize_t __wrap_read(int fd, void *buf, size_t n);

static struct {
	int fd;
	const uint8_t *data;
	size_t size, pos, step, calls;
	uint8_t a, b;
} fake = { .fd = -1 };

ssize_t __wrap_read(int fd, void *buf, size_t n)
{
	if (fd != fake.fd || fake.fd < 0)
		return __real_read(fd, buf, n);
	size_t left = fake.size - fake.pos;
	/* Alternate between two chunk sizes derived from the input, sometimes
	 * a large one, so both tiny and buffer-filling reads happen. */
	size_t want = (fake.calls++ & 1) ? (size_t)fake.a * 37 + 1 : (size_t)fake.b * 1031 + 1;
	if (want > n)
		want = n;
	if (want > left)
		want = left;
	memcpy(buf, fake.data + fake.pos, want);
	fake.pos += want;
	return (ssize_t)want;
}

static int stream_fd(const uint8_t *data, size_t size)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	fake.fd = fd;
	fake.data = data;
	fake.size = size;
	fake.pos = 0;
	fake.calls = 0;
	fake.a = size > 0 ? data[0] : 0;
	fake.b = size > 1 ? data[1] : 0;
	return fd;
}

static size_t stream_done(void)
{
	fake.fd = -1;
	return fake.pos;
}
#else
static size_t stream_size;

static int stream_fd(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-table", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0)
		abort();
	stream_size = size;
	return fd;
}

static size_t stream_done(void)
{
	return stream_size;
}
#endif

static uint64_t sum(const uint64_t *v, size_t n)
{
	uint64_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += v[i];
	return s;
}

static void table_check_same(const ctune_table_summary *whole, const ctune_table_summary *other, const char *how)
{
	/* the counts; the top talkers (a pointer here) are compared apart */
	ctune_table_summary a = *whole, b = *other;
	a.top = b.top = NULL;
	if (memcmp(&a, &b, sizeof(a)) != 0) {
		fprintf(stderr, "fuzz-table: %s summary differs: total %llu/%llu malformed %llu/%llu\n", how,
			(unsigned long long)whole->total, (unsigned long long)other->total,
			(unsigned long long)whole->malformed, (unsigned long long)other->malformed);
		abort();
	}
}

/* Top talkers: the summaries reused between inputs (reset by each use). */
static ctune_table_top *top_a, *top_b;

static void top_check(const ctune_table_top *t, uint64_t total)
{
	static ctune_topk_item items[CTUNE_TOP_CAPACITY];
	for (int d = 0; d < CTUNE_TOP_DIM_COUNT; d++) {
		const ctune_topk *k = t->dim[d];
		CHECK(ctune_topk_total(k) == total);
		size_t n = ctune_topk_top(k, items, CTUNE_TOP_CAPACITY);
		CHECK(n == ctune_topk_size(k) && n <= total);
		uint64_t sum_count = 0;
		for (size_t i = 0; i < n; i++) {
			char text[64];
			CHECK(items[i].count > items[i].error);
			CHECK(i == 0 || items[i - 1].count >= items[i].count);
			CHECK(ctune_topk_exact(k) ? items[i].error == 0 : items[i].error <= 2 * total / CTUNE_TOP_CAPACITY);
			CHECK(ctune_top_key_text((ctune_top_dim)d, &items[i].key, text, sizeof(text)) > 0);
			sum_count += items[i].count;
		}
		if (ctune_topk_exact(k))
			CHECK(sum_count == total);
	}
}

/* The groups of the exact dimensions of two summaries are the same. */
static void top_check_same(const ctune_table_top *x, const ctune_table_top *y, const char *how)
{
	static ctune_topk_item a[CTUNE_TOP_CAPACITY], b[CTUNE_TOP_CAPACITY];
	for (int d = 0; d < CTUNE_TOP_DIM_COUNT; d++) {
		CHECK(ctune_topk_total(x->dim[d]) == ctune_topk_total(y->dim[d]));
		if (!ctune_topk_exact(x->dim[d]))
			continue;
		size_t n = ctune_topk_top(x->dim[d], a, CTUNE_TOP_CAPACITY);
		if (!ctune_topk_exact(y->dim[d]) || ctune_topk_top(y->dim[d], b, CTUNE_TOP_CAPACITY) != n ||
		    memcmp(a, b, n * sizeof(a[0])) != 0) {
			fprintf(stderr, "fuzz-table: %s: %s differs\n", how, ctune_top_dim_name((ctune_top_dim)d));
			abort();
		}
	}
}

static void check_top(const uint8_t *data, size_t size, const ctune_table_summary *plain, uint64_t lines)
{
	if (!top_a && (!(top_a = ctune_table_top_new(CTUNE_TOP_LIMIT_MAX)) ||
		       !(top_b = ctune_table_top_new(CTUNE_TOP_LIMIT_MAX))))
		abort();
	ctune_table_summary whole;
	ctune_table_summary_init(&whole);
	ctune_table_top_reset(top_a);
	whole.top = top_a;
	ctune_table_parse((const char *)data, size, &whole);
	CHECK(whole.total + whole.malformed == lines);
	CHECK(whole.total <= plain->total);
	top_check(top_a, whole.total);

	/* streamed */
	int fd = stream_fd(data, size);
	CHECK(fd >= 0);
	ctune_table_summary streamed;
	ctune_table_summary_init(&streamed);
	ctune_table_top_reset(top_b);
	streamed.top = top_b;
	int r = ctune_table_summarize_fd(fd, &streamed);
	stream_done();
	close(fd);
	CHECK(r == 0);
	table_check_same(&whole, &streamed, "top streamed");
	top_check_same(top_a, top_b, "top streamed");

	/* a regular file in ranges: each range its own summary, merged */
	if (size > 0) {
		int mfd = memfd_create("fuzz-table-top", MFD_CLOEXEC);
		CHECK(mfd >= 0);
		CHECK(write(mfd, data, size) == (ssize_t)size);
		CHECK(lseek(mfd, 0, SEEK_SET) == 0);
		CHECK(ctune_table_set_threads(1 + data[0] % CTUNE_TABLE_THREADS_MAX) == 0);
		ctune_table_summary filed;
		ctune_table_summary_init(&filed);
		ctune_table_top_reset(top_b);
		filed.top = top_b;
		r = ctune_table_summarize_fd(mfd, &filed);
		CHECK(ctune_table_set_threads(0) == 0);
		close(mfd);
		CHECK(r == 0);
		table_check_same(&whole, &filed, "top file ranges");
		top_check(top_b, filed.total);
		top_check_same(top_a, top_b, "top file ranges");
	}
}

/* The whole-buffer parse, its invariants, and the other ways to the same
 * bytes (streamed, every scanner, a file in ranges), which must agree
 * exactly. */
static void check_text(const uint8_t *data, size_t size, bool with_top)
{
	ctune_table_summary whole;
	ctune_table_summary_init(&whole);
	ctune_table_parse((const char *)data, size, &whole);

	uint64_t lines = 0;
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (size > 0 && data[size - 1] != '\n')
		lines++;
	CHECK(whole.total + whole.malformed == lines);
	CHECK(sum(whole.family, CTUNE_FAMILY_COUNT) == whole.total);
	CHECK(sum(whole.proto, CTUNE_PROTO_COUNT) == whole.total);
	CHECK(sum(whole.tcp_state, CTUNE_TCP_STATE_COUNT) == whole.proto[CTUNE_PROTO_TCP]);
	CHECK(whole.assured <= whole.total && whole.unreplied <= whole.total && whole.offload <= whole.total &&
	      whole.long_timeout <= whole.total);

	/* The same bytes through the streaming reader, in odd read sizes. */
	int fd = stream_fd(data, size);
	CHECK(fd >= 0);
	ctune_table_summary streamed;
	ctune_table_summary_init(&streamed);
	int r = ctune_table_summarize_fd(fd, &streamed);
	size_t consumed = stream_done();
	close(fd);
	CHECK(r == 0);
	CHECK(consumed == size);
	table_check_same(&whole, &streamed, "streamed");

	/* every scanner */
	ctune_table_scanner was = ctune_table_get_scanner();
	for (int sc = CTUNE_TABLE_SCANNER_MEMCHR; sc < CTUNE_TABLE_SCANNER_COUNT; sc++) {
		if (ctune_table_set_scanner((ctune_table_scanner)sc) < 0)
			continue;
		ctune_table_summary other;
		ctune_table_summary_init(&other);
		ctune_table_parse((const char *)data, size, &other);
		table_check_same(&whole, &other, ctune_table_scanner_name((ctune_table_scanner)sc));
	}
	CHECK(ctune_table_set_scanner(was) == 0);

	/* a regular file in ranges */
	if (size > 0) {
		int mfd = memfd_create("fuzz-table-file", MFD_CLOEXEC);
		CHECK(mfd >= 0);
		CHECK(write(mfd, data, size) == (ssize_t)size);
		CHECK(lseek(mfd, 0, SEEK_SET) == 0);
		unsigned threads = 1 + data[size - 1] % CTUNE_TABLE_THREADS_MAX;
		CHECK(ctune_table_set_threads(threads) == 0);
		ctune_table_summary filed;
		ctune_table_summary_init(&filed);
		r = ctune_table_summarize_fd(mfd, &filed);
		CHECK(ctune_table_set_threads(0) == 0);
		close(mfd);
		CHECK(r == 0);
		table_check_same(&whole, &filed, "file ranges");
	}

	if (with_top)
		check_top(data, size, &whole, lines);
}

/* The streaming reader parses in buffers of table.c's TABLE_READ_BUF
 * (64 KiB, of which 256 KiB is a multiple) and carries a line cut by a
 * buffer's end into the next one.
 * Inputs of fuzzing size never reach that cut, so the input is also placed
 * behind valid lines that end just before it: the cut falls inside the
 * input, at an offset its first bytes choose. */
#define READ_BUF (256u * 1024u)
static const char filler[] = "ipv4     2 tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1025 "
			     "dport=443 src=10.0.0.2 dst=10.0.0.1 sport=443 dport=1025 [ASSURED] mark=0 use=2\n";

static void check_at_cut(const uint8_t *data, size_t size)
{
	size_t cut = 1 + ((size_t)data[0] | (size_t)(size > 1 ? data[1] : 0) << 8) % size; /* 1..size */
	size_t prefix = READ_BUF - cut;
	uint8_t *big = malloc(prefix + size);
	if (!big)
		return;
	size_t off = 0, n = sizeof(filler) - 1;
	while (off + n <= prefix) {
		memcpy(big + off, filler, n);
		off += n;
	}
	/* The rest of the prefix: one malformed line ending exactly there. */
	if (off < prefix) {
		memset(big + off, 'x', prefix - off);
		big[prefix - 1] = '\n';
	}
	memcpy(big + prefix, data, size);
	/* the top talkers read each line where it lies: the cut is the
	 * plain path's business (and 256 KiB with top talkers costs the
	 * fuzzer most of its speed) */
	check_text(big, prefix + size, false);
	free(big);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_text(data, size, true);
	/* A quarter of the inputs (by their first byte): the cut check costs a
	 * 256 KiB parse, and the plain checks deserve the speed. */
	if (size > 0 && data[0] % 4 == 0)
		check_at_cut(data, size);
	return 0;
}
