/* topk.c - Space-Saving heavy hitters with a stream-summary order (topk.h).
 *
 * Layout (all allocated by ctune_topk_new, nothing afterwards but a merge's
 * scratch):
 *
 *   item[id]    key, error and hash slot of counter id (0..n-1);
 *   order[i]    the ids sorted by count, largest first; pos[id] is the
 *               inverse.  The smallest count is at position n-1;
 *   cnt[i], bkt[i]  the count at position i and the run it belongs to
 *               (indexed by position, so that the neighbour an increment
 *               looks at is next door in memory, not another counter's
 *               record: an eviction touches about five cache lines);
 *   bucket[b]   a run [first, last] of positions with one count;
 *   slot[h]     the hash index: id + 1 (0 for an empty slot) and the
 *               key's 32-bit hash; linear probing over a power of two at
 *               least eight times the capacity (a busy table's addresses
 *               and ports evict on almost every add: at a load of 1/8 a
 *               miss and a delete walk about one slot; at 1/2 the whole
 *               --table run took 25% longer, at 1/4 6%), deletion by
 *               backward shift (no tombstones, so a look-up never walks
 *               more than the live cluster); each item knows its slot, so
 *               an eviction goes straight to it.
 *
 * An increment moves the counter to the first position of its run (a swap
 * with whoever stands there), shrinks the run by one from the front, and
 * the counter joins the run just before it when that run has the new
 * count, else opens a one-position run of its own: O(1), and the order
 * stays sorted.
 */
#include "topk.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct item {
	ctune_topk_key key;
	uint64_t error;
	uint32_t slot; /* where the hash index holds it */
};

/* A slot of the hash index: the id + 1 (0: empty) and the key's hash, so
 * that a probe compares keys only on a full hash match and a deletion
 * finds each moved key's home slot without hashing it again. */
struct slot {
	uint32_t id1;
	uint32_t hash;
};

struct bucket {
	uint32_t first, last;
};

struct ctune_topk {
	unsigned cap;
	uint32_t n;     /* counters in use */
	uint32_t mask;  /* slots - 1 */
	uint32_t nfree; /* free buckets on the stack */
	bool exact;
	uint64_t total;
	uint32_t last; /* id + 1 of the counter the last add went to, or 0 */
	struct item *item;
	uint32_t *pos;   /* by id */
	uint32_t *order; /* by position */
	uint64_t *cnt;   /* by position */
	uint32_t *bkt;   /* by position */
	struct bucket *bucket;
	uint32_t *free_bucket;
	struct slot *slot;
};

static inline uint32_t key_hash(const ctune_topk_key *k)
{
	uint64_t h = k->a * UINT64_C(0x9e3779b97f4a7c15);
	h ^= (k->b + (uint64_t)k->c * UINT64_C(0x100000001b3) + k->d) * UINT64_C(0xc2b2ae3d27d4eb4f);
	h ^= h >> 31;
	h *= UINT64_C(0x94d049bb133111eb);
	return (uint32_t)(h >> 32);
}

static inline bool key_eq(const ctune_topk_key *x, const ctune_topk_key *y)
{
	return ((x->a ^ y->a) | (x->b ^ y->b) | ((uint64_t)(x->c ^ y->c) << 32 | (x->d ^ y->d))) == 0;
}

ctune_topk *ctune_topk_new(unsigned capacity)
{
	if (capacity == 0 || capacity > CTUNE_TOPK_CAPACITY_MAX)
		return NULL;
	uint32_t slots = 1;
	while (slots < 8u * capacity)
		slots <<= 1;
	ctune_topk *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->cap = capacity;
	t->mask = slots - 1;
	t->item = malloc(capacity * sizeof(*t->item));
	t->pos = malloc(capacity * sizeof(*t->pos));
	t->order = malloc(capacity * sizeof(*t->order));
	t->cnt = malloc(capacity * sizeof(*t->cnt));
	t->bkt = malloc(capacity * sizeof(*t->bkt));
	t->bucket = malloc(capacity * sizeof(*t->bucket));
	t->free_bucket = malloc(capacity * sizeof(*t->free_bucket));
	t->slot = malloc(slots * sizeof(*t->slot));
	if (!t->item || !t->pos || !t->order || !t->cnt || !t->bkt || !t->bucket || !t->free_bucket || !t->slot) {
		ctune_topk_free(t);
		return NULL;
	}
	ctune_topk_reset(t);
	return t;
}

void ctune_topk_free(ctune_topk *t)
{
	if (!t)
		return;
	free(t->item);
	free(t->pos);
	free(t->order);
	free(t->cnt);
	free(t->bkt);
	free(t->bucket);
	free(t->free_bucket);
	free(t->slot);
	free(t);
}

void ctune_topk_reset(ctune_topk *t)
{
	t->n = 0;
	t->exact = true;
	t->total = 0;
	t->last = 0;
	t->nfree = t->cap;
	for (uint32_t i = 0; i < t->cap; i++)
		t->free_bucket[i] = t->cap - 1 - i;
	memset(t->slot, 0, ((size_t)t->mask + 1) * sizeof(*t->slot));
}

