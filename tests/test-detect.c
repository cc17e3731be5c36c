/* test-detect.c - root prefix, scheme/module detection and /proc/sys reads
 * and writes, on scratch roots of plain files. */
#include "testlib.h"

#include "detect.h"
#include "procsys.h"
#include "root.h"

START_TEST(test_root_init)
{
	ctune_root r;
	ctune_error err = { 0 };
	ck_assert_int_eq(ctune_root_init(&r, NULL, &err), 0);
	ck_assert_str_eq(ctune_root_name(&r), "/");
	ck_assert_int_eq(ctune_root_init(&r, "/", &err), 0);
	ck_assert_uint_eq(r.len, 0);

	const char *dir = tl_mkroot();
	char withslash[300];
	snprintf(withslash, sizeof(withslash), "%s//", dir);
	ck_assert_int_eq(ctune_root_init(&r, withslash, &err), 0);
	ck_assert_str_eq(r.dir, dir);

	char path[512];
	ck_assert_int_gt(ctune_root_path(&r, "/proc/x", path, sizeof(path)), 0);
	ck_assert(strncmp(path, dir, strlen(dir)) == 0 && strcmp(path + strlen(dir), "/proc/x") == 0);
	ck_assert_int_eq(ctune_root_path(&r, "relative", path, sizeof(path)), -EINVAL);
	ck_assert_int_eq(ctune_root_path(&r, "/proc/x", path, 8), -ENAMETOOLONG);

	ck_assert_int_eq(ctune_root_init(&r, "/nonexistent/ctune", &err), -ENOENT);
	ck_assert(strstr(err.msg, "/nonexistent/ctune"));
	tl_write(dir, "file", "x");
	char file[300];
	snprintf(file, sizeof(file), "%s/file", dir);
	ctune_error_clear(&err);
	ck_assert_int_eq(ctune_root_init(&r, file, &err), -ENOTDIR);
	ck_assert(strstr(err.msg, "not a directory"));
	tl_rmrf(dir);
}
END_TEST

START_TEST(test_read_small_and_all)
{
	const char *dir = tl_mkroot();
	ctune_root r;
	ck_assert_int_eq(ctune_root_init(&r, dir, NULL), 0);
	tl_write(dir, "/a", "12345\n");
	char buf[4];
	ck_assert_int_eq(ctune_root_read_small(&r, "/a", buf, sizeof(buf)), -EFBIG);
	char big[16];
	ck_assert_int_eq(ctune_root_read_small(&r, "/a", big, sizeof(big)), 6);
	ck_assert_str_eq(big, "12345\n");
	ck_assert_int_eq(ctune_root_read_small(&r, "/missing", big, sizeof(big)), -ENOENT);

	char *all = NULL;
	size_t len = 0;
	ck_assert_int_eq(ctune_root_read_all(&r, "/a", 100, &all, &len), 0);
	ck_assert_uint_eq(len, 6);
	ck_assert_str_eq(all, "12345\n");
	free(all);
	ck_assert_int_eq(ctune_root_read_all(&r, "/a", 3, &all, &len), -EFBIG);
	tl_rmrf(dir);
}
END_TEST

START_TEST(test_kernel_version_code)
{
	ck_assert_uint_eq(ctune_kernel_version_code("2.6.18-419.el5"), 2006018);
	ck_assert_uint_eq(ctune_kernel_version_code("6.18.44-fc-v657"), 6018044);
	ck_assert_uint_eq(ctune_kernel_version_code("3.10.0-1160.el7.x86_64"), 3010000);
	ck_assert_uint_eq(ctune_kernel_version_code("5.14"), 5014000);
	ck_assert_uint_eq(ctune_kernel_version_code("garbage"), 0);
	ck_assert_uint_eq(ctune_kernel_version_code(""), 0);
}
END_TEST

