/* detect.h - what the running kernel (or the root prefix) has.
 *
 * Detection looks, never assumes: the scheme is the one whose keys exist
 * under /proc/sys; only when the conntrack module is not loaded at all does
 * the kernel release decide which scheme a later load would bring.
 */
#ifndef CTUNE_DETECT_H
#define CTUNE_DETECT_H

#include <stdbool.h>

#include "error.h"
#include "root.h"
#include "scheme.h"

typedef enum ctune_module_state {
	CTUNE_MODULE_NOT_LOADED,
	CTUNE_MODULE_LOADED,  /* a loadable module, present now */
	CTUNE_MODULE_BUILTIN, /* compiled into the kernel */
} ctune_module_state;

typedef struct ctune_detect {
	ctune_scheme scheme;
	const char *detected_from; /* "sysctl", "kernel_release", "forced" or "none" */
	char kernel_release[128];  /* "" when unknown */
	const char *module;        /* "nf_conntrack" / "ip_conntrack", NULL without a scheme */
	ctune_module_state module_state;
	const char *alias_key; /* the scheme's alias of max, NULL without a scheme */
	bool alias_present;
	const char *table_file; /* the table file found, else the scheme's expected one */
	bool table_file_present;
} ctune_detect;

/* Fill d from the root.  forced is CTUNE_SCHEME_NONE for automatic
 * detection, or the scheme the caller insists on (offline images).  Returns
 * 0; detection itself does not fail, a missing piece is reported as absent. */
int ctune_detect_run(const ctune_root *r, ctune_scheme forced, ctune_detect *d, ctune_error *err);

/* "not_loaded", "loaded", "builtin". */
const char *ctune_module_state_name(ctune_module_state s);

/* Parse "2.6.18-419.el5" into a comparable number (2006018).  0 on failure. */
unsigned long ctune_kernel_version_code(const char *release);

#endif
