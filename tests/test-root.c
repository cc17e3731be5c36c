/* test-root.c - the wall around --root: every hostile shape of an image
 * (links out by absolute and relative paths, links in the middle of a path,
 * loops, FIFOs, sockets, devices, directories where files should be) read,
 * written, listed and stat()ed through root.c and procsys.c.
 *
 * Every case runs twice: through openat2(RESOLVE_IN_ROOT) where the kernel
 * has it, and through the walk of older kernels (ctune_root_force_walk).
 * A scratch "world" holds the root and, beside it, an "outside" whose files
 * must never be read or written. */
#include <signal.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "testlib.h"

#include "procsys.h"
#include "root.h"

static char world[256], rootdir[300], outside[300];
static ctune_root root;

static void setup(void)
{
	snprintf(world, sizeof(world), "%s", tl_mkroot());
	snprintf(rootdir, sizeof(rootdir), "%s/root", world);
	snprintf(outside, sizeof(outside), "%s/outside", world);
	ck_assert_int_eq(mkdir(rootdir, 0755), 0);
	ck_assert_int_eq(mkdir(outside, 0755), 0);
	tl_write(outside, "/secret", "SECRET\n");
	tl_write(outside, "/nf/nf_conntrack_max", "999\n");
	tl_write(rootdir, "/etc/sysctl.conf", "image\n");
	tl_write(rootdir, "/proc/sys/net/netfilter/nf_conntrack_max", "262144\n");
	tl_write(rootdir, "/proc/sys/kernel/osrelease", "6.1.0\n");
	ck_assert_int_eq(ctune_root_init(&root, rootdir, NULL), 0);
	/* A FIFO without a writer would block a plain open forever: fail the
	 * test instead. */
	alarm(20);
}

static void teardown(void)
{
	alarm(0);
	ctune_root_force_walk(false);
	tl_rmrf(world);
}

/* _i is check's loop index: 0 the kernel's openat2 (when it has it), 1 the
 * walk of kernels before 5.6. */
#define BOTH_WAYS() ctune_root_force_walk(_i == 1)

static void link_in_root(const char *target, const char *abs)
{
	ck_assert_msg(symlink(target, tl_host(rootdir, abs)) == 0, "%s: %s", abs, strerror(errno));
}

/* read a small file through the root: its text, or "E<errno>" */
static const char *rd(const char *abs)
{
	static char buf[256];
	ssize_t n = ctune_root_read_small(&root, abs, buf, sizeof(buf));
	if (n < 0)
		snprintf(buf, sizeof(buf), "E%d", (int)-n);
	return buf;
}

static char *errno_text(int e)
{
	static char buf[16];
	snprintf(buf, sizeof(buf), "E%d", e);
	return buf;
}

static void assert_outside_intact(void)
{
	char *s = tl_slurp(tl_host(outside, "/secret"), NULL);
	ck_assert_str_eq(s, "SECRET\n");
	free(s);
	s = tl_slurp(tl_host(outside, "/nf/nf_conntrack_max"), NULL);
	ck_assert_str_eq(s, "999\n");
	free(s);
}

