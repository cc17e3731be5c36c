/* nl-socket.c - the netlink socket of ctune's netlink layer (nl.h): open,
 * bind, port id, send, receive, close.  Nothing else.
 *
 * Old kernels: socket(..., SOCK_RAW | SOCK_CLOEXEC, ...) fails with EINVAL
 * before 2.6.27, so that answer is retried with a plain socket and
 * fcntl(FD_CLOEXEC), which every kernel has.  Only system calls that 2.6.18
 * (CentOS 5) knows are used: socket, bind, getsockname, sendto, recvmsg,
 * fcntl, close - no recvmmsg, no accept4.
 *
 * Receiving: one recvmsg() per datagram into the caller's buffer, with the
 * sender's address checked (only the kernel, port 0, may speak to us) and
 * MSG_TRUNC turned into an error, because a truncated datagram has lost
 * messages that no later read brings back.
 */
#include "nl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"

struct ctune_nl_socket {
	int fd;
	uint32_t portid;
};

/* socket() close-on-exec, on kernels with and without SOCK_CLOEXEC. */
static int socket_cloexec(int bus)
{
	int fd;
#ifdef SOCK_CLOEXEC
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, bus);
	if (fd >= 0 || errno != EINVAL)
		return fd < 0 ? -errno : fd;
#endif
	fd = socket(AF_NETLINK, SOCK_RAW, bus);
	if (fd < 0)
		return -errno;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int ctune_nl_socket_open(int bus, ctune_nl_socket **out)
{
	*out = NULL;
	_cleanup_close_ int fd = socket_cloexec(bus);
	if (fd < 0)
		return fd;
	/* Port 0: the kernel picks a unique one; getsockname tells which. */
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK };
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return -errno;
	socklen_t alen = sizeof(addr);
	if (getsockname(fd, (struct sockaddr *)&addr, &alen) < 0)
		return -errno;
	if (alen != sizeof(addr) || addr.nl_family != AF_NETLINK)
		return -EINVAL;
	ctune_nl_socket *s = malloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fd = TAKE_FD(fd);
	s->portid = addr.nl_pid;
	*out = s;
	return 0;
}

void ctune_nl_socket_close(ctune_nl_socket *s)
{
	if (!s)
		return;
	close(s->fd);
	free(s);
}

int ctune_nl_socket_fd(const ctune_nl_socket *s)
{
	return s->fd;
}

uint32_t ctune_nl_socket_portid(const ctune_nl_socket *s)
{
	return s->portid;
}

int ctune_nl_socket_send(ctune_nl_socket *s, const void *buf, size_t len)
{
	const struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	for (;;) {
		ssize_t n = sendto(s->fd, buf, len, 0, (const struct sockaddr *)&kernel, sizeof(kernel));
		if (n >= 0)
			return (size_t)n == len ? 0 : -EMSGSIZE; /* netlink sends all or nothing */
		if (errno != EINTR)
			return -errno;
	}
}

ssize_t ctune_nl_socket_recv(ctune_nl_socket *s, void *buf, size_t len)
{
	for (;;) {
		struct sockaddr_nl from;
		struct iovec iov = { .iov_base = buf, .iov_len = len };
		struct msghdr msg = {
			.msg_name = &from,
			.msg_namelen = sizeof(from),
			.msg_iov = &iov,
			.msg_iovlen = 1,
		};
		ssize_t n = recvmsg(s->fd, &msg, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (msg.msg_flags & MSG_TRUNC)
			return -EMSGSIZE;
		if (msg.msg_namelen != sizeof(from) || from.nl_family != AF_NETLINK || from.nl_pid != 0)
			continue; /* not the kernel: not an answer */
		if (n == 0)
			return -EPROTO; /* netlink never sends an empty datagram */
		return n;
	}
}
