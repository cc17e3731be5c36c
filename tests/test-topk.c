/* test-topk.c - the Space-Saving summary (topk.c) against exact counts.
 *
 * Streams are made here from a seeded generator (uniform, Zipf-like, all
 * distinct), counted exactly with a plain array, and every bound topk.h
 * promises is checked key by key: count - error <= true <= count, error <=
 * N / capacity (2N / capacity after merges of merges), a key not held
 * occurred at most unheld_max times, exact while no key was dropped, and a
 * merge of parts is a valid summary of the whole.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "topk.h"

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static ctune_topk_key key_of(uint32_t v)
{
	/* keys that differ in every part of the struct */
	ctune_topk_key k = { .a = v * UINT64_C(0x100000001), .b = v >> 3, .c = v & 7, .d = 0 };
	return k;
}

static uint32_t value_of(const ctune_topk_key *k)
{
	return (uint32_t)k->a;
}

/* A Zipf-like value in [0, n): density about 1/(x+1), by e^(u ln(n+1)) - 1
 * for a uniform u (ln taken as 2^bits, e^ by its series: no libm). */
static uint32_t zipfish(uint32_t n)
{
	double u = (double)(rng() >> 11) / (double)(UINT64_C(1) << 53);
	double ln = 0;
	for (uint32_t m = n + 1; m > 1; m >>= 1)
		ln += 0.6931471805599453;
	double e = u * ln, term = 1, sum = 1;
	for (int i = 1; i < 60; i++) {
		term *= e / i;
		sum += term;
	}
	uint32_t v = (uint32_t)(sum - 1);
	return v < n ? v : n - 1;
}

enum { SHAPE_UNIFORM, SHAPE_ZIPF, SHAPE_DISTINCT };

static uint32_t draw(int shape, uint32_t n, uint64_t i)
{
	switch (shape) {
	case SHAPE_UNIFORM:
		return (uint32_t)(rng() % n);
	case SHAPE_ZIPF:
		return zipfish(n);
	default:
		return (uint32_t)i;
	}
}

/* Every promise of topk.h for t against the exact counts truth[0..n). */
static void check_bounds(const ctune_topk *t, const uint64_t *truth, uint32_t n, uint64_t total, uint64_t max_error)
{
	ck_assert_uint_eq(ctune_topk_total(t), total);
	size_t cap = ctune_topk_capacity(t);
	ctune_topk_item *all = malloc(cap * sizeof(*all));
	ck_assert_ptr_nonnull(all);
	size_t m = ctune_topk_top(t, all, cap);
	ck_assert_uint_eq(m, ctune_topk_size(t));
	bool *seen = calloc(n, 1);
	ck_assert_ptr_nonnull(seen);
	for (size_t i = 0; i < m; i++) {
		uint32_t v = value_of(&all[i].key);
		ck_assert_uint_lt(v, n);
		ck_assert_msg(!seen[v], "key %u held twice", v);
		seen[v] = true;
		ck_assert_msg(all[i].count >= truth[v], "key %u: count %llu below true %llu", v,
			      (unsigned long long)all[i].count, (unsigned long long)truth[v]);
		ck_assert_msg(all[i].count - all[i].error <= truth[v], "key %u: lower bound %llu above true %llu", v,
			      (unsigned long long)(all[i].count - all[i].error), (unsigned long long)truth[v]);
		ck_assert_msg(all[i].error <= max_error, "key %u: error %llu above %llu", v,
			      (unsigned long long)all[i].error, (unsigned long long)max_error);
		if (i > 0)
			ck_assert_uint_ge(all[i - 1].count, all[i].count);
		if (ctune_topk_exact(t)) {
			ck_assert_uint_eq(all[i].error, 0);
			ck_assert_uint_eq(all[i].count, truth[v]);
		}
	}
	uint64_t unheld = ctune_topk_unheld_max(t);
	for (uint32_t v = 0; v < n; v++) {
		if (seen[v])
			continue;
		ck_assert_msg(truth[v] <= unheld, "key %u not held with %llu > unheld_max %llu", v,
			      (unsigned long long)truth[v], (unsigned long long)unheld);
		if (ctune_topk_exact(t))
			ck_assert_uint_eq(truth[v], 0);
	}
	free(seen);
	free(all);
}

