/* plan.h - desired state: from "these tunables should be these values" to
 * live values and a persisted file, all or nothing.
 *
 * One request's trip: validate every value against the scheme table, detect
 * the running scheme, read live and persisted values, compute what changes,
 * then (unless checking) write a journal of everything it will change
 * (txlog.h), the live values and every file, and undo all of it if anything
 * fails; a run killed halfway is repaired by the next one (any verb) from
 * the journal.  A second identical request finds nothing to change and
 * writes nothing.
 */
#ifndef CTUNE_PLAN_H
#define CTUNE_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "root.h"
#include "scheme.h"

#define CTUNE_PLAN_MAX_ITEMS 64
#define CTUNE_PLAN_MAX_WARNINGS 32
#define CTUNE_PLAN_MAX_STALE 32

typedef enum ctune_state {
	CTUNE_STATE_PRESENT,
	CTUNE_STATE_ABSENT,
} ctune_state;

typedef enum ctune_override {
	CTUNE_OVERRIDE_WARN, /* say which later file overrides our value */
	CTUNE_OVERRIDE_FIX,  /* comment the overriding line out */
} ctune_override;

/* One requested tunable (value ignored for CTUNE_STATE_ABSENT). */
typedef struct ctune_want {
	const ctune_tunable *t;
	long long value;
} ctune_want;

typedef struct ctune_plan_opts {
	ctune_state state;
	ctune_scheme scheme; /* CTUNE_SCHEME_NONE: detect */
	bool live;           /* write /proc/sys */
	bool persist;        /* write the file */
	bool backup;         /* copy the file before changing it */
	bool check_mode;     /* compute and report, touch nothing */
	bool diff;           /* keep before/after text */
	bool migrate;        /* rewrite keys of the other scheme found in the file */
	bool force;          /* go past the guards (guard.h) that refuse a harmful value */
	ctune_override override;
	unsigned lock_wait_ms; /* how long to wait for another run's lock; 0: 30 s */
	int ensure_module;     /* load the module early at boot: 1 yes, 0 no, -1 auto (systemd
				  hosts with a loadable module, when sysctl keys are persisted) */
	char modules_load_file[256]; /* "" = /etc/modules-load.d/ctune.conf */
	char modprobe_file[256];     /* "" = /etc/modprobe.d/ctune.conf (buckets as hashsize=) */
	char file[256]; /* absolute as seen from the root; "" = /etc/sysctl.conf */
} ctune_plan_opts;

/* One key of one tunable as it was and as it is (or would be). */
typedef struct ctune_plan_key {
	const char *key;
	bool live_present, live_writable;
	long long live_before, live_after;
	bool live_change;
	bool persisted_before_present, persisted_after_present;
	long long persisted_before, persisted_after;
	int duplicates; /* extra lines for the key that the save removes */
} ctune_plan_key;

typedef struct ctune_plan_item {
	const ctune_tunable *t;
	long long desired;
	size_t nkeys;
	ctune_plan_key keys[2]; /* the key in the running scheme, then its alias */
	bool live_changed, persist_changed;
	bool via_param;   /* live through /sys/module/<module>/parameters/<modparam> */
	const char *file; /* where it is persisted: the sysctl file or the modprobe file */
} ctune_plan_item;

typedef struct ctune_plan_stale {
	char key[256];          /* as written in the file */
	const char *replacement; /* the running scheme's key, NULL if it has none */
	bool migrated;
} ctune_plan_stale;

typedef struct ctune_plan {
	ctune_scheme scheme;
	char file[256]; /* the file persisted to (opts.file or the default) */
	char modprobe_file[256]; /* the modprobe file of module parameters (items' file points here) */
	size_t n;
	ctune_plan_item items[CTUNE_PLAN_MAX_ITEMS];
	size_t nstale;
	ctune_plan_stale stale[CTUNE_PLAN_MAX_STALE];
	bool changed;
	bool persist_changed;
	bool bad_request; /* the failure was in the request itself, not the host */
	size_t nfixed;    /* lines commented out in other files (override: fix) */
	char fixed[8][300];
	size_t ndiffs; /* with opts.diff: the sysctl file, then every other file that changes */
	struct {
		char file[256];
		char *before, *after;
	} diffs[12];
	struct {
		bool checked;        /* ensure_module was in force */
		bool changed;        /* a line was (or would be) added */
		const char *module;
		char file[256];      /* the file ctune adds it to */
		char listed_in[256]; /* where the boot already finds it, "" when nowhere */
	} module_load;
	char backup_file[512];          /* "" when none was made */
	size_t nwarnings;
	char warnings[CTUNE_PLAN_MAX_WARNINGS][512];
} ctune_plan;

/* Bring the host to the wanted state (see the file comment).  On failure
 * nothing is left changed: live values are restored and the file is as it
 * was.  Returns 0 (p describes what changed or would change) or -errno with
 * err naming the key or file and the reason.  Free with ctune_plan_free,
 * after a failure too. */
int ctune_plan_run(const ctune_root *r, const ctune_plan_opts *o, const ctune_want *want, size_t n,
		   ctune_plan *p, ctune_error *err);

void ctune_plan_free(ctune_plan *p);

/* Check a file option: /etc/sysctl.conf or NAME.conf directly inside one of
 * the sysctl.d directories.  Returns 0 or -EINVAL with the reason. */
int ctune_plan_check_file(const char *file, ctune_error *err);

#endif
