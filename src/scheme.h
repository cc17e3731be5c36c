/* scheme.h - the kernel naming schemes of conntrack, as one table of data.
 *
 * Linux has named the same tunables two ways: `legacy` (ip_conntrack, up to
 * 2.6.19 and RHEL/CentOS 5's 2.6.18: net.ipv4.netfilter.ip_conntrack_*) and
 * `modern` (nf_conntrack: net.netfilter.nf_conntrack_*).  Every module that
 * needs a key, a /proc path, a range or a unit looks the tunable up here by
 * its canonical name (the modern suffix: "max", "tcp_timeout_established")
 * instead of branching on the scheme.
 */
#ifndef CTUNE_SCHEME_H
#define CTUNE_SCHEME_H

#include <stdbool.h>
#include <stddef.h>

typedef enum ctune_scheme {
	CTUNE_SCHEME_NONE = -1,
	CTUNE_SCHEME_LEGACY = 0,
	CTUNE_SCHEME_MODERN = 1,
	CTUNE_SCHEME_COUNT
} ctune_scheme;

typedef enum ctune_unit {
	CTUNE_UNIT_NONE,    /* a flag or a plain number */
	CTUNE_UNIT_SECONDS, /* timeouts: the kernel converts to jiffies */
	CTUNE_UNIT_ENTRIES,
	CTUNE_UNIT_BUCKETS,
	CTUNE_UNIT_BYTES,
} ctune_unit;

typedef enum ctune_kind {
	CTUNE_KIND_SIZE,    /* max, buckets, expect_max, count */
	CTUNE_KIND_TIMEOUT, /* every *_timeout* */
	CTUNE_KIND_SETTING, /* flags and other numbers */
} ctune_kind;

enum {
	CTUNE_TF_READONLY = 1u << 0, /* never writable (count) */
	CTUNE_TF_INIT_NS = 1u << 1,  /* writable only in the initial network namespace */
	CTUNE_TF_BOOL = 1u << 2,     /* 0 or 1: accepts true/false in requests */
};

typedef struct ctune_tunable {
	const char *name; /* canonical name: the modern suffix */
	ctune_kind kind;
	ctune_unit unit;
	long long min, max; /* valid range of a value we would write */
	unsigned flags;
	const char *key[CTUNE_SCHEME_COUNT];   /* dotted sysctl key, NULL where the scheme lacks it */
	const char *alias[CTUNE_SCHEME_COUNT]; /* a second key with the same value, where the kernel has one */
	const char *summary;
	/* A module parameter that persists this tunable across boots instead of
	 * a sysctl line ("hashsize" for buckets), or NULL. */
	const char *modparam;
} ctune_tunable;

/* The table itself and its length, in a stable order (sizes, then timeouts,
 * then settings) that facts and responses keep. */
const ctune_tunable *ctune_tunables(size_t *n);

/* Find a tunable by canonical name.  NULL when unknown. */
const ctune_tunable *ctune_tunable_find(const char *name);

/* Find the tunable a sysctl key names, in either scheme, either as the key or
 * its alias.  The key may be written with '/' separators and the sysctl.d
 * ignore-failure '-' prefix.  *scheme (may be NULL) gets the scheme the key
 * belongs to.  NULL when the key is not conntrack's. */
const ctune_tunable *ctune_tunable_by_key(const char *key, ctune_scheme *scheme);

/* "legacy" / "modern" / "none", and back (-1 for an unknown word). */
const char *ctune_scheme_name(ctune_scheme s);
ctune_scheme ctune_scheme_from_name(const char *s);

/* Normalise a sysctl key the way sysctl.d does: drop a leading '-', turn '/'
 * into '.'.  Writes into buf; returns the length or -ENAMETOOLONG. */
int ctune_key_normalize(const char *key, char *buf, size_t size);

/* The /proc/sys path of a dotted key ("net.netfilter.x" ->
 * "/proc/sys/net/netfilter/x").  Returns the length or -ENAMETOOLONG. */
int ctune_key_procpath(const char *key, char *buf, size_t size);

/* "seconds", "entries", ... or NULL for no unit. */
const char *ctune_unit_name(ctune_unit u);

/* The table files and the statistics file of a scheme, as absolute paths. */
const char *ctune_scheme_table_file(ctune_scheme s);
const char *ctune_scheme_stat_file(ctune_scheme s);
/* The live bucket count the kernel allocates for a wanted one: current
 * kernels round up to a whole page of bucket heads (PAGE_SIZE / 8 on
 * 64-bit); 2.6.18's ip_conntrack takes the number as given. */
unsigned long ctune_scheme_round_buckets(ctune_scheme s, unsigned long buckets);

/* The kernel module that provides the scheme ("nf_conntrack", "ip_conntrack"). */
const char *ctune_scheme_module(ctune_scheme s);

#endif
