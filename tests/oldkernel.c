/* oldkernel.c - run a command on the system calls of an older kernel.
 *
 *   oldkernel RELEASE COMMAND [ARGS...]   e.g. oldkernel 2.6.18 ./ctune facts
 *   oldkernel --no-ctnetlink RELEASE ...  and no NETLINK_NETFILTER socket
 *   oldkernel --list RELEASE              what RELEASE takes away, one per line
 *   oldkernel --check                     the table against what libseccomp knows
 *   oldkernel --probe                     make a few new calls, print what came back
 *
 * The static ctune must run on the hosts of the fleet it serves: CentOS 5
 * (2.6.18), CentOS 6 (2.6.32) and CentOS 7 (3.10).  This machine runs a
 * current kernel, so the test suite cannot see a call that an old kernel
 * lacks: it simply succeeds.  This launcher puts a seccomp filter (default:
 * allow) in front of COMMAND that answers the way RELEASE would have:
 *   - every x86_64 system call added after RELEASE fails with ENOSYS (the
 *     table below, one line per call with the release that added it);
 *   - flags and options that RELEASE rejected fail as it did: SOCK_CLOEXEC
 *     and SOCK_NONBLOCK in socket()/socketpair()'s type (EINVAL before
 *     2.6.27), newer fcntl() commands (EINVAL), AT_EMPTY_PATH and
 *     AT_NO_AUTOMOUNT in the *at() calls that checked their flags (EINVAL),
 *     newer netlink socket options (ENOPROTOOPT), O_TMPFILE (EISDIR, the
 *     directory opened for writing, before 3.11), futimesat() on a descriptor
 *     alone (a NULL path: EFAULT before 2.6.22, which musl's futimens() meets
 *     on its ENOSYS fallback), CLOCK_BOOTTIME and the other newer clocks in
 *     clock_gettime() (EINVAL; calls the vDSO answers never get here).
 * It then sets no_new_privs (seccomp wants it without CAP_SYS_ADMIN) and
 * execs COMMAND, which inherits the filter with all its children.
 *
 * What a filter cannot show: flags that old kernels silently ignored
 * (O_CLOEXEC before 2.6.23, O_PATH before 2.6.39) and kernel features behind
 * a call that exists (ctnetlink attributes, /proc files): those are for the
 * fixture roots.  glibc also reads the real release (uname) and refuses to
 * start below 3.2, so only a static musl binary is meaningful below that.
 *
 * Releases are written "2.6.18", "2.6.32", "3.10", "5.4.0"; the oldest the
 * table can describe is 2.6.18 (every x86_64 call numbered below 280 existed
 * by then).  x86_64 numbers are handed out in order, which --check uses to
 * catch a call missing from the table.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define KV(a, b, c) (((a) << 16) | ((b) << 8) | (c))
#define OLDEST KV(2, 6, 18)
#define FIRST_NEW_NR 280 /* x86_64: 279 move_pages was the last call of 2.6.18 */

/* The x86_64 system calls added after 2.6.18, with the release that made
 * them work (a call wired to sys_ni_syscall first counts from the release
 * that gave it a body).  Sources: the kernel's syscall table history and the
 * VERSIONS sections of the man pages; where they disagree the note says why. */
