/* test-boot.c - the boot replay's list of keys of the other naming scheme
 * (ctune_boot.other, effective_at_boot.other_scheme_keys): every line of the
 * files the boot's tool reads that names a key or alias of the scheme the
 * kernel does not run, in the order read, whatever its spelling (dotted,
 * slashes, an exclusion), and nothing else: not the running scheme's keys,
 * not globs, not comments, not files the tool does not read.  Counted
 * whole, kept up to CTUNE_BOOT_MAX_OTHER.
 *
 * Also the replay of a file of many keys (test_many_keys_*).
 *
 * Each test builds a scratch root with the signs of one boot model
 * (bootmodel.h) and hands ctune_boot_effective a detection result, so the
 * scheme is the test's choice and nothing is read from this machine.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"
#include "testlib.h"

static char rootdir[256];

static void setup(void)
{
	snprintf(rootdir, sizeof(rootdir), "%s", tl_mkroot());
}

static void teardown(void)
{
	tl_rmrf(rootdir);
}

static void replay(ctune_scheme scheme, ctune_boot *b)
{
	ctune_root r;
	ctune_error err = { 0 };
	ck_assert_int_eq(ctune_root_init(&r, rootdir, &err), 0);
	ctune_detect d = { 0 };
	d.scheme = scheme;
	d.detected_from = "forced";
	d.module = scheme == CTUNE_SCHEME_LEGACY ? "ip_conntrack" : "nf_conntrack";
	d.module_state = CTUNE_MODULE_BUILTIN;
	ck_assert_msg(ctune_boot_effective(&r, &d, b, &err) == 0, "%s", err.msg);
}

static void other_is(const ctune_boot *b, size_t i, const char *file, unsigned line, const char *key)
{
	ck_assert_msg(i < b->nother && i < CTUNE_BOOT_MAX_OTHER, "entry %zu of %zu", i, b->nother);
	ck_assert_str_eq(b->other[i].file, file);
	ck_assert_uint_eq(b->other[i].line, line);
	ck_assert_str_eq(b->other[i].key, key);
}

/* systemd-sysctl on a modern kernel: the legacy keys in any spelling. */
START_TEST(test_systemd_modern)
{
	tl_write(rootdir, "usr/lib/systemd/systemd-sysctl", "");
	tl_write(rootdir, "etc/sysctl.d/10-old.conf",
		 "# net.ipv4.netfilter.ip_conntrack_generic_timeout = 60\n"
		 "net.ipv4.netfilter.ip_conntrack_max = 65536\n"
		 "-net.ipv4.netfilter.ip_conntrack_tcp_timeout_established\n"
		 "net.netfilter.nf_conntrack_max = 131072\n"
		 "net/ipv4/netfilter/ip_conntrack_udp_timeout=30\n"
		 "net.ipv4.netfilter.ip_conntrack_* = 5\n"
		 "net.ipv4.ip_forward = 1\n"
		 "  net.ipv4.ip_conntrack_max = 7  \n");
	tl_write(rootdir, "etc/sysctl.d/20-new.conf", "net.netfilter.nf_conntrack_udp_timeout = 45\n");
	/* systemd-sysctl does not read /etc/sysctl.conf (no 99-sysctl.conf link). */
	tl_write(rootdir, "etc/sysctl.conf", "net.ipv4.netfilter.ip_conntrack_max = 1\n");
	ctune_boot b;
	replay(CTUNE_SCHEME_MODERN, &b);
	ck_assert(b.systemd);
	ck_assert_uint_eq(b.nother, 4);
	other_is(&b, 0, "/etc/sysctl.d/10-old.conf", 2, "net.ipv4.netfilter.ip_conntrack_max");
	other_is(&b, 1, "/etc/sysctl.d/10-old.conf", 3, "net.ipv4.netfilter.ip_conntrack_tcp_timeout_established");
	other_is(&b, 2, "/etc/sysctl.d/10-old.conf", 5, "net.ipv4.netfilter.ip_conntrack_udp_timeout");
	other_is(&b, 3, "/etc/sysctl.d/10-old.conf", 8, "net.ipv4.ip_conntrack_max");
	/* The running scheme's keys are replayed as before. */
	ck_assert_ptr_nonnull(ctune_boot_get(&b, ctune_tunable_find("max")));
	ck_assert_ptr_nonnull(ctune_boot_get(&b, ctune_tunable_find("udp_timeout")));
}
END_TEST

