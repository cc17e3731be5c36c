/* nl-callback.c - the receive loop of ctune's netlink layer (nl.h): walk
 * the messages of one datagram, check that they answer our request, handle
 * the control messages, and hand each data message to the caller.
 *
 * HOT PATH: a table dump sends a million messages through here, about 60
 * a datagram.  The loop is one pass with the inline header walk of nl.h;
 * data messages (the common case) are tested first and cost one indirect
 * call each.  Guarded by bench/run case 2 (ctune's dump against a bare
 * libmnl dump, bench/nl-count.c).
 *
 * The answer's end, as the kernel marks it: a dump ends with NLMSG_DONE
 * (its status a final error, if negative); a request answered with an
 * error or an ack ends with NLMSG_ERROR; a request answered with a single
 * message sends it without NLM_F_MULTI.  Anything else means more is
 * coming.
 */
#include "nl.h"

#include <errno.h>
#include <limits.h>

/* An errno from a value the kernel (or a forged message) sent: an error
 * may come negative (as it should) or positive; INT_MIN has no negation. */
static int kernel_errno(int32_t v)
{
	if (v == INT32_MIN)
		return -EPROTO;
	return v < 0 ? v : -v;
}

static int control(const struct nlmsghdr *nlh)
{
	size_t plen = ctune_nl_msg_payload_len(nlh);
	int32_t v;
	switch (nlh->nlmsg_type) {
	case NLMSG_ERROR:
		if (plen < sizeof(struct nlmsgerr))
			return -EBADMSG;
		memcpy(&v, ctune_nl_msg_payload(nlh), sizeof(v)); /* nlmsgerr.error comes first */
		return v == 0 ? CTUNE_NL_STOP : kernel_errno(v);
	case NLMSG_DONE:
		/* Old kernels may send DONE without the status. */
		if (plen < sizeof(v))
			return CTUNE_NL_STOP;
		memcpy(&v, ctune_nl_msg_payload(nlh), sizeof(v));
		return v < 0 ? kernel_errno(v) : CTUNE_NL_STOP;
	default: /* NLMSG_NOOP, NLMSG_OVERRUN, reserved types */
		return CTUNE_NL_MORE;
	}
}

int ctune_nl_cb_run(const void *buf, size_t len, uint32_t seq, uint32_t portid, ctune_nl_cb cb, void *data)
{
	const struct nlmsghdr *nlh = buf;
	int ret = CTUNE_NL_MORE;
	bool single = false;
	while (ctune_nl_msg_ok(nlh, len)) {
		if (seq && nlh->nlmsg_seq && nlh->nlmsg_seq != seq)
			return -EPROTO;
		if (portid && nlh->nlmsg_pid && nlh->nlmsg_pid != portid)
			return -ESRCH;
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			return -EINTR;
		if (nlh->nlmsg_type >= NLMSG_MIN_TYPE) {
			ret = cb ? cb(nlh, data) : CTUNE_NL_MORE;
			if (!(nlh->nlmsg_flags & NLM_F_MULTI))
				single = true;
		} else {
			ret = control(nlh);
		}
		if (ret <= CTUNE_NL_STOP)
			return ret;
		nlh = ctune_nl_msg_next(nlh, &len);
	}
	if (len != 0)
		return -EBADMSG;
	return single ? CTUNE_NL_STOP : CTUNE_NL_MORE;
}
