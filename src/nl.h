/* nl.h - ctune's own small netlink layer: the socket, the message, the
 * attribute and the receive loop, over <linux/netlink.h> alone.
 *
 * Why this exists: ctune used libmnl for these ~20 calls, but libmnl's
 * source cannot be obtained where the fully static (musl) build is made, and
 * one code path for the static and the dynamic build beats two.  The layer
 * takes libmnl's shape, one concept per file:
 *
 *   nl-socket.c    open (old-kernel safe), bind, portid, send, receive
 *   nl-msg.c       the nlmsghdr and its extra header (nfgenmsg), put helpers
 *   nl-attr.c      attributes: put, nest, parse with length validation,
 *                  typed getters
 *   nl-callback.c  the receive loop: seq/portid checks, NLMSG_ERROR (ack or
 *                  error), NLMSG_DONE, NLM_F_MULTI, NLM_F_DUMP_INTR
 *
 * Nothing here knows conntrack; src/netlink.c does.  The walks that the
 * table dump runs for every entry (message ok/next, attribute ok/next,
 * type, length, payload) are static inline below so the hot path pays no
 * call per attribute, which is what made libmnl's exported versions slow.
 *
 * Bounds: every walk compares lengths as unsigned sizes against the bytes
 * left, so no length a message claims (up to 4 GiB) moves a pointer past
 * the buffer; a length shorter than its header ends the walk.
 *
 * Error convention (as everywhere in ctune): 0 or a positive count on
 * success, -errno on failure.  Nothing here sets a message: the caller
 * knows which request failed and says so.
 */
#ifndef CTUNE_NL_H
#define CTUNE_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include <linux/netlink.h>

/* Netlink pads to 4 bytes; the mask is a size_t so no length is cut to 32 bits. */
#define CTUNE_NL_ALIGN(len) (((len) + 3u) & ~(size_t)3)
#define CTUNE_NL_MSG_HDRLEN CTUNE_NL_ALIGN(sizeof(struct nlmsghdr))
#define CTUNE_NL_ATTR_HDRLEN CTUNE_NL_ALIGN(sizeof(struct nlattr))

/* ---- the socket (nl-socket.c) ------------------------------------------ */

typedef struct ctune_nl_socket ctune_nl_socket;

/* Open a netlink socket of the given bus (e.g. NETLINK_NETFILTER), close on
 * exec, bound to a kernel-chosen port id.  Works on kernels before 2.6.27,
 * which refuse SOCK_CLOEXEC in socket() with EINVAL: then the flag is set
 * with fcntl().  *out is set on success.  Returns 0 or -errno
 * (-EPROTONOSUPPORT: the kernel lacks that bus). */
int ctune_nl_socket_open(int bus, ctune_nl_socket **out);

/* Close and free.  NULL is accepted. */
void ctune_nl_socket_close(ctune_nl_socket *s);

/* The descriptor, for setsockopt() and poll(). */
int ctune_nl_socket_fd(const ctune_nl_socket *s);

/* The port id the kernel bound the socket to: answers carry it. */
uint32_t ctune_nl_socket_portid(const ctune_nl_socket *s);

/* Send len bytes (one or more messages) to the kernel.  Returns 0 or -errno. */
int ctune_nl_socket_send(ctune_nl_socket *s, const void *buf, size_t len);

/* Receive one datagram from the kernel into buf.  Returns the bytes read,
 * or -errno: -EMSGSIZE when the datagram did not fit (MSG_TRUNC: messages
 * were lost, the caller must not go on as if complete), -ENOBUFS when the
 * socket's queue overflowed, -EPROTO on a zero-length read.  Interrupted
 * reads are retried; datagrams from anyone but the kernel are dropped. */
ssize_t ctune_nl_socket_recv(ctune_nl_socket *s, void *buf, size_t len);

/* ---- the message (nl-msg.c, walks inline) ------------------------------ */

/* Start a message at buf: a zeroed header with nlmsg_len set to its size.
 * buf must hold at least CTUNE_NL_MSG_HDRLEN bytes and be 4-byte aligned. */
struct nlmsghdr *ctune_nl_msg_put_header(void *buf);

/* Append a zeroed extra header of size bytes (padded to 4) after the
 * header, e.g. struct nfgenmsg, and return it. */
void *ctune_nl_msg_put_extra_header(struct nlmsghdr *nlh, size_t size);

/* One nfnetlink request at buf (at least CTUNE_NL_NFMSG_LEN bytes): header
 * of type (subsys << 8 | msg) with NLM_F_REQUEST | flags and seq, then a
 * struct nfgenmsg of family, NFNETLINK_V0 and res_id (host order; sent
 * big-endian).  Returns the header; its nlmsg_len is the length to send. */
struct nlmsghdr *ctune_nl_msg_put_nfgen(void *buf, uint8_t subsys, uint8_t msg, uint16_t flags, uint32_t seq,
					uint8_t family, uint16_t res_id);
