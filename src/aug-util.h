/* aug-util.h - the small helpers the Augeas editors (persist.c,
 * bootfiles.c) share beside textfile.h: aug_match() results freed
 * together, and the check of the numbers they write. */
#ifndef CTUNE_AUG_UTIL_H
#define CTUNE_AUG_UTIL_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct strv {
	char **v;
	int n;
} strv;

static inline void strv_done(strv *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* A value ctune writes into a file: a decimal number without sign that
 * fits in 64 bits' worth of digits (ranges are the caller's business). */
static inline bool number_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 20)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

#endif
