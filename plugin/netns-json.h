/* netns-json.h - the `netns` list of the facts object (docs/facts.md,
 * --netns): src/netns-list.h's namespaces as JSON. */
#ifndef CTUNE_NETNS_JSON_H
#define CTUNE_NETNS_JSON_H

#include <jansson.h>

#include "error.h"
#include "root.h"

/* Gather the host's network namespaces and set facts["netns"] to their
 * list; what could not be seen (processes hidden from ctune, namespaces it
 * may not enter) is appended to facts["warnings"].  Returns 0 or -errno
 * with err saying why no list could be made (a root prefix, /proc
 * unreadable, no memory, a failure to return to ctune's namespace). */
int ctune_netns_facts(json_t *facts, const ctune_root *r, ctune_error *err);

#endif