#define CTUNE_NL_NFMSG_LEN (CTUNE_NL_MSG_HDRLEN + CTUNE_NL_ALIGN(4u))

/* The payload after the header and its length (0 when the header claims
 * less than itself). */
static inline void *ctune_nl_msg_payload(const struct nlmsghdr *nlh)
{
	return (char *)nlh + CTUNE_NL_MSG_HDRLEN;
}

static inline size_t ctune_nl_msg_payload_len(const struct nlmsghdr *nlh)
{
	return nlh->nlmsg_len > CTUNE_NL_MSG_HDRLEN ? nlh->nlmsg_len - CTUNE_NL_MSG_HDRLEN : 0;
}

/* Does a whole message start here, with len bytes left in the buffer? */
static inline bool ctune_nl_msg_ok(const struct nlmsghdr *nlh, size_t len)
{
	return len >= sizeof(struct nlmsghdr) && nlh->nlmsg_len >= sizeof(struct nlmsghdr) && nlh->nlmsg_len <= len;
}

/* The message after nlh (which must be ok); *len drops by what was passed.
 * The last message of a datagram may lack its padding: *len becomes 0. */
static inline const struct nlmsghdr *ctune_nl_msg_next(const struct nlmsghdr *nlh, size_t *len)
{
	size_t step = CTUNE_NL_ALIGN((size_t)nlh->nlmsg_len);
	if (step > *len)
		step = *len;
	*len -= step;
	return (const struct nlmsghdr *)((const char *)nlh + step);
}

/* ---- the attribute (nl-attr.c, walks inline) --------------------------- */

static inline uint16_t ctune_nl_attr_type(const struct nlattr *a)
{
	return a->nla_type & NLA_TYPE_MASK;
}

static inline bool ctune_nl_attr_is_nested(const struct nlattr *a)
{
	return (a->nla_type & NLA_F_NESTED) != 0;
}

/* Payload length (nla_len minus the header: the attribute must be ok). */
static inline size_t ctune_nl_attr_len(const struct nlattr *a)
{
	return (size_t)a->nla_len - CTUNE_NL_ATTR_HDRLEN;
}

static inline const void *ctune_nl_attr_data(const struct nlattr *a)
{
	return (const char *)a + CTUNE_NL_ATTR_HDRLEN;
}

/* Does a whole attribute start here, with rem bytes left? */
static inline bool ctune_nl_attr_ok(const struct nlattr *a, size_t rem)
{
	return rem >= CTUNE_NL_ATTR_HDRLEN && a->nla_len >= CTUNE_NL_ATTR_HDRLEN && a->nla_len <= rem;
}

/* The attribute after a (which must be ok); *rem drops by what was passed. */
static inline const struct nlattr *ctune_nl_attr_next(const struct nlattr *a, size_t *rem)
{
	size_t step = CTUNE_NL_ALIGN((size_t)a->nla_len);
	if (step > *rem)
		step = *rem;
	*rem -= step;
	return (const struct nlattr *)((const char *)a + step);
}

/* for (each whole attribute a in the len bytes at start); rem is a size_t
 * the caller declares. */
#define ctune_nl_attr_for_each(a, rem, start, len)                                          \
	for ((a) = (const struct nlattr *)(start), (rem) = (len); ctune_nl_attr_ok((a), (rem)); \
	     (a) = ctune_nl_attr_next((a), &(rem)))

/* The first attribute of a type among the len bytes at start, or NULL. */
static inline const struct nlattr *ctune_nl_attr_find(const void *start, size_t len, uint16_t type)
{
	const struct nlattr *a;
	size_t rem;
	ctune_nl_attr_for_each(a, rem, start, len)
		if (ctune_nl_attr_type(a) == type)
			return a;
	return NULL;
}

/* The first attribute of a type inside a nest, or NULL. */
static inline const struct nlattr *ctune_nl_attr_find_nested(const struct nlattr *nest, uint16_t type)
{
	return ctune_nl_attr_find(ctune_nl_attr_data(nest), ctune_nl_attr_len(nest), type);
}

/* What an attribute's payload must hold, for validation. */
typedef enum ctune_nl_type {
	CTUNE_NL_UNSPEC, /* anything */
	CTUNE_NL_U8,
	CTUNE_NL_U16,
	CTUNE_NL_U32,
	CTUNE_NL_U64,
	CTUNE_NL_STRING, /* NUL-terminated within the payload */
	CTUNE_NL_NESTED, /* empty, or whole attributes and nothing else */
} ctune_nl_type;

/* Is the payload what type says?  Returns 0 or -EBADMSG (too short, a
 * string without its NUL, a nest with a broken attribute). */
int ctune_nl_attr_validate(const struct nlattr *a, ctune_nl_type type);

/* Index the attributes among the len bytes at start by type: tb[t] gets
 * the first attribute of type t for t <= max (tb has max + 1 slots, zeroed
 * here); larger types are skipped.  When policy is not NULL (max + 1
 * entries), each indexed attribute is validated against policy[t] first.
 * Returns 0; -EBADMSG when bytes are left that are no whole attribute or an
 * attribute fails its policy. */