static const struct added {
	const char *name;
	unsigned release;
} added[] = {
	{ "epoll_pwait", KV(2, 6, 19) },
	{ "utimensat", KV(2, 6, 22) }, /* 280 was reserved (sys_ni_syscall) in 2.6.19 */
	{ "signalfd", KV(2, 6, 22) },
	{ "eventfd", KV(2, 6, 22) },
	{ "fallocate", KV(2, 6, 23) },
	{ "timerfd_create", KV(2, 6, 25) }, /* 283 was 2.6.22's timerfd(), disabled in 2.6.23 */
	{ "timerfd_settime", KV(2, 6, 25) },
	{ "timerfd_gettime", KV(2, 6, 25) },
	{ "signalfd4", KV(2, 6, 27) },
	{ "eventfd2", KV(2, 6, 27) },
	{ "epoll_create1", KV(2, 6, 27) },
	{ "dup3", KV(2, 6, 27) },
	{ "pipe2", KV(2, 6, 27) },
	{ "inotify_init1", KV(2, 6, 27) },
	{ "accept4", KV(2, 6, 28) },
	{ "preadv", KV(2, 6, 30) },
	{ "pwritev", KV(2, 6, 30) },
	{ "rt_tgsigqueueinfo", KV(2, 6, 31) },
	{ "perf_event_open", KV(2, 6, 31) }, /* perf_counter_open until 2.6.32, same number */
	{ "recvmmsg", KV(2, 6, 33) },
	{ "fanotify_init", KV(2, 6, 37) }, /* wired in 2.6.36, CONFIG_FANOTIFY usable from 2.6.37 */
	{ "fanotify_mark", KV(2, 6, 37) },
	{ "prlimit64", KV(2, 6, 36) },
	{ "name_to_handle_at", KV(2, 6, 39) },
	{ "open_by_handle_at", KV(2, 6, 39) },
	{ "clock_adjtime", KV(2, 6, 39) },
	{ "syncfs", KV(2, 6, 39) },
	{ "sendmmsg", KV(3, 0, 0) },
	{ "setns", KV(3, 0, 0) },
	/* getcpu(2) says 2.6.19 "for x86-64": that was the vsyscall/vDSO entry;
	 * the real system call 309 comes after setns (308, 3.0) and arrived in
	 * 3.1 with the vsyscall emulation work. */
	{ "getcpu", KV(3, 1, 0) },
	{ "process_vm_readv", KV(3, 2, 0) },
	{ "process_vm_writev", KV(3, 2, 0) },
	{ "kcmp", KV(3, 5, 0) },
	{ "finit_module", KV(3, 8, 0) },
	{ "sched_setattr", KV(3, 14, 0) },
	{ "sched_getattr", KV(3, 14, 0) },
	{ "renameat2", KV(3, 15, 0) },
	{ "seccomp", KV(3, 17, 0) },
	{ "getrandom", KV(3, 17, 0) },
	{ "memfd_create", KV(3, 17, 0) },
	{ "kexec_file_load", KV(3, 17, 0) },
	{ "bpf", KV(3, 18, 0) },
	{ "execveat", KV(3, 19, 0) },
	{ "userfaultfd", KV(4, 3, 0) },
	{ "membarrier", KV(4, 3, 0) },
	{ "mlock2", KV(4, 4, 0) },
	{ "copy_file_range", KV(4, 5, 0) },
	{ "preadv2", KV(4, 6, 0) },
	{ "pwritev2", KV(4, 6, 0) },
	{ "pkey_mprotect", KV(4, 9, 0) },
	{ "pkey_alloc", KV(4, 9, 0) },
	{ "pkey_free", KV(4, 9, 0) },
	{ "statx", KV(4, 11, 0) },
	{ "io_pgetevents", KV(4, 18, 0) },
	{ "rseq", KV(4, 18, 0) },
	/* 335..423 are left free on x86_64: the 424.. block is shared by all
	 * architectures from 5.1 on. */
	{ "pidfd_send_signal", KV(5, 1, 0) },
	{ "io_uring_setup", KV(5, 1, 0) },
	{ "io_uring_enter", KV(5, 1, 0) },
	{ "io_uring_register", KV(5, 1, 0) },
	{ "open_tree", KV(5, 2, 0) },
	{ "move_mount", KV(5, 2, 0) },
	{ "fsopen", KV(5, 2, 0) },
	{ "fsconfig", KV(5, 2, 0) },
	{ "fsmount", KV(5, 2, 0) },
	{ "fspick", KV(5, 2, 0) },
	{ "pidfd_open", KV(5, 3, 0) },
	{ "clone3", KV(5, 3, 0) },
	{ "close_range", KV(5, 9, 0) }, /* 436, reserved before openat2 took 437 in 5.6 */
	{ "openat2", KV(5, 6, 0) },
	{ "pidfd_getfd", KV(5, 6, 0) },
	{ "faccessat2", KV(5, 8, 0) },
	{ "process_madvise", KV(5, 10, 0) },
	{ "epoll_pwait2", KV(5, 11, 0) },
	{ "mount_setattr", KV(5, 12, 0) },
	{ "quotactl_fd", KV(5, 14, 0) }, /* 443: quotactl_path in 5.13-rc, never released */
	{ "landlock_create_ruleset", KV(5, 13, 0) },
	{ "landlock_add_rule", KV(5, 13, 0) },
	{ "landlock_restrict_self", KV(5, 13, 0) },
	{ "memfd_secret", KV(5, 14, 0) },
	{ "process_mrelease", KV(5, 15, 0) },
	{ "futex_waitv", KV(5, 16, 0) },
	{ "set_mempolicy_home_node", KV(5, 17, 0) },
	{ "cachestat", KV(6, 5, 0) },
	{ "fchmodat2", KV(6, 6, 0) },
	{ "map_shadow_stack", KV(6, 6, 0) },
	{ "futex_wake", KV(6, 7, 0) },
	{ "futex_wait", KV(6, 7, 0) },
	{ "futex_requeue", KV(6, 7, 0) },
	{ "statmount", KV(6, 8, 0) },
	{ "listmount", KV(6, 8, 0) },
	{ "lsm_get_self_attr", KV(6, 8, 0) },
	{ "lsm_set_self_attr", KV(6, 8, 0) },
	{ "lsm_list_modules", KV(6, 8, 0) },
	{ "mseal", KV(6, 10, 0) },
};

