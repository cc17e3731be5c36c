/* test-plan.c - the set verb's flow (ctune_plan_run) on scratch roots.
 *
 * Every case builds a root made of plain files (proc/sys values are regular
 * files, so a "live" write is a file write) and asserts exact outcomes: the
 * return code and message, the plan's fields, the bytes of every file, and -
 * for requests that must change nothing - a snapshot of the whole tree
 * (names, types, modes, inodes, mtimes and contents) taken before and after.
 *
 * Failures the flow must survive are made for real, not mocked: a lock held
 * with flock(2) by this process; a live write the "kernel" refuses (a proc
 * file bind-mounted read-only in a private mount namespace, so open(2)
 * fails with EROFS while the mode still says writable); a save that fails
 * after the live writes (the root's etc/ a read-only tmpfs, or an immutable
 * target).  Those need root and are skipped, with the reason printed, when
 * the test runs without it.  The real kernel's own refusals are in
 * set-netns.test.sh.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/fs.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "plan.h"
#include "scheme.h"
#include "testlib.h"

#define NF "/proc/sys/net/netfilter/nf_conntrack_"
#define LNF "/proc/sys/net/ipv4/netfilter/ip_conntrack_"
#define K_MAX "net.netfilter.nf_conntrack_max"
#define K_ALIAS "net.nf_conntrack_max"
#define K_TCP "net.netfilter.nf_conntrack_tcp_timeout_established"
#define K_UDP "net.netfilter.nf_conntrack_udp_timeout"
#define K_ICMP "net.netfilter.nf_conntrack_icmp_timeout"

static char rootdir[256];
static ctune_root root;

/* --- scratch roots -------------------------------------------------------- */

/* A modern root as on a current kernel in the initial namespace (with the
 * net.nf_conntrack_max alias), and a /etc/sysctl.conf. */
static void make_modern(bool alias)
{
	tl_write(rootdir, "/proc/sys/kernel/osrelease", "6.1.0-18-amd64\n");
	tl_write(rootdir, NF "max", "262144\n");
	tl_write_mode(rootdir, NF "count", "17\n", 0444);
	tl_write(rootdir, NF "buckets", "65536\n");
	tl_write(rootdir, NF "tcp_timeout_established", "432000\n");
	tl_write(rootdir, NF "udp_timeout", "30\n");
	tl_write(rootdir, NF "udp_timeout_stream", "120\n");
	tl_write(rootdir, NF "icmp_timeout", "30\n");
	if (alias)
		tl_write(rootdir, "/proc/sys/net/nf_conntrack_max", "262144\n");
	tl_write(rootdir, "/etc/sysctl.conf", "# test\nnet.ipv4.ip_forward = 1\n");
	char p[1024];
	snprintf(p, sizeof(p), "%s/etc/sysctl.d", rootdir);
	mkdir(p, 0755);
}

static void make_legacy(void)
{
	tl_write(rootdir, "/proc/sys/kernel/osrelease", "2.6.18-419.el5\n");
	tl_write(rootdir, LNF "max", "65536\n");
	tl_write_mode(rootdir, LNF "count", "3\n", 0444);
	tl_write(rootdir, LNF "tcp_timeout_established", "432000\n");
	tl_write(rootdir, LNF "udp_timeout", "30\n");
	tl_write(rootdir, "/proc/sys/net/ipv4/ip_conntrack_max", "65536\n");
	tl_write(rootdir, "/etc/sysctl.conf", "# CentOS 5\nnet.ipv4.ip_forward = 0\n");
}

static void setup(void)
{
	snprintf(rootdir, sizeof(rootdir), "%s", tl_mkroot());
	ck_assert_int_eq(ctune_root_init(&root, rootdir, NULL), 0);
}

/* Mounts made by a case, undone here (rm -rf cannot remove them). */
static char mounts[4][1024];
static size_t nmounts;

static void teardown(void)
{
	if (!rootdir[0])
		return; /* already done by the test itself */
	while (nmounts > 0)
		umount2(mounts[--nmounts], MNT_DETACH);
	/* Undo what a failure case may have left: an immutable flag. */
	const char *const imm[] = { "/etc", "/etc/sysctl.conf" };
	for (size_t i = 0; i < 2; i++) {
		int fd = open(tl_host(rootdir, imm[i]), O_RDONLY | O_NONBLOCK);
		if (fd >= 0) {
			int flags = 0;
			if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 && (flags & FS_IMMUTABLE_FL)) {
				flags &= ~FS_IMMUTABLE_FL;
				ioctl(fd, FS_IOC_SETFLAGS, &flags);
			}
			close(fd);
		}
	}
	tl_rmrf(rootdir);
	rootdir[0] = '\0';
}

static void assert_content(const char *abs, const char *want)
{
	char *got = tl_read_all(tl_host(rootdir, abs), NULL);
	ck_assert_msg(got != NULL, "%s does not exist", abs);
	ck_assert_msg(strcmp(got, want) == 0, "%s:\n--- got ---\n%s--- want ---\n%s", abs, got, want);
	free(got);
}

static long long live(const char *abs)
{
	char *s = tl_read_all(tl_host(rootdir, abs), NULL);
	ck_assert_msg(s != NULL, "%s does not exist", abs);
	long long v = strtoll(s, NULL, 10);
	free(s);
	return v;
}

/* --- tree snapshots: "changes nothing" means byte for byte ---------------- */

static char *snap_buf;
static size_t snap_len, snap_cap;
static size_t snap_prefix;
static bool snap_times;

static void snap_add(const char *s)
{
	size_t n = strlen(s);
	if (snap_len + n + 1 > snap_cap) {
		snap_cap = (snap_len + n + 1) * 2;
		snap_buf = realloc(snap_buf, snap_cap);
		ck_assert_ptr_nonnull(snap_buf);
	}
	memcpy(snap_buf + snap_len, s, n + 1);
	snap_len += n;
}

