/* root.c - see root.h.  Paths are built in caller-provided buffers: the
 * facts path opens a few dozen small files and must not allocate for each. */
#include "root.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"

#define MAX_LINKS 40

int ctune_root_init(ctune_root *r, const char *dir, ctune_error *err)
{
	r->dir[0] = '\0';
	r->len = 0;
	if (!dir || !*dir || strcmp(dir, "/") == 0)
		return 0;

	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n >= sizeof(r->dir) - 256)
		return ctune_error_set(err, -ENAMETOOLONG, "root prefix is too long (%zu bytes)", n);
	if (memchr(dir, '\n', n))
		return ctune_error_set(err, -EINVAL, "root prefix contains a newline");

	struct stat st;
	if (stat(dir, &st) < 0)
		return ctune_error_set(err, -errno, "root prefix %s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return ctune_error_set(err, -ENOTDIR, "root prefix %s is not a directory", dir);

	memcpy(r->dir, dir, n);
	r->dir[n] = '\0';
	r->len = n;
	return 0;
}

const char *ctune_root_name(const ctune_root *r)
{
	return r->len ? r->dir : "/";
}

int ctune_root_path(const ctune_root *r, const char *abs, char *buf, size_t size)
{
	if (abs[0] != '/')
		return -EINVAL;
	size_t n = strlen(abs);
	if (r->len + n + 1 > size)
		return -ENAMETOOLONG;
	memcpy(buf, r->dir, r->len);
	memcpy(buf + r->len, abs, n + 1);
	return (int)(r->len + n);
}

/* ---- the resolver -------------------------------------------------------- */

/* openat2(2) with RESOLVE_IN_ROOT (Linux 5.6) does the walk in the kernel.
 * Without it (an older kernel, a seccomp filter that answers ENOSYS or
 * EPERM) the walk below does the same with the system calls of 2.6.18:
 * openat, fstatat and readlinkat.  The answer is kept for the process: an
 * old kernel costs one refused call. */
enum { OPENAT2_UNKNOWN, OPENAT2_YES, OPENAT2_NO };
static _Atomic int openat2_state = OPENAT2_UNKNOWN;

struct ctune_open_how {
	uint64_t flags, mode, resolve;
};
#define CTUNE_RESOLVE_NO_MAGICLINKS 0x02
#define CTUNE_RESOLVE_IN_ROOT 0x10
#ifndef O_PATH
#define O_PATH 010000000
#endif

void ctune_root_force_walk(bool walk)
{
	openat2_state = walk ? OPENAT2_NO : OPENAT2_UNKNOWN;
}

static int openat2_in_root(int rootfd, const char *rel, int flags)
{
#ifndef SYS_openat2
	/* Headers older than Linux 5.6: no number to call, walk always. */
	(void)rootfd, (void)rel, (void)flags;
	return -ENOSYS;
#else
	struct ctune_open_how how = { (uint64_t)(unsigned)flags, 0,
				      CTUNE_RESOLVE_IN_ROOT | CTUNE_RESOLVE_NO_MAGICLINKS };
	/* EAGAIN: a rename raced a ".." in the walk; the kernel asks to retry. */
	for (int tries = 0;; tries++) {
		long fd = syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
		if (fd >= 0)
			return (int)fd;
		if (errno != EAGAIN || tries == 8)
			return -errno;
	}
#endif
}