/* Argument values an old kernel refused although the call existed. */
enum cmp { BITS_SET, EQUALS };
static const struct refused {
	const char *call;
	unsigned arg;
	enum cmp cmp;
	unsigned long long value;
	unsigned long long value2; /* EQUALS on a second argument when nonzero (arg + 1) */
	int err;
	unsigned release; /* the first release that accepted it */
	const char *what;
} refused[] = {
	{ "socket", 1, BITS_SET, SOCK_CLOEXEC, 0, EINVAL, KV(2, 6, 27), "SOCK_CLOEXEC" },
	{ "socket", 1, BITS_SET, SOCK_NONBLOCK, 0, EINVAL, KV(2, 6, 27), "SOCK_NONBLOCK" },
	{ "socketpair", 1, BITS_SET, SOCK_CLOEXEC, 0, EINVAL, KV(2, 6, 27), "SOCK_CLOEXEC" },
	{ "socketpair", 1, BITS_SET, SOCK_NONBLOCK, 0, EINVAL, KV(2, 6, 27), "SOCK_NONBLOCK" },
	{ "fcntl", 1, EQUALS, 1030, 0, EINVAL, KV(2, 6, 24), "F_DUPFD_CLOEXEC" },
	{ "fcntl", 1, EQUALS, 15, 0, EINVAL, KV(2, 6, 32), "F_SETOWN_EX" },
	{ "fcntl", 1, EQUALS, 16, 0, EINVAL, KV(2, 6, 32), "F_GETOWN_EX" },
	{ "fcntl", 1, EQUALS, 1031, 0, EINVAL, KV(2, 6, 35), "F_SETPIPE_SZ" },
	{ "fcntl", 1, EQUALS, 1032, 0, EINVAL, KV(2, 6, 35), "F_GETPIPE_SZ" },
	{ "fcntl", 1, EQUALS, 36, 0, EINVAL, KV(3, 15, 0), "F_OFD_GETLK" },
	{ "fcntl", 1, EQUALS, 37, 0, EINVAL, KV(3, 15, 0), "F_OFD_SETLK" },
	{ "fcntl", 1, EQUALS, 38, 0, EINVAL, KV(3, 15, 0), "F_OFD_SETLKW" },
	{ "fcntl", 1, EQUALS, 1033, 0, EINVAL, KV(3, 17, 0), "F_ADD_SEALS" },
	{ "fcntl", 1, EQUALS, 1034, 0, EINVAL, KV(3, 17, 0), "F_GET_SEALS" },
	/* fstatat, fchownat and linkat returned EINVAL for any flag they did
	 * not know; openat, unlinkat and the rest ignored or had none. */
	{ "newfstatat", 3, BITS_SET, 0x800, 0, EINVAL, KV(2, 6, 38), "AT_NO_AUTOMOUNT" },
	{ "newfstatat", 3, BITS_SET, 0x1000, 0, EINVAL, KV(2, 6, 39), "AT_EMPTY_PATH" },
	{ "fchownat", 4, BITS_SET, 0x1000, 0, EINVAL, KV(2, 6, 39), "AT_EMPTY_PATH" },
	{ "linkat", 4, BITS_SET, 0x1000, 0, EINVAL, KV(2, 6, 39), "AT_EMPTY_PATH" },
	/* O_TMPFILE (3.11) is __O_TMPFILE | O_DIRECTORY: an older kernel ignores
	 * the unknown bit and opens the directory for writing, EISDIR. */
	{ "open", 1, BITS_SET, 020000000, 0, EISDIR, KV(3, 11, 0), "O_TMPFILE" },
	{ "openat", 2, BITS_SET, 020000000, 0, EISDIR, KV(3, 11, 0), "O_TMPFILE" },
	/* futimesat(fd, NULL, tv) on a descriptor came with utimensat. */
	{ "futimesat", 1, EQUALS, 0, 0, EFAULT, KV(2, 6, 22), "a NULL path (the descriptor alone)" },
	/* clock ids: CLOCK_MONOTONIC_RAW, the COARSE pair, BOOTTIME, the
	 * ALARM pair, TAI.  A clock_gettime the vDSO answers never traps. */
	{ "clock_gettime", 0, EQUALS, CLOCK_MONOTONIC_RAW, 0, EINVAL, KV(2, 6, 28), "CLOCK_MONOTONIC_RAW" },
	{ "clock_gettime", 0, EQUALS, CLOCK_REALTIME_COARSE, 0, EINVAL, KV(2, 6, 32), "CLOCK_REALTIME_COARSE" },
	{ "clock_gettime", 0, EQUALS, CLOCK_MONOTONIC_COARSE, 0, EINVAL, KV(2, 6, 32), "CLOCK_MONOTONIC_COARSE" },
	{ "clock_gettime", 0, EQUALS, CLOCK_BOOTTIME, 0, EINVAL, KV(2, 6, 39), "CLOCK_BOOTTIME" },
	{ "clock_gettime", 0, EQUALS, CLOCK_REALTIME_ALARM, 0, EINVAL, KV(3, 0, 0), "CLOCK_REALTIME_ALARM" },
	{ "clock_gettime", 0, EQUALS, CLOCK_BOOTTIME_ALARM, 0, EINVAL, KV(3, 0, 0), "CLOCK_BOOTTIME_ALARM" },
	{ "clock_gettime", 0, EQUALS, CLOCK_TAI, 0, EINVAL, KV(3, 10, 0), "CLOCK_TAI" },
	/* SOL_NETLINK (270) options: an unknown one is ENOPROTOOPT. */
	{ "setsockopt", 1, EQUALS, 270, 4, ENOPROTOOPT, KV(2, 6, 30), "NETLINK_BROADCAST_ERROR" },
	{ "setsockopt", 1, EQUALS, 270, 5, ENOPROTOOPT, KV(2, 6, 30), "NETLINK_NO_ENOBUFS" },
	{ "setsockopt", 1, EQUALS, 270, 6, ENOPROTOOPT, KV(3, 10, 0), "NETLINK_RX_RING" },
	{ "setsockopt", 1, EQUALS, 270, 7, ENOPROTOOPT, KV(3, 10, 0), "NETLINK_TX_RING" },
	{ "setsockopt", 1, EQUALS, 270, 8, ENOPROTOOPT, KV(4, 2, 0), "NETLINK_LISTEN_ALL_NSID" },
	{ "setsockopt", 1, EQUALS, 270, 10, ENOPROTOOPT, KV(4, 3, 0), "NETLINK_CAP_ACK" },
	{ "setsockopt", 1, EQUALS, 270, 11, ENOPROTOOPT, KV(4, 12, 0), "NETLINK_EXT_ACK" },
	{ "setsockopt", 1, EQUALS, 270, 12, ENOPROTOOPT, KV(4, 20, 0), "NETLINK_GET_STRICT_CHK" },
};

