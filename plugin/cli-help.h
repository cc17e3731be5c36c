/* cli-help.h - help for each verb, cut from the one usage text main.c
 * holds (its "ctune VERB ..." synopsis lines and its "  VERB  ..."
 * description), so a verb or an option added there is in `ctune VERB
 * --help` too; plus the notes of cli-help.c for the verbs it knows. */
#ifndef CTUNE_CLI_HELP_H
#define CTUNE_CLI_HELP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Is word a verb of the usage text (a "ctune WORD" synopsis line)? */
bool ctune_cli_is_verb(const char *usage, const char *word);

/* The verb of the usage text nearest to word (suggest.h), or NULL; buf
 * holds it. */
const char *ctune_cli_suggest_verb(const char *usage, const char *word, char *buf, size_t size);

/* "facts, set, tunables": the verbs, into buf. */
const char *ctune_cli_verbs(const char *usage, char *buf, size_t size);

/* Write the help of verb (which ctune_cli_is_verb accepts) to out. */
void ctune_cli_verb_help(FILE *out, const char *usage, const char *verb);

#endif
