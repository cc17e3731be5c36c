/* nl-attr.c - netlink attributes for ctune's netlink layer (nl.h): put and
 * nest when building a message; parse into a table by type, validate the
 * payload's length, read it typed when reading one.
 *
 * The per-attribute walk (ok, next, type, length, find) is inline in nl.h,
 * for the table dump's hot path; this file holds what runs once per
 * message or less.  Getters copy with memcpy: attributes are 4-byte aligned
 * but a u64 payload is not 8-byte aligned, and a hostile length could make
 * any of them odd.
 */
#include "nl.h"

#include <errno.h>

int ctune_nl_attr_validate(const struct nlattr *a, ctune_nl_type type)
{
	size_t len = ctune_nl_attr_len(a);
	static const size_t need[] = {
		[CTUNE_NL_UNSPEC] = 0, [CTUNE_NL_U8] = 1,     [CTUNE_NL_U16] = 2,    [CTUNE_NL_U32] = 4,
		[CTUNE_NL_U64] = 8,    [CTUNE_NL_STRING] = 1, [CTUNE_NL_NESTED] = 0,
	};
	if ((unsigned)type >= sizeof(need) / sizeof(need[0]) || len < need[type])
		return -EBADMSG;
	if (type == CTUNE_NL_STRING && memchr(ctune_nl_attr_data(a), '\0', len) == NULL)
		return -EBADMSG;
	if (type == CTUNE_NL_NESTED) {
		const struct nlattr *n;
		size_t rem;
		ctune_nl_attr_for_each(n, rem, ctune_nl_attr_data(a), len)
			;
		if (rem != 0)
			return -EBADMSG;
	}
	return 0;
}

int ctune_nl_attr_parse(const void *start, size_t len, const struct nlattr **tb, uint16_t max,
			const ctune_nl_type *policy)
{
	memset(tb, 0, ((size_t)max + 1) * sizeof(*tb));
	const struct nlattr *a;
	size_t rem;
	ctune_nl_attr_for_each(a, rem, start, len) {
		uint16_t t = ctune_nl_attr_type(a);
		if (t > max || tb[t])
			continue;
		if (policy && ctune_nl_attr_validate(a, policy[t]) < 0)
			return -EBADMSG;
		tb[t] = a;
	}
	return rem == 0 ? 0 : -EBADMSG;
}

int ctune_nl_attr_parse_msg(const struct nlmsghdr *nlh, size_t offset, const struct nlattr **tb, uint16_t max,
			    const ctune_nl_type *policy)
{
	size_t len = ctune_nl_msg_payload_len(nlh);
	offset = CTUNE_NL_ALIGN(offset);
	if (len < offset) {
		memset(tb, 0, ((size_t)max + 1) * sizeof(*tb));
		return -EBADMSG;
	}
	return ctune_nl_attr_parse((const char *)ctune_nl_msg_payload(nlh) + offset, len - offset, tb, max,
				   policy);
}

int ctune_nl_attr_parse_nested(const struct nlattr *nest, const struct nlattr **tb, uint16_t max,
			       const ctune_nl_type *policy)
{
	return ctune_nl_attr_parse(ctune_nl_attr_data(nest), ctune_nl_attr_len(nest), tb, max, policy);
}

uint8_t ctune_nl_attr_get_u8(const struct nlattr *a)
{
	return *(const uint8_t *)ctune_nl_attr_data(a);
}

uint16_t ctune_nl_attr_get_u16(const struct nlattr *a)
{
	uint16_t v;
	memcpy(&v, ctune_nl_attr_data(a), sizeof(v));
	return v;
}

uint32_t ctune_nl_attr_get_u32(const struct nlattr *a)
{
	uint32_t v;
	memcpy(&v, ctune_nl_attr_data(a), sizeof(v));
	return v;
}

uint64_t ctune_nl_attr_get_u64(const struct nlattr *a)
{
	uint64_t v;
	memcpy(&v, ctune_nl_attr_data(a), sizeof(v));
	return v;
}

const char *ctune_nl_attr_get_str(const struct nlattr *a)
{
	return ctune_nl_attr_data(a);
}

int ctune_nl_attr_put(struct nlmsghdr *nlh, size_t buflen, uint16_t type, size_t len, const void *data)
{
	size_t total = CTUNE_NL_ATTR_HDRLEN + len;
	size_t base = CTUNE_NL_ALIGN((size_t)nlh->nlmsg_len);
	if (len > UINT16_MAX || total > UINT16_MAX || base > buflen || CTUNE_NL_ALIGN(total) > buflen - base)
		return -EMSGSIZE;
	struct nlattr *a = (struct nlattr *)((char *)nlh + base);
	a->nla_type = type;
	a->nla_len = (uint16_t)total;
	if (len)
		memcpy((char *)a + CTUNE_NL_ATTR_HDRLEN, data, len);
	memset((char *)a + total, 0, CTUNE_NL_ALIGN(total) - total);
	nlh->nlmsg_len = (uint32_t)(base + CTUNE_NL_ALIGN(total));
	return 0;
}

int ctune_nl_attr_put_u8(struct nlmsghdr *nlh, size_t buflen, uint16_t type, uint8_t v)
{
	return ctune_nl_attr_put(nlh, buflen, type, sizeof(v), &v);
}

int ctune_nl_attr_put_u16(struct nlmsghdr *nlh, size_t buflen, uint16_t type, uint16_t v)
{
	return ctune_nl_attr_put(nlh, buflen, type, sizeof(v), &v);
}

int ctune_nl_attr_put_u32(struct nlmsghdr *nlh, size_t buflen, uint16_t type, uint32_t v)
{
	return ctune_nl_attr_put(nlh, buflen, type, sizeof(v), &v);
}

int ctune_nl_attr_put_u64(struct nlmsghdr *nlh, size_t buflen, uint16_t type, uint64_t v)
{
	return ctune_nl_attr_put(nlh, buflen, type, sizeof(v), &v);
}

int ctune_nl_attr_put_strz(struct nlmsghdr *nlh, size_t buflen, uint16_t type, const char *s)
{
	return ctune_nl_attr_put(nlh, buflen, type, strlen(s) + 1, s);
}

struct nlattr *ctune_nl_attr_nest_start(struct nlmsghdr *nlh, size_t buflen, uint16_t type)
{
	struct nlattr *nest = (struct nlattr *)((char *)nlh + CTUNE_NL_ALIGN(nlh->nlmsg_len));
	if (ctune_nl_attr_put(nlh, buflen, (uint16_t)(type | NLA_F_NESTED), 0, NULL) < 0)
		return NULL;
	return nest;
}

int ctune_nl_attr_nest_end(struct nlmsghdr *nlh, struct nlattr *nest)
{
	size_t len = (size_t)((char *)nlh + nlh->nlmsg_len - (char *)nest);
	if (len > UINT16_MAX)
		return -EMSGSIZE;
	nest->nla_len = (uint16_t)len;
	return 0;
}