START_TEST(test_detect_modern_module)
{
	const char *dir = tl_mkroot();
	tl_write(dir, "/proc/sys/net/netfilter/nf_conntrack_max", "65536\n");
	tl_write(dir, "/proc/sys/net/nf_conntrack_max", "65536\n");
	tl_write(dir, "/proc/sys/kernel/osrelease", "3.10.0-1160.el7.x86_64\n");
	tl_write(dir, "/sys/module/nf_conntrack/initstate", "live\n");
	tl_write(dir, "/proc/net/nf_conntrack", "");
	ctune_root r;
	ctune_detect d;
	ck_assert_int_eq(ctune_root_init(&r, dir, NULL), 0);
	ck_assert_int_eq(ctune_detect_run(&r, CTUNE_SCHEME_NONE, &d, NULL), 0);
	ck_assert_int_eq(d.scheme, CTUNE_SCHEME_MODERN);
	ck_assert_str_eq(d.detected_from, "sysctl");
	ck_assert_str_eq(d.kernel_release, "3.10.0-1160.el7.x86_64");
	ck_assert_str_eq(d.module, "nf_conntrack");
	ck_assert_int_eq(d.module_state, CTUNE_MODULE_LOADED);
	ck_assert(d.alias_present);
	ck_assert_str_eq(d.alias_key, "net.nf_conntrack_max");
	ck_assert(d.table_file_present);
	ck_assert_str_eq(d.table_file, "/proc/net/nf_conntrack");
	tl_rmrf(dir);
}
END_TEST

START_TEST(test_detect_legacy_and_compat_table)
{
	const char *dir = tl_mkroot();
	tl_write(dir, "/proc/sys/net/ipv4/netfilter/ip_conntrack_max", "65536\n");
	tl_write(dir, "/proc/modules", "ip_conntrack_ftp 11569 0 - Live 0x0\nip_conntrack 53665 2 - Live 0x0\n");
	tl_write(dir, "/proc/net/ip_conntrack", "");
	ctune_root r;
	ctune_detect d;
	ck_assert_int_eq(ctune_root_init(&r, dir, NULL), 0);
	ck_assert_int_eq(ctune_detect_run(&r, CTUNE_SCHEME_NONE, &d, NULL), 0);
	ck_assert_int_eq(d.scheme, CTUNE_SCHEME_LEGACY);
	ck_assert_int_eq(d.module_state, CTUNE_MODULE_LOADED);
	ck_assert(!d.alias_present);
	ck_assert_str_eq(d.alias_key, "net.ipv4.ip_conntrack_max");
	ck_assert_str_eq(d.table_file, "/proc/net/ip_conntrack");
	ck_assert_str_eq(d.kernel_release, "");

	/* a modern kernel printing only the compat file (CentOS 6) */
	tl_rmrf(dir);
	dir = tl_mkroot();
	tl_write(dir, "/proc/sys/net/netfilter/nf_conntrack_max", "65536\n");
	tl_write(dir, "/proc/net/ip_conntrack", "");
	ck_assert_int_eq(ctune_root_init(&r, dir, NULL), 0);
	ck_assert_int_eq(ctune_detect_run(&r, CTUNE_SCHEME_NONE, &d, NULL), 0);
	ck_assert_int_eq(d.scheme, CTUNE_SCHEME_MODERN);
	ck_assert_int_eq(d.module_state, CTUNE_MODULE_BUILTIN);
	ck_assert(d.table_file_present);
	ck_assert_str_eq(d.table_file, "/proc/net/ip_conntrack");
	tl_rmrf(dir);
}
END_TEST

