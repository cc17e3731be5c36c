/* procsys.c - see procsys.h. */
#include "procsys.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "scheme.h"

/* Parse one decimal integer with optional surrounding white space. */
static int parse_integer(const char *s, long long *out)
{
	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return -EINVAL;
	errno = 0;
	char *end;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
		end++;
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

bool ctune_procsys_writable(const ctune_root *r, const char *key)
{
	char rel[512];
	if (ctune_key_procpath(key, rel, sizeof(rel)) < 0)
		return false;
	/* lstat: a link in a key's place is no key (see ctune_procsys_write). */
	struct stat st;
	return ctune_root_stat(r, rel, false, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & S_IWUSR);
}

void ctune_procsys_reader_init(ctune_procsys_reader *rd, const ctune_root *r)
{
	rd->root = r;
	rd->dir[0] = '\0';
	rd->dirfd = -ENOENT;
}

void ctune_procsys_reader_done(ctune_procsys_reader *rd)
{
	if (rd->dirfd >= 0)
		close(rd->dirfd);
	rd->dir[0] = '\0';
	rd->dirfd = -ENOENT;
}

int ctune_procsys_reader_get(ctune_procsys_reader *rd, const char *key, long long *value, bool *writable,
			     ctune_error *err)
{
	char path[512], buf[64];
	if (ctune_key_procpath(key, path, sizeof(path)) < 0)
		return ctune_error_set(err, -ENAMETOOLONG, "key %s is too long", key);
	char *slash = strrchr(path, '/');
	size_t dlen = (size_t)(slash - path);
	if (strlen(rd->dir) != dlen || memcmp(rd->dir, path, dlen) != 0) {
		ctune_procsys_reader_done(rd);
		memcpy(rd->dir, path, dlen);
		rd->dir[dlen] = '\0';
		rd->dirfd = ctune_root_open(rd->root, rd->dir, O_RDONLY | O_DIRECTORY);
	}
	/* A missing directory (legacy keys on a modern kernel, no module)
	 * answers every key in it without another system call.  Only a
	 * missing file is an absent key: anything else that stops the read is
	 * an error that names the key. */
	if (rd->dirfd < 0)
		return ctune_error_set(err, rd->dirfd, "cannot read %s (%s): %s", key, path,
				       ctune_root_strerror(rd->dirfd));
	struct stat st;
	_cleanup_close_ int fd = ctune_root_openat(rd->root, rd->dirfd, slash + 1, O_RDONLY, CTUNE_KIND_REG, &st);
	if (fd < 0)
		return ctune_error_set(err, fd, "cannot read %s (%s): %s", key, path, ctune_root_strerror(fd));
	ssize_t n = ctune_read_small_fd(fd, buf, sizeof(buf));
	if (n < 0)
		return ctune_error_set(err, (int)n, "cannot read %s (%s): %s", key, path,
				       n == -EFBIG ? "more than one number" : strerror((int)-n));
	if (parse_integer(buf, value) < 0)
		return ctune_error_set(err, -EINVAL, "cannot read %s (%s): %s", key, path,
				       n == 0 ? "the file is empty" : "it does not hold one integer");
	if (writable)
		*writable = st.st_mode & S_IWUSR;
	return 0;
}

int ctune_procsys_read(const ctune_root *r, const char *key, long long *value, ctune_error *err)
{
	ctune_procsys_reader rd;
	ctune_procsys_reader_init(&rd, r);
	int rr = ctune_procsys_reader_get(&rd, key, value, NULL, err);
	ctune_procsys_reader_done(&rd);
	return rr;
}

int ctune_procsys_write(const ctune_root *r, const char *key, long long value, ctune_error *err)
{
	char path[512], text[32];
	if (ctune_key_procpath(key, path, sizeof(path)) < 0)
		return ctune_error_set(err, -ENAMETOOLONG, "key %s is too long", key);
	int len = snprintf(text, sizeof(text), "%lld\n", value);

	{
		/* O_NOFOLLOW: the kernel never makes a key a link, so a link in
		 * its place (an image's, or a planted one) is refused rather than
		 * followed, even inside the root. */
		_cleanup_close_ int fd = ctune_root_open(r, path, O_WRONLY | O_TRUNC | O_NOFOLLOW);
		if (fd < 0)
			return ctune_error_set(err, fd, "cannot write %s = %lld (%s): %s", key, value, path,
					       ctune_root_strerror(fd));
		ssize_t k = write(fd, text, (size_t)len);
		if (k < 0)
			return ctune_error_set(err, -errno, "the kernel refused %s = %lld: %s", key, value,
					       strerror(errno));
		if (k != len)
			return ctune_error_set(err, -EIO, "short write of %s = %lld", key, value);
	}

	long long back;
	int rr = ctune_procsys_read(r, key, &back, err);
	if (rr < 0)
		return rr;
	if (back != value)
		return ctune_error_set(err, -EIO, "%s was written as %lld but reads back as %lld", key, value, back);
	return 0;
}

int ctune_procsys_write_journaled(const ctune_root *r, ctune_journal *j, const char *key, long long value,
				  ctune_error *err)
{
	if (j->n >= CTUNE_JOURNAL_MAX)
		return ctune_error_set(err, -E2BIG, "too many live changes in one request");
	if (strlen(key) >= sizeof(j->entry[0].key))
		return ctune_error_set(err, -ENAMETOOLONG, "key %s is too long", key);
	long long before;
	int rr = ctune_procsys_read(r, key, &before, err);
	if (rr < 0)
		return rr;
	rr = ctune_procsys_write(r, key, value, err);
	/* A refused write may still have changed nothing; a write whose read-back
	 * differs did change something: journal it so rollback restores it. */
	if (rr == 0 || rr == -EIO) {
		strcpy(j->entry[j->n].key, key);
		j->entry[j->n].before = before;
		j->n++;
	}
	return rr;
}

int ctune_journal_rollback(const ctune_root *r, ctune_journal *j, ctune_error *err)
{
	int first = 0;
	while (j->n > 0) {
		j->n--;
		int rr = ctune_procsys_write(r, j->entry[j->n].key, j->entry[j->n].before, err);
		if (rr < 0 && first == 0)
			first = rr;
	}
	return first;
}