static bool have_openat2(int rootfd)
{
	int state = openat2_state;
	if (state == OPENAT2_UNKNOWN) {
		/* Probe once with an open that must succeed: any refusal
		 * (ENOSYS, EPERM or EINVAL from a sandbox) means "walk". */
		int fd = openat2_in_root(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
		state = fd >= 0 ? OPENAT2_YES : OPENAT2_NO;
		if (fd >= 0)
			close(fd);
		openat2_state = state;
	}
	return state == OPENAT2_YES;
}

/* A directory component: O_PATH where the kernel knows it (2.6.39; an older
 * kernel ignores the flag and opens for reading), never through a link. */
#define DIR_FLAGS (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)

/* Re-open done (a path inside the root already walked, free of links) from
 * the root: the way back after "..".  Returns a directory fd or -errno. */
static int reopen_walked(int rootfd, const char *done)
{
	int fd = openat(rootfd, ".", DIR_FLAGS);
	if (fd < 0)
		return -errno;
	char comp[NAME_MAX + 1];
	for (const char *s = done; *s;) {
		while (*s == '/')
			s++;
		if (!*s)
			break;
		size_t n = strcspn(s, "/");
		if (n > NAME_MAX) {
			close(fd);
			return -ENAMETOOLONG;
		}
		memcpy(comp, s, n);
		comp[n] = '\0';
		s += n;
		int next = openat(fd, comp, DIR_FLAGS);
		int e = errno;
		close(fd);
		if (next < 0)
			return -e;
		fd = next;
	}
	return fd;
}

/* The walk without openat2: one component at a time from the root, each
 * opened with O_NOFOLLOW; a link is read and its target spliced in front of
 * the rest (an absolute one starts again at the root); ".." pops what was
 * walked and never climbs above the root.  *links counts every link
 * followed, for the limit of 40.  Returns a directory fd or -errno. */
static int walk_dir(int rootfd, const char *path, unsigned *links)
{
	char todo[2 * PATH_MAX], done[PATH_MAX] = "", comp[NAME_MAX + 1];
	size_t dlen = 0;
	if (strlen(path) >= sizeof(todo))
		return -ENAMETOOLONG;
	strcpy(todo, path);
	int fd = openat(rootfd, ".", DIR_FLAGS);
	if (fd < 0)
		return -errno;
	const char *s = todo;
	for (;;) {
		while (*s == '/')
			s++;
		if (!*s)
			return fd;
		size_t n = strcspn(s, "/");
		const char *rest = s + n;
		if (n > NAME_MAX) {
			close(fd);
			return -ENAMETOOLONG;
		}
		memcpy(comp, s, n);
		comp[n] = '\0';
		s = rest;
		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			if (dlen == 0)
				continue; /* clamped at the root, as in a chroot */
			while (dlen > 0 && done[dlen] != '/')
				dlen--;
			done[dlen] = '\0';
			close(fd);
			fd = reopen_walked(rootfd, done);
			if (fd < 0)
				return fd;
			continue;
		}
		int next = openat(fd, comp, DIR_FLAGS);
		if (next >= 0) {
			close(fd);
			fd = next;
			if (dlen + 1 + n >= sizeof(done)) {
				close(fd);
				return -ENAMETOOLONG;
			}
			done[dlen++] = '/';
			memcpy(done + dlen, comp, n + 1);
			dlen += n;
			continue;
		}
		int e = errno;
		/* O_NOFOLLOW on a link: ELOOP, or ENOTDIR with O_DIRECTORY. */
		char link[PATH_MAX], spliced[2 * PATH_MAX];
		ssize_t k = (e == ELOOP || e == ENOTDIR) ? readlinkat(fd, comp, link, sizeof(link) - 1) : -1;
		if (k < 0) {
			close(fd);
			return -e;
		}
		if (++*links > MAX_LINKS) {
			close(fd);
			return -ELOOP;
		}
		link[k] = '\0';
		if (snprintf(spliced, sizeof(spliced), "%s/%s", link, rest) >= (int)sizeof(spliced)) {
			close(fd);
			return -ENAMETOOLONG;
		}
		strcpy(todo, spliced);
		s = todo;
		if (link[0] == '/') {
			close(fd);
			dlen = 0;
			done[0] = '\0';
			fd = openat(rootfd, ".", DIR_FLAGS);
			if (fd < 0)
				return -errno;
		}
	}
}

