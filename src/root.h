/* root.h - every path ctune touches, under one root prefix.
 *
 * Tests and offline images hand ctune a directory that holds `proc/`, `sys/`
 * and `etc/` trees; production runs use "/".  No other module builds a path
 * to /proc, /sys or /etc by hand: they name the absolute path as the running
 * system would see it and this module prefixes it.
 */
#ifndef CTUNE_ROOT_H
#define CTUNE_ROOT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

typedef struct ctune_root {
	char dir[4096]; /* the prefix without trailing '/', "" for the real root */
	size_t len;
} ctune_root;

/* Set up r for directory dir (NULL, "" and "/" mean the real root).  The
 * directory must exist and be a directory.  Returns 0 or -errno. */
int ctune_root_init(ctune_root *r, const char *dir, ctune_error *err);

/* Write dir + abs into buf.  abs must start with '/'.  Returns the length or
 * -ENAMETOOLONG / -EINVAL. */
int ctune_root_path(const ctune_root *r, const char *abs, char *buf, size_t size);

/* Open abs under the root.  Returns a file descriptor or -errno. */
int ctune_root_open(const ctune_root *r, const char *abs, int flags);

/* True when abs exists under the root (following links, like stat). */
bool ctune_root_exists(const ctune_root *r, const char *abs);

/* Read a small file (a /proc/sys value, a version string) into buf,
 * NUL-terminated.  Returns the number of bytes read or -errno; -EFBIG when the
 * file does not fit. */
ssize_t ctune_root_read_small(const ctune_root *r, const char *abs, char *buf, size_t size);

/* The same from an open file descriptor (read from its current offset). */
ssize_t ctune_read_small_fd(int fd, char *buf, size_t size);

/* Read a whole file into a fresh malloc'ed, NUL-terminated buffer (*out,
 * *len).  Refuses files over max_bytes with -EFBIG.  Returns 0 or -errno. */
int ctune_root_read_all(const ctune_root *r, const char *abs, size_t max_bytes, char **out, size_t *len);

/* The same from an open file descriptor, from its current offset to the
 * end: *out gets a fresh malloc'ed, NUL-terminated buffer, *len (may be
 * NULL) its length.  More than max_bytes is -EFBIG (a file of exactly
 * max_bytes is read whole), also when the file grows while it is read.
 * Returns 0, -ENOMEM, -EFBIG or read(2)'s -errno; *out is set only on
 * success.  No message: the caller knows what the file is. */
int ctune_read_all_fd(int fd, size_t max_bytes, char **out, size_t *len);

/* Before replacing a file by rename: refuse (-EPERM, err naming `shown`)
 * when the existing file at host_path (a full path) is immutable or
 * append-only (chattr +i / +a), which a rename cannot replace.  A missing
 * file, or a filesystem without these flags, passes.  Returns 0 or -EPERM. */
int ctune_check_replaceable(const char *host_path, const char *shown, ctune_error *err);

/* Resolve path (absolute, as seen from the root) component by component
 * the way the kernel would inside a chroot at the root prefix: an absolute
 * link target starts again at the root, and ".." may not climb above a
 * root prefix (-EXDEV); more than 40 links is -ELOOP.  The last component
 * may be missing (a file to create); with missing_dirs, missing
 * directories too (the rest is taken as written).  Writes the result, as
 * seen from the root, into out.  Returns 0 or -errno. */
int ctune_root_resolve(const ctune_root *root, const char *path, bool missing_dirs, char *out, size_t size,
		       ctune_error *err);

/* write(2) all of buf, retrying on EINTR and short writes.  Returns 0 or
 * -errno. */
int ctune_write_all(int fd, const char *buf, size_t len);

struct stat;

/* Give fd (a replacement about to be renamed over host_path) the old
 * file's owner, mode and extended attributes (SELinux labels, ACLs) when it
 * existed (exists, *st), mode 0644 otherwise.  shown names the file in
 * messages.  Returns 0 or -errno. */
int ctune_copy_file_attributes(int fd, bool exists, const struct stat *st, const char *host_path, const char *shown,
			       ctune_error *err);

/* The prefix for messages: "/" for the real root. */
const char *ctune_root_name(const ctune_root *r);

#endif