static const struct {
	unsigned cap;
	int shape;
	uint32_t keys;
	uint64_t len;
} streams[] = {
	{ 1, SHAPE_UNIFORM, 5, 100 },       { 2, SHAPE_ZIPF, 50, 1000 },         { 3, SHAPE_UNIFORM, 3, 1000 },
	{ 16, SHAPE_ZIPF, 1000, 20000 },    { 16, SHAPE_UNIFORM, 16, 5000 },     { 64, SHAPE_DISTINCT, 0, 5000 },
	{ 64, SHAPE_UNIFORM, 500, 50000 },  { 1024, SHAPE_ZIPF, 100000, 300000 }, { 1024, SHAPE_UNIFORM, 1024, 100000 },
	{ 1024, SHAPE_DISTINCT, 0, 100000 }, { 1000, SHAPE_ZIPF, 5000, 100000 },
};

START_TEST(test_stream_bounds)
{
	rng_state = (uint64_t)_i * 7919 + 1;
	unsigned cap = streams[_i].cap;
	uint32_t n = streams[_i].shape == SHAPE_DISTINCT ? (uint32_t)streams[_i].len : streams[_i].keys;
	uint64_t *truth = calloc(n, sizeof(*truth));
	ck_assert_ptr_nonnull(truth);
	ctune_topk *t = ctune_topk_new(cap);
	ck_assert_ptr_nonnull(t);
	uint32_t distinct = 0;
	for (uint64_t i = 0; i < streams[_i].len; i++) {
		uint32_t v = draw(streams[_i].shape, n, i);
		distinct += truth[v] == 0;
		truth[v]++;
		ctune_topk_key k = key_of(v);
		ctune_topk_add(t, &k);
		if (i % 9973 == 0)
			check_bounds(t, truth, n, i + 1, (i + 1) / cap);
	}
	check_bounds(t, truth, n, streams[_i].len, streams[_i].len / cap);
	/* exact exactly when the distinct keys fit */
	ck_assert_int_eq(ctune_topk_exact(t), distinct <= cap);
	ck_assert_uint_eq(ctune_topk_size(t), distinct < cap ? distinct : cap);
	ctune_topk_free(t);
	free(truth);
}
END_TEST

/* On a skewed stream the heavy keys come out exactly ranked: each of the
 * top ten true keys is listed, in true order, when the gap between them
 * is wider than the error bound. */
START_TEST(test_heavy_hitters_found)
{
	rng_state = 42;
	enum { N = 200000, KEYS = 50000, CAP = 256 };
	uint64_t *truth = calloc(KEYS, sizeof(*truth));
	ctune_topk *t = ctune_topk_new(CAP);
	ck_assert_ptr_nonnull(truth);
	ck_assert_ptr_nonnull(t);
	for (uint64_t i = 0; i < N; i++) {
		/* ten heavy keys with 4%, 3.6%, ... of the stream, the rest spread */
		uint64_t r = rng() % 1000;
		uint32_t v = r < 220 ? (uint32_t)(r < 40 ? 0 : r < 76 ? 1 : r < 108 ? 2 : r < 136 ? 3 : r < 160 ? 4
						 : r < 180 ? 5 : r < 196 ? 6 : r < 208 ? 7 : r < 216 ? 8 : 9)
				     : 10 + (uint32_t)(rng() % (KEYS - 10));
		truth[v]++;
		ctune_topk_key k = key_of(v);
		ctune_topk_add(t, &k);
	}
	ctune_topk_item top[10];
	ck_assert_uint_eq(ctune_topk_top(t, top, 10), 10);
	for (uint32_t i = 0; i < 10; i++) {
		ck_assert_uint_eq(value_of(&top[i].key), i);
		ck_assert_uint_le(top[i].count - top[i].error, truth[i]);
		ck_assert_uint_ge(top[i].count, truth[i]);
	}
	ck_assert(!ctune_topk_exact(t));
	ctune_topk_free(t);
	free(truth);
}
END_TEST