static const char usage[] =
	"usage: oldkernel [--no-ctnetlink] RELEASE COMMAND [ARGS...]   (RELEASE: 2.6.18 or newer, e.g. 3.10)\n"
	"       oldkernel --list RELEASE\n"
	"       oldkernel --check\n";

/* "2.6.18", "3.10", "5.4.0" -> KV; 0 when it is not a release we know. */
static unsigned parse_release(const char *s)
{
	unsigned v[3] = { 0, 0, 0 };
	int n = 0;
	const char *p = s;
	while (n < 3) {
		if (*p < '0' || *p > '9')
			return 0;
		char *end;
		unsigned long x = strtoul(p, &end, 10);
		if (x > 255 || end - p > 3)
			return 0;
		v[n++] = (unsigned)x;
		p = end;
		if (*p == '\0')
			break;
		if (*p++ != '.')
			return 0;
	}
	if (*p != '\0' || n < 2)
		return 0;
	/* 2.6 was the last 2.x; 3.x and later have two numbers that matter. */
	if (v[0] < 2 || (v[0] == 2 && v[1] != 6) || (v[0] == 2 && n < 3))
		return 0;
	unsigned kv = KV(v[0], v[1], v[2]);
	return kv >= OLDEST ? kv : 0;
}

static void print_release(FILE *f, unsigned kv)
{
	if (kv & 0xff)
		fprintf(f, "%u.%u.%u", kv >> 16, (kv >> 8) & 0xff, kv & 0xff);
	else
		fprintf(f, "%u.%u", kv >> 16, (kv >> 8) & 0xff);
}