START_TEST(test_detect_unloaded_and_builtin)
{
	const char *dir = tl_mkroot();
	ctune_root r;
	ctune_detect d;
	tl_write(dir, "/proc/sys/kernel/osrelease", "2.6.18-419.el5\n");
	ck_assert_int_eq(ctune_root_init(&r, dir, NULL), 0);
	ck_assert_int_eq(ctune_detect_run(&r, CTUNE_SCHEME_NONE, &d, NULL), 0);
	ck_assert_int_eq(d.scheme, CTUNE_SCHEME_LEGACY);
	ck_assert_str_eq(d.detected_from, "kernel_release");
	ck_assert_int_eq(d.module_state, CTUNE_MODULE_NOT_LOADED);
	ck_assert(!d.table_file_present);

	tl_write(dir, "/proc/sys/kernel/osrelease", "5.14.0-427.el9.x86_64\n");
	ck_assert_int_eq(ctune_detect_run(&r, CTUNE_SCHEME_NONE, &d, NULL), 0);
	ck_assert_int_eq(d.scheme, CTUNE_SCHEME_MODERN);
	ck_assert_int_eq(d.module_state, CTUNE_MODULE_NOT_LOADED);

	/* built in: /sys/module without initstate */
	tl_write(dir, "/sys/module/nf_conntrack/parameters/hashsize", "262144\n");
	tl_write(dir, "/proc/sys/net/netfilter/nf_conntrack_max", "262144\n");
	ck_assert_int_eq(ctune_detect_run(&r, CTUNE_SCHEME_NONE, &d, NULL), 0);
	ck_assert_int_eq(d.module_state, CTUNE_MODULE_BUILTIN);
	ck_assert_str_eq(d.detected_from, "sysctl");

	/* forced scheme for offline images */
	ck_assert_int_eq(ctune_detect_run(&r, CTUNE_SCHEME_LEGACY, &d, NULL), 0);
	ck_assert_int_eq(d.scheme, CTUNE_SCHEME_LEGACY);
	ck_assert_str_eq(d.detected_from, "forced");

	tl_rmrf(dir);
	dir = tl_mkroot();
	ck_assert_int_eq(ctune_root_init(&r, dir, NULL), 0);
	ck_assert_int_eq(ctune_detect_run(&r, CTUNE_SCHEME_NONE, &d, NULL), 0);
	ck_assert_int_eq(d.scheme, CTUNE_SCHEME_NONE);
	ck_assert_str_eq(d.detected_from, "none");
	tl_rmrf(dir);
}
END_TEST

START_TEST(test_procsys_read_write_rollback)
{
	const char *dir = tl_mkroot();
	ctune_root r;
	ctune_error err = { 0 };
	ck_assert_int_eq(ctune_root_init(&r, dir, NULL), 0);
	const char *k1 = "net.netfilter.nf_conntrack_tcp_timeout_established";
	const char *k2 = "net.netfilter.nf_conntrack_udp_timeout";
	tl_write(dir, "/proc/sys/net/netfilter/nf_conntrack_tcp_timeout_established", "432000\n");
	tl_write(dir, "/proc/sys/net/netfilter/nf_conntrack_udp_timeout", "30\n");
	tl_write(dir, "/proc/sys/net/netfilter/nf_conntrack_bad", "12 13\n");

	long long v = 0;
	ck_assert_int_eq(ctune_procsys_read(&r, k1, &v, &err), 0);
	ck_assert_int_eq(v, 432000);
	ck_assert_int_eq(ctune_procsys_read(&r, "net.netfilter.nf_conntrack_nope", &v, &err), -ENOENT);
	ctune_error_clear(&err);
	ck_assert_int_eq(ctune_procsys_read(&r, "net.netfilter.nf_conntrack_bad", &v, &err), -EINVAL);
	ck_assert(strstr(err.msg, "nf_conntrack_bad"));
	ck_assert(ctune_procsys_writable(&r, k1));

	ctune_journal j = { 0 };
	ck_assert_int_eq(ctune_procsys_write_journaled(&r, &j, k1, 43200, NULL), 0);
	ck_assert_int_eq(ctune_procsys_write_journaled(&r, &j, k2, 60, NULL), 0);
	ck_assert_uint_eq(j.n, 2);
	ck_assert_int_eq(ctune_procsys_read(&r, k1, &v, NULL), 0);
	ck_assert_int_eq(v, 43200);
	ck_assert_int_eq(ctune_journal_rollback(&r, &j, NULL), 0);
	ck_assert_uint_eq(j.n, 0);
	ck_assert_int_eq(ctune_procsys_read(&r, k1, &v, NULL), 0);
	ck_assert_int_eq(v, 432000);
	ck_assert_int_eq(ctune_procsys_read(&r, k2, &v, NULL), 0);
	ck_assert_int_eq(v, 30);

	ctune_error_clear(&err);
	ck_assert_int_eq(ctune_procsys_write(&r, "net.netfilter.nf_conntrack_nope", 1, &err), -ENOENT);
	ck_assert(strstr(err.msg, "nf_conntrack_nope"));
	tl_rmrf(dir);
}
END_TEST

/* The reader facts use: one open directory at a time, switched when a key
 * lives elsewhere (the legacy alias under net/ipv4), a missing directory
 * answering -ENOENT for all its keys, writability from the file's mode. */
