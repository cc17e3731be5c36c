/* root.c - see root.h.  Paths are built in caller-provided buffers: the
 * facts path opens a few dozen small files and must not allocate for each. */
#include "root.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

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

ssize_t ctune_root_read_small(const ctune_root *r, const char *abs, char *buf, size_t size)
{
	_cleanup_close_ int fd = ctune_root_open(r, abs, O_RDONLY);
	if (fd < 0)
		return fd;
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

int ctune_root_read_all(const ctune_root *r, const char *abs, size_t max_bytes, char **out, size_t *len)
{
	_cleanup_close_ int fd = ctune_root_open(r, abs, O_RDONLY);
	if (fd < 0)
		return fd;
	size_t cap = 4096, got = 0;
	_cleanup_free_ char *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (got + 1 >= cap) {
			if (cap > max_bytes)
				return -EFBIG;
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				return -ENOMEM;
			buf = nb;
			cap *= 2;
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