static int rule(scmp_filter_ctx ctx, const struct refused *r, int nr)
{
	struct scmp_arg_cmp c[2];
	unsigned n = 0;
	if (r->cmp == BITS_SET)
		c[n++] = SCMP_CMP(r->arg, SCMP_CMP_MASKED_EQ, r->value, r->value);
	else
		c[n++] = SCMP_CMP(r->arg, SCMP_CMP_EQ, r->value);
	if (r->value2)
		c[n++] = SCMP_CMP(r->arg + 1, SCMP_CMP_EQ, r->value2);
	return seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(r->err), nr, n, c);
}

/* Build the filter for RELEASE; list what it refuses on LIST when set. */
static scmp_filter_ctx build(unsigned kv, FILE *list)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx) {
		fprintf(stderr, "oldkernel: seccomp_init failed\n");
		return NULL;
	}
	for (size_t i = 0; i < sizeof(added) / sizeof(added[0]); i++) {
		if (added[i].release <= kv)
			continue;
		int nr = seccomp_syscall_resolve_name(added[i].name);
		if (nr == __NR_SCMP_ERROR)
			continue; /* newer than this libseccomp: nothing calls it by name here */
		int r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
		if (r < 0) {
			fprintf(stderr, "oldkernel: %s: %s\n", added[i].name, strerror(-r));
			seccomp_release(ctx);
			return NULL;
		}
		if (list) {
			fprintf(list, "%s ENOSYS (", added[i].name);
			print_release(list, added[i].release);
			fputs(")\n", list);
		}
	}
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		const struct refused *f = &refused[i];
		if (f->release <= kv)
			continue;
		int nr = seccomp_syscall_resolve_name(f->call);
		if (nr == __NR_SCMP_ERROR)
			continue;
		int r = rule(ctx, f, nr);
		if (r < 0) {
			fprintf(stderr, "oldkernel: %s %s: %s\n", f->call, f->what, strerror(-r));
			seccomp_release(ctx);
			return NULL;
		}
		if (list) {
			fprintf(list, "%s %s %s (", f->call, f->what, strerrorname_np(f->err));
			print_release(list, f->release);
			fputs(")\n", list);
		}
	}
	return ctx;
}