/* The directory path names, inside the root at rootfd. */
static int open_dir_in_root(int rootfd, const char *path, unsigned *links)
{
	if (have_openat2(rootfd)) {
		while (*path == '/')
			path++;
		return openat2_in_root(rootfd, *path ? path : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	return walk_dir(rootfd, path, links);
}

/* The last step of every look-up: find abs's last component under the
 * root.  *dirfd gets the directory that holds it (opened inside the root),
 * name its name, *st what it is (lstat), unless it is missing (-ENOENT,
 * with *dirfd and name still set, for O_CREAT).  A link there is followed
 * inside the root, unless nofollow (then st says it is a link).  Returns 0
 * or -errno. */
static int locate(int rootfd, const char *abs, bool nofollow, int *dirfd, char name[NAME_MAX + 1],
		  struct stat *st)
{
	char path[2 * PATH_MAX];
	unsigned links = 0;
	*dirfd = -1;
	if (strlen(abs) >= sizeof(path))
		return -ENAMETOOLONG;
	strcpy(path, abs);
	for (;;) {
		size_t n = strlen(path);
		while (n > 1 && path[n - 1] == '/')
			path[--n] = '\0';
		char *slash = strrchr(path, '/');
		const char *last = slash ? slash + 1 : path;
		char dir[2 * PATH_MAX];
		if (!*last || strcmp(last, ".") == 0 || strcmp(last, "..") == 0) {
			/* The root itself, or a path ending in . or ..: the
			 * directory it names, taken whole. */
			snprintf(dir, sizeof(dir), "%s", path);
			last = ".";
		} else {
			size_t dl = slash ? (size_t)(slash - path) : 0;
			memcpy(dir, path, dl);
			dir[dl] = '\0';
		}
		if (strlen(last) > NAME_MAX)
			return -ENAMETOOLONG;
		int fd = open_dir_in_root(rootfd, dir, &links);
		if (fd < 0)
			return fd;
		strcpy(name, last);
		if (fstatat(fd, name, st, AT_SYMLINK_NOFOLLOW) < 0) {
			int e = errno;
			if (e == ENOENT) {
				*dirfd = fd;
				return -ENOENT;
			}
			close(fd);
			return -e;
		}
		if (!S_ISLNK(st->st_mode) || nofollow) {
			*dirfd = fd;
			return 0;
		}
		char link[PATH_MAX], next[2 * PATH_MAX];
		ssize_t k = readlinkat(fd, name, link, sizeof(link) - 1);
		int e = errno;
		close(fd);
		if (k < 0)
			return -e;
		if (++links > MAX_LINKS)
			return -ELOOP;
		link[k] = '\0';
		/* A relative target is relative to the link's directory: the
		 * directory as written resolves to it again. */
		if (snprintf(next, sizeof(next), "%s%s%s", link[0] == '/' ? "" : dir, link[0] == '/' ? "" : "/",
			     link) >= (int)sizeof(next))
			return -ENAMETOOLONG;
		strcpy(path, next);
	}
}

static int open_root_dir(const ctune_root *r)
{
	int fd = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Whether st is one of kinds; the errno that says what it is otherwise. */
static int kind_check(const struct stat *st, unsigned kinds)
{
	if (S_ISREG(st->st_mode))
		return kinds & CTUNE_KIND_REG ? 0 : kinds & CTUNE_KIND_DIR ? -ENOTDIR : CTUNE_ENOTREG;
	if (S_ISDIR(st->st_mode))
		return kinds & CTUNE_KIND_DIR ? 0 : -EISDIR;
	if (S_ISLNK(st->st_mode))
		return -ELOOP;
	if (S_ISFIFO(st->st_mode) && (kinds & CTUNE_KIND_PIPE))
		return 0;
	/* /dev/kmsg is char 1:11; any other device node in an image could be
	 * anything (a watchdog arms itself on open). */
	if (S_ISCHR(st->st_mode) && (kinds & CTUNE_KIND_KMSG) && major(st->st_rdev) == 1 && minor(st->st_rdev) == 11)
		return 0;
	return kinds & CTUNE_KIND_DIR && !(kinds & CTUNE_KIND_REG) ? -ENOTDIR : CTUNE_ENOTREG;
}

/* After the open: the file is still what was checked, and O_NONBLOCK (set
 * for the open only) is taken off again unless asked for.  *out (may be
 * NULL) gets the fstat, which callers would otherwise make again. */
static int verify_open(int fd, const struct stat *before, unsigned kinds, int flags, struct stat *out)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (out)
		*out = st;
	if (before && (st.st_dev != before->st_dev || st.st_ino != before->st_ino))
		return -EAGAIN; /* replaced between the look and the open */
	int k = kind_check(&st, kinds);
	if (k < 0)
		return k;
	if (!(flags & O_NONBLOCK) && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		int fl = fcntl(fd, F_GETFL);
		if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
			return -errno;
	}
	return 0;
}

static int file_open(const char *path, int flags, unsigned kinds, struct stat *out)
{
	int fd = open(path, flags | O_NONBLOCK | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	int k = verify_open(fd, NULL, kinds, flags, out);
	if (k < 0) {
		close(fd);
		return k;
	}
	return fd;
}

int ctune_file_open(const char *path, int flags, unsigned kinds)
{
	return file_open(path, flags, kinds, NULL);
}

/* A live value: a sysctl key or a module parameter, never a link in the
 * kernel's own trees. */
static bool live_path(const char *abs)
{
	return strncmp(abs, "/proc/sys/", 10) == 0 || strncmp(abs, "/sys/module/", 12) == 0;
}

/* ctune_root_open_as, and *out (may be NULL) the open file's fstat. */
static int root_open(const ctune_root *r, const char *abs, int flags, unsigned kinds, struct stat *out)
{
	if (live_path(abs))
		flags |= O_NOFOLLOW;
	char path[4352];
	if (r->len == 0) {
		/* The running system: as it always was, but never blocking on
		 * a FIFO, and only the kinds of file asked for. */
		int n = ctune_root_path(r, abs, path, sizeof(path));
		if (n < 0)
			return n;
		return file_open(path, flags, kinds, out);
	}
	if (abs[0] != '/')
		return -EINVAL;
	_cleanup_close_ int rootfd = open_root_dir(r);
	if (rootfd < 0)
		return rootfd;
	_cleanup_close_ int dirfd = -1;
	char name[NAME_MAX + 1];
	struct stat st;
	/* O_EXCL, as open(2) has it, fails on a link too, dangling or not. */
	bool excl = (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL);
	int k = locate(rootfd, abs, (flags & O_NOFOLLOW) || excl, &dirfd, name, &st);
	if (k == 0 && excl)
		return -EEXIST;
	if (k == -ENOENT && (flags & O_CREAT) && dirfd >= 0) {
		int fd = openat(dirfd, name, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
		if (fd < 0)
			return -errno;
		k = verify_open(fd, NULL, kinds, flags, out);
		if (k < 0) {
			close(fd);
			return k;
		}
		return fd;
	}
	if (k < 0)
		return k;
	/* Look before opening: a FIFO would block, a device could act. */
	k = kind_check(&st, kinds);
	if (k < 0)
		return k;
	/* A write in place (a live value) to a file with other names would
	 * reach them too: a hard link can lead out of the root as a symbolic
	 * one can.  procfs and sysfs files have one name. */
	if ((flags & O_ACCMODE) != O_RDONLY && S_ISREG(st.st_mode) && st.st_nlink > 1)
		return -EMLINK;
	int fd = openat(dirfd, name, (flags & ~O_CREAT) | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	k = verify_open(fd, &st, kinds, flags, out);
	if (k < 0) {
		close(fd);
		return k;
	}
	return fd;
}

int ctune_root_open_as(const ctune_root *r, const char *abs, int flags, unsigned kinds)
{
	return root_open(r, abs, flags, kinds, NULL);
}

int ctune_root_openat(const ctune_root *r, int dirfd, const char *name, int flags, unsigned kinds,
		      struct stat *out)
{
	if (!*name || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return -EINVAL;
	/* Under a prefix, look first (a device node must not be opened); the
	 * running system's procfs and sysfs make no FIFOs or devices, and the
	 * open itself is the cost facts pays per key. */
	struct stat st;
	bool look = r->len != 0;
	if (look) {
		if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
		int k = kind_check(&st, kinds);
		if (k < 0)
			return k;
	}
	int fd = openat(dirfd, name, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int k = verify_open(fd, look ? &st : NULL, kinds, flags, out);
	if (k < 0) {
		close(fd);
		return k;
	}
	return fd;
}

int ctune_root_open(const ctune_root *r, const char *abs, int flags)
{
	return ctune_root_open_as(r, abs, flags, flags & O_DIRECTORY ? CTUNE_KIND_DIR : CTUNE_KIND_REG);
}

int ctune_root_stat(const ctune_root *r, const char *abs, bool follow, struct stat *st)
{
	if (abs[0] != '/')
		return -EINVAL;
	if (r->len == 0)
		return (follow ? stat(abs, st) : lstat(abs, st)) < 0 ? -errno : 0;
	_cleanup_close_ int rootfd = open_root_dir(r);
	if (rootfd < 0)
		return rootfd;
	_cleanup_close_ int dirfd = -1;
	char name[NAME_MAX + 1];
	return locate(rootfd, abs, !follow, &dirfd, name, st);
}

bool ctune_root_exists(const ctune_root *r, const char *abs)
{
	struct stat st;
	return ctune_root_stat(r, abs, true, &st) == 0;
}

int ctune_root_opendir(const ctune_root *r, const char *abs, DIR **out)
{
	int fd = ctune_root_open(r, abs, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return fd;
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = errno;
		close(fd);
		return -e;
	}
	*out = d;
	return 0;
}

const char *ctune_root_strerror(int r)
{
	if (r == -EMLINK)
		return "the file has other hard links, which a write in place would change too";
	if (r == CTUNE_ENOTREG)
		return "not a regular file (a FIFO, socket or device is never read)";
	if (r == -ELOOP)
		return "a symbolic link where none may be, or too many levels of links";
	return strerror(-r);
}

ssize_t ctune_read_small_fd(int fd, char *buf, size_t size)
{
	size_t got = 0;
	for (;;) {
		ssize_t k = read(fd, buf + got, size - 1 - got);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			break;
		got += (size_t)k;
		if (got == size - 1) {
			char extra;
			if (read(fd, &extra, 1) > 0)
				return -EFBIG;
			break;
		}
	}
	buf[got] = '\0';
	return (ssize_t)got;
}

ssize_t ctune_root_read_small(const ctune_root *r, const char *abs, char *buf, size_t size)
{
	_cleanup_close_ int fd = ctune_root_open(r, abs, O_RDONLY);
	if (fd < 0)
		return fd;
	return ctune_read_small_fd(fd, buf, size);
}

/* ctune_read_all_fd with the file's fstat known (st), or NULL. */
static int read_all(int fd, const struct stat *known, size_t max_bytes, char **out, size_t *len)
{
	/* Room for max_bytes, one byte more to notice a larger file, and the
	 * NUL. */
	size_t limit = max_bytes <= SIZE_MAX - 2 ? max_bytes + 2 : SIZE_MAX;
	/* A regular file tells its size: one allocation then, with room to
	 * read the end of the file.  /proc files say 0: start with a page. */
	size_t cap = 4096, got = 0;
	struct stat st;
	if (known)
		st = *known;
	if ((known || fstat(fd, &st) == 0) && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (unsigned long long)st.st_size <= limit - 2)
		cap = (size_t)st.st_size + 2;
	if (cap > limit)
		cap = limit;
	_cleanup_free_ char *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (got + 1 == cap) {
			/* got <= max_bytes here, so cap < limit. */
			size_t grown = cap <= limit / 2 ? cap * 2 : limit;
			char *nb = realloc(buf, grown);
			if (!nb)
				return -ENOMEM;
			buf = nb;
			cap = grown;
		}
		ssize_t k = read(fd, buf + got, cap - 1 - got);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			break;
		got += (size_t)k;
		if (got > max_bytes)
			return -EFBIG;
	}
	buf[got] = '\0';
	*out = TAKE_PTR(buf);
	if (len)
		*len = got;
	return 0;
}

int ctune_read_all_fd(int fd, size_t max_bytes, char **out, size_t *len)
{
	return read_all(fd, NULL, max_bytes, out, len);
}

int ctune_root_read_all(const ctune_root *r, const char *abs, size_t max_bytes, char **out, size_t *len)
{
	struct stat st;
	_cleanup_close_ int fd = root_open(r, abs, O_RDONLY, CTUNE_KIND_REG, &st);
	if (fd < 0)
		return fd;
	return read_all(fd, &st, max_bytes, out, len);
}

/* statx(2) through syscall(): musl 1.2.3 has no wrapper, and a kernel
 * before 4.11 answers ENOSYS.  Only the fields up to stx_attributes_mask
 * are read; the rest is room for what the kernel writes. */
struct ctune_statx {
	uint32_t mask, blksize;
	uint64_t attributes;
	uint32_t nlink, uid, gid;
	uint16_t mode, spare0;
	uint64_t ino, size, blocks, attributes_mask;
	uint64_t rest[32];
};
#define CTUNE_STATX_BASIC_STATS 0x7ffU
#define CTUNE_STATX_ATTR_MOUNT_ROOT 0x2000ULL

/* Whether host_path (not followed) is the root of a mount: statx's flag,
 * else (no statx) a device number that differs from its directory's. */
static bool is_mount_root(const char *host_path)
{
#ifdef SYS_statx
	struct ctune_statx stx;
	memset(&stx, 0, sizeof(stx));
	if (syscall(SYS_statx, AT_FDCWD, host_path, AT_SYMLINK_NOFOLLOW, CTUNE_STATX_BASIC_STATS, &stx) == 0)
		return (stx.attributes_mask & CTUNE_STATX_ATTR_MOUNT_ROOT) &&
		       (stx.attributes & CTUNE_STATX_ATTR_MOUNT_ROOT);
	if (errno != ENOSYS && errno != EPERM && errno != EINVAL)
		return false;
#endif
	char dir[PATH_MAX];
	struct stat st, dst;
	if (snprintf(dir, sizeof(dir), "%s", host_path) >= (int)sizeof(dir) || lstat(host_path, &st) < 0)
		return false;
	char *slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	return stat(dir, &dst) == 0 && dst.st_dev != st.st_dev;
}

int ctune_check_replaceable(const char *host_path, const char *shown, ctune_error *err)
{
	/* A file that is itself a mount point (a bind mount) cannot be renamed
	 * over: EBUSY, which would only show after other files were replaced. */
	if (is_mount_root(host_path))
		return ctune_error_set(err, -EBUSY, "%s is a mount point (a bind mount): a rename cannot replace it; "
					       "nothing was changed",
				       shown);
	_cleanup_close_ int fd = open(host_path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	int flags = 0;
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0)
		return 0;
	if (flags & (FS_IMMUTABLE_FL | FS_APPEND_FL))
		return ctune_error_set(err, -EPERM, "%s is %s (chattr): %s; nothing was changed", shown,
				       flags & FS_IMMUTABLE_FL ? "immutable" : "append-only", strerror(EPERM));
	return 0;
}

/* Copy every extended attribute of from (not following a link) onto fd. */
static int copy_xattrs(const char *from, int fd, const char *shown, ctune_error *err)
{
	ssize_t n = llistxattr(from, NULL, 0);
	if (n <= 0)
		return 0; /* none, or a filesystem without them */
	_cleanup_free_ char *names = malloc((size_t)n);
	if (!names)
		return ctune_error_set(err, -ENOMEM, "out of memory");
	n = llistxattr(from, names, (size_t)n);
	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(names + i) + 1) {
		const char *name = names + i;
		ssize_t len = lgetxattr(from, name, NULL, 0);
		if (len < 0)
			continue;
		_cleanup_free_ char *value = malloc((size_t)len + 1);
		if (!value)
			return ctune_error_set(err, -ENOMEM, "out of memory");
		len = lgetxattr(from, name, value, (size_t)len);
		if (len < 0)
			continue;
		if (fsetxattr(fd, name, value, (size_t)len, 0) < 0 && errno != ENOTSUP)
			return ctune_error_set(err, -errno, "%s: cannot keep the extended attribute %s: %s", shown,
					       name, strerror(errno));
	}
	return 0;
}

int ctune_copy_file_attributes(int fd, bool exists, const struct stat *st, const char *host_path, const char *shown,
			       ctune_error *err)
{
	struct stat now;
	if (fstat(fd, &now) < 0)
		return ctune_error_set(err, -errno, "%s: %s", shown, strerror(errno));
	/* chown first: it may clear set-id bits that chmod then restores. */
	if (exists && (now.st_uid != st->st_uid || now.st_gid != st->st_gid) &&
	    fchown(fd, st->st_uid, st->st_gid) < 0)
		return ctune_error_set(err, -errno, "%s: cannot keep owner %u:%u: %s", shown, (unsigned)st->st_uid,
				       (unsigned)st->st_gid, strerror(errno));
	mode_t mode = exists ? st->st_mode & 07777 : 0644;
	if (fchmod(fd, mode) < 0)
		return ctune_error_set(err, -errno, "%s: cannot set mode %04o: %s", shown, (unsigned)mode,
				       strerror(errno));
	return exists ? copy_xattrs(host_path, fd, shown, err) : 0;
}

int ctune_root_resolve(const ctune_root *root, const char *path, bool missing_dirs, char *out, size_t size,
		       ctune_error *err)
{
	char todo[2 * PATH_MAX], done[PATH_MAX] = "";
	size_t dlen = 0;
	unsigned links = 0;

	if (snprintf(todo, sizeof(todo), "%s", path) >= (int)sizeof(todo))
		return ctune_error_set(err, -ENAMETOOLONG, "%s: path too long", path);
	const char *s = todo;
	for (;;) {
		while (*s == '/')
			s++;
		if (!*s)
			break;
		const char *e = strchrnul(s, '/'), *rest = e;
		while (*rest == '/')
			rest++;
		bool last = *rest == '\0';
		size_t clen = (size_t)(e - s);

		if (clen == 1 && s[0] == '.') {
			s = e;
			continue;
		}
		if (clen == 2 && s[0] == '.' && s[1] == '.') {
			/* At the root ".." stays there, as in a chroot. */
			while (dlen > 0 && done[dlen] != '/')
				dlen--;
			done[dlen] = '\0';
			s = e;
			continue;
		}

		size_t before = dlen;
		if (dlen + 1 + clen >= sizeof(done))
			return ctune_error_set(err, -ENAMETOOLONG, "%s: path too long", path);
		done[dlen++] = '/';
		memcpy(done + dlen, s, clen);
		dlen += clen;
		done[dlen] = '\0';

		char host[PATH_MAX + 4096 + 64];
		if (ctune_root_path(root, done, host, sizeof(host)) < 0)
			return ctune_error_set(err, -ENAMETOOLONG, "%s: path too long", path);
		struct stat st;
		if (lstat(host, &st) < 0) {
			if (errno == ENOENT && last)
				break; /* a file still to be created */
			if (errno == ENOENT && missing_dirs) {
				/* A directory still to be created (prepare makes it):
				 * nothing below it can be a link. */
				if (dlen + strlen(e) >= sizeof(done))
					return ctune_error_set(err, -ENAMETOOLONG, "%s: path too long", path);
				strcpy(done + dlen, e);
				dlen += strlen(e);
				break;
			}
			return ctune_error_set(err, -errno, "%s: %s: %s", path, done, strerror(errno));
		}
		if (S_ISLNK(st.st_mode)) {
			char link[PATH_MAX], next[2 * PATH_MAX];
			if (++links > MAX_LINKS)
				return ctune_error_set(err, -ELOOP, "%s: too many levels of symbolic links", path);
			ssize_t k = readlink(host, link, sizeof(link) - 1);
			if (k < 0)
				return ctune_error_set(err, -errno, "%s: reading link %s: %s", path, done,
						       strerror(errno));
			link[k] = '\0';
			if (snprintf(next, sizeof(next), "%s%s%s", link, *e ? "/" : "", e) >= (int)sizeof(next))
				return ctune_error_set(err, -ENAMETOOLONG, "%s: path too long", path);
			memcpy(todo, next, strlen(next) + 1);
			s = todo;
			dlen = link[0] == '/' ? 0 : before;
			done[dlen] = '\0';
			continue;
		}
		if (!last && !S_ISDIR(st.st_mode))
			return ctune_error_set(err, -ENOTDIR, "%s: %s is not a directory", path, done);
		s = e;
	}
	if (dlen == 0)
		return ctune_error_set(err, -EISDIR, "%s: names the root directory, not a file", path);
	if (dlen + 1 > size)
		return ctune_error_set(err, -ENAMETOOLONG, "%s: path too long", path);
	memcpy(out, done, dlen + 1);
	return 0;
}

int ctune_write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t k = write(fd, buf, len);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += k;
		len -= (size_t)k;
	}
	return 0;
}
