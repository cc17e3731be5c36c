/* root.h - every path ctune touches, under one root prefix.
 *
 * Tests and offline images hand ctune a directory that holds `proc/`, `sys/`
 * and `etc/` trees; production runs use "/".  No other module builds a path
 * to /proc, /sys or /etc by hand, nor opens one: they name the absolute path
 * as the running system would see it and this module resolves and opens it.
 *
 * The wall, for reading and for writing alike, under a root prefix:
 *  - a path is resolved the way the kernel resolves it inside a chroot at
 *    the prefix: an absolute link target starts again at the prefix, ".."
 *    at the prefix stays there, more than 40 links is -ELOOP.  Nothing
 *    outside the prefix is ever opened, stat()ed or listed.  With openat2
 *    (Linux 5.6) the kernel does it (RESOLVE_IN_ROOT, no magic links);
 *    elsewhere a walk with openat(O_NOFOLLOW) and readlinkat, system calls
 *    that Linux 2.6.18 has, does the same.
 *  - a file is looked at (lstat) before it is opened: only the kinds asked
 *    for are opened (a regular file, a directory, the kmsg device 1:11), so a
 *    FIFO never blocks and a device node never sees an open().  Opens carry
 *    O_NONBLOCK; the open file is checked again with fstat (same inode, same
 *    kind) and O_NONBLOCK is taken off unless asked for.
 *  - O_NOFOLLOW refuses a link in the last place; live values (paths
 *    under /proc/sys/ and /sys/module/) always get it, with or without a
 *    prefix: the kernel never makes their entries links.
 *  - an open for writing in place refuses a file with more than one hard
 *    link (-EMLINK): its other names may be outside the root.
 * Without a prefix (the running system) paths resolve as they always did,
 * but the kinds are checked the same way, after an O_NONBLOCK open.
 */
#ifndef CTUNE_ROOT_H
#define CTUNE_ROOT_H

#include <stdbool.h>
#include <stddef.h>
#include <dirent.h>
#include <errno.h>
#include <sys/types.h>
#include <sys/stat.h>

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

/* Kinds of file an open accepts (a mask).  Anything else is refused
 * before it is opened: a directory with -EISDIR, a link (with O_NOFOLLOW)
 * with -ELOOP, a FIFO, socket or other device with CTUNE_ENOTREG. */
#define CTUNE_KIND_REG 1u  /* a regular file (procfs and sysfs files are) */
#define CTUNE_KIND_DIR 2u  /* a directory */
#define CTUNE_KIND_KMSG 4u /* the character device 1:11, /dev/kmsg */
#define CTUNE_KIND_PIPE 8u /* a FIFO or pipe: only what the user hands over */
#define CTUNE_ENOTREG (-ENXIO) /* what open(2) says of a FIFO or socket */

/* Open abs under the root, inside it (see above), if it is one of kinds.
 * flags as open(2)'s; O_CREAT creates with mode 0644 (O_EXCL also refuses
 * a link).  Returns a file descriptor or -errno. */
int ctune_root_open_as(const ctune_root *r, const char *abs, int flags, unsigned kinds);

/* The same with kinds from flags: a directory with O_DIRECTORY, else a
 * regular file.  Returns a file descriptor or -errno. */
int ctune_root_open(const ctune_root *r, const char *abs, int flags);

/* Open name (one component, never followed if a link) in dirfd, a
 * directory that ctune_root_open opened under r, if it is one of kinds;
 * *st (may be NULL) gets its fstat.  Returns a file descriptor or -errno. */
int ctune_root_openat(const ctune_root *r, int dirfd, const char *name, int flags, unsigned kinds,
		      struct stat *st);

/* A path of the running system given by the user (the arguments file):
 * opened with O_NONBLOCK, refused unless one of kinds.  Returns a file
 * descriptor or -errno. */
int ctune_file_open(const char *path, int flags, unsigned kinds);

/* stat (follow) or lstat abs under the root, resolved inside it.  Returns
 * 0 or -errno. */
int ctune_root_stat(const ctune_root *r, const char *abs, bool follow, struct stat *st);

/* True when abs exists under the root (following links, like stat). */
bool ctune_root_exists(const ctune_root *r, const char *abs);

/* opendir of abs under the root.  Returns 0 with *out set, or -errno. */
int ctune_root_opendir(const ctune_root *r, const char *abs, DIR **out);


/* strerror() for what this module returns: says what CTUNE_ENOTREG and
 * -ELOOP mean here. */
const char *ctune_root_strerror(int r);

/* Tests: true makes the resolver walk as it does without openat2; false
 * lets it probe the kernel again. */
void ctune_root_force_walk(bool walk);

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
 * link target starts again at the root, and ".." at the root stays there;
 * more than 40 links is -ELOOP.  The last component
 * may be missing (a file to create); with missing_dirs, missing
 * directories too (the rest is taken as written).  Writes the result, as
 * seen from the root, into out.  Returns 0 or -errno. */
int ctune_root_resolve(const ctune_root *root, const char *path, bool missing_dirs, char *out, size_t size,
		       ctune_error *err);

/* write(2) all of buf, retrying on EINTR and short writes.  Returns 0 or
 * -errno. */
int ctune_write_all(int fd, const char *buf, size_t len);

/* Give fd (a replacement about to be renamed over host_path) the old
 * file's owner, mode and extended attributes (SELinux labels, ACLs) when it
 * existed (exists, *st), mode 0644 otherwise.  shown names the file in
 * messages.  Returns 0 or -errno. */
int ctune_copy_file_attributes(int fd, bool exists, const struct stat *st, const char *host_path, const char *shown,
			       ctune_error *err);

/* The prefix for messages: "/" for the real root. */
const char *ctune_root_name(const ctune_root *r);

#endif