START_TEST(test_absolute_link_rerooted)
{
	BOTH_WAYS();
	/* The link every Debian image has: the image's file, not the host's. */
	ck_assert_int_eq(mkdir(tl_host(rootdir, "/etc/sysctl.d"), 0755), 0);
	link_in_root("/etc/sysctl.conf", "/etc/sysctl.d/99-sysctl.conf");
	ck_assert_str_eq(rd("/etc/sysctl.d/99-sysctl.conf"), "image\n");
	/* A link to a host path: that path inside the root, where nothing is. */
	char target[400];
	snprintf(target, sizeof(target), "%s/secret", outside);
	link_in_root(target, "/etc/hostname");
	ck_assert_str_eq(rd("/etc/hostname"), errno_text(ENOENT));
	ck_assert(!ctune_root_exists(&root, "/etc/hostname"));
	/* ... and when the image has that path, the image's file. */
	tl_write(rootdir, target, "inside\n");
	ck_assert_str_eq(rd("/etc/hostname"), "inside\n");
	/* A live value (under /proc/sys or /sys/module) is never read
	 * through a link, not even one inside the root. */
	link_in_root(target, "/proc/sys/kernel/hostname");
	ck_assert_str_eq(rd("/proc/sys/kernel/hostname"), errno_text(ELOOP));
	tl_write(rootdir, "/sys/module/nf_conntrack/parameters/real", "65536\n");
	link_in_root("real", "/sys/module/nf_conntrack/parameters/hashsize");
	ck_assert_str_eq(rd("/sys/module/nf_conntrack/parameters/hashsize"), errno_text(ELOOP));
	ck_assert_str_eq(rd("/sys/module/nf_conntrack/parameters/real"), "65536\n");
	assert_outside_intact();
}
END_TEST

START_TEST(test_dotdot_clamped)
{
	BOTH_WAYS();
	tl_write(rootdir, "/etc/a/b/c", "");
	link_in_root("../../../../../../../../../../outside/secret", "/etc/a/b/domainname");
	ck_assert_str_eq(rd("/etc/a/b/domainname"), errno_text(ENOENT));
	tl_write(rootdir, "/outside/secret", "clamped\n");
	ck_assert_str_eq(rd("/etc/a/b/domainname"), "clamped\n");
	/* In the path itself too. */
	ck_assert_str_eq(rd("/../../../outside/secret"), "clamped\n");
	ck_assert_str_eq(rd("/proc/../../../../etc/sysctl.conf"), "image\n");
	char out[PATH_MAX];
	ck_assert_int_eq(ctune_root_resolve(&root, "/etc/a/b/domainname", false, out, sizeof(out), NULL), 0);
	ck_assert_str_eq(out, "/outside/secret");
	ck_assert_int_eq(ctune_root_resolve(&root, "/../../etc/x.conf", false, out, sizeof(out), NULL), 0);
	ck_assert_str_eq(out, "/etc/x.conf");
	assert_outside_intact();
}
END_TEST

START_TEST(test_directory_link_in_the_middle)
{
	BOTH_WAYS();
	/* netfilter/ is a link to the outside: by absolute path, then relative. */
	tl_rmrf(tl_host(rootdir, "/proc/sys/net/netfilter"));
	char target[400];
	snprintf(target, sizeof(target), "%s/nf", outside);
	link_in_root(target, "/proc/sys/net/netfilter");
	ck_assert_str_eq(rd("/proc/sys/net/netfilter/nf_conntrack_max"), errno_text(ENOENT));
	ck_assert(!ctune_root_exists(&root, "/proc/sys/net/netfilter/nf_conntrack_max"));
	ck_assert_int_eq(ctune_root_open(&root, "/proc/sys/net/netfilter/nf_conntrack_max", O_WRONLY | O_TRUNC),
			 -ENOENT);
	ck_assert_int_eq(unlink(tl_host(rootdir, "/proc/sys/net/netfilter")), 0);
	link_in_root("../../../../../../outside/nf", "/proc/sys/net/netfilter");
	ck_assert_str_eq(rd("/proc/sys/net/netfilter/nf_conntrack_max"), errno_text(ENOENT));
	/* A link inside the image is followed inside it. */
	tl_write(rootdir, "/real/nf/nf_conntrack_max", "4096\n");
	ck_assert_int_eq(unlink(tl_host(rootdir, "/proc/sys/net/netfilter")), 0);
	link_in_root("/real/nf", "/proc/sys/net/netfilter");
	ck_assert_str_eq(rd("/proc/sys/net/netfilter/nf_conntrack_max"), "4096\n");
	/* A linked etc/ and a listing through it. */
	tl_write(rootdir, "/image-etc/sysctl.d/10-a.conf", "a\n");
	ck_assert_int_eq(mkdir(tl_host(outside, "/etc"), 0755), 0);
	ck_assert_int_eq(mkdir(tl_host(outside, "/etc/sysctl.d"), 0755), 0);
	tl_write(outside, "/etc/sysctl.d/66-outside.conf", "x\n");
	tl_rmrf(tl_host(rootdir, "/etc"));
	link_in_root("/image-etc", "/etc");
	DIR *d = NULL;
	ck_assert_int_eq(ctune_root_opendir(&root, "/etc/sysctl.d", &d), 0);
	int seen = 0;
	for (struct dirent *de; (de = readdir(d));)
		if (de->d_name[0] != '.') {
			ck_assert_str_eq(de->d_name, "10-a.conf");
			seen++;
		}
	closedir(d);
	ck_assert_int_eq(seen, 1);
	unlink(tl_host(rootdir, "/etc"));
	snprintf(target, sizeof(target), "%s/etc", outside);
	link_in_root(target, "/etc");
	ck_assert_int_eq(ctune_root_opendir(&root, "/etc/sysctl.d", &d), -ENOENT);
	assert_outside_intact();
}
END_TEST

