/* aug-util.h - aug_match() results, freed together: what
 * ctune_textfile_match() (textfile.h) hands the Augeas editors. */
#ifndef CTUNE_AUG_UTIL_H
#define CTUNE_AUG_UTIL_H

#include <stdlib.h>

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

#endif
