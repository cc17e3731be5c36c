/* nl-msg.c - the netlink message of ctune's netlink layer (nl.h): a header,
 * an optional extra header (nfnetlink's struct nfgenmsg) and attributes
 * after it.  The walks over received messages (ok, next, payload) are
 * inline in nl.h; this file builds requests.
 *
 * Requests are small and built on the caller's stack or in its buffer:
 * nothing here allocates.
 */
#include "nl.h"

#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink.h>

struct nlmsghdr *ctune_nl_msg_put_header(void *buf)
{
	struct nlmsghdr *nlh = buf;
	memset(nlh, 0, CTUNE_NL_MSG_HDRLEN);
	nlh->nlmsg_len = CTUNE_NL_MSG_HDRLEN;
	return nlh;
}

void *ctune_nl_msg_put_extra_header(struct nlmsghdr *nlh, size_t size)
{
	char *p = (char *)nlh + nlh->nlmsg_len;
	size_t len = CTUNE_NL_ALIGN(size);
	memset(p, 0, len);
	nlh->nlmsg_len += (uint32_t)len;
	return p;
}

struct nlmsghdr *ctune_nl_msg_put_nfgen(void *buf, uint8_t subsys, uint8_t msg, uint16_t flags, uint32_t seq,
					uint8_t family, uint16_t res_id)
{
	struct nlmsghdr *nlh = ctune_nl_msg_put_header(buf);
	nlh->nlmsg_type = (uint16_t)((subsys << 8) | msg);
	nlh->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
	nlh->nlmsg_seq = seq;
	struct nfgenmsg *nfg = ctune_nl_msg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(res_id);
	return nlh;
}
