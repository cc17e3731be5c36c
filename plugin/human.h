/* human.h - the facts object as a plain-text report for a person at a
 * terminal: `ctune facts` on a tty, or `--format human`.
 *
 * It works from the facts JSON object (docs/facts.md), not from the C
 * structs, so what a person reads is exactly what the JSON contract says. */
#ifndef CTUNE_HUMAN_H
#define CTUNE_HUMAN_H

#include <stdio.h>

#include <jansson.h>

/* Write the report of facts (the object of docs/facts.md) to out.
 * Returns 0, -EINVAL when facts is not an object, or -EIO when out cannot
 * take the text. */
int ctune_human_print(FILE *out, json_t *facts);

/* The columns of the terminal on fd (TIOCGWINSZ, else $COLUMNS, else 80;
 * at least 40), or 79 when fd is not a terminal.  The report's lines use
 * one column less. */
int ctune_human_columns(int fd);

/* Write n bytes of text to out with control characters, DEL, C1 controls
 * and bytes that are not UTF-8 shown as \xNN (line ends kept). */
void ctune_human_escape(FILE *out, const char *text, size_t n);

#endif
