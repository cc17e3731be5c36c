/* suggest.h - "did you mean": the nearest of a list of known words to a
 * mistyped one, by Damerau-Levenshtein distance (optimal string alignment:
 * insertions, deletions, substitutions and swaps of two neighbours each
 * cost 1), and the spellings of a tunable that ctune accepts.
 */
#ifndef CTUNE_SUGGEST_H
#define CTUNE_SUGGEST_H

#include <stddef.h>

#include "scheme.h"

/* The distance between a and b, counted up to limit: any distance above
 * limit (or a word longer than 128 bytes) returns limit + 1. */
unsigned ctune_edit_distance(const char *a, const char *b, unsigned limit);

/* The largest distance still worth a suggestion for a word of len bytes:
 * 1 up to 4 bytes, 2 up to 8, 3 beyond (a two-letter word is never "near"
 * everything). */
unsigned ctune_suggest_limit(size_t len);

/* The nearest of the n words to word, or NULL when none is within
 * ctune_suggest_limit (ties: the first).  *distance (may be NULL) gets it. */
const char *ctune_suggest(const char *word, const char *const *words, size_t n, unsigned *distance);

/* The tunable a name means, in any spelling a runbook uses: the canonical
 * name ("max"), the dotted sysctl key of either scheme or its alias
 * ("net.netfilter.nf_conntrack_max", "net.nf_conntrack_max",
 * "net.ipv4.netfilter.ip_conntrack_max"), the key's last component
 * ("nf_conntrack_max", "ip_conntrack_max"), any of those keys with '/'
 * separators ("net/netfilter/nf_conntrack_max") or as a /proc/sys path.
 * NULL when it names no tunable. */
const ctune_tunable *ctune_tunable_resolve(const char *name);

/* For a name that resolves to nothing: the nearest accepted spelling, in
 * the same form as the name (a dotted key for a dotted key, a canonical
 * name for a word), written into buf; NULL when nothing is near. */
const char *ctune_tunable_suggest(const char *name, char *buf, size_t size);

#endif
