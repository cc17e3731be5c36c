/* response.h - results as JSON: the one place a response object is built. */
#ifndef CTUNE_RESPONSE_H
#define CTUNE_RESPONSE_H

#include <jansson.h>

#include "facts.h"
#include "plan.h"
#include "root.h"

/* The facts object of docs/facts.md. */
json_t *ctune_facts_to_json(const ctune_facts *f, const ctune_root *r);

/* The result of a set request (changed, msg, per-tunable before/after,
 * warnings, diff, backup_file). */
json_t *ctune_plan_to_json(const ctune_plan *p, const ctune_plan_opts *o);

/* The table of tunables: {name: {kind, unit, min, max, read_only,
 * initial_netns_only, keys: {legacy, modern}, aliases: {...}, summary}}. */
json_t *ctune_tunables_to_json(void);

/* {"failed": true, "changed": false, "msg": msg}. */
json_t *ctune_error_response(const char *msg);

/* Print obj as one JSON document and a newline on stdout.  Returns 0 or
 * -errno when stdout cannot take it (-EPIPE, -ENOSPC; -EIO when unknown). */
int ctune_response_print(json_t *obj, bool pretty);

#endif