START_TEST(test_link_loops)
{
	BOTH_WAYS();
	link_in_root("b", "/etc/a");
	link_in_root("a", "/etc/b");
	ck_assert_str_eq(rd("/etc/a"), errno_text(ELOOP));
	link_in_root("self", "/etc/self");
	ck_assert_str_eq(rd("/etc/self"), errno_text(ELOOP));
	/* A directory loop in the middle of a path. */
	link_in_root("/etc/dir", "/etc/dir");
	ck_assert_str_eq(rd("/etc/dir/x"), errno_text(ELOOP));
	/* 40 links are followed, 41 are not. */
	char name[64], target[64];
	tl_write(rootdir, "/chain/end", "end\n");
	for (int i = 0; i < 41; i++) {
		snprintf(name, sizeof(name), "/chain/l%d", i);
		if (i == 0)
			snprintf(target, sizeof(target), "end");
		else
			snprintf(target, sizeof(target), "l%d", i - 1);
		link_in_root(target, name);
	}
	ck_assert_str_eq(rd("/chain/l39"), "end\n");
	ck_assert_str_eq(rd("/chain/l40"), errno_text(ELOOP));
	char out[PATH_MAX];
	ck_assert_int_eq(ctune_root_resolve(&root, "/etc/a", false, out, sizeof(out), NULL), -ELOOP);
}
END_TEST

START_TEST(test_long_links)
{
	BOTH_WAYS();
	/* Targets at the limits: no overflow, an error or the right file. */
	static char target[PATH_MAX + 8];
	size_t n = 0;
	while (n + 3 < PATH_MAX - 1)
		n += (size_t)snprintf(target + n, sizeof(target) - n, "../");
	link_in_root(target, "/etc/up");
	ck_assert_str_eq(rd("/etc/up/etc/sysctl.conf"), "image\n");
	n = 0;
	while (n + 2 < PATH_MAX - 1)
		n += (size_t)snprintf(target + n, sizeof(target) - n, "a/");
	link_in_root(target, "/etc/deep");
	const char *got = rd("/etc/deep/x");
	ck_assert_msg(strcmp(got, errno_text(ENOENT)) == 0 || strcmp(got, errno_text(ENAMETOOLONG)) == 0, "%s", got);
	/* Links whose expansions grow past PATH_MAX together. */
	char name[32], t[64];
	for (int i = 0; i < 12; i++) {
		snprintf(name, sizeof(name), "/etc/g%d", i);
		if (i == 0)
			snprintf(t, sizeof(t), "%s", "/etc/up");
		else
			snprintf(t, sizeof(t), "g%d/etc/g%d/etc", i - 1, i - 1);
		link_in_root(t, name);
	}
	got = rd("/etc/g11/sysctl.conf");
	ck_assert_msg(got[0] == 'E' || strcmp(got, "image\n") == 0, "%s", got);
}
END_TEST

