/* test-txlog.c - the request journal alone (txlog.h): what a repair does
 * for each state a killed run can leave, and what a journal must look like
 * to be trusted.  The states are made by hand, file by file, as a run
 * killed at that point leaves them. */
#include "testlib.h"

#include "txlog.h"

#define NF "/proc/sys/net/netfilter/nf_conntrack_"

static const char *rootdir;
static ctune_root root;

static void setup(void)
{
	rootdir = tl_mkroot();
	tl_write(rootdir, NF "max", "300000\n");
	tl_write(rootdir, "/etc/sysctl.conf", "new\n");
	ck_assert_int_eq(ctune_root_init(&root, rootdir, NULL), 0);
}

static void teardown(void)
{
	tl_rmrf(rootdir);
}

static char *slurp(const char *abs)
{
	return tl_read_all(tl_host(rootdir, abs), NULL);
}

static void assert_text(const char *abs, const char *want)
{
	char *got = slurp(abs);
	ck_assert_msg(got && strcmp(got, want) == 0, "%s: got [%s], want [%s]", abs, got ? got : "(none)", want);
	free(got);
}

static int recover(char *note)
{
	ctune_error err = { 0 };
	int r = ctune_txlog_recover(&root, note, 1024, &err);
	if (r < 0)
		snprintf(note, 1024, "%s", err.msg);
	return r;
}

/* Killed after the sysctl file's rename: the old inode is back in place,
 * the live value too, the new directory and its file go. */
START_TEST(test_rollback_after_rename)
{
	tl_write(rootdir, "/etc/.sysctl.conf.ctune-old", "old\n");
	tl_write(rootdir, "/etc/modprobe.d/ctune.conf", "options nf_conntrack hashsize=131072\n");
	tl_write_mode(rootdir, "/etc/.ctune-journal",
		      "ctune-journal 1\nstate rollback\ndir /etc/modprobe.d\nfile 1 /etc/sysctl.conf\n"
		      "file 0 /etc/modprobe.d/ctune.conf\nlive net.netfilter.nf_conntrack_max 262144\nend\n",
		      0600);
	ck_assert(ctune_txlog_pending(&root));
	char note[1024];
	ck_assert_int_eq(recover(note), 1);
	ck_assert_msg(strstr(note, "2 file(s) and 1 live value(s)"), "%s", note);
	assert_text("/etc/sysctl.conf", "old\n");
	assert_text(NF "max", "262144\n");
	ck_assert(!tl_exists(rootdir, "/etc/modprobe.d"));
	ck_assert(!tl_exists(rootdir, "/etc/.sysctl.conf.ctune-old"));
	ck_assert(!tl_exists(rootdir, "/etc/.ctune-journal"));
	ck_assert(!ctune_txlog_pending(&root));
	ck_assert_int_eq(recover(note), 0);
}
END_TEST

/* Killed before the rename: the prepared file still exists, so the target
 * is the old file, however its inode compares. */
START_TEST(test_rollback_before_rename)
{
	tl_write(rootdir, "/etc/sysctl.conf", "old\n");
	ck_assert_int_eq(link(tl_host(rootdir, "/etc/sysctl.conf"), tl_host(rootdir, "/etc/.sysctl.conf.ctune-old")), 0);
	tl_write(rootdir, "/etc/.sysctl.conf.ctune-new", "new\n");
	tl_write_mode(rootdir, "/etc/.ctune-journal",
		      "ctune-journal 1\nstate rollback\nfile 1 /etc/sysctl.conf\nend\n", 0600);
	char note[1024];
	ck_assert_int_eq(recover(note), 1);
	assert_text("/etc/sysctl.conf", "old\n");
	ck_assert(!tl_exists(rootdir, "/etc/.sysctl.conf.ctune-new"));
	ck_assert(!tl_exists(rootdir, "/etc/.sysctl.conf.ctune-old"));
}
END_TEST

/* Killed after the commit point: everything stays new, the links go. */
START_TEST(test_done_keeps_new)
{
	tl_write(rootdir, "/etc/.sysctl.conf.ctune-old", "old\n");
	tl_write_mode(rootdir, "/etc/.ctune-journal",
		      "ctune-journal 1\nstate done\nfile 1 /etc/sysctl.conf\n"
		      "live net.netfilter.nf_conntrack_max 262144\nend\n",
		      0600);
	char note[1024];
	ck_assert_int_eq(recover(note), 1);
	ck_assert_msg(strstr(note, "after making every change"), "%s", note);
	assert_text("/etc/sysctl.conf", "new\n");
	assert_text(NF "max", "300000\n");
	ck_assert(!tl_exists(rootdir, "/etc/.sysctl.conf.ctune-old"));
	ck_assert(!tl_exists(rootdir, "/etc/.ctune-journal"));
}
END_TEST

/* Journals ctune never writes are refused whole, and nothing is done. */
START_TEST(test_untrusted)
{
	static const char *const bad[] = {
		"",
		"ctune-journal 2\nend\n",
		"ctune-journal 1\nstate rollback\n",                                  /* no end */
		"ctune-journal 1\nstate maybe\nend\n",
		"ctune-journal 1\nfile 0 /etc/../../x\nend\n",                        /* .. */
		"ctune-journal 1\nfile 0 etc/sysctl.conf\nend\n",                     /* relative */
		"ctune-journal 1\nfile 2 /etc/sysctl.conf\nend\n",
		"ctune-journal 1\nlive net.ipv4.ip_forward 1\nend\n",                 /* not conntrack */
		"ctune-journal 1\nlive net.netfilter.nf_conntrack_max -5\nend\n",     /* negative */
		"ctune-journal 1\nlive net.netfilter.nf_conntrack_max 1x\nend\n",
		"ctune-journal 1\nmade /etc/sysctl.conf\nend\n",                      /* not a backup name */
		"ctune-journal 1\nhashsize nf_conntrack;rm 5\nend\n",
		"ctune-journal 1\nend\nfile 0 /etc/sysctl.conf\n",                    /* after the end */
		"ctune-journal 1\nfile 0 /etc/sysctl.conf\nend",                      /* cut short */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tl_write_mode(rootdir, "/etc/.ctune-journal", bad[i], 0600);
		char note[1024];
		ck_assert_msg(recover(note) == -EBADMSG || (bad[i][0] == '\0' && recover(note) < 0),
			      "journal %zu trusted: %s", i, note);
		ck_assert_msg(strstr(note, "/etc/.ctune-journal"), "%s", note);
		assert_text("/etc/sysctl.conf", "new\n");
		assert_text(NF "max", "300000\n");
		ck_assert(tl_exists(rootdir, "/etc/.ctune-journal"));
	}
	/* Not a regular file: refused without a read that could block. */
	unlink(tl_host(rootdir, "/etc/.ctune-journal"));
	ck_assert_int_eq(mkfifo(tl_host(rootdir, "/etc/.ctune-journal"), 0600), 0);
	char note[1024];
	ck_assert_int_lt(recover(note), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("txlog");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_rollback_after_rename);
	tcase_add_test(tc, test_rollback_before_rename);
	tcase_add_test(tc, test_done_keeps_new);
	tcase_add_test(tc, test_untrusted);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_run(suite());
}
