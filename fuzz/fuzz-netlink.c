/* fuzz-netlink.c - libFuzzer target for the ctnetlink answer parsers
 * (src/netlink.c): the table dump's per-entry walk (ct_msg_cb, the hot path
 * with nl.h's inline attribute bounds checks), the per-CPU statistics
 * (cpu_msg_cb) and the global count (global_msg_cb).  The netlink layer
 * alone (nl.h: the receive loop, attribute parsing) has fuzz-nl.c.
 *
 * The parsers are static, so this file includes netlink.c itself and
 * drives them the way nl_run() does: the input is one received datagram,
 * handed to ctune_nl_cb_run() with each callback in turn.  Every input is
 * taken, whatever lengths its headers claim: the layer's walk compares
 * them as sizes (regressions/netlink/ holds a 2 GiB length that once
 * walked libmnl's signed comparison out of the buffer).  The kernel
 * is trusted to send well-formed messages, but a parser that walks past an
 * attribute's end on a short or lying one would read other memory - which
 * ASan reports.  Checked as well: every message counted is counted once
 * (total + malformed <= messages), the breakdowns add up, the per-CPU
 * rows stay within CTUNE_STAT_MAX_CPUS, and with top talkers on every
 * entry counted has its keys (named by ctune_top_key_text) in each
 * dimension while the others are malformed.
 */
#include "../src/netlink.c"

#include <stdint.h>
#include "fuzz.h"

static uint64_t sum(const uint64_t *v, size_t n)
{
	uint64_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += v[i];
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The loop reads the buffer as aligned struct nlmsghdr: give it an
	 * aligned exact-size copy, as recvmsg into nl->buf would. */
	void *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);

	ctune_table_summary s;
	ctune_table_summary_init(&s);
	struct dump_state d = { .s = &s };
	(void)ctune_nl_cb_run(buf, size, 0, 0, ct_msg_cb, &d);
	CHECK(s.total + s.malformed <= d.messages);
	CHECK(sum(s.family, CTUNE_FAMILY_COUNT) == s.total);
	CHECK(sum(s.proto, CTUNE_PROTO_COUNT) == s.total);
	CHECK(sum(s.tcp_state, CTUNE_TCP_STATE_COUNT) == s.proto[CTUNE_PROTO_TCP]);
	CHECK(s.assured + s.offload <= s.total && s.unreplied <= s.total && s.long_timeout <= s.total);

	/* With top talkers: the same messages, each either counted (with its
	 * keys in every dimension) or malformed, and never counted where the
	 * plain walk refused it. */
	static ctune_table_top *top;
	static ctune_topk_item items[CTUNE_TOP_CAPACITY];
	if (!top && !(top = ctune_table_top_new(CTUNE_TOP_LIMIT_MAX)))
		abort();
	ctune_table_summary t;
	ctune_table_summary_init(&t);
	ctune_table_top_reset(top);
	t.top = top;
	struct dump_state dt = { .s = &t };
	(void)ctune_nl_cb_run(buf, size, 0, 0, ct_msg_cb, &dt);
	CHECK(dt.messages == d.messages);
	CHECK(t.total + t.malformed == s.total + s.malformed && t.total <= s.total);
	for (int dim = 0; dim < CTUNE_TOP_DIM_COUNT; dim++) {
		CHECK(ctune_topk_total(top->dim[dim]) == t.total);
		size_t n = ctune_topk_top(top->dim[dim], items, CTUNE_TOP_CAPACITY);
		for (size_t i = 0; i < n; i++) {
			char text[64];
			CHECK(ctune_top_key_text((ctune_top_dim)dim, &items[i].key, text, sizeof(text)) > 0);
		}
	}

	struct cpu_dump c = { 0 };
	(void)ctune_nl_cb_run(buf, size, 0, 0, cpu_msg_cb, &c);
	c.exp = true;
	(void)ctune_nl_cb_run(buf, size, 0, 0, cpu_msg_cb, &c);
	CHECK(c.n <= c.cap && c.cap <= CTUNE_STAT_MAX_CPUS);
	free(c.rows);

	struct global_stats g = { 0 };
	(void)ctune_nl_cb_run(buf, size, 0, 0, global_msg_cb, &g);

	free(buf);
	return 0;
}
