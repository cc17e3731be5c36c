/* test-netns-list.c - the parts of --netns that read text: the cgroup path
 * picked from /proc/PID/cgroup (v2, v1, hybrid, hostile), and the refusal
 * of a root prefix.  The live listing runs in tests/netns-list.test.sh. */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "netns-list.h"
#include "root.h"
#include "testlib.h"

static const struct {
	const char *text, *want;
} cgroups[] = {
	{ "0::/system.slice/docker-4f1.scope\n", "/system.slice/docker-4f1.scope" },
	{ "0::/\n", "/" },
	/* hybrid: the v2 line wins wherever it is */
	{ "12:pids:/kubepods/pod1/abc\n11:memory:/kubepods\n0::/init.scope\n", "/init.scope" },
	/* v1 only: the first line's path */
	{ "12:cpu,cpuacct:/docker/9f2\n1:name=systemd:/docker/9f2\n", "/docker/9f2" },
	{ "4:devices:/user.slice", "/user.slice" }, /* no newline at the end */
	/* "10::" is not a v2 line, and 0:: only counts at a line start */
	{ "10::/ten\n", "/ten" },
	{ "3:x:/a 0::/no\n", "/a 0::/no" },
	/* paths keep their colons */
	{ "0::/a:b:c\n", "/a:b:c" },
	/* nothing to pick */
	{ "", "" },
	{ "garbage\n", "" },
	{ "1:only-one-colon\n2:x:/late\n", "" },
	{ "\n\n", "" },
};

START_TEST(test_cgroup_path)
{
	char out[64];
	memset(out, 'x', sizeof(out));
	ctune_netns_cgroup_path(cgroups[_i].text, out, sizeof(out));
	ck_assert_str_eq(out, cgroups[_i].want);
}
END_TEST

START_TEST(test_cgroup_path_cut)
{
	char out[8];
	ctune_netns_cgroup_path("0::/kubepods.slice/very/long\n", out, sizeof(out));
	ck_assert_str_eq(out, "/kubepo");
	char one[1] = { 'x' };
	ctune_netns_cgroup_path("0::/a\n", one, 1);
	ck_assert_int_eq(one[0], '\0');
}
END_TEST

START_TEST(test_root_prefix_refused)
{
	const char *dir = tl_mkroot();
	ctune_root r;
	ck_assert_int_eq(ctune_root_init(&r, dir, NULL), 0);
	ctune_netns_list l;
	ctune_error err = { 0 };
	ck_assert_int_eq(ctune_netns_list_gather(&r, &l, &err), -EINVAL);
	ck_assert_msg(strstr(err.msg, "root prefix") != NULL, "%s", err.msg);
	ck_assert_uint_eq(l.n, 0);
	ctune_netns_list_free(&l);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

static Suite *netns_suite(void)
{
	Suite *s = suite_create("netns-list");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, test_cgroup_path, 0, (int)(sizeof(cgroups) / sizeof(cgroups[0])));
	tcase_add_test(tc, test_cgroup_path_cut);
	tcase_add_test(tc, test_root_prefix_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_run(netns_suite());
}
