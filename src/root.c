/* root.c - see root.h.  Paths are built in caller-provided buffers: the
 * facts path opens a few dozen small files and must not allocate for each. */
#include "root.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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

int ctune_root_open(const ctune_root *r, const char *abs, int flags)
{
	char path[4352];
	int n = ctune_root_path(r, abs, path, sizeof(path));
	if (n < 0)
		return n;
	int fd = open(path, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

bool ctune_root_exists(const ctune_root *r, const char *abs)
{
	char path[4352];
	if (ctune_root_path(r, abs, path, sizeof(path)) < 0)
		return false;
	return access(path, F_OK) == 0;
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

int ctune_read_all_fd(int fd, size_t max_bytes, char **out, size_t *len)
{
	/* Room for max_bytes, one byte more to notice a larger file, and the
	 * NUL. */
	size_t limit = max_bytes <= SIZE_MAX - 2 ? max_bytes + 2 : SIZE_MAX;
	/* A regular file tells its size: one allocation then, with room to
	 * read the end of the file.  /proc files say 0: start with a page. */
	size_t cap = 4096, got = 0;
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
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

int ctune_root_read_all(const ctune_root *r, const char *abs, size_t max_bytes, char **out, size_t *len)
{
	_cleanup_close_ int fd = ctune_root_open(r, abs, O_RDONLY);
	if (fd < 0)
		return fd;
	return ctune_read_all_fd(fd, max_bytes, out, len);
}

/* statx(2)'s struct up to stx_attributes_mask (the kernel writes all 256
 * bytes), for the raw system call: musl 1.2.3 (the static build) has no
 * statx() wrapper, and fstatat() cannot tell a file bind-mounted from the
 * same filesystem.  A kernel without statx (before 4.11) fails ENOSYS. */
struct ctune_statx {
	uint32_t mask, blksize;
	uint64_t attributes;
	uint32_t nlink, uid, gid;
	uint16_t mode, spare0;
	uint64_t ino, size, blocks, attributes_mask;
	uint64_t rest[24];
};
_Static_assert(sizeof(struct ctune_statx) == 256, "struct statx is 256 bytes");
#define CTUNE_STATX_BASIC_STATS 0x7ffu
#define CTUNE_STATX_ATTR_MOUNT_ROOT 0x2000u

int ctune_check_replaceable(const char *host_path, const char *shown, ctune_error *err)
{
	/* A file that is itself a mount point (a bind mount) cannot be renamed
	 * over: EBUSY, which would only show after other files were replaced. */
	struct ctune_statx stx;
	if (syscall(SYS_statx, AT_FDCWD, host_path, AT_SYMLINK_NOFOLLOW, CTUNE_STATX_BASIC_STATS, &stx) == 0 &&
	    (stx.attributes_mask & CTUNE_STATX_ATTR_MOUNT_ROOT) && (stx.attributes & CTUNE_STATX_ATTR_MOUNT_ROOT))
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
			if (dlen == 0 && root->len)
				return ctune_error_set(err, -EXDEV, "%s: a symbolic link leads outside the root %s",
						       path, ctune_root_name(root));
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