/* A stream cut in parts, each summarised alone and merged, in a chain and
 * as a tree: still a valid summary of the whole. */
START_TEST(test_merge)
{
	rng_state = 99 + (uint64_t)_i;
	enum { PARTS = 4, KEYS = 20000 };
	unsigned cap = _i == 0 ? 64 : _i == 1 ? 1024 : 8;
	uint64_t len = _i == 2 ? 40 : 120000;
	uint64_t *truth = calloc(KEYS, sizeof(*truth));
	ck_assert_ptr_nonnull(truth);
	ctune_topk *part[PARTS];
	for (int p = 0; p < PARTS; p++) {
		part[p] = ctune_topk_new(cap);
		ck_assert_ptr_nonnull(part[p]);
	}
	for (uint64_t i = 0; i < len; i++) {
		uint32_t v = _i == 2 ? (uint32_t)(i % 7) : zipfish(KEYS);
		truth[v]++;
		ctune_topk_key k = key_of(v);
		/* parts of different sizes, as a file's ranges */
		ctune_topk_add(part[(i * 7 / len) % PARTS], &k);
	}
	/* (0 + 1) + (2 + 3) */
	ck_assert_int_eq(ctune_topk_merge(part[0], part[1]), 0);
	ck_assert_int_eq(ctune_topk_merge(part[2], part[3]), 0);
	ck_assert_int_eq(ctune_topk_merge(part[0], part[2]), 0);
	check_bounds(part[0], truth, KEYS, len, 2 * len / cap);
	if (_i == 2) {
		/* 7 keys fit in 8 counters: still exact after merging */
		ck_assert(ctune_topk_exact(part[0]));
		ck_assert_uint_eq(ctune_topk_size(part[0]), 7);
	}
	/* and it keeps working as a summary */
	ctune_topk_key k = key_of(3);
	ctune_topk_add(part[0], &k);
	truth[3]++;
	check_bounds(part[0], truth, KEYS, len + 1, 2 * len / cap + 1);
	for (int p = 0; p < PARTS; p++)
		ctune_topk_free(part[p]);
	free(truth);
}
END_TEST

START_TEST(test_merge_rules)
{
	ctune_topk *a = ctune_topk_new(4), *b = ctune_topk_new(5), *c = ctune_topk_new(4);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(ctune_topk_merge(a, b), -EINVAL);
	/* two exact parts whose union is too big: counts of the kept still
	 * exact, but the summary is not */
	for (uint32_t v = 0; v < 4; v++) {
		ctune_topk_key k = key_of(v), k2 = key_of(v + 10);
		for (uint32_t j = 0; j <= v; j++) {
			ctune_topk_add(a, &k);
			ctune_topk_add(c, &k2);
		}
	}
	ck_assert(ctune_topk_exact(a) && ctune_topk_exact(c));
	ck_assert_int_eq(ctune_topk_merge(a, c), 0);
	ck_assert(!ctune_topk_exact(a));
	ctune_topk_item top[4];
	ck_assert_uint_eq(ctune_topk_top(a, top, 4), 4);
	/* 3 and 13 (4 each), then 2 and 12 (3 each): ties broken by key */
	ck_assert_uint_eq(top[0].count, 4);
	ck_assert_uint_eq(top[0].error, 0);
	ck_assert_uint_eq(value_of(&top[0].key), 3);
	ck_assert_uint_eq(value_of(&top[1].key), 13);
	ck_assert_uint_eq(value_of(&top[2].key), 2);
	ck_assert_uint_eq(value_of(&top[3].key), 12);
	ck_assert_uint_eq(ctune_topk_unheld_max(a), 3);
	ck_assert_uint_eq(ctune_topk_total(a), 20);
	ctune_topk_free(a);
	ctune_topk_free(b);
	ctune_topk_free(c);
}
END_TEST