START_TEST(test_proc_self_links)
{
	BOTH_WAYS();
	/* Magic links of the host's /proc are the image's proc here. */
	link_in_root("/proc/self/root/etc/passwd", "/etc/passwd-link");
	ck_assert_str_eq(rd("/etc/passwd-link"), errno_text(ENOENT));
	link_in_root("/proc/self/environ", "/proc/arch");
	ck_assert_str_eq(rd("/proc/arch"), errno_text(ENOENT));
	link_in_root("/proc/1/cwd", "/etc/cwd");
	ck_assert_str_eq(rd("/etc/cwd/etc/hostname"), errno_text(ENOENT));
}
END_TEST

static void make_socket(const char *path)
{
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(s, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	close(s);
}

START_TEST(test_not_regular_files)
{
	BOTH_WAYS();
	/* A FIFO where a file should be: refused at once, for reading and for
	 * writing, directly and through a link. */
	ck_assert_int_eq(mkfifo(tl_host(rootdir, "/proc/meminfo"), 0644), 0);
	ck_assert_int_eq(ctune_root_read_small(&root, "/proc/meminfo", (char[64]){ 0 }, 64), CTUNE_ENOTREG);
	char *text = NULL;
	ck_assert_int_eq(ctune_root_read_all(&root, "/proc/meminfo", 1 << 20, &text, NULL), CTUNE_ENOTREG);
	ck_assert_int_eq(ctune_root_open(&root, "/proc/meminfo", O_WRONLY), CTUNE_ENOTREG);
	link_in_root("/proc/meminfo", "/proc/modules");
	ck_assert_int_eq(ctune_root_open(&root, "/proc/modules", O_RDONLY), CTUNE_ENOTREG);
	ck_assert_str_eq(ctune_root_strerror(CTUNE_ENOTREG),
			 "not a regular file (a FIFO, socket or device is never read)");
	/* A socket, a directory. */
	make_socket(tl_host(rootdir, "/proc/uptime"));
	ck_assert_int_eq(ctune_root_open(&root, "/proc/uptime", O_RDONLY), CTUNE_ENOTREG);
	ck_assert_int_eq(mkdir(tl_host(rootdir, "/proc/slabinfo"), 0755), 0);
	ck_assert_int_eq(ctune_root_open(&root, "/proc/slabinfo", O_RDONLY), -EISDIR);
	ck_assert_int_eq(ctune_root_open(&root, "/etc/sysctl.conf", O_RDONLY | O_DIRECTORY), -ENOTDIR);
	/* A FIFO in the middle of a path. */
	ck_assert_int_eq(mkfifo(tl_host(rootdir, "/proc/net"), 0644), 0);
	ck_assert_int_eq(ctune_root_open(&root, "/proc/net/stat/nf_conntrack", O_RDONLY), -ENOTDIR);
	/* Device nodes (as root): never opened, whatever their number. */
	if (mknod(tl_host(rootdir, "/proc/zero"), S_IFCHR | 0644, makedev(1, 5)) == 0) {
		ck_assert_int_eq(ctune_root_open(&root, "/proc/zero", O_RDONLY), CTUNE_ENOTREG);
		ck_assert_int_eq(ctune_root_open_as(&root, "/proc/zero", O_RDONLY, CTUNE_KIND_REG | CTUNE_KIND_KMSG),
				 CTUNE_ENOTREG);
		ck_assert_int_eq(mknod(tl_host(rootdir, "/proc/kmsg"), S_IFCHR | 0644, makedev(1, 11)), 0);
		ck_assert_int_eq(ctune_root_open(&root, "/proc/kmsg", O_RDONLY), CTUNE_ENOTREG);
		int fd = ctune_root_open_as(&root, "/proc/kmsg", O_RDONLY | O_NONBLOCK, CTUNE_KIND_KMSG);
		ck_assert_msg(fd >= 0 || fd == -EPERM || fd == -EACCES, "kmsg: %d", fd);
		if (fd >= 0)
			close(fd);
	}
}
END_TEST

START_TEST(test_nofollow_and_create)
{
	BOTH_WAYS();
	char target[400];
	snprintf(target, sizeof(target), "%s/secret", outside);
	link_in_root(target, "/proc/sys/net/netfilter/nf_conntrack_udp_timeout");
	ck_assert_int_eq(ctune_root_open(&root, "/proc/sys/net/netfilter/nf_conntrack_udp_timeout",
					 O_WRONLY | O_TRUNC | O_NOFOLLOW),
			 -ELOOP);
	/* A live value gets O_NOFOLLOW whether asked or not. */
	ck_assert_int_eq(ctune_root_open(&root, "/proc/sys/net/netfilter/nf_conntrack_udp_timeout", O_WRONLY | O_TRUNC),
			 -ELOOP);
	/* Elsewhere a link is followed, inside the root: nothing there. */
	link_in_root(target, "/etc/udp");
	ck_assert_int_eq(ctune_root_open(&root, "/etc/udp", O_WRONLY | O_TRUNC), -ENOENT);
	/* O_CREAT through a dangling link creates inside the root or fails. */
	int fd = ctune_root_open(&root, "/etc/udp", O_WRONLY | O_CREAT);
	ck_assert_int_eq(fd, -ENOENT); /* the outside's directories are not in the root */
	ck_assert_int_eq(ctune_root_open(&root, "/etc/udp", O_WRONLY | O_CREAT | O_EXCL), -EEXIST);
	fd = ctune_root_open(&root, "/etc/new.conf", O_WRONLY | O_CREAT | O_EXCL);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert(S_ISREG(tl_stat(rootdir, "/etc/new.conf").st_mode));
	struct stat st;
	ck_assert_int_eq(ctune_root_stat(&root, "/proc/sys/net/netfilter/nf_conntrack_udp_timeout", false, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	ck_assert_int_eq(ctune_root_stat(&root, "/proc/sys/net/netfilter/nf_conntrack_udp_timeout", true, &st),
			 -ENOENT);
	assert_outside_intact();
}
END_TEST

/* --- live values ---------------------------------------------------------- */

#define KEY "net.netfilter.nf_conntrack_udp_timeout"
#define KEYPATH "/proc/sys/net/netfilter/nf_conntrack_udp_timeout"

static int read_key(const char *key, long long *v, ctune_error *err)
{
	ctune_error_clear(err);
	return ctune_procsys_read(&root, key, v, err);
}

START_TEST(test_procsys_read_errors)
{
	BOTH_WAYS();
	long long v = 0;
	ctune_error err = { 0 };
	ck_assert_int_eq(read_key(KEY, &v, &err), -ENOENT);
	tl_write(rootdir, KEYPATH, "30\n");
	ck_assert_int_eq(read_key(KEY, &v, &err), 0);
	ck_assert_int_eq(v, 30);
	/* Everything but a missing file is an error that names the key. */
	tl_write(rootdir, KEYPATH, "thirty\n");
	ck_assert_int_eq(read_key(KEY, &v, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, KEY));
	ck_assert_ptr_nonnull(strstr(err.msg, "does not hold one integer"));
	tl_write(rootdir, KEYPATH, "");
	ck_assert_int_eq(read_key(KEY, &v, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "empty"));
	tl_write(rootdir, KEYPATH, "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28\n");
	ck_assert_int_eq(read_key(KEY, &v, &err), -EFBIG);
	ck_assert_int_eq(unlink(tl_host(rootdir, KEYPATH)), 0);
	ck_assert_int_eq(mkdir(tl_host(rootdir, KEYPATH), 0755), 0);
	ck_assert_int_eq(read_key(KEY, &v, &err), -EISDIR);
	ck_assert_ptr_nonnull(strstr(err.msg, KEY));
	ck_assert_int_eq(rmdir(tl_host(rootdir, KEYPATH)), 0);
	ck_assert_int_eq(mkfifo(tl_host(rootdir, KEYPATH), 0644), 0);
	ck_assert_int_eq(read_key(KEY, &v, &err), CTUNE_ENOTREG);
	ck_assert_ptr_nonnull(strstr(err.msg, "not a regular file"));
	ck_assert(!ctune_procsys_writable(&root, KEY));
	ck_assert_int_eq(ctune_procsys_write(&root, KEY, 60, &err), CTUNE_ENOTREG);
	ck_assert_int_eq(unlink(tl_host(rootdir, KEYPATH)), 0);
	/* A link in a key's place: never a key. */
	link_in_root("nf_conntrack_max", KEYPATH);
	ck_assert_int_eq(read_key(KEY, &v, &err), -ELOOP);
	ck_assert(!ctune_procsys_writable(&root, KEY));
	ctune_error_clear(&err);
	ck_assert_int_eq(ctune_procsys_write(&root, KEY, 60, &err), -ELOOP);
	ck_assert_ptr_nonnull(strstr(err.msg, KEY));
	char *s = tl_slurp(tl_host(rootdir, "/proc/sys/net/netfilter/nf_conntrack_max"), NULL);
	ck_assert_str_eq(s, "262144\n");
	free(s);
	/* A directory of keys that is not one. */
	ck_assert_int_eq(unlink(tl_host(rootdir, KEYPATH)), 0);
	tl_rmrf(tl_host(rootdir, "/proc/sys/net/netfilter"));
	tl_write(rootdir, "/proc/sys/net/netfilter", "a file\n");
	ck_assert_int_eq(read_key(KEY, &v, &err), -ENOTDIR);
}
END_TEST

START_TEST(test_procsys_write_stays_in_root)
{
	BOTH_WAYS();
	char target[400];
	snprintf(target, sizeof(target), "%s/nf/nf_conntrack_max", outside);
	/* The image's key links to a host file (by absolute path, then by a
	 * relative one): refused, the host file keeps its bytes. */
	ctune_error err = { 0 };
	tl_write(rootdir, "/proc/sys/net/netfilter/nf_conntrack_max", "1\n");
	ck_assert_int_eq(unlink(tl_host(rootdir, "/proc/sys/net/netfilter/nf_conntrack_max")), 0);
	link_in_root(target, "/proc/sys/net/netfilter/nf_conntrack_max");
	ck_assert_int_lt(ctune_procsys_write(&root, "net.netfilter.nf_conntrack_max", 5, &err), 0);
	ck_assert_int_eq(unlink(tl_host(rootdir, "/proc/sys/net/netfilter/nf_conntrack_max")), 0);
	link_in_root("../../../../../../../../../outside/nf/nf_conntrack_max",
		     "/proc/sys/net/netfilter/nf_conntrack_max");
	ctune_error_clear(&err);
	ck_assert_int_lt(ctune_procsys_write(&root, "net.netfilter.nf_conntrack_max", 5, &err), 0);
	/* A hard link to the outside file (same file system). */
	ck_assert_int_eq(unlink(tl_host(rootdir, "/proc/sys/net/netfilter/nf_conntrack_max")), 0);
	ck_assert_int_eq(link(target, tl_host(rootdir, "/proc/sys/net/netfilter/nf_conntrack_max")), 0);
	ctune_error_clear(&err);
	ck_assert_int_eq(ctune_procsys_write(&root, "net.netfilter.nf_conntrack_max", 5, &err), -EMLINK);
	ck_assert_ptr_nonnull(strstr(err.msg, "hard links"));
	long long v = 0;
	ck_assert_int_eq(ctune_procsys_read(&root, "net.netfilter.nf_conntrack_max", &v, NULL), 0); /* reads are fine */
	ck_assert_int_eq(v, 999);
	assert_outside_intact();
}
END_TEST

/* --- the kernel as the reference ------------------------------------------ */

/* Random trees of directories, files and links (absolute, relative, with
 * ".." and "."), random paths through them: what ctune reads must be what a
 * process chroot()ed at the root reads, component for component.  The files
 * hold their own path, so a read shows which file was reached. */
static const char *const comps[] = { "a", "b", "c", "..", "." };

static void random_path(unsigned *seed, char *buf, size_t size, bool absolute, bool dots)
{
	int n = 1 + (int)(rand_r(seed) % 4);
	size_t len = 0;
	buf[0] = '\0';
	for (int i = 0; i < n; i++) {
		const char *c = comps[rand_r(seed) % (dots ? 5 : 3)];
		len += (size_t)snprintf(buf + len, size - len, "%s%s", i || absolute ? "/" : "", c);
	}
}

static void grow(const char *rel, int depth, unsigned *seed)
{
	for (int i = 0; i < 3; i++) {
		char child[256], host[1024], target[64];
		snprintf(child, sizeof(child), "%s/%s", rel, comps[i]);
		snprintf(host, sizeof(host), "%s%s", rootdir, child);
		unsigned r = rand_r(seed) % 10;
		if (r < 3 && depth < 3) {
			ck_assert_int_eq(mkdir(host, 0755), 0);
			grow(child, depth + 1, seed);
		} else if (r < 6) {
			tl_write(rootdir, child, child);
		} else if (r < 9) {
			random_path(seed, target, sizeof(target), rand_r(seed) % 2, true);
			ck_assert_int_eq(symlink(target, host), 0);
		}
	}
}

/* What the kernel reads at path inside a chroot at the root, one line per
 * path in paths: the content, "EISDIR" for a directory, or "E<errno>". */
static void chroot_reads(char paths[][64], int n, char out[][64])
{
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		if (chroot(rootdir) < 0 || chdir("/") < 0)
			_exit(2);
		for (int i = 0; i < n; i++) {
			char buf[64] = "";
			int fd = open(paths[i], O_RDONLY | O_NONBLOCK);
			struct stat st;
			if (fd < 0)
				snprintf(buf, sizeof(buf), "E%d", errno);
			else if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
				snprintf(buf, sizeof(buf), "E%d", EISDIR);
			else if (read(fd, buf, sizeof(buf) - 1) < 0)
				snprintf(buf, sizeof(buf), "E%d", errno);
			if (fd >= 0)
				close(fd);
			if (write(fds[1], buf, sizeof(buf)) != (ssize_t)sizeof(buf))
				_exit(3);
		}
		_exit(0);
	}
	close(fds[1]);
	for (int i = 0; i < n; i++) {
		size_t got = 0;
		while (got < 64) {
			ssize_t k = read(fds[0], out[i] + got, 64 - got);
			ck_assert_int_gt(k, 0);
			got += (size_t)k;
		}
	}
	close(fds[0]);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "chroot child failed");
}

START_TEST(test_same_as_chroot)
{
	if (geteuid() != 0)
		return; /* chroot needs root; the cases above still ran */
	unsigned seed = 1234567u + (unsigned)_i;
	int compared = 0;
	for (int tree = 0; tree < 60; tree++) {
		tl_rmrf(rootdir);
		ck_assert_int_eq(mkdir(rootdir, 0755), 0);
		grow("", 0, &seed);
		enum { N = 40 };
		char paths[N][64], want[N][64];
		for (int i = 0; i < N; i++)
			random_path(&seed, paths[i], sizeof(paths[i]), true, true);
		chroot_reads(paths, N, want);
		for (int walk = 0; walk < 2; walk++) {
			ctune_root_force_walk(walk);
			for (int i = 0; i < N; i++) {
				char got[64];
				ssize_t n = ctune_root_read_small(&root, paths[i], got, sizeof(got));
				if (n < 0)
					snprintf(got, sizeof(got), "E%d", (int)-n);
				ck_assert_msg(strcmp(got, want[i]) == 0, "tree %d, %s (%s): kernel %s, ctune %s", tree,
					      paths[i], walk ? "walk" : "openat2", want[i], got);
				compared++;
			}
		}
		/* The path resolver that file edits use agrees too. */
		for (int i = 0; i < N; i++) {
			char out[PATH_MAX];
			int k = ctune_root_resolve(&root, paths[i], false, out, sizeof(out), NULL);
			if (want[i][0] != 'E') {
				ck_assert_int_eq(k, 0);
				char *text = tl_slurp(tl_host(rootdir, out), NULL);
				ck_assert_msg(strcmp(text, want[i]) == 0, "resolve %s -> %s", paths[i], out);
				free(text);
			} else if (strcmp(want[i], errno_text(ELOOP)) == 0) {
				ck_assert_int_eq(k, -ELOOP);
			}
		}
	}
	ck_assert_int_eq(compared, 60 * 40 * 2);
}
END_TEST

/* --- the running system --------------------------------------------------- */

START_TEST(test_host_files)
{
	ctune_root host;
	ck_assert_int_eq(ctune_root_init(&host, "/", NULL), 0);
	char fifo[400];
	snprintf(fifo, sizeof(fifo), "%s/fifo", outside);
	ck_assert_int_eq(mkfifo(fifo, 0644), 0);
	ck_assert_int_eq(ctune_file_open(fifo, O_RDONLY, CTUNE_KIND_REG), CTUNE_ENOTREG);
	ck_assert_int_eq(ctune_root_open(&host, fifo, O_RDONLY), CTUNE_ENOTREG);
	int fd = ctune_file_open(fifo, O_RDONLY, CTUNE_KIND_REG | CTUNE_KIND_PIPE);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fcntl(fd, F_GETFL) & O_NONBLOCK, 0); /* taken off again */
	close(fd);
	ck_assert_int_eq(ctune_file_open("/dev/zero", O_RDONLY, CTUNE_KIND_REG), CTUNE_ENOTREG);
	ck_assert_int_eq(ctune_root_open(&host, "/dev/null", O_RDONLY), CTUNE_ENOTREG);
	ck_assert_int_eq(ctune_root_open(&host, "/", O_RDONLY), -EISDIR);
	/* procfs files are regular files of size 0. */
	char buf[64];
	ck_assert_int_gt(ctune_root_read_small(&host, "/proc/sys/kernel/osrelease", buf, sizeof(buf)), 0);
	/* A huge file is read only up to the bound. */
	tl_write(outside, "/big", "");
	ck_assert_int_eq(truncate(tl_host(outside, "/big"), 3 << 20), 0);
	char *text = NULL;
	ck_assert_int_eq(ctune_root_read_all(&host, tl_host(outside, "/big"), 1 << 20, &text, NULL), -EFBIG);
	ck_assert_ptr_null(text);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("root");
	TCase *tc = tcase_create("wall");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_absolute_link_rerooted, 0, 2);
	tcase_add_loop_test(tc, test_dotdot_clamped, 0, 2);
	tcase_add_loop_test(tc, test_directory_link_in_the_middle, 0, 2);
	tcase_add_loop_test(tc, test_link_loops, 0, 2);
	tcase_add_loop_test(tc, test_proc_self_links, 0, 2);
	tcase_add_loop_test(tc, test_long_links, 0, 2);
	tcase_add_loop_test(tc, test_not_regular_files, 0, 2);
	tcase_add_loop_test(tc, test_nofollow_and_create, 0, 2);
	tcase_add_loop_test(tc, test_procsys_read_errors, 0, 2);
	tcase_add_loop_test(tc, test_procsys_write_stays_in_root, 0, 2);
	tcase_add_test(tc, test_host_files);
	tcase_add_loop_test(tc, test_same_as_chroot, 0, 3);
	suite_add_tcase(s, tc);
	return tl_run(s);
}