static int snap_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	char line[2048];
	snprintf(line, sizeof(line), "%s type=%o mode=%04o uid=%u ino=%llu size=%lld", path + snap_prefix,
		 (unsigned)(st->st_mode & S_IFMT), (unsigned)(st->st_mode & 07777), (unsigned)st->st_uid,
		 (unsigned long long)st->st_ino, (long long)st->st_size);
	snap_add(line);
	/* A directory's mtime moves when an entry comes and goes (a temporary
	 * file), a file's when it is written: part of "untouched". */
	if (snap_times) {
		snprintf(line, sizeof(line), " mtime=%lld.%09ld", (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
		snap_add(line);
	}
	if (S_ISLNK(st->st_mode)) {
		char t[1024];
		ssize_t k = readlink(path, t, sizeof(t) - 1);
		t[k < 0 ? 0 : k] = '\0';
		snap_add(" -> ");
		snap_add(t);
	} else if (S_ISREG(st->st_mode)) {
		char *c = tl_read_all(path, NULL);
		snap_add(" content=[");
		snap_add(c ? c : "(unreadable)");
		snap_add("]");
		free(c);
	}
	snap_add("\n");
	(void)type;
	(void)ftw;
	return 0;
}

/* Everything under the root, in a stable order (nftw visits directory
 * entries in readdir order, which is stable while nothing changes). */
static char *snapshot_at(bool times)
{
	snap_times = times;
	snap_buf = NULL;
	snap_len = snap_cap = 0;
	snap_prefix = strlen(rootdir);
	snap_add("");
	ck_assert_int_eq(nftw(rootdir, snap_one, 16, FTW_PHYS), 0);
	return snap_buf;
}

static char *snapshot(void)
{
	return snapshot_at(true);
}

static void assert_snapshot_at(const char *before, bool times, const char *what)
{
	char *now = snapshot_at(times);
	ck_assert_msg(strcmp(before, now) == 0, "%s: the tree changed:\n--- before ---\n%s--- after ---\n%s", what,
		      before, now);
	free(now);
}

static void assert_snapshot(const char *before, const char *what)
{
	assert_snapshot_at(before, true, what);
}

/* --- requests -------------------------------------------------------------- */

static ctune_plan_opts opts(void)
{
	ctune_plan_opts o;
	memset(&o, 0, sizeof(o));
	o.state = CTUNE_STATE_PRESENT;
	o.scheme = CTUNE_SCHEME_NONE;
	o.live = true;
	o.persist = true;
	o.lock_wait_ms = 2000;
	return o;
}

static ctune_want want(const char *name, long long value)
{
	const ctune_tunable *t = ctune_tunable_find(name);
	ck_assert_msg(t != NULL, "no tunable %s", name);
	return (ctune_want){ .t = t, .value = value };
}

static bool has_warning(const ctune_plan *p, const char *needle)
{
	for (size_t i = 0; i < p->nwarnings; i++)
		if (strstr(p->warnings[i], needle))
			return true;
	return false;
}

static const char *all_warnings(const ctune_plan *p)
{
	static char buf[CTUNE_PLAN_MAX_WARNINGS * 520];
	buf[0] = '\0';
	for (size_t i = 0; i < p->nwarnings; i++) {
		strcat(buf, p->warnings[i]);
		strcat(buf, " | ");
	}
	return buf;
}

/* A request that must fail and leave the tree exactly as it was. */
static void expect_refused(const ctune_plan_opts *o, const ctune_want *w, size_t n, int code, const char *needle)
{
	char *before = snapshot();
	ctune_plan p;
	ctune_error err = { 0 };
	int r = ctune_plan_run(&root, o, w, n, &p, &err);
	ck_assert_msg(r == code, "wanted %d (%s), got %d: %s", code, strerror(-code), r, err.msg);
	ck_assert_msg(needle == NULL || strstr(err.msg, needle), "message lacks \"%s\": %s", needle, err.msg);
	ck_assert_msg(err.msg[0] != '\0', "no message");
	ctune_plan_free(&p);
	assert_snapshot(before, err.msg);
	free(before);
}


static void mount_or_fail(const char *src, const char *abs, const char *type, unsigned long flags,
			  const char *data)
{
	const char *target = tl_host(rootdir, abs);
	ck_assert_msg(mount(src, target, type, flags, data) == 0, "mount %s: %s", target, strerror(errno));
	if (!(flags & MS_REMOUNT) && nmounts < ELEMENTSOF(mounts))
		snprintf(mounts[nmounts++], sizeof(mounts[0]), "%s", target);
}

/* A private mount namespace for this test's process (check forks one per
 * test), or false with the reason printed. */
static bool can_unshare_mounts(const char *test)
{
	if (geteuid() != 0) {
		fprintf(stderr, "SKIP %s: needs root\n", test);
		return false;
	}
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		fprintf(stderr, "SKIP %s: no private mount namespace: %s\n", test, strerror(errno));
		return false;
	}
	return true;
}

/* --- the happy path and its plan ------------------------------------------ */