/* Every call libseccomp knows from number 280 on must be in the table, and
 * the table's names must be calls (or newer than this libseccomp). */
static int check(void)
{
	int missing = 0;
	for (int nr = FIRST_NEW_NR; nr < 1024; nr++) {
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
		if (!name)
			continue;
		size_t i;
		for (i = 0; i < sizeof(added) / sizeof(added[0]); i++)
			if (strcmp(added[i].name, name) == 0)
				break;
		if (i == sizeof(added) / sizeof(added[0])) {
			printf("missing: %d %s\n", nr, name);
			missing++;
		}
		free(name);
	}
	int known = 0, unknown = 0;
	for (size_t i = 0; i < sizeof(added) / sizeof(added[0]); i++) {
		int nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, added[i].name);
		if (nr == __NR_SCMP_ERROR) {
			printf("unknown to this libseccomp (skipped): %s\n", added[i].name);
			unknown++;
		} else if (nr < FIRST_NEW_NR) {
			printf("not new: %s is %d\n", added[i].name, nr);
			missing++;
		} else {
			known++;
		}
	}
	printf("%d calls in the table, %d known here, %d skipped, %d problems\n", known + unknown, known, unknown,
	       missing);
	return missing ? 1 : 0;
}

/* --probe: each line "WHAT ok" or "WHAT ERRNAME", for the test to compare
 * with what each release should say.  Raw syscall() where libc would fall
 * back or use the vDSO; the test runs this under the launcher. */
static void said(const char *what, long r)
{
	printf("%s %s\n", what, r < 0 ? strerrorname_np(errno) : "ok");
}

