/* cli-set.h - the response of `ctune set` for a person at a terminal: what
 * changed, old -> new, in which files, live or persisted, the warnings,
 * and with --diff a unified diff of every file (diff.h). */
#ifndef CTUNE_CLI_SET_H
#define CTUNE_CLI_SET_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

/* Write the summary of a set response (schemas/response.json) to out.
 * Returns 0, or -EIO / -ENOMEM when it could not be written whole. */
int ctune_set_human_print(FILE *out, json_t *response, bool color);

/* Whether --color=auto means colour on the stream fd: a terminal, TERM set
 * and not "dumb", NO_COLOR unset or empty (no-color.org). */
bool ctune_color_auto(int fd);

#endif
