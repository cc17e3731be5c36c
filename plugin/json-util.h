/* json-util.h - the jansson helpers the edge shares: a cleanup attribute
 * for json_t and checked builders that keep the callers flat. */
#ifndef CTUNE_JSON_UTIL_H
#define CTUNE_JSON_UTIL_H

#include <jansson.h>

#include "cleanup.h"

static inline void ctune_json_decrefp(json_t **j)
{
	if (*j)
		json_decref(*j);
}
#define _cleanup_json_ _cleanup_(ctune_json_decrefp)

/* json_object_set_new that tolerates a NULL value (stores null). */
static inline void ctune_json_set(json_t *obj, const char *key, json_t *v)
{
	json_object_set_new(obj, key, v ? v : json_null());
}

/* A JSON string of text that may not be valid UTF-8 (argv, kernel files):
 * bytes that do not form UTF-8 become '?', so the response stays valid. */
json_t *ctune_json_text(const char *s);

#endif
