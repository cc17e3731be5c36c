/* test-regress-netlink.c - ctnetlink answers the fuzzer (fuzz/fuzz-netlink.c)
 * found to break the parsers of src/netlink.c, each pinned with what it must
 * give.  The parsers are static: this file includes netlink.c, as the fuzz
 * target does, and runs them through ctune_nl_cb_run as nl_run() does.
 * The input files are in fuzz/regressions/netlink/ as well. */
#include "../src/netlink.c"

#include <check.h>
#include <sched.h>

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

/* A kernel before 3.7 lacks IPCTNL_MSG_CT_GET_STATS and GET_STATS_CPU;
 * nfnetlink answers a message type its subsystem does not know with
 * EINVAL.  This kernel gives the same answer to a type no kernel has, so
 * that stands in for the old kernel here: the answer must come back as
 * -EOPNOTSUPP with a reason that names the old kernel - what facts.c's
 * source selection turns into the /proc source (any probe error falls
 * back, with this reason in source_reason).  Needs root for a private
 * network namespace; skipped (passing) otherwise. */
START_TEST(test_unknown_request_falls_back)
{
	if (unshare(CLONE_NEWNET) < 0)
		return; /* not root: nothing to stand in for */
	ctune_error err = { 0 };
	ctune_netlink *nl;
	if (ctune_netlink_open(&nl, &err) < 0)
		return; /* no nfnetlink at all */
	int r = nl_send(nl, NFNL_SUBSYS_CTNETLINK, 0x7f, 0);
	ck_assert_int_eq(r, 0);
	r = nl_run(nl, false, global_msg_cb, &(struct global_stats){ 0 }, NULL);
	if (r == -EPERM) {
		ctune_netlink_close(nl);
		return; /* no CAP_NET_ADMIN */
	}
	ck_assert_int_eq(r, -EINVAL);
	ck_assert_int_eq(nl_fail(&err, nl_map(r), "ctnetlink global statistics"), -EOPNOTSUPP);
	ck_assert_msg(strstr(err.msg, "before 3.7"), "reason: %s", err.msg);
	/* the handle stays usable for the requests the kernel has */
	uint64_t count = 1;
	ctune_error_clear(&err);
	ck_assert_msg(ctune_netlink_count(nl, &count, NULL, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(count, 0);
	ctune_netlink_close(nl);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("regress-netlink");
	TCase *tc = tcase_create("fuzz");
	tcase_add_test(tc, test_error_int_min);
	tcase_add_test(tc, test_done_int_min);
	tcase_add_test(tc, test_unknown_request_falls_back);
	suite_add_tcase(s, tc);
	return tl_run(s);
}
