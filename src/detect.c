/* detect.c - see detect.h.  Every probe is a stat or a small read under the
 * root prefix, so detection costs microseconds and works on fixture roots. */
#include "detect.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

/* ip_conntrack was removed in 2.6.22; RHEL/CentOS 5 (2.6.18) ships it. */
#define FIRST_MODERN_ONLY_KERNEL 2006022UL

unsigned long ctune_kernel_version_code(const char *release)
{
	unsigned long part[3] = { 0, 0, 0 };
	const char *p = release;
	for (int i = 0; i < 3 && isdigit((unsigned char)*p); i++) {
		unsigned long v = 0;
		while (isdigit((unsigned char)*p)) {
			if (v < 1000)
				v = v * 10 + (unsigned long)(*p - '0');
			p++;
		}
		part[i] = v > 999 ? 999 : v;
		if (*p != '.')
			break;
		p++;
	}
	if (part[0] == 0)
		return 0;
	return part[0] * 1000000UL + part[1] * 1000UL + part[2];
}

static bool key_exists(const ctune_root *r, const char *key)
{
	char path[512];
	if (!key || ctune_key_procpath(key, path, sizeof(path)) < 0)
		return false;
	return ctune_root_exists(r, path);
}

static bool module_listed(const ctune_root *r, const char *module)
{
	_cleanup_free_ char *text = NULL;
	if (ctune_root_read_all(r, "/proc/modules", 4u << 20, &text, NULL) < 0)
		return false;
	size_t n = strlen(module);
	for (const char *line = text; line && *line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (strncmp(line, module, n) == 0 && line[n] == ' ')
			return true;
	}
	return false;
}

static ctune_module_state module_state(const ctune_root *r, const char *module, bool keys_present)
{
	char path[256];
	snprintf(path, sizeof(path), "/sys/module/%s/initstate", module);
	if (ctune_root_exists(r, path))
		return CTUNE_MODULE_LOADED;
	if (module_listed(r, module))
		return CTUNE_MODULE_LOADED;
	snprintf(path, sizeof(path), "/sys/module/%s", module);
	/* A built-in with parameters appears in /sys/module without initstate;
	 * one without parameters is only visible through its sysctl keys. */
	if (ctune_root_exists(r, path) || keys_present)
		return CTUNE_MODULE_BUILTIN;
	return CTUNE_MODULE_NOT_LOADED;
}

int ctune_detect_run(const ctune_root *r, ctune_scheme forced, ctune_detect *d, ctune_error *err)
{
	memset(d, 0, sizeof(*d));
	d->scheme = CTUNE_SCHEME_NONE;
	d->detected_from = "none";

	if (ctune_root_read_small(r, "/proc/sys/kernel/osrelease", d->kernel_release,
				  sizeof(d->kernel_release)) > 0)
		d->kernel_release[strcspn(d->kernel_release, "\r\n")] = '\0';
	else
		d->kernel_release[0] = '\0';

	const ctune_tunable *max = ctune_tunable_find("max");
	bool present[CTUNE_SCHEME_COUNT];
	for (int s = 0; s < CTUNE_SCHEME_COUNT; s++)
		present[s] = key_exists(r, max->key[s]) || key_exists(r, max->alias[s]);

	if (forced != CTUNE_SCHEME_NONE) {
		d->scheme = forced;
		d->detected_from = "forced";
	} else if (present[CTUNE_SCHEME_MODERN]) {
		d->scheme = CTUNE_SCHEME_MODERN;
		d->detected_from = "sysctl";
	} else if (present[CTUNE_SCHEME_LEGACY]) {
		d->scheme = CTUNE_SCHEME_LEGACY;
		d->detected_from = "sysctl";
	} else if (d->kernel_release[0]) {
		unsigned long code = ctune_kernel_version_code(d->kernel_release);
		if (code) {
			d->scheme = code < FIRST_MODERN_ONLY_KERNEL ? CTUNE_SCHEME_LEGACY : CTUNE_SCHEME_MODERN;
			d->detected_from = "kernel_release";
		}
	}
	if (d->scheme == CTUNE_SCHEME_NONE)
		return 0;

	d->module = ctune_scheme_module(d->scheme);
	d->module_state = module_state(r, d->module, present[d->scheme]);
	d->alias_key = max->alias[d->scheme];
	d->alias_present = key_exists(r, d->alias_key);

	/* CentOS 6 kernels also print the legacy-format compat file. */
	d->table_file = ctune_scheme_table_file(d->scheme);
	d->table_file_present = ctune_root_exists(r, d->table_file);
	if (!d->table_file_present) {
		const char *other = ctune_scheme_table_file(d->scheme == CTUNE_SCHEME_MODERN ? CTUNE_SCHEME_LEGACY
											    : CTUNE_SCHEME_MODERN);
		if (ctune_root_exists(r, other)) {
			d->table_file = other;
			d->table_file_present = true;
		}
	}
	(void)err;
	return 0;
}

const char *ctune_module_state_name(ctune_module_state s)
{
	switch (s) {
	case CTUNE_MODULE_LOADED:
		return "loaded";
	case CTUNE_MODULE_BUILTIN:
		return "builtin";
	default:
		return "not_loaded";
	}
}
