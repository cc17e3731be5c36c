/* boot.c - see boot.h. */
#include "boot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootfiles.h"
#include "cleanup.h"
#include "sysctld.h"

struct replay {
	ctune_boot *b;
	ctune_scheme scheme;
	const char *file;
};

static void assign(const char *key, const char *value, unsigned line, bool ignore_failure, void *data)
{
	struct replay *rp = data;
	ctune_scheme s;
	const ctune_tunable *t = ctune_tunable_by_key(key, &s);
	if (!t || s != rp->scheme)
		return;
	ctune_boot *b = rp->b;
	ctune_boot_value *v = (ctune_boot_value *)ctune_boot_get(b, t);
	if (!v) {
		if (b->n >= CTUNE_BOOT_MAX)
			return;
		v = &b->v[b->n++];
		v->t = t;
	}
	snprintf(v->key, sizeof(v->key), "%s", key);
	snprintf(v->raw, sizeof(v->raw), "%s", value);
	snprintf(v->file, sizeof(v->file), "%s", rp->file);
	v->line = line;
	v->ignore_failure = ignore_failure;
	char *end;
	errno = 0;
	v->value = strtoll(value, &end, 10);
	v->integer = !errno && end != value && (*end == '\0' || *end == ' ' || *end == '\t');
}

static void module_early(const ctune_root *r, const ctune_detect *d, ctune_boot *b)
{
	if (d->module_state == CTUNE_MODULE_BUILTIN) {
		b->module_early = 1;
		snprintf(b->module_reason, sizeof(b->module_reason), "%s is built into the kernel", d->module);
		return;
	}
	if (!b->systemd) {
		/* SysV init applies sysctl.conf from rc.sysinit; the firewall's init
		 * script loads the module later and may or may not re-apply it. */
		b->module_early = -1;
		snprintf(b->module_reason, sizeof(b->module_reason),
			 "%s is a loadable module on a SysV-init host: whether it is loaded before sysctl.conf is "
			 "applied depends on the init scripts",
			 d->module);
		return;
	}
	ctune_modload_hit hit;
	int found = ctune_modload_find(r, d->module, &hit, NULL);
	if (found > 0) {
		b->module_early = 1;
		snprintf(b->module_reason, sizeof(b->module_reason),
			 "%s is listed in %s: systemd-modules-load loads it before systemd-sysctl runs", d->module,
			 hit.file);
	} else {
		b->module_early = 0;
		snprintf(b->module_reason, sizeof(b->module_reason),
			 "%s is a loadable module not listed in any modules-load.d file: it loads when a rule first "
			 "needs it, after systemd-sysctl has run, so its keys are skipped at boot (ctune set "
			 "--ensure-module yes lists it)",
			 d->module);
	}
}

int ctune_boot_effective(const ctune_root *r, const ctune_detect *d, ctune_boot *b, ctune_error *err)
{
	memset(b, 0, sizeof(*b));
	b->module_early = -1;
	if (d->scheme == CTUNE_SCHEME_NONE)
		return 0;
	_cleanup_free_ ctune_sysctld *l = malloc(sizeof(*l));
	if (!l)
		return ctune_error_set(err, -ENOMEM, "out of memory");
	int rr = ctune_sysctld_list_boot(r, l, &b->systemd, err);
	if (rr < 0)
		return rr;
	b->nfiles = l->n;
	struct replay rp = { b, d->scheme, NULL };
	for (size_t i = 0; i < l->n; i++) {
		_cleanup_free_ char *text = NULL;
		rr = ctune_root_read_all(r, l->files[i], 16u << 20, &text, NULL);
		if (rr == -ENOENT)
			continue; /* a dangling link: skipped at boot too */
		if (rr < 0)
			return ctune_error_set(err, rr, "cannot read %s: %s", l->files[i], ctune_root_strerror(rr));
		rp.file = l->files[i];
		ctune_sysctl_text_foreach(text, assign, &rp);
	}
	module_early(r, d, b);
	return 0;
}

const ctune_boot_value *ctune_boot_get(const ctune_boot *b, const ctune_tunable *t)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->v[i].t == t)
			return &b->v[i];
	return NULL;
}
