/* boot.h - what the next boot will apply: effective_at_boot.
 *
 * A value persisted in a sysctl file is not in force after a reboot when a
 * later file overrides it, when the boot's tool does not read the file,
 * when the kernel refuses the value, or when nf_conntrack is loaded after
 * the files were applied (its keys do not exist yet and the line is
 * skipped).  This module replays the boot's sysctl step with the rules of
 * the tool the image runs (bootmodel.h): systemd-sysctl's ordered map
 * (globs, "-key" exclusions and cancellations, a re-assignment of the same
 * value keeping its first place), or procps writing every line in order;
 * each write is then taken or refused as the kernel would (sysctlkey.h),
 * and for every conntrack tunable of the running scheme the value last
 * taken is the one in force.
 */
#ifndef CTUNE_BOOT_H
#define CTUNE_BOOT_H

#include <stdbool.h>
#include <stddef.h>

#include "bootmodel.h"
#include "detect.h"
#include "error.h"
#include "root.h"
#include "scheme.h"

#define CTUNE_BOOT_MAX 96
#define CTUNE_BOOT_MAX_REJECTED 4
#define CTUNE_BOOT_MAX_SKIPPED 8
#define CTUNE_BOOT_MAX_OTHER 32

/* A write the kernel will refuse. */
typedef struct ctune_boot_reject {
	char file[256];
	unsigned line;
	char raw[128];   /* the value as written */
	const char *why; /* static text */
} ctune_boot_reject;

typedef struct ctune_boot_value {
	const ctune_tunable *t;
	char key[128];   /* the key written (dotted): the scheme's key or alias */
	char raw[128];   /* the value text of that write */
	bool integer;    /* a write the kernel takes exists: value is in force */
	long long value; /* that value, as the kernel parsed it */
	char file[256];  /* the file of that write (or, with no write taken, of the last one refused) */
	unsigned line;
	bool ignore_failure; /* written as "-key": a missing key is not an error at boot */
	size_t nrejected;    /* writes of this tunable the kernel refuses, in order */
	ctune_boot_reject rejected[CTUNE_BOOT_MAX_REJECTED];
} ctune_boot_value;

/* A line of the files read that names a key of the other naming scheme
 * (net.ipv4.netfilter.ip_conntrack_max on a modern kernel): at boot it
 * sets nothing (or fails), and `ctune set --migrate` rewrites it. */
typedef struct ctune_boot_other {
	char file[256];
	unsigned line;
	const char *key; /* dotted, the other scheme's key or alias (static) */
} ctune_boot_other;

typedef struct ctune_boot {
	bool systemd; /* systemd-sysctl applies the files (else an init script) */
	ctune_boot_model model;
	char model_reason[256];
	unsigned hz; /* the kernel's tick rate assumed for timeout limits (250; RHEL: 1000) */
	int module_early; /* 1: conntrack is there before sysctl runs, 0: not, -1: unknown */
	char module_reason[512];
	size_t nfiles; /* configuration files read */
	size_t n;      /* tunables some file writes */
	ctune_boot_value v[CTUNE_BOOT_MAX];
	size_t nskipped; /* entries the tool lists but cannot read (a directory named x.conf) */
	char skipped[CTUNE_BOOT_MAX_SKIPPED][320];
	size_t nother; /* lines naming a key of the other scheme, all of them */
	ctune_boot_other other[CTUNE_BOOT_MAX_OTHER]; /* the first of them, in the order they are read */
} ctune_boot;

/* Replay the boot's sysctl step for the running scheme d->scheme.  An entry
 * that cannot be read is skipped (as the tools skip it) and listed in
 * skipped.  Returns 0 or -errno (out of memory, too many files). */
int ctune_boot_effective(const ctune_root *r, const ctune_detect *d, ctune_boot *b, ctune_error *err);

/* The entry for a tunable, or NULL when no file writes it. */
const ctune_boot_value *ctune_boot_get(const ctune_boot *b, const ctune_tunable *t);

#endif