static int probe(void)
{
	char buf[8];
	int fd;
	said("getrandom", syscall(SYS_getrandom, buf, sizeof(buf), 1 /* GRND_NONBLOCK */));
	struct statx *stx = malloc(4096);
	said("statx", syscall(SYS_statx, AT_FDCWD, "/", 0, 0x7ffU, stx));
	free(stx);
	said("pipe2", syscall(SYS_pipe2, (int[2]){ 0, 0 }, 0));
	said("openat2", syscall(SYS_openat2, AT_FDCWD, "/", (unsigned long long[3]){ 0, 0, 0 }, 24));
	/* Paths that do not exist, a descriptor that is not open: the call is
	 * there when it answers anything but ENOSYS. */
	long r = syscall(SYS_renameat2, AT_FDCWD, "/nonexistent-a", AT_FDCWD, "/nonexistent-b", 0);
	said("renameat2", r < 0 && errno != ENOSYS ? 0 : r);
	said("prlimit64", syscall(SYS_prlimit64, 0, 3 /* RLIMIT_STACK */, NULL, (unsigned long long[2]){ 0, 0 }));
	r = syscall(SYS_epoll_pwait, -1, NULL, 0, 0, NULL, 8);
	said("epoll_pwait", r < 0 && errno != ENOSYS ? 0 : r);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	said("socket-cloexec", fd);
	if (fd >= 0)
		close(fd);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	said("socket-nonblock", fd);
	if (fd >= 0)
		close(fd);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	said("socket-plain", fd);
	if (fd >= 0)
		close(fd);
	int null = open("/dev/null", O_RDONLY);
	fd = (int)syscall(SYS_fcntl, null, F_DUPFD_CLOEXEC, 3);
	said("fcntl-dupfd-cloexec", fd);
	if (fd >= 0)
		close(fd);
	struct stat st;
	said("fstatat-empty-path", syscall(SYS_newfstatat, null, "", &st, 0x1000));
	if (null >= 0)
		close(null);
	struct timespec ts;
	said("clock-boottime", syscall(SYS_clock_gettime, CLOCK_BOOTTIME, &ts));
	said("clock-monotonic", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts));
	fd = open("/tmp", O_TMPFILE | O_WRONLY, 0600);
	said("open-tmpfile", fd);
	if (fd >= 0)
		close(fd);
	/* A scratch file of the probe's own: the call sets its times to now. */
	char tmp[] = "/tmp/oldkernel-probe.XXXXXX";
	fd = mkstemp(tmp);
	if (fd >= 0)
		unlink(tmp);
	said("futimesat-fd", fd < 0 ? -1 : syscall(SYS_futimesat, fd, NULL, NULL));
	if (fd >= 0)
		close(fd);
	fd = socket(AF_NETLINK, SOCK_RAW, 0 /* NETLINK_ROUTE: always there */);
	int one = 1;
	said("netlink-ext-ack", fd < 0 ? -1 : setsockopt(fd, 270, 11, &one, sizeof(one)));
	said("netlink-pktinfo", fd < 0 ? -1 : setsockopt(fd, 270, 3, &one, sizeof(one)));
	if (fd >= 0)
		close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--check") == 0)
		return check();
	if (argc == 2 && strcmp(argv[1], "--probe") == 0)
		return probe();
	if (argc == 3 && strcmp(argv[1], "--list") == 0) {
		unsigned kv = parse_release(argv[2]);
		if (!kv) {
			fprintf(stderr, "oldkernel: unknown release '%s'\n%s", argv[2], usage);
			return 2;
		}
		scmp_filter_ctx ctx = build(kv, stdout);
		if (!ctx)
			return 1;
		seccomp_release(ctx);
		return 0;
	}
	bool no_ctnetlink = argc > 1 && strcmp(argv[1], "--no-ctnetlink") == 0;
	if (no_ctnetlink) {
		argc--;
		argv++;
	}
	if (argc < 3 || argv[1][0] == '-') {
		fputs(usage, stderr);
		return 2;
	}
	unsigned kv = parse_release(argv[1]);
	if (!kv) {
		fprintf(stderr, "oldkernel: unknown release '%s'\n%s", argv[1], usage);
		return 2;
	}
	scmp_filter_ctx ctx = build(kv, NULL);
	if (!ctx)
		return 1;
	/* A host without nfnetlink (the module not loaded, or not built): no
	 * NETLINK_NETFILTER socket, as such a kernel answers. */
	if (no_ctnetlink) {
		int r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPROTONOSUPPORT), SCMP_SYS(socket), 2,
					 SCMP_A0(SCMP_CMP_EQ, AF_NETLINK), SCMP_A2(SCMP_CMP_EQ, 12 /* NETLINK_NETFILTER */));
		if (r < 0) {
			fprintf(stderr, "oldkernel: --no-ctnetlink: %s\n", strerror(-r));
			seccomp_release(ctx);
			return 1;
		}
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		perror("oldkernel: PR_SET_NO_NEW_PRIVS");
		return 1;
	}
	int r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r < 0) {
		fprintf(stderr, "oldkernel: seccomp_load: %s\n", strerror(-r));
		return 1;
	}
	execvp(argv[2], argv + 2);
	fprintf(stderr, "oldkernel: %s: %s\n", argv[2], strerror(errno));
	return 127;
}
