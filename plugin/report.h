/* report.h - `ctune report`: the fleet view over many hosts' facts.
 *
 * Data moves one way:
 *   report-read.c   bytes of the engines' outputs (Ansible's jsonfile fact
 *                   cache, `ansible --tree` result files, Salt's --static
 *                   output and grains, `ctune facts` files, JSON lines) ->
 *                   one small ctune_report_host per host, or a per-host error;
 *                   each host's JSON document is freed as soon as its numbers
 *                   are out, so memory does not grow with a document's size
 *   report.c        the hosts -> the fleet: records, duplicates, staleness,
 *                   the ranking (a top-N heap), totals; and the verb's
 *                   command line
 *   report-face.c   the fleet -> human table, JSON, Prometheus text, HTML
 * Nothing here opens a connection: the engines did the fan-out.
 */
#ifndef CTUNE_REPORT_H
#define CTUNE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Caps that bound the reader's memory whatever the input. */
#define CTUNE_REPORT_NAME_MAX 255            /* bytes of a host name (DNS: 253) */
#define CTUNE_REPORT_DOC_MAX (1u << 20)      /* bytes of one host's kept JSON text */
#define CTUNE_REPORT_REASON_MAX 200          /* bytes of an error's reason */
#define CTUNE_REPORT_DEPTH_MAX 2048          /* nesting (jansson's own parser limit) */
#define CTUNE_REPORT_UNKNOWN INT64_MIN       /* a number the facts did not carry */

typedef enum ctune_report_scheme {
	CTUNE_REPORT_SCHEME_UNKNOWN,
	CTUNE_REPORT_SCHEME_LEGACY,
	CTUNE_REPORT_SCHEME_MODERN,
	CTUNE_REPORT_SCHEME_NONE, /* no conntrack at all */
	CTUNE_REPORT_SCHEME_COUNT,
} ctune_report_scheme;

/* The drift a host shows (bits of ctune_report_host.drift). */
enum {
	CTUNE_DRIFT_BOOT = 1u << 0,        /* a live value the next boot will not keep */
	CTUNE_DRIFT_OTHER_SCHEME = 1u << 1, /* keys of the other naming scheme in its files */
	CTUNE_DRIFT_BUCKETS = 1u << 2,     /* max/buckets far (2x) from the kernel's own ratio */
	CTUNE_DRIFT_TIMEOUT = 1u << 3,     /* the default 5-day established timeout (432000 s) */
	CTUNE_DRIFT_MEMORY = 1u << 4,      /* max above what the host's memory allows */
	CTUNE_DRIFT_COUNT = 5,
};

/* Names of the drift bits, in bit order (snake_case, as JSON and HTML show them). */
extern const char *const ctune_drift_names[CTUNE_DRIFT_COUNT];
extern const char *const ctune_report_scheme_names[CTUNE_REPORT_SCHEME_COUNT];

/* What the report keeps of one host: a few numbers and flags.  Numbers the
 * facts did not carry are CTUNE_REPORT_UNKNOWN. */
typedef struct ctune_report_host {
	char name[CTUNE_REPORT_NAME_MAX + 1]; /* as the engine named it: escape before printing */
	char era[24], init[12], kernel[64];   /* "" when unknown */
	char boot_key[48];                    /* the first tunable the boot will not keep */
	int64_t time;                         /* epoch seconds of the facts (file mtime), or UNKNOWN */
	int64_t count, max, buckets;
	int64_t drop, early_drop, insert_failed; /* since boot (the kernel's counters) */
	int64_t boot_time;                    /* advice.drops.boot_time, or UNKNOWN */
	int64_t tcp_established;              /* seconds */
	int64_t recommended_max, recommended_buckets, recommended_memory, memory_total;
	int64_t default_max, default_buckets;
	double usage;                         /* percent, < 0 when unknown */
	int64_t seconds_to_full;              /* from two samples of the host, or UNKNOWN */
	uint32_t input;                       /* index of the input it came from */
	uint16_t drift;                       /* CTUNE_DRIFT_* bits */
	uint16_t boot_drift;                  /* how many tunables the boot will not keep */
	uint8_t scheme;                       /* ctune_report_scheme */
	bool change_max, change_buckets, capped_by_memory, table_full_seen;
} ctune_report_host;

/* Where the reader hands what it found.  host() gets each host read whole;
 * error() each input or host that could not be read (host NULL when the
 * error is the input's own, e.g. it cannot be opened).  Both return 0, or
 * -errno to stop reading (only for the caller's own failures: out of
 * memory). */
typedef struct ctune_report_sink {
	int (*host)(void *ud, const ctune_report_host *h);
	int (*error)(void *ud, uint32_t input, const char *host, const char *reason);
	void *ud;
} ctune_report_sink;