/* CentOS 5 (rc.sysinit, `sysctl -e -p /etc/sysctl.conf`) on the legacy
 * scheme: the modern keys and alias are the other scheme's. */
START_TEST(test_rhel5_legacy)
{
	tl_write(rootdir, "etc/rc.d/rc.sysinit", "#!/bin/bash\nsysctl -e -p /etc/sysctl.conf\n");
	tl_write(rootdir, "etc/sysctl.conf",
		 "net.ipv4.netfilter.ip_conntrack_max = 65536\n"
		 "net.netfilter.nf_conntrack_max = 131072\n"
		 "\n"
		 "net.nf_conntrack_max=131072\n"
		 "net.netfilter.nf_conntrack_tcp_timeout_established = 43200\n");
	/* RHEL 5 reads sysctl.conf only. */
	tl_write(rootdir, "etc/sysctl.d/x.conf", "net.netfilter.nf_conntrack_udp_timeout = 1\n");
	ctune_boot b;
	replay(CTUNE_SCHEME_LEGACY, &b);
	ck_assert_int_eq(b.model, CTUNE_BOOT_RHEL5);
	ck_assert_uint_eq(b.nother, 3);
	other_is(&b, 0, "/etc/sysctl.conf", 2, "net.netfilter.nf_conntrack_max");
	other_is(&b, 1, "/etc/sysctl.conf", 4, "net.nf_conntrack_max");
	other_is(&b, 2, "/etc/sysctl.conf", 5, "net.netfilter.nf_conntrack_tcp_timeout_established");
}
END_TEST

/* procps `sysctl --system`: sysctl.d first, then /etc/sysctl.conf, in the
 * order read; the same key twice is two lines. */
START_TEST(test_procps_order)
{
	tl_write(rootdir, "etc/init.d/procps", "#!/bin/sh\n");
	tl_write(rootdir, "etc/sysctl.conf", "net.ipv4.netfilter.ip_conntrack_max = 1\n"
					     "net.ipv4.netfilter.ip_conntrack_max = 2\n");
	tl_write(rootdir, "etc/sysctl.d/50-a.conf", "\nnet.ipv4.netfilter.ip_conntrack_icmp_timeout = 3\n");
	ctune_boot b;
	replay(CTUNE_SCHEME_MODERN, &b);
	ck_assert_int_eq(b.model, CTUNE_BOOT_PROCPS);
	ck_assert_uint_eq(b.nother, 3);
	other_is(&b, 0, "/etc/sysctl.d/50-a.conf", 2, "net.ipv4.netfilter.ip_conntrack_icmp_timeout");
	other_is(&b, 1, "/etc/sysctl.conf", 1, "net.ipv4.netfilter.ip_conntrack_max");
	other_is(&b, 2, "/etc/sysctl.conf", 2, "net.ipv4.netfilter.ip_conntrack_max");
}
END_TEST

/* Many lines: all counted, the first CTUNE_BOOT_MAX_OTHER kept. */
START_TEST(test_cap)
{
	tl_write(rootdir, "usr/lib/systemd/systemd-sysctl", "");
	char text[8192] = "";
	size_t n = 0;
	for (int i = 1; i <= 100; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "net.ipv4.netfilter.ip_conntrack_max = %d\n", i);
	tl_write(rootdir, "etc/sysctl.d/99-many.conf", text);
	ctune_boot b;
	replay(CTUNE_SCHEME_MODERN, &b);
	ck_assert_uint_eq(b.nother, 100);
	for (unsigned i = 0; i < CTUNE_BOOT_MAX_OTHER; i++)
		other_is(&b, i, "/etc/sysctl.d/99-many.conf", i + 1, "net.ipv4.netfilter.ip_conntrack_max");
}
END_TEST

