/* diff.h - a unified diff (`diff -u`, three lines of context) of two texts,
 * as `patch` applies it, for `ctune set --diff` on a terminal. */
#ifndef CTUNE_DIFF_H
#define CTUNE_DIFF_H

#include <stdbool.h>
#include <stdio.h>

/* Write the diff of before and after (NUL-terminated texts, either may be
 * empty) under the headers "--- name" / "+++ name"; nothing when they are
 * equal.  color: removed lines red, added green, hunk heads cyan (ANSI).
 * Returns 0 or -ENOMEM. */
int ctune_unified_diff(FILE *out, const char *name, const char *before, const char *after, bool color);

#endif