START_TEST(test_set_live_and_file)
{
	make_modern(true);
	ctune_plan_opts o = opts();
	o.diff = true;
	ctune_want w[] = { want("max", 1210856), want("tcp_timeout_established", 43200) };
	ctune_plan p;
	ctune_error err = { 0 };
	ck_assert_msg(ctune_plan_run(&root, &o, w, 2, &p, &err) == 0, "%s", err.msg);
	ck_assert(p.changed);
	ck_assert(p.persist_changed);
	ck_assert_int_eq(p.scheme, CTUNE_SCHEME_MODERN);
	ck_assert_str_eq(p.file, "/etc/sysctl.conf");
	ck_assert_uint_eq(p.n, 2);
	ck_assert_uint_eq(p.items[0].nkeys, 2);
	ck_assert_str_eq(p.items[0].keys[0].key, K_MAX);
	ck_assert_str_eq(p.items[0].keys[1].key, K_ALIAS);
	for (size_t k = 0; k < 2; k++) {
		const ctune_plan_key *pk = &p.items[0].keys[k];
		ck_assert(pk->live_present && pk->live_writable && pk->live_change);
		ck_assert_int_eq(pk->live_before, 262144);
		ck_assert_int_eq(pk->live_after, 1210856);
		ck_assert(!pk->persisted_before_present);
		ck_assert(pk->persisted_after_present);
		ck_assert_int_eq(pk->persisted_after, 1210856);
	}
	ck_assert(p.items[0].live_changed && p.items[0].persist_changed);
	ck_assert_uint_eq(p.items[1].nkeys, 1);
	ck_assert_str_eq(p.items[1].keys[0].key, K_TCP);
	ck_assert_int_eq(p.items[1].keys[0].live_before, 432000);
	ck_assert_int_eq(p.items[1].desired, 43200);
	/* max 1210856 over 65536 buckets: issue 5's ratio warning, nothing else. */
	ck_assert_uint_eq(p.nwarnings, 1);
	ck_assert_msg(has_warning(&p, "set buckets to"), "%s", all_warnings(&p));
	ck_assert_uint_eq(p.nstale, 0);
	ck_assert_str_eq(p.backup_file, "");
	ck_assert_str_eq(p.diffs[0].before, "# test\nnet.ipv4.ip_forward = 1\n");
	static const char after[] = "# test\nnet.ipv4.ip_forward = 1\n"
				    "net.netfilter.nf_conntrack_max = 1210856\n"
				    "net.nf_conntrack_max = 1210856\n"
				    "net.netfilter.nf_conntrack_tcp_timeout_established = 43200\n";
	ck_assert_str_eq(p.diffs[0].after, after);
	ctune_plan_free(&p);

	assert_content("/etc/sysctl.conf", after);
	ck_assert_int_eq(live(NF "max"), 1210856);
	ck_assert_int_eq(live("/proc/sys/net/nf_conntrack_max"), 1210856);
	ck_assert_int_eq(live(NF "tcp_timeout_established"), 43200);
	ck_assert_int_eq(live(NF "udp_timeout"), 30);

	/* The same request again: nothing to do, nothing written. */
	char *before = snapshot();
	o.diff = false;
	ck_assert_msg(ctune_plan_run(&root, &o, w, 2, &p, &err) == 0, "%s", err.msg);
	ck_assert(!p.changed);
	ck_assert(!p.persist_changed);
	ck_assert(!p.items[0].live_changed && !p.items[0].persist_changed);
	ck_assert(!p.items[1].live_changed && !p.items[1].persist_changed);
	ck_assert_int_eq(p.items[1].keys[0].persisted_before, 43200);
	ck_assert_uint_eq(p.ndiffs, 0);
	ctune_plan_free(&p);
	assert_snapshot(before, "second identical run");
	free(before);
}
END_TEST

