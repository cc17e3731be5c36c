/* request.h - one request, from the command line or from JSON, as a plain
 * struct.  This is the only place that knows the shape of the protocol's
 * input: everything past it sees C values, never jansson. */
#ifndef CTUNE_REQUEST_H
#define CTUNE_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "facts.h"
#include "plan.h"
#include "scheme.h"

typedef enum ctune_verb {
	CTUNE_VERB_FACTS,
	CTUNE_VERB_SET,      /* tunables given: bring them to the wanted state */
	CTUNE_VERB_TUNABLES, /* the table of tunables: names, units, ranges, keys */
	CTUNE_VERB_WATCH,    /* sample count, max and statistics every interval (plugin/watch.c) */
} ctune_verb;

typedef enum ctune_format {
	CTUNE_FORMAT_AUTO,       /* command line, not given: human on a terminal, else JSON */
	CTUNE_FORMAT_JSON,
	CTUNE_FORMAT_HUMAN,      /* facts as a plain-text report (human.h) */
	CTUNE_FORMAT_PROMETHEUS, /* facts as Prometheus text (prometheus.h) */
} ctune_format;

typedef enum ctune_origin {
	CTUNE_ORIGIN_CLI,     /* ctune facts --root ... */
	CTUNE_ORIGIN_JSON,    /* a JSON object on stdin or in a file */
	CTUNE_ORIGIN_ANSIBLE, /* the JSON carried _ansible_* keys */
} ctune_origin;

typedef enum ctune_color {
	CTUNE_COLOR_AUTO,   /* a terminal whose TERM is not dumb, and NO_COLOR unset */
	CTUNE_COLOR_ALWAYS,
	CTUNE_COLOR_NEVER,
} ctune_color;

typedef struct ctune_request {
	ctune_verb verb;
	ctune_color color; /* --color: the human output of set */
	ctune_origin origin;
	ctune_format format;
	char root[4096]; /* "" for the real root */
	ctune_scheme scheme; /* CTUNE_SCHEME_NONE: detect */
	bool table;
	unsigned top;   /* top talkers per dimension with table (0: off) */
	bool top_given;
	bool events;
	bool advice;
	bool boot;
	bool netns; /* facts: every network namespace with its count (netns-json.h) */
	bool per_cpu; /* format prometheus: the statistics per CPU too */
	ctune_source source;
	/* watch */
	unsigned long long interval_ms; /* 0: the default */
	unsigned long long samples;     /* 0: until stopped */
	bool check_mode; /* any spelling asked for it (request.c: ask_check_mode) */
	const char *check_on_key, *check_off_key; /* the first spelling for and against */
	bool diff;
	bool verb_given;
	bool facts_only; /* called as Ansible's ctune_facts module */
	/* set */
	size_t nwant;
	ctune_want want[CTUNE_PLAN_MAX_ITEMS];
	bool want_has_value[CTUNE_PLAN_MAX_ITEMS];
	ctune_plan_opts plan;
} ctune_request;

/* Parse the command line (argv[0] is the program, argv[1] the verb).
 * Returns 0 or -EINVAL with err saying what is wrong. */
int ctune_request_from_argv(int argc, char **argv, ctune_request *req, ctune_error *err);

/* Parse a JSON request.  Returns 0 or -EINVAL with err naming the field. */
int ctune_request_from_json(const char *text, size_t len, ctune_request *req, ctune_error *err);

#endif
