/* boot.h - what the next boot will apply: effective_at_boot.
 *
 * A value persisted in a sysctl file is not in force after a reboot when a
 * later file overrides it, when systemd-sysctl does not read the file at
 * all, or when nf_conntrack is loaded after systemd-sysctl has run (its keys
 * do not exist yet and the line is skipped).  This module replays the boot:
 * the configuration files in boot order (sysctld.h), the last assignment of
 * each conntrack key of the running scheme (or its alias) winning, and
 * whether the module is there early enough.
 */
#ifndef CTUNE_BOOT_H
#define CTUNE_BOOT_H

#include <stdbool.h>
#include <stddef.h>

#include "detect.h"
#include "error.h"
#include "root.h"
#include "scheme.h"

#define CTUNE_BOOT_MAX 96

typedef struct ctune_boot_value {
	const ctune_tunable *t;
	char key[128];   /* the key as assigned (normalised), the scheme's key or alias */
	char raw[128];   /* the value text */
	bool integer;    /* raw starts with an integer the kernel would take */
	long long value; /* that integer */
	char file[256];  /* the file that sets it, as the system names it */
	unsigned line;
	bool ignore_failure; /* "-key": a missing key is not an error at boot */
} ctune_boot_value;

typedef struct ctune_boot {
	bool systemd;    /* systemd-sysctl applies the files (else SysV init) */
	int module_early; /* 1: conntrack is there before sysctl runs, 0: not, -1: unknown */
	char module_reason[512];
	size_t nfiles;   /* configuration files read */
	size_t n;        /* tunables some file assigns */
	ctune_boot_value v[CTUNE_BOOT_MAX];
} ctune_boot;

/* Replay the boot's sysctl step for the running scheme d->scheme.  Returns 0
 * or -errno (a file that exists but cannot be read). */
int ctune_boot_effective(const ctune_root *r, const ctune_detect *d, ctune_boot *b, ctune_error *err);

/* The entry for a tunable, or NULL when no file assigns it. */
const ctune_boot_value *ctune_boot_get(const ctune_boot *b, const ctune_tunable *t);

#endif