/* A clean host lists nothing; nor does a host without a scheme. */
START_TEST(test_none)
{
	tl_write(rootdir, "usr/lib/systemd/systemd-sysctl", "");
	tl_write(rootdir, "etc/sysctl.d/60-ct.conf", "net.netfilter.nf_conntrack_max = 262144\n"
						     "net.nf_conntrack_max = 262144\n"
						     "net.netfilter.nf_conntrack_udp_timeout = 30\n");
	ctune_boot b;
	replay(CTUNE_SCHEME_MODERN, &b);
	ck_assert_uint_eq(b.nother, 0);
	tl_write(rootdir, "etc/sysctl.d/61-old.conf", "net.ipv4.netfilter.ip_conntrack_max = 1\n");
	replay(CTUNE_SCHEME_NONE, &b);
	ck_assert_uint_eq(b.nother, 0);
}
END_TEST

/* Many keys (a hostile or generated file): the replay stays right, and
 * linear (the settings are indexed by key; a scan per line took minutes
 * on a file of a million keys).  A glob skips the keys a line names, an
 * exclusion included, under both tools' rules. */
static void many_keys(const char *sign, ctune_boot_model model)
{
	tl_write(rootdir, sign, "");
	size_t cap = 64u << 20, n = 0;
	char *text = malloc(cap);
	ck_assert_ptr_nonnull(text);
	n += (size_t)snprintf(text + n, cap - n, "net.netfilter.nf_conntrack_max = 1\n");
	for (int i = 0; i < 300000; i++)
		n += (size_t)snprintf(text + n, cap - n, "net.x%d = %d\n", i, i);
	n += (size_t)snprintf(text + n, cap - n,
			      "-net.netfilter.nf_conntrack_udp_timeout\nnet.netfilter.nf_conntrack_* = 7\n"
			      "net.ipv4.netfilter.ip_conntrack_max = 9\n");
	tl_write(rootdir, "etc/sysctl.d/50-many.conf", text);
	free(text);
	ctune_boot b;
	replay(CTUNE_SCHEME_MODERN, &b);
	ck_assert_int_eq(b.model, model);
	const ctune_boot_value *max = ctune_boot_get(&b, ctune_tunable_find("max")),
			       *est = ctune_boot_get(&b, ctune_tunable_find("tcp_timeout_established"));
	ck_assert_ptr_nonnull(max);
	ck_assert_ptr_nonnull(est);
	ck_assert_int_eq(max->value, 1);
	ck_assert_int_eq(est->value, 7);
	ck_assert_ptr_null(ctune_boot_get(&b, ctune_tunable_find("udp_timeout")));
	ck_assert_uint_eq(b.nother, 1);
	other_is(&b, 0, "/etc/sysctl.d/50-many.conf", 300004, "net.ipv4.netfilter.ip_conntrack_max");
}

START_TEST(test_many_keys_systemd)
{
	many_keys("usr/lib/systemd/systemd-sysctl", CTUNE_BOOT_SYSTEMD);
}
END_TEST

START_TEST(test_many_keys_procps)
{
	many_keys("etc/init.d/procps", CTUNE_BOOT_PROCPS);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("boot");
	TCase *tc = tcase_create("other_scheme_keys");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_systemd_modern);
	tcase_add_test(tc, test_rhel5_legacy);
	tcase_add_test(tc, test_procps_order);
	tcase_add_test(tc, test_cap);
	tcase_add_test(tc, test_none);
	tcase_add_test(tc, test_many_keys_systemd);
	tcase_add_test(tc, test_many_keys_procps);
	suite_add_tcase(s, tc);
	return tl_run(s);
}
