/* test-regress-netlink.c - ctnetlink answers the fuzzer (fuzz/fuzz-netlink.c)
 * found to break the parsers of src/netlink.c, each pinned with what it must
 * give.  The parsers are static: this file includes netlink.c, as the fuzz
 * target does, and runs them through ctune_nl_cb_run as nl_run() does.
 * The input files are in fuzz/regressions/netlink/ as well. */
#include "../src/netlink.c"

#include <check.h>

#include "testlib.h"

static uint32_t buf[64]; /* aligned, as nl->buf is */

static size_t message(uint16_t type, int32_t value)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	memset(buf, 0, sizeof(buf));
	nlh->nlmsg_type = type;
	nlh->nlmsg_len = NLMSG_HDRLEN + (type == NLMSG_ERROR ? sizeof(struct nlmsgerr) : sizeof(int32_t));
	memcpy(ctune_nl_msg_payload(nlh), &value, sizeof(value));
	return nlh->nlmsg_len;
}

static int run(size_t len)
{
	return ctune_nl_cb_run(buf, len, 0, 0, NULL, NULL);
}

/* NLMSG_ERROR carrying INT_MIN: negating it overflowed an int (undefined
 * behaviour; UBSan aborts).  Found as crash-aa11ce1d....  It is an error
 * like any other, reported as EPROTO. */
START_TEST(test_error_int_min)
{
	ck_assert_int_eq(run(message(NLMSG_ERROR, INT32_MIN)), -EPROTO);
	ck_assert_int_eq(run(message(NLMSG_ERROR, -EPERM)), -EPERM);
	ck_assert_int_eq(run(message(NLMSG_ERROR, 0)), CTUNE_NL_STOP);
}
END_TEST

/* The same for the status a dump's NLMSG_DONE carries. */
START_TEST(test_done_int_min)
{
	ck_assert_int_eq(run(message(NLMSG_DONE, INT32_MIN)), -EPROTO);
	ck_assert_int_eq(run(message(NLMSG_DONE, -EINTR)), -EINTR);
	ck_assert_int_eq(run(message(NLMSG_DONE, 0)), CTUNE_NL_STOP);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("regress-netlink");
	TCase *tc = tcase_create("fuzz");
	tcase_add_test(tc, test_error_int_min);
	tcase_add_test(tc, test_done_int_min);
	suite_add_tcase(s, tc);
	return tl_run(s);
}
