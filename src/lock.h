/* lock.h - two ctune runs never interleave on the same configuration.
 *
 * The lock is flock(2) on the root prefix's directory itself ("/" on the
 * host): it needs no lock file (so a run that fails or only checks leaves
 * the tree exactly as it was), is released by the kernel when a run dies,
 * covers every file ctune writes, and is the same object whatever the
 * runs create under it.  (It once was /etc, or "/" when /etc was missing:
 * the run that created etc/ and the runs after it locked different
 * directories and ran side by side.)
 */
#ifndef CTUNE_LOCK_H
#define CTUNE_LOCK_H

#include "error.h"
#include "root.h"

/* Take the lock, waiting up to timeout_ms.  Returns a file descriptor that
 * holds it (close it to release), or -EWOULDBLOCK when another run still
 * holds it after the wait, or -errno. */
int ctune_lock_acquire(const ctune_root *r, unsigned timeout_ms, ctune_error *err);

#endif
