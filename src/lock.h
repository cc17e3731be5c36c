/* lock.h - two ctune runs never interleave on the same configuration.
 *
 * The lock is flock(2) on the root prefix's /etc directory itself: it needs
 * no lock file (so a run that fails or only checks leaves the tree exactly
 * as it was), is released by the kernel when a run dies, and covers every
 * file ctune writes (sysctl, modules-load.d and modprobe.d all live there).
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