START_TEST(test_limits_and_reset)
{
	ck_assert_ptr_null(ctune_topk_new(0));
	ck_assert_ptr_null(ctune_topk_new(CTUNE_TOPK_CAPACITY_MAX + 1));
	ctune_topk *t = ctune_topk_new(3);
	ck_assert_ptr_nonnull(t);
	ctune_topk_item out[3];
	ck_assert_uint_eq(ctune_topk_top(t, out, 3), 0);
	for (uint32_t v = 0; v < 10; v++) {
		ctune_topk_key k = key_of(v);
		ctune_topk_add(t, &k);
	}
	ck_assert(!ctune_topk_exact(t));
	ck_assert_uint_eq(ctune_topk_top(t, out, 0), 0);
	ctune_topk_reset(t);
	ck_assert(ctune_topk_exact(t));
	ck_assert_uint_eq(ctune_topk_size(t), 0);
	ck_assert_uint_eq(ctune_topk_total(t), 0);
	ck_assert_uint_eq(ctune_topk_unheld_max(t), 0);
	ctune_topk_key k = key_of(5);
	ctune_topk_add(t, &k);
	ctune_topk_add(t, &k);
	ck_assert_uint_eq(ctune_topk_top(t, out, 3), 1);
	ck_assert_uint_eq(out[0].count, 2);
	ck_assert_uint_eq(out[0].error, 0);
	ctune_topk_free(t);
	ctune_topk_free(NULL);
}
END_TEST

/* Keys that collide in the hash index's home slots (same low bits of the
 * hash are likely among many keys in a small table): deletions by backward
 * shift must keep every held key findable.  Checked through the counts:
 * a held key that could not be found would be inserted twice. */
START_TEST(test_churn_small_table)
{
	rng_state = 5;
	enum { KEYS = 64 };
	uint64_t truth[KEYS] = { 0 };
	ctune_topk *t = ctune_topk_new(7);
	ck_assert_ptr_nonnull(t);
	for (uint64_t i = 0; i < 200000; i++) {
		uint32_t v = (uint32_t)(rng() % (i % 3 == 0 ? 4 : KEYS));
		truth[v]++;
		ctune_topk_key k = key_of(v);
		ctune_topk_add(t, &k);
		if (i % 1000 == 0)
			check_bounds(t, truth, KEYS, i + 1, (i + 1) / 7);
	}
	ctune_topk_free(t);
}
END_TEST

/* ctune_topk_add_same (the shortcut for a repeated key) and
 * ctune_topk_prefetch + ctune_topk_add_hashed make the very summary
 * ctune_topk_add makes, key for key, through evictions and merges. */
START_TEST(test_add_paths_agree)
{
	rng_state = 77;
	ctune_topk *a = ctune_topk_new(32), *b = ctune_topk_new(32), *c = ctune_topk_new(32);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_nonnull(c);
	uint32_t v = 0;
	for (int i = 0; i < 50000; i++) {
		/* runs of one key, then a new one from a wide range */
		if (rng() % 4 == 0)
			v = (uint32_t)(rng() % 200);
		ctune_topk_key k = key_of(v);
		ctune_topk_add(a, &k);
		if (!ctune_topk_add_same(b, &k))
			ctune_topk_add_hashed(b, &k, ctune_topk_prefetch(b, &k));
		if (i == 25000) {
			/* after a merge the shortcut must not trust an old counter */
			ck_assert_int_eq(ctune_topk_merge(a, c), 0);
			ck_assert_int_eq(ctune_topk_merge(b, c), 0);
		}
	}
	ctune_topk_item x[32], y[32];
	size_t nx = ctune_topk_top(a, x, 32), ny = ctune_topk_top(b, y, 32);
	ck_assert_uint_eq(nx, ny);
	ck_assert(memcmp(x, y, nx * sizeof(x[0])) == 0);
	ck_assert_uint_eq(ctune_topk_total(a), ctune_topk_total(b));
	ctune_topk_free(a);
	ctune_topk_free(b);
	ctune_topk_free(c);
}
END_TEST