/* ---- the hash index ---------------------------------------------------- */

/* The slot holding k, or the empty slot where it would go. */
static inline uint32_t slot_find(const ctune_topk *t, const ctune_topk_key *k, uint32_t h)
{
	uint32_t i = h & t->mask;
	for (;;) {
		const struct slot *s = &t->slot[i];
		if (s->id1 == 0 || (s->hash == h && key_eq(&t->item[s->id1 - 1].key, k)))
			return i;
		i = (i + 1) & t->mask;
	}
}

static inline void slot_set(ctune_topk *t, uint32_t i, uint32_t id, uint32_t h)
{
	t->slot[i].id1 = id + 1;
	t->slot[i].hash = h;
	t->item[id].slot = i;
}

/* Empty slot i and shift the rest of its cluster back, so that every key
 * stays reachable from its home slot without tombstones. */
static void slot_delete(ctune_topk *t, uint32_t i)
{
	uint32_t j = i;
	for (;;) {
		t->slot[i].id1 = 0;
		for (;;) {
			j = (j + 1) & t->mask;
			struct slot s = t->slot[j];
			if (s.id1 == 0)
				return;
			uint32_t home = s.hash & t->mask;
			/* s may move to i when its home is not in (i, j] cyclically */
			bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
			if (!stays) {
				slot_set(t, i, s.id1 - 1, s.hash);
				i = j;
				break;
			}
		}
	}
}

/* ---- the order ---------------------------------------------------------- */

static inline uint32_t bucket_new(ctune_topk *t, uint32_t first, uint32_t last)
{
	uint32_t b = t->free_bucket[--t->nfree];
	t->bucket[b].first = first;
	t->bucket[b].last = last;
	return b;
}

/* Put counter id with count c at position n, the end of the order: c must
 * be no larger than the count before it. */
static inline void order_append(ctune_topk *t, uint32_t id, uint64_t c)
{
	uint32_t p = t->n++;
	t->order[p] = id;
	t->pos[id] = p;
	t->cnt[p] = c;
	if (p > 0 && t->cnt[p - 1] == c) {
		uint32_t b = t->bkt[p - 1];
		t->bucket[b].last = p;
		t->bkt[p] = b;
	} else {
		t->bkt[p] = bucket_new(t, p, p);
	}
}

/* count of id += 1, keeping the order sorted. */
static inline void increment(ctune_topk *t, uint32_t id)
{
	uint32_t i = t->pos[id];
	uint32_t b = t->bkt[i];
	uint32_t f = t->bucket[b].first;
	if (i == f && t->bucket[b].last == f && (f == 0 || t->cnt[f - 1] != t->cnt[f] + 1)) {
		/* alone in its run and no run above at the new count: the run
		 * keeps its position and bucket, only the count moves (a zone or
		 * mark column of one value, the largest groups) */
		t->cnt[f]++;
		return;
	}
	if (i != f) {
		/* same run: same count and bucket, only the ids trade places */
		uint32_t other = t->order[f];
		t->order[i] = other;
		t->pos[other] = i;
		t->order[f] = id;
		t->pos[id] = f;
	}
	if (t->bucket[b].first == t->bucket[b].last)
		t->free_bucket[t->nfree++] = b;
	else
		t->bucket[b].first = f + 1;
	uint64_t c = ++t->cnt[f];
	if (f > 0 && t->cnt[f - 1] == c) {
		uint32_t nb = t->bkt[f - 1];
		t->bucket[nb].last = f;
		t->bkt[f] = nb;
	} else {
		t->bkt[f] = bucket_new(t, f, f);
	}
}

bool ctune_topk_add_same(ctune_topk *t, const ctune_topk_key *k)
{
	/* the counter of the last add still holds its key: only an add can
	 * give a counter to another key, and the last add was that one */
	if (t->last == 0 || !key_eq(&t->item[t->last - 1].key, k))
		return false;
	t->total++;
	increment(t, t->last - 1);
	return true;
}

uint32_t ctune_topk_prefetch(const ctune_topk *t, const ctune_topk_key *k)
{
	uint32_t h = key_hash(k);
	__builtin_prefetch(&t->slot[h & t->mask]);
	/* the counter a new key would take */
	if (t->n == t->cap)
		__builtin_prefetch(&t->item[t->order[t->n - 1]]);
	return h;
}

void ctune_topk_add(ctune_topk *t, const ctune_topk_key *k)
{
	ctune_topk_add_hashed(t, k, key_hash(k));
}

