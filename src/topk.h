/* topk.h - the largest groups of a stream in bounded memory (Space-Saving).
 *
 * Why: `ctune facts --table` names who fills the table (top talkers) on a
 * table of any size, in memory that does not grow with it.  A summary
 * holds at most `capacity` counters; every key of the stream is added once.
 * While the stream has no more distinct keys than that, every count is
 * exact.  Past that, the counter with the smallest count is given to the
 * new key (Metwally, Agrawal, El Abbadi: "Efficient Computation of Frequent
 * and Top-k Elements in Data Streams", 2005), and each counter remembers
 * how much of its count it may have inherited:
 *
 *   count - error <= true count <= count       for every key it holds;
 *   a key it does not hold occurred at most min_count times;
 *   error <= N / capacity                      (N: keys added).
 *
 * So every key seen more than N / capacity times is held, with its count
 * within N / capacity of the truth.  Two summaries of two parts of one
 * stream merge into the summary of the whole (ctune_topk_merge), with the
 * per-key bounds above still true; the error of a merged key is at most the
 * sum of the parts' N_i / capacity bounds of the summaries it came from,
 * which is N / capacity when the parts were summarised from streams (and
 * at most twice that after merges of merges).
 *
 * Cost: an add is a hash look-up (open addressing, linear probing) and O(1)
 * moves in the "stream summary" order (counters kept sorted by count, runs
 * of equal counts as buckets, so an increment swaps a counter to the edge of
 * its run).  Memory: about 136 bytes a counter (136 KiB for 1024, 64 of
 * them the hash index), allocated once.
 */
#ifndef CTUNE_TOPK_H
#define CTUNE_TOPK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest capacity a summary may have (its positions are 32-bit, but a
 * summary this size is already far past what "top talkers" means). */
#define CTUNE_TOPK_CAPACITY_MAX 65536u

/* A key: 24 bytes, compared whole.  Unused bytes must be zero. */
typedef struct ctune_topk_key {
	uint64_t a, b;
	uint32_t c, d;
} ctune_topk_key;

typedef struct ctune_topk_item {
	ctune_topk_key key;
	uint64_t count; /* an upper bound of the true count */
	uint64_t error; /* count - error is a lower bound */
} ctune_topk_item;

typedef struct ctune_topk ctune_topk;

/* A summary of 1..CTUNE_TOPK_CAPACITY_MAX counters; NULL when out of
 * memory or the capacity is out of range. */
ctune_topk *ctune_topk_new(unsigned capacity);
void ctune_topk_free(ctune_topk *t);

/* Empty it again (as new). */
void ctune_topk_reset(ctune_topk *t);

/* Add one occurrence of k. */
void ctune_topk_add(ctune_topk *t, const ctune_topk_key *k);

/* The same in two steps, so that several summaries' memory is fetched in
 * parallel: ctune_topk_prefetch() starts loading what the add of k will
 * touch and returns k's hash, which ctune_topk_add_hashed() takes. */
uint32_t ctune_topk_prefetch(const ctune_topk *t, const ctune_topk_key *k);
/* Add k when it is the key of the previous add (a column of equal zones
 * or marks): true, done without a look-up; false, nothing done. */
bool ctune_topk_add_same(ctune_topk *t, const ctune_topk_key *k);
void ctune_topk_add_hashed(ctune_topk *t, const ctune_topk_key *k, uint32_t hash);

/* Add the summary from to the summary to (same capacity): to becomes the
 * summary of both streams.  Returns 0, -EINVAL (capacities differ) or
 * -ENOMEM (to is then unchanged). */
int ctune_topk_merge(ctune_topk *to, const ctune_topk *from);

/* The n largest groups into out, largest count first; equal counts by
 * smaller error, then by key bytes (so the order is the same however the
 * stream was cut).  Returns how many were written (<= n). */
size_t ctune_topk_top(const ctune_topk *t, ctune_topk_item *out, size_t n);

unsigned ctune_topk_capacity(const ctune_topk *t);
/* Counters in use. */
size_t ctune_topk_size(const ctune_topk *t);
/* Keys added (N), merges included. */
uint64_t ctune_topk_total(const ctune_topk *t);
/* True while no key was ever dropped: every count is exact and every key
 * of the stream is held. */
bool ctune_topk_exact(const ctune_topk *t);
/* The most a key the summary does not hold can have occurred: 0 while it
 * is exact, else its smallest count. */
uint64_t ctune_topk_unheld_max(const ctune_topk *t);

#endif