int ctune_nl_attr_parse(const void *start, size_t len, const struct nlattr **tb, uint16_t max,
			const ctune_nl_type *policy);

/* ctune_nl_attr_parse over a message's attributes, which start offset bytes
 * (the extra header, padded by the caller or not) into the payload.
 * -EBADMSG when the payload is shorter than offset. */
int ctune_nl_attr_parse_msg(const struct nlmsghdr *nlh, size_t offset, const struct nlattr **tb, uint16_t max,
			    const ctune_nl_type *policy);

/* ctune_nl_attr_parse over a nest's payload. */
int ctune_nl_attr_parse_nested(const struct nlattr *nest, const struct nlattr **tb, uint16_t max,
			       const ctune_nl_type *policy);

/* Typed getters: the payload read without alignment assumptions, in the
 * byte order it was sent (netfilter sends big-endian: ntohl the u32). The
 * payload must be at least that long (validate first). */
uint8_t ctune_nl_attr_get_u8(const struct nlattr *a);
uint16_t ctune_nl_attr_get_u16(const struct nlattr *a);
uint32_t ctune_nl_attr_get_u32(const struct nlattr *a);
uint64_t ctune_nl_attr_get_u64(const struct nlattr *a);
const char *ctune_nl_attr_get_str(const struct nlattr *a);

/* Append an attribute of len payload bytes to the message nlh, which lives
 * in a buffer of buflen bytes (from nlh).  Padding is zeroed.  Returns 0,
 * or -EMSGSIZE when it would not fit (nothing is written then). */
int ctune_nl_attr_put(struct nlmsghdr *nlh, size_t buflen, uint16_t type, size_t len, const void *data);
int ctune_nl_attr_put_u8(struct nlmsghdr *nlh, size_t buflen, uint16_t type, uint8_t v);
int ctune_nl_attr_put_u16(struct nlmsghdr *nlh, size_t buflen, uint16_t type, uint16_t v);
int ctune_nl_attr_put_u32(struct nlmsghdr *nlh, size_t buflen, uint16_t type, uint32_t v);
int ctune_nl_attr_put_u64(struct nlmsghdr *nlh, size_t buflen, uint16_t type, uint64_t v);
int ctune_nl_attr_put_strz(struct nlmsghdr *nlh, size_t buflen, uint16_t type, const char *s);

/* Open a nest (NLA_F_NESTED set) to which the following puts belong, until
 * ctune_nl_attr_nest_end() closes it.  Returns the nest, or NULL when even
 * its header would not fit.  Closing returns 0, or -EMSGSIZE when the nest
 * grew past the 64 KiB an attribute's length can say. */
struct nlattr *ctune_nl_attr_nest_start(struct nlmsghdr *nlh, size_t buflen, uint16_t type);
int ctune_nl_attr_nest_end(struct nlmsghdr *nlh, struct nlattr *nest);

/* ---- the receive loop (nl-callback.c) ---------------------------------- */

/* What the loop and its callbacks return. */
enum {
	CTUNE_NL_STOP = 0, /* the answer is complete (ack, NLMSG_DONE, a single reply) */
	CTUNE_NL_MORE = 1, /* keep reading: more messages belong to this answer */
};

/* Called once per data message (type >= NLMSG_MIN_TYPE).  Returns
 * CTUNE_NL_MORE to go on, CTUNE_NL_STOP to end the answer here, or -errno
 * to fail it. */
typedef int (*ctune_nl_cb)(const struct nlmsghdr *nlh, void *data);

/* Run the messages of one received datagram (len bytes at buf, 4-byte
 * aligned).  seq and portid, when not 0, must match every message's (0 in
 * a message also passes: the kernel's notifications carry 0).  Control
 * messages are handled here:
 *   NLMSG_NOOP, NLMSG_OVERRUN: skipped;
 *   NLMSG_ERROR: error 0 is the ack (CTUNE_NL_STOP), any other the
 *                request's -errno (INT_MIN, which has no negation, as
 *                -EPROTO), too short a payload -EBADMSG;
 *   NLMSG_DONE:  CTUNE_NL_STOP, or the negative status it carries;
 * and a message flagged NLM_F_DUMP_INTR (the dump saw the table change
 * under it) fails with -EINTR.  A data message without NLM_F_MULTI is a
 * whole answer: the loop returns CTUNE_NL_STOP after its datagram.
 * Returns CTUNE_NL_MORE when the answer goes on in the next datagram,
 * CTUNE_NL_STOP when it is complete, or -errno: a callback's, the above,
 * -EPROTO for a sequence mismatch, -ESRCH for a port id mismatch, -EBADMSG
 * when bytes are left that are no whole message. */
int ctune_nl_cb_run(const void *buf, size_t len, uint32_t seq, uint32_t portid, ctune_nl_cb cb, void *data);

#endif