/* A counter alone in its run counts in place unless the run above has
 * the new count (then it joins it): every step, the order, the runs and
 * the exact counts stay right, checked after each add against the truth
 * on a stream of long runs of one key beside a few others, and through
 * the exact small case by hand. */
START_TEST(test_lone_counter)
{
	ctune_topk *t = ctune_topk_new(8);
	ck_assert_ptr_nonnull(t);
	ctune_topk_key a = key_of(1), b = key_of(2), c = key_of(3);
	for (int i = 0; i < 5; i++)
		ctune_topk_add(t, &a); /* a alone at 5 */
	for (int i = 0; i < 4; i++)
		ctune_topk_add(t, &b); /* b alone at 4, below a */
	ctune_topk_add(t, &b);         /* 5: joins a's run */
	ctune_topk_add(t, &c);
	ctune_topk_add(t, &a); /* 6: leaves the run of two, alone above */
	ctune_topk_add(t, &a); /* 7: in place */
	ctune_topk_item x[8];
	ck_assert_uint_eq(ctune_topk_top(t, x, 8), 3);
	ck_assert_uint_eq(value_of(&x[0].key), 1);
	ck_assert_uint_eq(x[0].count, 7);
	ck_assert_uint_eq(value_of(&x[1].key), 2);
	ck_assert_uint_eq(x[1].count, 5);
	ck_assert_uint_eq(value_of(&x[2].key), 3);
	ck_assert_uint_eq(x[2].count, 1);

	/* long runs of key 0 (a zone column) among keys 1..5: all exact;
	 * then with keys 1..9 in 4 counters, evicting: the bounds, and the
	 * order itself (top() sorts what it takes, but unheld_max reads the
	 * last position, which must hold the smallest count) */
	for (int round = 0; round < 2; round++) {
		uint32_t keys = round ? 10 : 6;
		ctune_topk *u = round ? ctune_topk_new(4) : t;
		ck_assert_ptr_nonnull(u);
		ctune_topk_reset(u);
		uint64_t truth[10] = { 0 };
		rng_state = 5;
		for (uint64_t i = 0; i < 20000; i++) {
			uint32_t v = rng() % 8 ? 0 : 1 + (uint32_t)(rng() % (keys - 1));
			ctune_topk_key k = key_of(v);
			if (!ctune_topk_add_same(u, &k))
				ctune_topk_add(u, &k);
			truth[v]++;
			ctune_topk_item all[8];
			size_t n = ctune_topk_top(u, all, 8);
			ck_assert_uint_eq(value_of(&all[0].key), 0);
			if (!ctune_topk_exact(u))
				ck_assert_uint_eq(ctune_topk_unheld_max(u), all[n - 1].count);
			if (i % 997 == 0)
				check_bounds(u, truth, keys, i + 1, round ? (i + 1) / 4 : 0);
		}
		check_bounds(u, truth, keys, 20000, round ? 20000 / 4 : 0);
		ck_assert(ctune_topk_exact(u) == !round);
		if (round)
			ctune_topk_free(u);
	}
	ctune_topk_free(t);
}
END_TEST

static Suite *topk_suite(void)
{
	Suite *s = suite_create("topk");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_stream_bounds, 0, (int)(sizeof(streams) / sizeof(streams[0])));
	tcase_add_test(tc, test_heavy_hitters_found);
	tcase_add_loop_test(tc, test_merge, 0, 3);
	tcase_add_test(tc, test_merge_rules);
	tcase_add_test(tc, test_limits_and_reset);
	tcase_add_test(tc, test_churn_small_table);
	tcase_add_test(tc, test_add_paths_agree);
	tcase_add_test(tc, test_lone_counter);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_run(topk_suite());
}
