/* aug-util.h - the one helper the Augeas editors (persist.c, bootfiles.c)
 * share: aug_match() results, freed together. */
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
