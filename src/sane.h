/* sane.h - the range every number ctune reads from a host or an image may
 * take before it is reported or reasoned with.
 *
 * Why this file exists: an image under --root is the attacker's (or just a
 * broken) tree, and a number out of any kernel's range there (a count of
 * 99999999999999999999, a max of 2^63-1, MemTotal 0 or 2^64 kB) used to
 * turn into advice to shrink a table, usage of 4.6e16 % or negative bytes
 * in the facts.  Every such number is checked here against what a kernel
 * can hold; outside it, the caller reports null with a warning that names
 * the number and the range, and gives it to no advice.
 *
 * The ranges (the kernel's own types, with room to spare):
 *   sizes (count, max, buckets, expect_max)   0 .. 2^32-1 (int / unsigned int)
 *   timeouts in seconds                        0 .. 2^31-1 (int, jiffies / HZ)
 *   byte thresholds (frag6_*_thresh)           0 .. 2^48 (long; 256 TiB)
 *   other settings (flags, log_invalid, ...)   0 .. 2^31-1 (int)
 *   MemTotal                                   1 MiB .. 4 PiB (in kB: 2^10 .. 2^42)
 *   slab: bytes per object 1 .. 1 MiB, objects per slab 0 .. 2^20,
 *         pages per slab / order 0 .. 2^20 / 20, objects 0 .. 2^32-1
 *   per-CPU statistics counters                0 .. 2^32-1 (unsigned int)
 */
#ifndef CTUNE_SANE_H
#define CTUNE_SANE_H

#include <stdbool.h>
#include <stdint.h>

#include "scheme.h"

#define CTUNE_SANE_MEM_KB_MIN 1024ull
#define CTUNE_SANE_MEM_KB_MAX (1ull << 42)
#define CTUNE_SANE_SLAB_BYTES_MAX (1ull << 20)
#define CTUNE_SANE_SLAB_PER_MAX (1ull << 20)
#define CTUNE_SANE_COUNTER_MAX 0xffffffffull

/* The range a value of tunable t read from a kernel can take, into *lo and
 * *hi (either may be NULL); returns whether v is inside it. */
bool ctune_sane_tunable(const ctune_tunable *t, long long v, long long *lo, long long *hi);

/* Parse one non-negative decimal integer (surrounding blanks and one final
 * newline allowed) no larger than max.  Returns 0, -EINVAL when the text is
 * not one such integer, -ERANGE when it is larger than max. */
int ctune_sane_parse_u64(const char *s, uint64_t max, uint64_t *out);

#endif