START_TEST(test_no_alias_in_kernel)
{
	make_modern(false);
	ctune_plan_opts o = opts();
	ctune_want w[] = { want("max", 1210856) };
	ctune_plan p;
	ctune_error err = { 0 };
	ck_assert_msg(ctune_plan_run(&root, &o, w, 1, &p, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(p.items[0].nkeys, 1);
	ck_assert_str_eq(p.items[0].keys[0].key, K_MAX);
	ctune_plan_free(&p);
	assert_content("/etc/sysctl.conf", "# test\nnet.ipv4.ip_forward = 1\nnet.netfilter.nf_conntrack_max = 1210856\n");
	ck_assert_int_eq(access(tl_host(rootdir, "/proc/sys/net/nf_conntrack_max"), F_OK), -1);
}
END_TEST

START_TEST(test_legacy_scheme)
{
	make_legacy();
	ctune_plan_opts o = opts();
	ctune_want w[] = { want("max", 1210856), want("tcp_timeout_established", 43200) };
	ctune_plan p;
	ctune_error err = { 0 };
	ck_assert_msg(ctune_plan_run(&root, &o, w, 2, &p, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(p.scheme, CTUNE_SCHEME_LEGACY);
	ck_assert_uint_eq(p.items[0].nkeys, 2);
	ck_assert_str_eq(p.items[0].keys[0].key, "net.ipv4.netfilter.ip_conntrack_max");
	ck_assert_str_eq(p.items[0].keys[1].key, "net.ipv4.ip_conntrack_max");
	ctune_plan_free(&p);
	assert_content("/etc/sysctl.conf", "# CentOS 5\nnet.ipv4.ip_forward = 0\n"
					   "net.ipv4.netfilter.ip_conntrack_max = 1210856\n"
					   "net.ipv4.ip_conntrack_max = 1210856\n"
					   "net.ipv4.netfilter.ip_conntrack_tcp_timeout_established = 43200\n");
	ck_assert_int_eq(live(LNF "max"), 1210856);
	ck_assert_int_eq(live("/proc/sys/net/ipv4/ip_conntrack_max"), 1210856);
	ck_assert_int_eq(live(LNF "tcp_timeout_established"), 43200);
}
END_TEST

/* A tunable the legacy scheme does not have. */
START_TEST(test_not_in_scheme)
{
	make_legacy();
	ctune_plan_opts o = opts();
	ctune_want w[] = { want("tcp_timeout_established", 43200), want("tcp_timeout_unacknowledged", 300) };
	expect_refused(&o, w, 2, -EINVAL, "tcp_timeout_unacknowledged");
}
END_TEST

START_TEST(test_check_mode_touches_nothing)
{
	make_modern(true);
	tl_write(rootdir, "/etc/sysctl.conf", "net.netfilter.nf_conntrack_udp_timeout = 30\n"
					      "net.netfilter.nf_conntrack_udp_timeout = 31\n");
	char *before = snapshot();
	ctune_plan_opts o = opts();
	o.check_mode = true;
	o.diff = true;
	o.backup = true;
	ctune_want w[] = { want("udp_timeout", 45), want("max", 1210856) };
	ctune_plan p;
	ctune_error err = { 0 };
	ck_assert_msg(ctune_plan_run(&root, &o, w, 2, &p, &err) == 0, "%s", err.msg);
	ck_assert(p.changed);
	ck_assert(p.items[0].live_changed && p.items[0].persist_changed);
	ck_assert_int_eq(p.items[0].keys[0].persisted_before, 31);
	ck_assert_int_eq(p.items[0].keys[0].duplicates, 1);
	ck_assert_int_eq(p.items[0].keys[0].live_after, 45);
	ck_assert_msg(has_warning(&p, "appears 2 times"), "%s", all_warnings(&p));
	ck_assert_str_eq(p.backup_file, "");
	ck_assert_str_eq(p.diffs[0].before, "net.netfilter.nf_conntrack_udp_timeout = 30\n"
					"net.netfilter.nf_conntrack_udp_timeout = 31\n");
	ck_assert_str_eq(p.diffs[0].after, "net.netfilter.nf_conntrack_udp_timeout = 45\n"
				       "net.netfilter.nf_conntrack_max = 1210856\n"
				       "net.nf_conntrack_max = 1210856\n");
	ctune_plan_free(&p);
	assert_snapshot(before, "check mode");
	free(before);
}
END_TEST

/* Only a duplicate to clean up: the value is right everywhere, yet the file
 * changes (and says so). */
START_TEST(test_duplicates_only)
{
	make_modern(true);
	tl_write(rootdir, "/etc/sysctl.conf", "net.netfilter.nf_conntrack_udp_timeout = 30\n# x\n"
					      "-net/netfilter/nf_conntrack_udp_timeout = 30\n");
	ctune_plan_opts o = opts();
	ctune_want w[] = { want("udp_timeout", 30) };
	ctune_plan p;
	ctune_error err = { 0 };
	ck_assert_msg(ctune_plan_run(&root, &o, w, 1, &p, &err) == 0, "%s", err.msg);
	ck_assert(p.changed);
	ck_assert(!p.items[0].live_changed);
	ck_assert(p.items[0].persist_changed);
	ctune_plan_free(&p);
	assert_content("/etc/sysctl.conf", "# x\n-net/netfilter/nf_conntrack_udp_timeout = 30\n");
}
END_TEST

START_TEST(test_live_only_and_file_only)
{
	make_modern(true);
	char *file_before = tl_read_all(tl_host(rootdir, "/etc/sysctl.conf"), NULL);
	ctune_plan_opts o = opts();
	o.persist = false;
	ctune_want w[] = { want("udp_timeout", 45) };
	ctune_plan p;
	ctune_error err = { 0 };
	ck_assert_msg(ctune_plan_run(&root, &o, w, 1, &p, &err) == 0, "%s", err.msg);
	ck_assert(p.changed && p.items[0].live_changed && !p.items[0].persist_changed);
	ctune_plan_free(&p);
	ck_assert_int_eq(live(NF "udp_timeout"), 45);
	assert_content("/etc/sysctl.conf", file_before);

	o = opts();
	o.live = false;
	w[0] = want("udp_timeout", 50);
	ck_assert_msg(ctune_plan_run(&root, &o, w, 1, &p, &err) == 0, "%s", err.msg);
	ck_assert(p.changed && !p.items[0].live_changed && p.items[0].persist_changed);
	ck_assert_int_eq(p.items[0].keys[0].live_after, 45);
	ctune_plan_free(&p);
	ck_assert_int_eq(live(NF "udp_timeout"), 45);
	assert_content("/etc/sysctl.conf", "# test\nnet.ipv4.ip_forward = 1\n"
					   "net.netfilter.nf_conntrack_udp_timeout = 50\n");
	free(file_before);
}
END_TEST

/* --- refusals before anything is touched ---------------------------------- */

START_TEST(test_validation)
{
	make_modern(true);
	ctune_plan_opts o = opts();
	ctune_want w[2];

	w[0] = want("count", 5);
	expect_refused(&o, w, 1, -EINVAL, "read-only");
	w[0] = want("max", 0);
	expect_refused(&o, w, 1, -ERANGE, "max");
	w[0] = want("max", -1);
	expect_refused(&o, w, 1, -ERANGE, "max");
	w[0] = want("max", 2147483648LL);
	expect_refused(&o, w, 1, -ERANGE, "max");
	w[0] = want("tcp_timeout_established", 2147484);
	expect_refused(&o, w, 1, -ERANGE, "tcp_timeout_established");
	w[0] = want("udp_timeout", 0);
	expect_refused(&o, w, 1, -ERANGE, "udp_timeout");
	/* A good value first does not get applied either. */
	w[0] = want("udp_timeout", 45);
	w[1] = want("max", 0);
	expect_refused(&o, w, 2, -ERANGE, "max");
	w[1] = want("udp_timeout", 46);
	expect_refused(&o, w, 2, -EINVAL, "twice");
	expect_refused(&o, w, 0, -EINVAL, NULL);

	w[0] = want("udp_timeout", 45);
	o.live = o.persist = false;
	expect_refused(&o, w, 1, -EINVAL, "nothing to do");

	static const char *const bad_files[] = {
		"/etc/passwd", "/etc/sysctl.d/../shadow", "sysctl.conf", "etc/sysctl.conf", "/etc/sysctl.d/x",
		"/etc/sysctl.d/.conf", "/etc/sysctl.d/a/b.conf", "/etc/sysctl.conf/", "/tmp/x.conf",
		"/etc/sysctl.d/x.conf~", "/etc/sysctl.d/../../etc/shadow.conf",
	};
	for (size_t i = 0; i < ELEMENTSOF(bad_files); i++) {
		o = opts();
		snprintf(o.file, sizeof(o.file), "%s", bad_files[i]);
		expect_refused(&o, w, 1, -EINVAL, "file");
		ck_assert_int_eq(ctune_plan_check_file(bad_files[i], NULL), -EINVAL);
	}
	ck_assert_int_eq(ctune_plan_check_file("/etc/sysctl.conf", NULL), 0);
	ck_assert_int_eq(ctune_plan_check_file("/etc/sysctl.d/90-conntrack.conf", NULL), 0);
	ck_assert_int_eq(ctune_plan_check_file("/usr/lib/sysctl.d/50-x.conf", NULL), 0);
}
END_TEST

/* A file Augeas cannot parse is left alone, and so are the live values. */
START_TEST(test_unparseable_file)
{
	make_modern(true);
	/* A line ending in a carriage return alone: the lens does not read it. */
	tl_write(rootdir, "/etc/sysctl.conf", "net.ipv4.ip_forward = 1\rbad = 1\n");
	ctune_plan_opts o = opts();
	ctune_want w[] = { want("udp_timeout", 45) };
	expect_refused(&o, w, 1, -EBADMSG, "/etc/sysctl.conf");
}
END_TEST

START_TEST(test_no_scheme)
{
	tl_write(rootdir, "/etc/sysctl.conf", "");
	ctune_plan_opts o = opts();
	ctune_want w[] = { want("udp_timeout", 45) };
	expect_refused(&o, w, 1, -ENOENT, "scheme");

	/* Forced, for an offline image: persisted in that scheme. */
	o.scheme = CTUNE_SCHEME_LEGACY;
	ctune_plan p;
	ctune_error err = { 0 };
	ck_assert_msg(ctune_plan_run(&root, &o, w, 1, &p, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(p.scheme, CTUNE_SCHEME_LEGACY);
	ck_assert(p.changed && !p.items[0].live_changed);
	ctune_plan_free(&p);
	assert_content("/etc/sysctl.conf", "net.ipv4.netfilter.ip_conntrack_udp_timeout = 45\n");
}
END_TEST

/* A key the kernel made read-only (nf_conntrack_max outside the initial
 * network namespace is mode 0444). */
START_TEST(test_read_only_key)
{
	make_modern(false);
	chmod(tl_host(rootdir, NF "max"), 0444);
	ctune_plan_opts o = opts();
	ctune_want w[] = { want("udp_timeout", 45), want("max", 1210856) };
	expect_refused(&o, w, 2, -EACCES, "read-only");
	ctune_plan p;
	ctune_error err = { 0 };
	ck_assert(ctune_plan_run(&root, &o, w, 2, &p, &err) < 0);
	ck_assert_msg(strstr(err.msg, K_MAX) && strstr(err.msg, "live: false"), "%s", err.msg);
	ctune_plan_free(&p);

	/* Asking for the value it already has is no write, so no error. */
	ctune_error_clear(&err);
	w[1] = want("max", 262144);
	ck_assert_msg(ctune_plan_run(&root, &o, w, 2, &p, &err) == 0, "%s", err.msg);
	ctune_plan_free(&p);
	ck_assert_int_eq(live(NF "udp_timeout"), 45);

	o.live = false;
	w[1] = want("max", 1210856);
	ck_assert_msg(ctune_plan_run(&root, &o, w, 2, &p, &err) == 0, "%s", err.msg);
	ck_assert(p.changed && !p.items[1].live_changed && p.items[1].persist_changed);
	ctune_plan_free(&p);
	ck_assert_int_eq(live(NF "max"), 262144);
	assert_content("/etc/sysctl.conf", "# test\nnet.ipv4.ip_forward = 1\n"
					   "net.netfilter.nf_conntrack_udp_timeout = 45\n"
					   "net.netfilter.nf_conntrack_max = 1210856\n");
}
END_TEST

START_TEST(test_module_not_loaded)
{
	tl_write(rootdir, "/proc/sys/kernel/osrelease", "6.1.0-18-amd64\n");
	tl_write(rootdir, "/etc/sysctl.conf", "");
	ctune_plan_opts o = opts();
	ctune_want w[] = { want("max", 1210856), want("udp_timeout", 45) };
	ctune_plan p;
	ctune_error err = { 0 };
	ck_assert_msg(ctune_plan_run(&root, &o, w, 2, &p, &err) == 0, "%s", err.msg);
	ck_assert(p.changed);
	ck_assert(!p.items[0].live_changed && !p.items[1].live_changed);
	ck_assert(!p.items[0].keys[0].live_present);
	ck_assert_uint_eq(p.items[0].nkeys, 1);
	ck_assert_msg(has_warning(&p, K_MAX " does not exist in the running kernel"), "%s", all_warnings(&p));
	ck_assert_msg(has_warning(&p, K_UDP " does not exist in the running kernel"), "%s", all_warnings(&p));
	ctune_plan_free(&p);
	assert_content("/etc/sysctl.conf", "net.netfilter.nf_conntrack_max = 1210856\n"
					   "net.netfilter.nf_conntrack_udp_timeout = 45\n");
	ck_assert_int_eq(access(tl_host(rootdir, "/proc/sys/net/netfilter"), F_OK), -1);

	char *before = snapshot();
	ck_assert_msg(ctune_plan_run(&root, &o, w, 2, &p, &err) == 0, "%s", err.msg);
	ck_assert(!p.changed);
	ctune_plan_free(&p);
	assert_snapshot(before, "second run, module not loaded");
	free(before);
}
END_TEST

/* --- state absent ----------------------------------------------------------- */

START_TEST(test_absent)
{
	make_modern(true);
	static const char file[] = "# keep\n"
				   "net.netfilter.nf_conntrack_max = 1\n"
				   "net.ipv4.ip_forward = 1\n"
				   "-net.netfilter.nf_conntrack_max = 2\n"
				   "net/netfilter/nf_conntrack_max=3\n"
				   "net.nf_conntrack_max = 4\n"
				   "-net/nf_conntrack_max = 5\n"
				   "net.netfilter.nf_conntrack_udp_timeout = 45\n";
	tl_write(rootdir, "/etc/sysctl.conf", file);
	ctune_plan_opts o = opts();
	o.state = CTUNE_STATE_ABSENT;
	o.check_mode = true;
	ctune_want w[] = { { ctune_tunable_find("max"), 0 } };
	ctune_plan p;
	ctune_error err = { 0 };
	char *before = snapshot();
	ck_assert_msg(ctune_plan_run(&root, &o, w, 1, &p, &err) == 0, "%s", err.msg);
	ck_assert(p.changed && p.items[0].persist_changed && !p.items[0].live_changed);
	ctune_plan_free(&p);
	assert_snapshot(before, "absent, check mode");
	free(before);

	o.check_mode = false;
	ck_assert_msg(ctune_plan_run(&root, &o, w, 1, &p, &err) == 0, "%s", err.msg);
	ck_assert(p.changed);
	ck_assert_uint_eq(p.items[0].nkeys, 2);
	ck_assert(!p.items[0].keys[0].persisted_after_present && !p.items[0].keys[1].persisted_after_present);
	ctune_plan_free(&p);
	assert_content("/etc/sysctl.conf", "# keep\nnet.ipv4.ip_forward = 1\nnet.netfilter.nf_conntrack_udp_timeout = 45\n");
	ck_assert_int_eq(live(NF "max"), 262144);
	ck_assert_int_eq(live("/proc/sys/net/nf_conntrack_max"), 262144);

	before = snapshot();
	ck_assert_msg(ctune_plan_run(&root, &o, w, 1, &p, &err) == 0, "%s", err.msg);
	ck_assert(!p.changed);
	ctune_plan_free(&p);
	assert_snapshot(before, "absent again");
	free(before);
}
END_TEST

/* --- stale keys, overrides, backups --------------------------------------- */

START_TEST(test_stale_and_migrate)
{
	make_modern(true);
	static const char file[] = "# from CentOS 5\n"
				   "net.ipv4.netfilter.ip_conntrack_max = 65536\n"
				   "net.ipv4.ip_conntrack_max = 65536\n"
				   "net.ipv4.netfilter.ip_conntrack_tcp_timeout_established = 43200\n"
				   "net.ipv4.ip_forward = 1\n";
	tl_write(rootdir, "/etc/sysctl.conf", file);
	ctune_plan_opts o = opts();
	o.check_mode = true;
	ctune_want w[] = { want("max", 1210856) };
	ctune_plan p;
	ctune_error err = { 0 };
	ck_assert_msg(ctune_plan_run(&root, &o, w, 1, &p, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(p.nstale, 3);
	ck_assert_str_eq(p.stale[0].key, "net.ipv4.netfilter.ip_conntrack_max");
	ck_assert_str_eq(p.stale[0].replacement, K_MAX);
	ck_assert_str_eq(p.stale[1].key, "net.ipv4.ip_conntrack_max");
	ck_assert_str_eq(p.stale[1].replacement, K_ALIAS);
	ck_assert_str_eq(p.stale[2].key, "net.ipv4.netfilter.ip_conntrack_tcp_timeout_established");
	ck_assert_str_eq(p.stale[2].replacement, K_TCP);
	for (size_t i = 0; i < 3; i++)
		ck_assert(!p.stale[i].migrated);
	ck_assert_msg(has_warning(&p, "net.ipv4.netfilter.ip_conntrack_max in /etc/sysctl.conf belongs to the legacy"),
		      "%s", all_warnings(&p));
	ctune_plan_free(&p);

	o.check_mode = false;
	o.migrate = true;
	ck_assert_msg(ctune_plan_run(&root, &o, w, 1, &p, &err) == 0, "%s", err.msg);
	ck_assert(p.changed);
	ck_assert_uint_eq(p.nstale, 3);
	for (size_t i = 0; i < 3; i++)
		ck_assert(p.stale[i].migrated);
	ck_assert_msg(!has_warning(&p, "belongs to the legacy"), "%s", all_warnings(&p));
	ctune_plan_free(&p);
	assert_content("/etc/sysctl.conf", "# from CentOS 5\n"
					   "net.netfilter.nf_conntrack_max = 1210856\n"
					   "net.nf_conntrack_max = 1210856\n"
					   "net.netfilter.nf_conntrack_tcp_timeout_established = 43200\n"
					   "net.ipv4.ip_forward = 1\n");
	/* Migration only renames: the migrated timeout keeps its value and the
	 * live value of a tunable not asked for is left alone. */
	ck_assert_int_eq(live(NF "tcp_timeout_established"), 432000);

	char *before = snapshot();
	ck_assert_msg(ctune_plan_run(&root, &o, w, 1, &p, &err) == 0, "%s", err.msg);
	ck_assert(!p.changed);
	ck_assert_uint_eq(p.nstale, 0);
	ctune_plan_free(&p);
	assert_snapshot(before, "migrate again");
	free(before);
}
END_TEST

START_TEST(test_override_warning)
{
	make_modern(true);
	char p1[1024];
	snprintf(p1, sizeof(p1), "%s/etc/sysctl.d/99-sysctl.conf", rootdir);
	ck_assert_int_eq(symlink("../sysctl.conf", p1), 0);
	tl_write(rootdir, "/etc/sysctl.d/99-zz.conf", "# later\nnet.netfilter.nf_conntrack_max = 5\n");
	tl_write(rootdir, "/usr/lib/sysctl.d/99-zzz.conf", "net/netfilter/nf_conntrack_tcp_timeout_established=7\n");
	tl_write(rootdir, "/usr/lib/sysctl.d/10-early.conf", "net.netfilter.nf_conntrack_udp_timeout = 9\n");
	tl_write(rootdir, "/etc/sysctl.d/99-zzzz.conf", "net.netfilter.nf_conntrack_udp_timeout = 45\n");
	ctune_plan_opts o = opts();
	ctune_want w[] = { want("max", 1210856), want("tcp_timeout_established", 43200), want("udp_timeout", 45) };
	ctune_plan p;
	ctune_error err = { 0 };
	ck_assert_msg(ctune_plan_run(&root, &o, w, 3, &p, &err) == 0, "%s", err.msg);
	ck_assert_msg(has_warning(&p, "/etc/sysctl.d/99-zz.conf line 2 sets net.netfilter.nf_conntrack_max = 5"), "%s",
		      all_warnings(&p));
	ck_assert_msg(has_warning(&p, "/usr/lib/sysctl.d/99-zzz.conf line 1"), "%s", all_warnings(&p));
	/* Earlier files and later files that agree are no override. */
	ck_assert_msg(!has_warning(&p, "10-early"), "%s", all_warnings(&p));
	ck_assert_msg(!has_warning(&p, "99-zzzz"), "%s", all_warnings(&p));
	ck_assert_msg(has_warning(&p, "set buckets to"), "%s", all_warnings(&p));
	ck_assert_uint_eq(p.nwarnings, 3);
	ctune_plan_free(&p);

	/* A file of the same name in /etc masks the one in /usr/lib. */
	tl_write(rootdir, "/etc/sysctl.d/99-zzz.conf", "# masked\n");
	ck_assert_msg(ctune_plan_run(&root, &o, w, 3, &p, &err) == 0, "%s", err.msg);
	ck_assert_msg(!has_warning(&p, "99-zzz.conf"), "%s", all_warnings(&p));
	ck_assert_uint_eq(p.nwarnings, 2); /* 99-zz.conf, and the buckets ratio */
	ctune_plan_free(&p);
}
END_TEST

/* Issue 4: "override: fix comments out the overriding line instead". */
START_TEST(test_override_fix)
{
	make_modern(true);
	char p1[1024];
	snprintf(p1, sizeof(p1), "%s/etc/sysctl.d/99-sysctl.conf", rootdir);
	ck_assert_int_eq(symlink("../sysctl.conf", p1), 0);
	tl_write(rootdir, "/etc/sysctl.d/99-zz.conf", "# later\nnet.netfilter.nf_conntrack_max = 5\nnet.ipv4.ip_forward = 1\n");
	ctune_plan_opts o = opts();
	o.override = CTUNE_OVERRIDE_FIX;
	ctune_want w[] = { want("max", 1210856) };
	ctune_plan p;
	ctune_error err = { 0 };
	ck_assert_msg(ctune_plan_run(&root, &o, w, 1, &p, &err) == 0, "%s", err.msg);
	ctune_plan_free(&p);
	char *z = tl_read_all(tl_host(rootdir, "/etc/sysctl.d/99-zz.conf"), NULL);
	ck_assert_ptr_nonnull(z);
	/* A failed check ends the process before teardown: clean up first. */
	teardown();
	ck_assert_msg(strstr(z, "\nnet.netfilter.nf_conntrack_max = 5\n") == NULL,
		      "override: fix left the overriding line in force:\n%s", z);
	ck_assert_msg(strstr(z, "net.netfilter.nf_conntrack_max = 5"), "the line should be commented out, not lost:\n%s",
		      z);
	ck_assert_msg(strstr(z, "# later\n") == z && strstr(z, "\nnet.ipv4.ip_forward = 1\n"), "other lines lost:\n%s",
		      z);
	free(z);
}
END_TEST

START_TEST(test_backup)
{
	make_modern(true);
	static const char old[] = "# old\nnet.netfilter.nf_conntrack_udp_timeout = 30\n";
	tl_write_mode(rootdir, "/etc/sysctl.conf", old, 0640);
	ctune_plan_opts o = opts();
	o.backup = true;
	ctune_want w[] = { want("udp_timeout", 45) };
	ctune_plan p;
	ctune_error err = { 0 };
	ck_assert_msg(ctune_plan_run(&root, &o, w, 1, &p, &err) == 0, "%s", err.msg);
	ck_assert_msg(strncmp(p.backup_file, "/etc/sysctl.conf.", 17) == 0, "%s", p.backup_file);
	ck_assert(p.backup_file[strlen(p.backup_file) - 1] == '~');
	assert_content(p.backup_file, old);
	struct stat st;
	ck_assert_int_eq(stat(tl_host(rootdir, p.backup_file), &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0640);
	ck_assert_int_eq(stat(tl_host(rootdir, "/etc/sysctl.conf"), &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0640);
	ctune_plan_free(&p);
	assert_content("/etc/sysctl.conf", "# old\nnet.netfilter.nf_conntrack_udp_timeout = 45\n");

	/* Nothing to change: no backup. */
	char *before = snapshot();
	ck_assert_msg(ctune_plan_run(&root, &o, w, 1, &p, &err) == 0, "%s", err.msg);
	ck_assert(!p.changed);
	ck_assert_str_eq(p.backup_file, "");
	ctune_plan_free(&p);
	assert_snapshot(before, "backup, nothing to change");
	free(before);
}
END_TEST

/* --- the lock ---------------------------------------------------------------- */

static int hold_lock(void)
{
	int fd = open(rootdir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
	return fd;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

START_TEST(test_lock_held)
{
	make_modern(true);
	int fd = hold_lock();
	ctune_plan_opts o = opts();
	o.lock_wait_ms = 200;
	ctune_want w[] = { want("udp_timeout", 45), want("max", 1210856) };
	double t0 = now_ms();
	expect_refused(&o, w, 2, -EWOULDBLOCK, "another ctune run holds the lock");
	double took = now_ms() - t0;
	ck_assert_msg(took >= 150 && took < 5000, "waited %.0f ms for a 200 ms lock wait", took);
	close(fd);

	/* Released: the same request goes through. */
	ctune_plan p;
	ctune_error err = { 0 };
	ck_assert_msg(ctune_plan_run(&root, &o, w, 2, &p, &err) == 0, "%s", err.msg);
	ck_assert(p.changed);
	ctune_plan_free(&p);
	ck_assert_int_eq(live(NF "udp_timeout"), 45);
}
END_TEST

/* Another run holds the lock for a moment: this one waits, then proceeds. */
START_TEST(test_lock_waits)
{
	make_modern(true);
	int sync[2];
	ck_assert_int_eq(pipe(sync), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = open(rootdir, O_RDONLY | O_DIRECTORY);
		if (fd < 0 || flock(fd, LOCK_EX) < 0)
			_exit(1);
		if (write(sync[1], "x", 1) != 1)
			_exit(1);
		usleep(300 * 1000);
		_exit(0);
	}
	char c;
	ck_assert_int_eq(read(sync[0], &c, 1), 1);
	ctune_plan_opts o = opts();
	o.lock_wait_ms = 5000;
	ctune_want w[] = { want("udp_timeout", 45) };
	ctune_plan p;
	ctune_error err = { 0 };
	double t0 = now_ms();
	ck_assert_msg(ctune_plan_run(&root, &o, w, 1, &p, &err) == 0, "%s", err.msg);
	double took = now_ms() - t0;
	ck_assert(p.changed);
	ctune_plan_free(&p);
	ck_assert_msg(took >= 200, "did not wait for the lock (%.0f ms)", took);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(live(NF "udp_timeout"), 45);
}
END_TEST

/* --- failures after live writes: roll back -------------------------------- */

/* The third key's write is refused; the first two are restored. */
START_TEST(test_live_refused_rolls_back)
{
	make_modern(true);
	if (!can_unshare_mounts(__func__))
		return;
	const char *f = tl_host(rootdir, NF "icmp_timeout");
	mount_or_fail(f, NF "icmp_timeout", NULL, MS_BIND, NULL);
	mount_or_fail(NULL, NF "icmp_timeout", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL);
	/* Rolled-back proc files are rewritten: compare contents, not times. */
	char *before = snapshot_at(false);
	ctune_plan_opts o = opts();
	ctune_want w[] = { want("tcp_timeout_established", 10800), want("max", 1210856), want("icmp_timeout", 20),
			   want("udp_timeout", 77) };
	ctune_plan p;
	ctune_error err = { 0 };
	int r = ctune_plan_run(&root, &o, w, 4, &p, &err);
	ck_assert_msg(r == -EROFS, "wanted -EROFS, got %d: %s", r, err.msg);
	ck_assert_msg(strstr(err.msg, K_ICMP) && strstr(err.msg, strerror(EROFS)), "%s", err.msg);
	ctune_plan_free(&p);
	assert_snapshot_at(before, false, "refused live write");
	free(before);
	ck_assert_int_eq(live(NF "tcp_timeout_established"), 432000);
	ck_assert_int_eq(live(NF "max"), 262144);
	ck_assert_int_eq(live("/proc/sys/net/nf_conntrack_max"), 262144);
	ck_assert_int_eq(live(NF "udp_timeout"), 30);
}
END_TEST

/* The save fails after every live write succeeded: the live values go back
 * and no temporary file is left. */
START_TEST(test_save_fails_rolls_back)
{
	make_modern(true);
	if (!can_unshare_mounts(__func__))
		return;
	mount_or_fail("tmpfs", "/etc", "tmpfs", 0, "size=64k,mode=0755");
	tl_write(rootdir, "/etc/sysctl.conf", "# on a read-only file system\nnet.ipv4.ip_forward = 1\n");
	mount_or_fail(NULL, "/etc", NULL, MS_REMOUNT | MS_RDONLY, "size=64k,mode=0755");
	char *before = snapshot_at(false);
	ctune_plan_opts o = opts();
	ctune_want w[] = { want("tcp_timeout_established", 10800), want("udp_timeout", 77) };
	ctune_plan p;
	ctune_error err = { 0 };
	int r = ctune_plan_run(&root, &o, w, 2, &p, &err);
	ck_assert_msg(r == -EROFS, "wanted -EROFS, got %d: %s", r, err.msg);
	ck_assert_msg(strstr(err.msg, "/etc/sysctl.conf") && strstr(err.msg, strerror(EROFS)), "%s", err.msg);
	ck_assert_str_eq(p.backup_file, "");
	ctune_plan_free(&p);
	assert_snapshot_at(before, false, "failed save");
	free(before);
	ck_assert_int_eq(live(NF "tcp_timeout_established"), 432000);
	ck_assert_int_eq(live(NF "udp_timeout"), 30);
}
END_TEST

/* The rename over the target fails (immutable file) after the backup and
 * the temporary file were made: both go, and the live values go back. */
START_TEST(test_rename_fails_removes_backup)
{
	make_modern(true);
	if (geteuid() != 0) {
		fprintf(stderr, "SKIP %s: needs root\n", __func__);
		return;
	}
	int fd = open(tl_host(rootdir, "/etc/sysctl.conf"), O_RDONLY);
	ck_assert_int_ge(fd, 0);
	int flags = 0;
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0 ||
	    (flags |= FS_IMMUTABLE_FL, ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0)) {
		fprintf(stderr, "SKIP %s: no immutable flag on this file system: %s\n", __func__, strerror(errno));
		close(fd);
		return;
	}
	close(fd);
	char *before = snapshot_at(false);
	ctune_plan_opts o = opts();
	o.backup = true;
	ctune_want w[] = { want("tcp_timeout_established", 10800), want("udp_timeout", 77) };
	ctune_plan p;
	ctune_error err = { 0 };
	int r = ctune_plan_run(&root, &o, w, 2, &p, &err);
	ck_assert_msg(r == -EPERM, "wanted -EPERM, got %d: %s", r, err.msg);
	ck_assert_msg(strstr(err.msg, "/etc/sysctl.conf"), "%s", err.msg);
	ck_assert_str_eq(p.backup_file, "");
	ctune_plan_free(&p);
	assert_snapshot_at(before, false, "failed rename");
	free(before);
	ck_assert_int_eq(live(NF "tcp_timeout_established"), 432000);
	ck_assert_int_eq(live(NF "udp_timeout"), 30);
}
END_TEST

/* A restore that fails must not go unmentioned: the caller would believe
 * nothing changed.  Made with RLIMIT_FSIZE: the first write ("5\n") fits in
 * 4 bytes, the second key's value does not (a short write), and neither does
 * restoring the first key's old value ("432000\n"). */
START_TEST(test_rollback_failure_reported)
{
	make_modern(true);
	ctune_plan_opts o = opts();
	ctune_want w[] = { want("tcp_timeout_established", 5), want("udp_timeout", 123456) };
	ctune_plan p;
	ctune_error err = { 0 };
	struct rlimit old, small;
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	small = old;
	small.rlim_cur = 4;
	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
	int r = ctune_plan_run(&root, &o, w, 2, &p, &err);
	setrlimit(RLIMIT_FSIZE, &old);
	ctune_plan_free(&p);
	ck_assert_int_lt(r, 0);
	char *tcp = tl_read_all(tl_host(rootdir, NF "tcp_timeout_established"), NULL);
	bool restored = strcmp(tcp, "432000\n") == 0;
	teardown(); /* before a failed check ends the process */
	ck_assert_msg(restored || strstr(err.msg, K_TCP),
		      "the live value of %s is left at \"%s\" and the error does not say so: %s", K_TCP, tcp, err.msg);
	free(tcp);
}
END_TEST

static Suite *plan_suite(void)
{
	Suite *s = suite_create("plan");
	TCase *tc = tcase_create("plan");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_set_live_and_file);
	tcase_add_test(tc, test_no_alias_in_kernel);
	tcase_add_test(tc, test_legacy_scheme);
	tcase_add_test(tc, test_not_in_scheme);
	tcase_add_test(tc, test_check_mode_touches_nothing);
	tcase_add_test(tc, test_duplicates_only);
	tcase_add_test(tc, test_live_only_and_file_only);
	tcase_add_test(tc, test_validation);
	tcase_add_test(tc, test_unparseable_file);
	tcase_add_test(tc, test_no_scheme);
	tcase_add_test(tc, test_read_only_key);
	tcase_add_test(tc, test_module_not_loaded);
	tcase_add_test(tc, test_absent);
	tcase_add_test(tc, test_stale_and_migrate);
	tcase_add_test(tc, test_override_warning);
	tcase_add_test(tc, test_override_fix);
	tcase_add_test(tc, test_backup);
	tcase_add_test(tc, test_lock_held);
	tcase_add_test(tc, test_lock_waits);
	tcase_add_test(tc, test_live_refused_rolls_back);
	tcase_add_test(tc, test_save_fails_rolls_back);
	tcase_add_test(tc, test_rename_fails_removes_backup);
	tcase_add_test(tc, test_rollback_failure_reported);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_run(plan_suite());
}