START_TEST(test_procsys_reader)
{
	const char *dir = tl_mkroot();
	ctune_root r;
	ck_assert_int_eq(ctune_root_init(&r, dir, NULL), 0);
	tl_write(dir, "/proc/sys/net/netfilter/nf_conntrack_max", "262144\n");
	tl_write(dir, "/proc/sys/net/netfilter/nf_conntrack_count", "17\n");
	tl_write(dir, "/proc/sys/net/ipv4/ip_conntrack_max", "65536\n");
	tl_write(dir, "/proc/sys/net/netfilter/nf_conntrack_long", "123456789012345678901234567890\n");
	char path[4096];
	snprintf(path, sizeof(path), "%s/proc/sys/net/netfilter/nf_conntrack_count", dir);
	ck_assert_int_eq(chmod(path, 0444), 0);

	ctune_procsys_reader rd;
	ctune_procsys_reader_init(&rd, &r);
	ctune_error err = { 0 };
	long long v = 0;
	bool w = false;
	ck_assert_int_eq(ctune_procsys_reader_get(&rd, "net.netfilter.nf_conntrack_max", &v, &w, &err), 0);
	ck_assert(v == 262144 && w);
	ck_assert_int_eq(ctune_procsys_reader_get(&rd, "net.netfilter.nf_conntrack_count", &v, &w, &err), 0);
	ck_assert(v == 17 && !w);
	ck_assert_int_eq(ctune_procsys_reader_get(&rd, "net.ipv4.ip_conntrack_max", &v, &w, &err), 0);
	ck_assert(v == 65536 && w);
	ck_assert_int_eq(ctune_procsys_reader_get(&rd, "net.netfilter.nf_conntrack_max", &v, NULL, &err), 0);
	ck_assert_int_eq(v, 262144);
	ck_assert_int_eq(ctune_procsys_reader_get(&rd, "net.netfilter.nf_conntrack_nope", &v, &w, &err), -ENOENT);
	ctune_error_clear(&err);
	ck_assert_int_eq(ctune_procsys_reader_get(&rd, "net.netfilter.nf_conntrack_long", &v, &w, &err), -EINVAL);
	ck_assert(strstr(err.msg, "nf_conntrack_long"));
	ctune_error_clear(&err);
	ck_assert_int_eq(ctune_procsys_reader_get(&rd, "net.ipv4.netfilter.ip_conntrack_max", &v, &w, &err),
			 -ENOENT);
	ck_assert(strstr(err.msg, "/proc/sys/net/ipv4/netfilter/ip_conntrack_max"));
	ck_assert_int_eq(ctune_procsys_reader_get(&rd, "net.ipv4.netfilter.ip_conntrack_count", &v, &w, NULL),
			 -ENOENT);
	ctune_procsys_reader_done(&rd);
	ctune_procsys_reader_done(&rd); /* twice is harmless */
	tl_rmrf(dir);
}
END_TEST

/* The real kernel refuses writes to a read-only key; root sees mode 0444. */
START_TEST(test_procsys_readonly_real)
{
	ctune_root r;
	ck_assert_int_eq(ctune_root_init(&r, NULL, NULL), 0);
	if (access("/proc/sys/net/netfilter/nf_conntrack_count", F_OK) != 0)
		return; /* no conntrack in this kernel: nothing to check here */
	ck_assert(!ctune_procsys_writable(&r, "net.netfilter.nf_conntrack_count"));
	long long v;
	ck_assert_int_eq(ctune_procsys_read(&r, "net.netfilter.nf_conntrack_count", &v, NULL), 0);
	ck_assert_int_ge(v, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("detect");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_root_init);
	tcase_add_test(tc, test_read_small_and_all);
	tcase_add_test(tc, test_kernel_version_code);
	tcase_add_test(tc, test_detect_modern_module);
	tcase_add_test(tc, test_detect_legacy_and_compat_table);
	tcase_add_test(tc, test_detect_unloaded_and_builtin);
	tcase_add_test(tc, test_procsys_read_write_rollback);
	tcase_add_test(tc, test_procsys_reader);
	tcase_add_test(tc, test_procsys_readonly_real);
	suite_add_tcase(s, tc);
	return tl_run(s);
}
