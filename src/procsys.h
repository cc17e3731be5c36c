/* procsys.h - live values through /proc/sys, with no fork of sysctl.
 *
 * procps `sysctl -w` exits 0 when the kernel refuses a write (a read-only
 * key in a network namespace), so ctune writes the file itself, reads the
 * value back and compares.  Writes are journalled so a failed multi-key
 * change can be undone in reverse order.
 */
#ifndef CTUNE_PROCSYS_H
#define CTUNE_PROCSYS_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "root.h"

/* Read the integer value of a dotted sysctl key.  Returns 0, -ENOENT when
 * the key does not exist, -EINVAL when the content is not one integer, or
 * -errno. */
int ctune_procsys_read(const ctune_root *r, const char *key, long long *value, ctune_error *err);

/* True when the key exists and its mode lets the owner write it (a key the
 * kernel made read-only in this namespace is mode 0444 even for root). */
bool ctune_procsys_writable(const ctune_root *r, const char *key);

/* Many keys in a row (facts reads every tunable): keeps the key's directory
 * open, so a key costs an openat() of its last component, a read, an fstat
 * and a close instead of a walk of /proc/sys/net/netfilter/ each time --
 * about half the cost per key, which is most of `ctune facts`'s own work. */
typedef struct ctune_procsys_reader {
	const ctune_root *root;
	char dir[512]; /* /proc/sys/... path of the directory below, "" when none */
	int dirfd;     /* that directory, or -errno when it could not be opened */
} ctune_procsys_reader;

void ctune_procsys_reader_init(ctune_procsys_reader *rd, const ctune_root *r);

/* As ctune_procsys_read; *writable (may be NULL) as ctune_procsys_writable. */
int ctune_procsys_reader_get(ctune_procsys_reader *rd, const char *key, long long *value, bool *writable,
			     ctune_error *err);

void ctune_procsys_reader_done(ctune_procsys_reader *rd);

/* Write value to the key, read it back and compare.  Returns 0, or -errno
 * with err naming the key and the kernel's reason (-EIO when the kernel
 * accepted the write but the value read back differs). */
int ctune_procsys_write(const ctune_root *r, const char *key, long long value, ctune_error *err);

/* The undo journal: remembers each key's value before the first write. */
#define CTUNE_JOURNAL_MAX 64
typedef struct ctune_journal {
	size_t n;
	struct {
		char key[128];
		long long before;
	} entry[CTUNE_JOURNAL_MAX];
} ctune_journal;

/* Read the current value, record it in j, then write value.  Returns as
 * ctune_procsys_write; the entry is recorded only when the write happened. */
int ctune_procsys_write_journaled(const ctune_root *r, ctune_journal *j, const char *key, long long value,
				  ctune_error *err);

/* Restore every journalled key in reverse order.  Returns 0 or the first
 * error (and keeps restoring the rest). */
int ctune_journal_rollback(const ctune_root *r, ctune_journal *j, ctune_error *err);

#endif
