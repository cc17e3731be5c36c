/* human.c - see human.h. */
#include "human.h"

#include <errno.h>

int ctune_human_print(FILE *out, json_t *facts)
{
	if (!json_is_object(facts))
		return -EINVAL;
	fprintf(out, "scheme  %s\n", json_string_value(json_object_get(facts, "scheme")));
	return fflush(out) == EOF || ferror(out) ? -EIO : 0;
}
