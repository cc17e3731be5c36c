/* nl-count.c - the kernel's floor for a table walk over ctnetlink: one
 * IPCTNL_MSG_CT_GET dump of both families (AF_UNSPEC), read with libmnl into
 * a 64 KiB buffer (the size ctune's own dump uses, netlink.c), counting the
 * messages and looking at nothing else.  Prints the count.
 *
 *   nl-count            exit 0, or 1 with the reason on stderr
 *
 * This is what `ctune facts --table --source netlink` is measured against
 * in bench case 2: whatever ctune spends above this is its own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#define RECV_BUF (64u * 1024u)

static int count_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	++*(unsigned long *)data;
	return MNL_CB_OK;
}

int main(void)
{
	static char buf[RECV_BUF];
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("nl-count: netlink socket");
		return 1;
	}
	unsigned portid = mnl_socket_get_portid(nl), seq = (unsigned)time(NULL);

	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		perror("nl-count: send");
		return 1;
	}

	unsigned long n = 0;
	int r;
	for (;;) {
		ssize_t k = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			fprintf(stderr, "nl-count: receive: %s\n", k < 0 ? strerror(errno) : "empty read");
			return 1;
		}
		r = mnl_cb_run(buf, (size_t)k, seq, portid, count_cb, &n);
		if (r <= MNL_CB_STOP)
			break;
	}
	if (r < 0) {
		perror("nl-count: dump");
		return 1;
	}
	mnl_socket_close(nl);
	printf("%lu\n", n);
	return 0;
}