/* Read one input: a file, a directory of files (one per host, the file's
 * name the host's unless the document names it), or "-" (standard input).
 * Every form is detected per document.  input is the index passed back to
 * the sink.  Returns 0 (bad content is reported through the sink, never
 * fails the call), or -errno from the sink. */
int ctune_report_read_path(const char *path, uint32_t input, const ctune_report_sink *sink);

/* The same over bytes in memory (the fuzz target's way in): name is the
 * host name for a document that is one host's (NULL: "-"), mtime its time
 * (CTUNE_REPORT_UNKNOWN: none). */
int ctune_report_read_mem(const char *data, size_t len, const char *name, int64_t mtime, uint32_t input,
			  const ctune_report_sink *sink);

/* ---- report.c: the fleet ---- */

typedef struct ctune_report_error {
	uint32_t input;
	char host[64]; /* "" when the input itself failed */
	char reason[CTUNE_REPORT_REASON_MAX];
} ctune_report_error;

typedef struct ctune_report_opts {
	size_t top;        /* hosts in the ranking (default 20) */
	int64_t max_age;   /* seconds; 0: no staleness check */
	int64_t now;       /* the report's time (epoch seconds) */
	unsigned width;    /* the human table's width; 0: 100 */
} ctune_report_opts;

#define CTUNE_REPORT_ERA_SLOTS 12 /* distinct eras / inits counted; more go under "other" */
#define CTUNE_REPORT_HIST 10      /* usage histogram: 10 buckets of 10 % */

typedef struct ctune_report_tally {
	char name[24];
	size_t hosts;
} ctune_report_tally;

typedef struct ctune_report {
	ctune_report_opts opts;
	const char *const *inputs;
	size_t ninputs;
	/* The hosts, in reading order: fixed-size records in an unlinked
	 * temporary file (the store), so memory stays flat however many hosts
	 * there are; a block of records is cached for writing and one for
	 * reading. */
	int store_fd;
	ctune_report_host *wbuf, *rbuf;
	size_t wbase, wn, rbase, rn;
	size_t nhosts;
	ctune_report_error *errors;
	size_t nerrors, cap_errors, errors_dropped;
	size_t duplicates;
	uint32_t *index; /* open-addressing set of host names (report.c) */
	size_t index_cap;
	ctune_report_host *ranked; /* the top hosts, worst first (after ctune_report_finish) */
	size_t nranked;
	/* totals */
	size_t per_scheme[CTUNE_REPORT_SCHEME_COUNT];
	ctune_report_tally eras[CTUNE_REPORT_ERA_SLOTS], inits[CTUNE_REPORT_ERA_SLOTS];
	size_t neras, ninits;
	size_t per_drift[CTUNE_DRIFT_COUNT], with_drift;
	size_t need_max, need_buckets, need_timeout, need_persist, need_migrate;
	size_t with_drops, stale, full_known;
	uint64_t drops_total;
	uint64_t advised_memory; /* sum of recommended_memory_bytes */
	size_t histogram[CTUNE_REPORT_HIST], usage_known;
	size_t critical, warning;
} ctune_report;

/* The host's risk: 2 critical (dropping because the table was full, see
 * ctune_report_dropping, or 90 % full or more), 1 warning (70 %, drift, or
 * drops that were all insert races), 0 ok. */
int ctune_report_level(const ctune_report_host *h);
/* < 0 when a is the greater risk (ranks first). */
int ctune_report_cmp(const ctune_report_host *a, const ctune_report_host *b);
uint64_t ctune_report_drops(const ctune_report_host *h);
/* The statistics (or the kernel log) say the table was full: an early drop,
 * more drops than insert failures (since 5.x a lost insert race between two
 * CPUs counts in both, and is not a full table), or table_full_seen.  Drops
 * that are all races make a warning, not a critical host. */
bool ctune_report_dropping(const ctune_report_host *h);
/* Is h's time older than the report's --max-age? */
bool ctune_report_is_stale(const ctune_report *r, const ctune_report_host *h);

void ctune_report_init(ctune_report *r, const ctune_report_opts *opts, const char *const *inputs, size_t ninputs);
/* The sink that fills r. */
ctune_report_sink ctune_report_sink_of(ctune_report *r);
/* Host i (< r->nhosts) into *out.  0 or -errno (the store cannot be read). */
int ctune_report_host_at(ctune_report *r, size_t i, ctune_report_host *out);
/* After every input is read: rank and total.  0 or -ENOMEM. */
int ctune_report_finish(ctune_report *r);
void ctune_report_free(ctune_report *r);

/* ---- report-face.c ---- */
int ctune_report_print_human(FILE *out, ctune_report *r);
int ctune_report_print_json(FILE *out, ctune_report *r);
int ctune_report_print_prometheus(FILE *out, ctune_report *r);
int ctune_report_print_html(FILE *out, ctune_report *r);

/* The verb: `ctune report [PATH...] [options]` (argv[1] is "report"). */
int ctune_report_main(int argc, char **argv);

#endif