void ctune_topk_add_hashed(ctune_topk *t, const ctune_topk_key *k, uint32_t h)
{
	t->total++;
	uint32_t i = slot_find(t, k, h);
	uint32_t s = t->slot[i].id1;
	if (s) {
		t->last = s;
		increment(t, s - 1);
		return;
	}
	if (t->n < t->cap) {
		uint32_t id = t->n;
		t->item[id].key = *k;
		t->item[id].error = 0;
		slot_set(t, i, id, h);
		order_append(t, id, 1);
		t->last = id + 1;
		return;
	}
	/* full: the smallest counter goes to k, with its count as the error */
	uint32_t id = t->order[t->n - 1];
	struct item *it = &t->item[id];
	slot_delete(t, it->slot);
	it->key = *k;
	it->error = t->cnt[t->n - 1];
	slot_set(t, slot_find(t, k, h), id, h);
	t->exact = false;
	t->last = id + 1;
	increment(t, id);
}

/* ---- results ------------------------------------------------------------- */

static int item_cmp(const void *pa, const void *pb)
{
	const ctune_topk_item *a = pa, *b = pb;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	if (a->error != b->error)
		return a->error < b->error ? -1 : 1;
	return memcmp(&a->key, &b->key, sizeof(a->key));
}

static inline ctune_topk_item item_at(const ctune_topk *t, uint32_t p)
{
	const struct item *it = &t->item[t->order[p]];
	return (ctune_topk_item){ it->key, t->cnt[p], it->error };
}

size_t ctune_topk_top(const ctune_topk *t, ctune_topk_item *out, size_t n)
{
	if (n == 0 || t->n == 0)
		return 0;
	/* the first n of the order, and every counter tied with the n-th
	 * (which of them is listed is decided by the full comparison) */
	size_t want = n < t->n ? n : t->n;
	uint64_t edge = t->cnt[want - 1];
	size_t m = want;
	while (m < t->n && t->cnt[m] == edge)
		m++;
	ctune_topk_item *tmp = m > n ? malloc(m * sizeof(*tmp)) : out;
	if (!tmp) {
		/* no room to break the ties: the first n as they stand */
		m = want;
		tmp = out;
	}
	for (size_t i = 0; i < m; i++)
		tmp[i] = item_at(t, (uint32_t)i);
	qsort(tmp, m, sizeof(*tmp), item_cmp);
	if (tmp != out) {
		memcpy(out, tmp, want * sizeof(*out));
		free(tmp);
	}
	return want;
}

unsigned ctune_topk_capacity(const ctune_topk *t)
{
	return t->cap;
}

size_t ctune_topk_size(const ctune_topk *t)
{
	return t->n;
}

uint64_t ctune_topk_total(const ctune_topk *t)
{
	return t->total;
}

bool ctune_topk_exact(const ctune_topk *t)
{
	return t->exact;
}

uint64_t ctune_topk_unheld_max(const ctune_topk *t)
{
	return t->n == t->cap && !t->exact ? t->cnt[t->n - 1] : 0;
}

/* ---- merge ------------------------------------------------------------------
 *
 * Every key of either summary, with the other summary's bound for a key it
 * does not hold (unheld_max) added to both its count and its error: the
 * count stays an upper bound and count - error a lower one.  Each merged
 * count is at least the sum of the two bounds, so a key kept by neither
 * summary stays below the smallest count kept, as Space-Saving needs.  The
 * largest capacity of them are kept, in order. */

/* The position of k in t, or -1. */
static long held(const ctune_topk *t, const ctune_topk_key *k)
{
	uint32_t s = t->slot[slot_find(t, k, key_hash(k))].id1;
	return s ? (long)t->pos[s - 1] : -1;
}

int ctune_topk_merge(ctune_topk *to, const ctune_topk *from)
{
	if (to->cap != from->cap)
		return -EINVAL;
	size_t nall = (size_t)to->n + from->n;
	ctune_topk_item *all = malloc((nall ? nall : 1) * sizeof(*all));
	if (!all)
		return -ENOMEM;
	uint64_t bt = ctune_topk_unheld_max(to), bf = ctune_topk_unheld_max(from);
	size_t m = 0;
	for (uint32_t i = 0; i < to->n; i++) {
		ctune_topk_item x = item_at(to, i);
		long j = held(from, &x.key);
		ctune_topk_item y = j >= 0 ? item_at(from, (uint32_t)j) : (ctune_topk_item){ x.key, bf, bf };
		all[m++] = (ctune_topk_item){ x.key, x.count + y.count, x.error + y.error };
	}
	for (uint32_t i = 0; i < from->n; i++) {
		ctune_topk_item y = item_at(from, i);
		if (held(to, &y.key) < 0)
			all[m++] = (ctune_topk_item){ y.key, y.count + bt, y.error + bt };
	}
	qsort(all, m, sizeof(*all), item_cmp);

	bool exact = to->exact && from->exact && m <= to->cap;
	uint64_t total = to->total + from->total;
	ctune_topk_reset(to);
	to->exact = exact;
	to->total = total;
	size_t keep = m < to->cap ? m : to->cap;
	for (size_t i = 0; i < keep; i++) {
		uint32_t id = (uint32_t)i;
		uint32_t h = key_hash(&all[i].key);
		to->item[id].key = all[i].key;
		to->item[id].error = all[i].error;
		slot_set(to, slot_find(to, &all[i].key, h), id, h);
		order_append(to, id, all[i].count);
	}
	free(all);
	return 0;
}
