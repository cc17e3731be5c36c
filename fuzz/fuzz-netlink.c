/* fuzz-netlink.c - libFuzzer target for the ctnetlink answer parsers
 * (src/netlink.c): the table dump's per-entry walk (ct_msg_cb, the hot path
 * with its hand-inlined attribute bounds checks), the per-CPU statistics
 * (cpu_msg_cb) and the global count (global_msg_cb).
 *
 * The parsers are static, so this file includes netlink.c itself and
 * drives them the way nl_run() does: the input is one received datagram,
 * handed to libmnl's mnl_cb_run2() with each callback in turn.  The kernel
 * is trusted to send well-formed messages, but a parser that walks past an
 * attribute's end on a short or lying one would read other memory - which
 * ASan reports.  Checked as well: every message counted is counted once
 * (total + malformed <= messages), the breakdowns add up, and the per-CPU
 * rows stay within CTUNE_STAT_MAX_CPUS.
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

/* libmnl 1.0.4's mnl_nlmsg_ok() compares (int)nlmsg_len with the bytes
 * left, so a length of 2 GiB or more passes as negative and the walk jumps
 * out of the buffer (found by this target: regressions/netlink/).  Only the
 * kernel can send to ctune's socket (mnl_socket_recvfrom refuses other
 * senders) and it never sends such a length, so those inputs are left out
 * here: the target fuzzes ctune's callbacks, not libmnl's header walk. */
static bool libmnl_can_walk(const uint8_t *data, size_t size)
{
	size_t off = 0;
	while (size - off >= sizeof(struct nlmsghdr)) {
		uint32_t len;
		memcpy(&len, data + off, sizeof(len));
		if (len > INT32_MAX)
			return false;
		if (len < sizeof(struct nlmsghdr) || len > size - off)
			return true; /* libmnl stops here */
		off += MNL_ALIGN(len);
		if (off > size)
			return true;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!libmnl_can_walk(data, size))
		return 0;
	/* libmnl reads the buffer as aligned struct nlmsghdr: give it an
	 * aligned exact-size copy, as recvfrom into nl->buf would. */
	void *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);

	ctune_table_summary s;
	ctune_table_summary_init(&s);
	struct dump_state d = { .s = &s };
	(void)mnl_cb_run2(buf, size, 0, 0, ct_msg_cb, &d, nl_ctl_cb, ELEMENTSOF(nl_ctl_cb));
	CHECK(s.total + s.malformed <= d.messages);
	CHECK(sum(s.family, CTUNE_FAMILY_COUNT) == s.total);
	CHECK(sum(s.proto, CTUNE_PROTO_COUNT) == s.total);
	CHECK(sum(s.tcp_state, CTUNE_TCP_STATE_COUNT) == s.proto[CTUNE_PROTO_TCP]);
	CHECK(s.assured + s.offload <= s.total && s.unreplied <= s.total && s.long_timeout <= s.total);

	struct cpu_dump c = { 0 };
	(void)mnl_cb_run2(buf, size, 0, 0, cpu_msg_cb, &c, nl_ctl_cb, ELEMENTSOF(nl_ctl_cb));
	c.exp = true;
	(void)mnl_cb_run2(buf, size, 0, 0, cpu_msg_cb, &c, nl_ctl_cb, ELEMENTSOF(nl_ctl_cb));
	CHECK(c.n <= c.cap && c.cap <= CTUNE_STAT_MAX_CPUS);
	free(c.rows);

	struct global_stats g = { 0 };
	(void)mnl_cb_run2(buf, size, 0, 0, global_msg_cb, &g, nl_ctl_cb, ELEMENTSOF(nl_ctl_cb));

	free(buf);
	return 0;
}
