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
