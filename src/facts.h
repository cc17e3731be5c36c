/* facts.h - everything ctune reports about a host's conntrack, gathered
 * into one plain struct for the edge (plugin/) to print.
 *
 * Default facts read a few dozen small /proc/sys files and the per-CPU
 * statistics: their cost does not grow with the table.  Only when asked for
 * (`table`) is the table walked.
 */
#ifndef CTUNE_FACTS_H
#define CTUNE_FACTS_H

#include <stdbool.h>

#include "advise.h"
#include "boot.h"
#include "detect.h"
#include "events.h"
#include "error.h"
#include "root.h"
#include "scheme.h"
#include "stat.h"
#include "table.h"

#define CTUNE_FACTS_MAX_TUNABLES 96
#define CTUNE_FACTS_MAX_WARNINGS 16

typedef struct ctune_fact_value {
	bool present;
	bool writable;
	bool out_of_range; /* read, but outside sane.h's range: not present, feeds no advice */
	long long value;
	const char *key; /* the key read, in the running scheme */
} ctune_fact_value;

typedef enum ctune_source {
	CTUNE_SOURCE_AUTO,    /* netlink with CAP_NET_ADMIN on the running system, else /proc */
	CTUNE_SOURCE_PROC,    /* /proc under the root prefix */
	CTUNE_SOURCE_NETLINK, /* ctnetlink of the running kernel (no root prefix) */
} ctune_source;

typedef struct ctune_facts_opts {
	ctune_scheme scheme; /* CTUNE_SCHEME_NONE: detect */
	ctune_source source;
	bool table;  /* walk the table for a summary */
	unsigned top; /* with table: top talkers, this many groups a dimension (0: none; table.h) */
	bool events; /* scan the kernel log for table-full events */
	bool advice; /* sizing advice */
	bool boot;   /* effective_at_boot: replay the boot's sysctl step */
} ctune_facts_opts;

typedef struct ctune_facts {
	ctune_detect detect;
	const char *source; /* "proc" or "netlink": what gave count, stats and table */
	char source_reason[1100];
	/* indexed like ctune_tunables() */
	ctune_fact_value values[CTUNE_FACTS_MAX_TUNABLES];
	size_t nvalues;
	bool have_stats;
	const char *stat_file;
	ctune_stats stats;
	bool want_table; /* a summary was asked for (have_table: and made) */
	bool have_table;
	const char *table_file;
	ctune_table_summary table;
	bool want_events; /* events were asked for (have_events: and read) */
	bool have_events;
	ctune_events events;
	char events_error[1100]; /* why events were not read, when asked for */
	bool have_boot;
	ctune_boot boot;
	bool have_advice;
	ctune_advice advice;
	size_t nwarnings;
	char warnings[CTUNE_FACTS_MAX_WARNINGS][256];
} ctune_facts;

/* Gather facts under the root.  Missing pieces become warnings, not
 * failures: only a table walk that was asked for and cannot be done fails
 * (-ENOENT, -EACCES, ...), and a netlink source that was asked for and
 * cannot be used.  Free with ctune_facts_free. */
int ctune_facts_gather(const ctune_root *r, const ctune_facts_opts *opts, ctune_facts *f, ctune_error *err);

/* The value of one tunable by canonical name, or NULL when not present. */
const ctune_fact_value *ctune_facts_get(const ctune_facts *f, const char *name);

void ctune_facts_free(ctune_facts *f);

#endif
