/* plan.c - see plan.h.  The order is the contract: validate everything and
 * run every lens (parse, render) before touching anything; then the
 * journal (txlog.h), every file prepared beside its target, the live
 * values (the kernel may refuse one before any file says it), every file
 * renamed into place; any failure undoes all of it from the journal. */
#include "plan.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "advise.h"
#include "bootfiles.h"
#include "bootmodel.h"
#include "cleanup.h"
#include "detect.h"
#include "guard.h"
#include "lock.h"
#include "persist.h"
#include "procsys.h"
#include "sysctld.h"
#include "textfile.h"
#include "txlog.h"

#define LOCK_WAIT_MS 30000

__attribute__((format(printf, 2, 3))) static void warn(ctune_plan *p, const char *fmt, ...)
{
	if (p->nwarnings >= CTUNE_PLAN_MAX_WARNINGS)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->warnings[p->nwarnings++], sizeof(p->warnings[0]), fmt, ap);
	va_end(ap);
}

int ctune_plan_check_file(const char *file, ctune_error *err)
{
	if (strcmp(file, "/etc/sysctl.conf") == 0)
		return 0;
	for (size_t i = 0; i < ctune_sysctl_ndirs; i++) {
		size_t dl = strlen(ctune_sysctl_dirs[i]);
		if (strncmp(file, ctune_sysctl_dirs[i], dl) != 0 || file[dl] != '/')
			continue;
		const char *name = file + dl + 1;
		size_t nl = strlen(name);
		bool ok = nl > 5 && nl < 128 && name[0] != '.' && strcmp(name + nl - 5, ".conf") == 0;
		for (const char *c = name; ok && *c; c++)
			ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
			     strchr("._-+@", *c);
		if (ok)
			return 0;
		break;
	}
	return ctune_error_set(err, -EINVAL,
			       "file: '%s' is neither /etc/sysctl.conf nor NAME.conf directly in a sysctl.d "
			       "directory (/etc/sysctl.d, /run/sysctl.d, /usr/local/lib/sysctl.d, /usr/lib/sysctl.d, "
			       "/lib/sysctl.d)",
			       file);
}

static int validate(const ctune_plan_opts *o, const ctune_want *want, size_t n, ctune_error *err)
{
	if (n == 0)
		return ctune_error_set(err, -EINVAL, "no tunables given");
	if (n > CTUNE_PLAN_MAX_ITEMS)
		return ctune_error_set(err, -E2BIG, "more than %d tunables in one request", CTUNE_PLAN_MAX_ITEMS);
	if (!o->live && !o->persist && o->state == CTUNE_STATE_PRESENT)
		return ctune_error_set(err, -EINVAL, "live and persist are both false: nothing to do");
	for (size_t i = 0; i < n; i++) {
		const ctune_tunable *t = want[i].t;
		if (t->flags & CTUNE_TF_READONLY)
			return ctune_error_set(err, -EINVAL, "%s is read-only: the kernel reports it, nobody sets it",
					       t->name);
		for (size_t j = 0; j < i; j++)
			if (want[j].t == t)
				return ctune_error_set(err, -EINVAL, "%s is given twice", t->name);
		if (o->state == CTUNE_STATE_PRESENT && (want[i].value < t->min || want[i].value > t->max))
			return ctune_error_set(err, -ERANGE, "%s: %lld is outside the valid range %lld..%lld",
					       t->name, want[i].value, t->min, t->max);
	}
	return ctune_plan_check_file(o->file[0] ? o->file : "/etc/sysctl.conf", err);
}

/* Parse a persisted value as the kernel reads it: one integer, then white
 * space and anything (a trailing "# note" is ignored); LLONG_MIN for text
 * that does not start with an integer. */
static long long parse_persisted(const char *s)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	return errno || end == s || (*end && *end != ' ' && *end != '\t') ? LLONG_MIN : v;
}

/* Only a key that is not there is absent: a key that exists and cannot be
 * read, or whose mode cannot be read, fails the request (ENOENT alone
 * means "not in this kernel"). */
static int read_live(const ctune_root *r, ctune_plan_key *k, ctune_error *err)
{
	ctune_error e = { 0 };
	int rr = ctune_procsys_read(r, k->key, &k->live_before, &e);
	if (rr == -ENOENT)
		return 0;
	if (rr < 0)
		return ctune_error_set(err, rr, "%s", e.msg[0] ? e.msg : strerror(-rr));
	k->live_present = true;
	char rel[512], path[4608];
	struct stat st;
	if (ctune_key_procpath(k->key, rel, sizeof(rel)) < 0 || ctune_root_path(r, rel, path, sizeof(path)) < 0)
		return ctune_error_set(err, -ENAMETOOLONG, "key %s is too long", k->key);
	if (stat(path, &st) < 0)
		return ctune_error_set(err, -errno, "cannot read the mode of %s: %s", k->key, strerror(errno));
	k->live_writable = st.st_mode & S_IWUSR; /* ctune_procsys_writable()'s rule, without a second stat */
	return 0;
}

static int read_key(const ctune_root *r, ctune_persist *ps, ctune_plan_key *k, ctune_error *err)
{
	int rr = read_live(r, k, err);
	if (rr < 0)
		return rr;
	k->live_after = k->live_before;
	if (!ps)
		return 0;
	char value[128];
	int count = ctune_persist_get(ps, k->key, value, sizeof(value), err);
	if (count < 0)
		return count;
	k->persisted_before_present = count > 0;
	k->persisted_before = count > 0 ? parse_persisted(value) : 0;
	k->duplicates = count > 1 ? count - 1 : 0;
	k->persisted_after_present = k->persisted_before_present;
	k->persisted_after = k->persisted_before;
	return 0;
}

/* The keys one tunable covers here: its key in the running scheme, and the
 * alias where the kernel has it or the file already says it. */
static int plan_keys(const ctune_root *r, ctune_persist *ps, ctune_scheme s, ctune_plan *p, ctune_plan_item *it,
		     ctune_error *err)
{
	const ctune_tunable *t = it->t;
	if (!t->key[s]) {
		p->bad_request = true;
		return ctune_error_set(err, -EINVAL, "%s does not exist in the %s naming scheme", t->name,
				       ctune_scheme_name(s));
	}
	it->keys[0].key = t->key[s];
	it->nkeys = 1;
	int rr = read_key(r, ps, &it->keys[0], err);
	if (rr < 0 || !t->alias[s])
		return rr;
	ctune_plan_key alias = { .key = t->alias[s] };
	if ((rr = read_key(r, ps, &alias, err)) < 0)
		return rr;
	if (alias.live_present || alias.persisted_before_present)
		it->keys[it->nkeys++] = alias;
	return 0;
}

static int plan_item(const ctune_root *r, const ctune_plan_opts *o, ctune_persist *ps, ctune_plan *p,
		     ctune_plan_item *it, ctune_error *err)
{
	char value[32];
	snprintf(value, sizeof(value), "%lld", it->desired);
	bool warned_missing = false;
	for (size_t k = 0; k < it->nkeys; k++) {
		ctune_plan_key *pk = &it->keys[k];
		if (pk->duplicates > 0)
			warn(p, "%s appears %d times in %s (the last one wins); the file will say it once", pk->key,
			     pk->duplicates + 1, p->file);
		if (o->state == CTUNE_STATE_ABSENT) {
			if (ps && pk->persisted_before_present) {
				int rr = ctune_persist_remove(ps, pk->key, err);
				if (rr < 0)
					return rr;
				pk->persisted_after_present = false;
				it->persist_changed = true;
			}
			continue;
		}
		if (o->live && pk->live_present && pk->live_before != it->desired) {
			if (!pk->live_writable)
				return ctune_error_set(err, -EACCES,
						       "%s is read-only here (a network namespace other than the "
						       "initial one, or a container): it is %lld and cannot be set to "
						       "%lld live; use live: false to only persist it",
						       pk->key, pk->live_before, it->desired);
			pk->live_change = true;
			pk->live_after = it->desired;
			it->live_changed = true;
		}
		if (o->live && !pk->live_present && k == 0 && !warned_missing) {
			warn(p, "%s does not exist in the running kernel (is the conntrack module loaded?): %s", pk->key,
			     ps ? "persisted only, it applies when the module loads" : "nothing was applied");
			warned_missing = true;
		}
		if (ps) {
			int rr = ctune_persist_set(ps, pk->key, value, err);
			if (rr < 0)
				return rr;
			if (!pk->persisted_before_present || pk->persisted_before != it->desired || pk->duplicates)
				it->persist_changed = true;
			pk->persisted_after_present = true;
			pk->persisted_after = it->desired;
		}
	}
	return 0;
}

/* A tunable persisted as a module parameter (buckets: hashsize=) rather
 * than a sysctl line: live through its sysctl key where writable, else the
 * module parameter itself; persisted in the modprobe file. */
static int plan_param_item(const ctune_root *r, const ctune_plan_opts *o, const ctune_detect *d,
			   ctune_modprobe *mp, ctune_plan *p, ctune_plan_item *it, ctune_error *err)
{
	const ctune_tunable *t = it->t;
	ctune_plan_key *pk = &it->keys[0];
	char value[32], before[64] = "";
	if (mp) {
		int count = ctune_modprobe_get(mp, d->module, t->modparam, before, sizeof(before), err);
		if (count < 0)
			return count;
		pk->persisted_before_present = count > 0;
		pk->persisted_before = count > 0 ? parse_persisted(before) : 0;
		pk->duplicates = count > 1 ? count - 1 : 0;
		pk->persisted_after_present = pk->persisted_before_present;
		pk->persisted_after = pk->persisted_before;
		/* The session is closed before the caller reads the plan. */
		snprintf(p->modprobe_file, sizeof(p->modprobe_file), "%s", ctune_modprobe_path(mp));
		it->file = p->modprobe_file;
	}
	if (o->state == CTUNE_STATE_ABSENT) {
		if (mp && pk->persisted_before_present) {
			int rr = ctune_modprobe_unset(mp, d->module, t->modparam, err);
			if (rr < 0)
				return rr;
			pk->persisted_after_present = false;
			it->persist_changed = true;
		}
		return 0;
	}
	if (o->live && pk->live_present && pk->live_before != it->desired) {
		char cur[64];
		if (!pk->live_writable && ctune_modprobe_live_get(r, d->module, t->modparam, cur, sizeof(cur), NULL) < 0)
			return ctune_error_set(err, -EACCES,
					       "%s is read-only here and /sys/module/%s/parameters/%s is missing: it is "
					       "%lld and cannot be set to %lld live; use live: false to only persist it",
					       pk->key, d->module, t->modparam, pk->live_before, it->desired);
		it->via_param = !pk->live_writable;
		pk->live_change = true;
		pk->live_after = it->desired;
		it->live_changed = true;
	}
	if (mp) {
		snprintf(value, sizeof(value), "%lld", it->desired);
		int rr = ctune_modprobe_set(mp, d->module, t->modparam, value, err);
		if (rr < 0)
			return rr;
		if (!pk->persisted_before_present || pk->persisted_before != it->desired || pk->duplicates)
			it->persist_changed = true;
		pk->persisted_after_present = true;
		pk->persisted_after = it->desired;
		if (d->module_state == CTUNE_MODULE_BUILTIN)
			warn(p, "%s is built into this kernel: %s in %s does not apply at boot; the kernel command "
				"line needs %s.%s=%lld",
			     d->module, t->modparam, it->file, d->module, t->modparam, it->desired);
	}
	return 0;
}

/* max raised without buckets: say what the kernel's own ratio implies. */
static void check_ratio(const ctune_root *r, const ctune_detect *d, ctune_plan *p)
{
	const ctune_plan_item *max = NULL;
	for (size_t i = 0; i < p->n; i++) {
		if (p->items[i].t->unit == CTUNE_UNIT_BUCKETS)
			return;
		if (strcmp(p->items[i].t->name, "max") == 0)
			max = &p->items[i];
	}
	long long buckets;
	const ctune_tunable *b = ctune_tunable_find("buckets");
	if (!max || !b->key[d->scheme] || ctune_procsys_read(r, b->key[d->scheme], &buckets, NULL) < 0 || buckets <= 0)
		return;
	ctune_era era;
	uint64_t def_buckets = 0, def_max = 0;
	if (ctune_era_from_release(d->kernel_release, d->scheme, &era) < 0 ||
	    ctune_kernel_default_size(era, 8ull << 30, 64, &def_buckets, &def_max) < 0 || def_buckets == 0)
		return;
	long long ratio = (long long)(def_max / def_buckets);
	if (ratio < 1)
		ratio = 1;
	/* Kernels have used 1, 4 and 8 entries per bucket by default: longer
	 * chains than that (or twice this kernel's own) cost every lookup. */
	long long limit = ratio * 2 > 8 ? ratio * 2 : 8;
	if (max->desired <= buckets * limit)
		return;
	unsigned long want = ctune_scheme_round_buckets(d->scheme, (unsigned long)((max->desired + ratio - 1) / ratio));
	warn(p, "max %lld over %lld buckets makes chains of %lld entries when the table is full; this kernel's own "
		"ratio is %lld entries per bucket: set buckets to %lu with it",
	     max->desired, buckets, (max->desired + buckets - 1) / buckets, ratio, want);
}

/* Keys of the other naming scheme make `sysctl -p` fail on this kernel:
 * report them, and with migrate rename them to this scheme's key (before the
 * wanted values are set, so a set collapses the two into one line). */
static int plan_stale(const ctune_plan_opts *o, ctune_persist *ps, ctune_scheme s, ctune_plan *p, ctune_error *err)
{
	_cleanup_free_ ctune_persist_key *keys = NULL;
	size_t n = 0;
	int rr = ctune_persist_list(ps, &keys, &n, err);
	if (rr < 0)
		return rr;
	for (size_t i = 0; i < n && p->nstale < CTUNE_PLAN_MAX_STALE; i++) {
		const ctune_tunable *t = keys[i].tunable;
		if (keys[i].scheme == s)
			continue;
		ctune_plan_stale *st = &p->stale[p->nstale++];
		snprintf(st->key, sizeof(st->key), "%s", keys[i].spelling);
		bool is_alias = t->alias[keys[i].scheme] && strcmp(keys[i].key, t->alias[keys[i].scheme]) == 0;
		st->replacement = is_alias && t->alias[s] ? t->alias[s] : t->key[s];
		if (!o->migrate || !st->replacement) {
			warn(p, "%s in %s belongs to the %s naming scheme; this kernel uses %s%s%s%s", keys[i].key,
			     p->file, ctune_scheme_name(keys[i].scheme), ctune_scheme_name(s),
			     st->replacement ? " (migrate: true rewrites it to " : " and has no such key",
			     st->replacement ? st->replacement : "", st->replacement ? ")" : "");
			continue;
		}
		if ((rr = ctune_persist_rename(ps, keys[i].key, st->replacement, err)) < 0)
			return rr;
		st->migrated = true;
		p->persist_changed = true;
		for (size_t k = 0; k < p->n; k++)
			if (p->items[k].t == t)
				p->items[k].persist_changed = true;
	}
	return 0;
}

/* Files that never apply our value at boot: a same-named file in a
 * directory read earlier masks ours; systemd-sysctl does not read
 * /etc/sysctl.conf unless a sysctl.d entry links to it. */
static void check_masking(const ctune_root *r, const ctune_sysctld *l, ctune_plan *p)
{
	const char *name = strrchr(p->file, '/') + 1;
	for (size_t i = 0; i < ctune_sysctl_ndirs; i++) {
		size_t dl = strlen(ctune_sysctl_dirs[i]);
		if (strncmp(p->file, ctune_sysctl_dirs[i], dl) == 0 && p->file[dl] == '/')
			break;
		char other[300];
		snprintf(other, sizeof(other), "%s/%s", ctune_sysctl_dirs[i], name);
		if (ctune_root_exists(r, other)) {
			warn(p, "%s masks %s: the file ctune writes is never read at boot", other, p->file);
			return;
		}
	}
	if (strcmp(p->file, "/etc/sysctl.conf") != 0)
		return;
	char why[256];
	bool systemd = ctune_boot_model_detect(r, why, sizeof(why)) == CTUNE_BOOT_SYSTEMD;
	for (size_t i = 0; i < l->n; i++)
		if (l->via_link[i])
			return;
	if (systemd)
		warn(p, "systemd-sysctl does not read /etc/sysctl.conf on this host (no /etc/sysctl.d entry links to "
			"it): at boot only `sysctl --system` or an init script applies it; a file in /etc/sysctl.d "
			"is read by both");
}

static int fix_session(const ctune_root *r, ctune_persist **fix, size_t *nfix, const char *file,
		       ctune_persist **out, ctune_error *err)
{
	for (size_t i = 0; i < *nfix; i++)
		if (strcmp(ctune_persist_path(fix[i]), file) == 0) {
			*out = fix[i];
			return 0;
		}
	if (*nfix >= 8)
		return ctune_error_set(err, -E2BIG, "more than 8 files override the values; fix them by hand");
	int rr = ctune_persist_open(&fix[*nfix], r, file, err);
	if (rr < 0)
		return rr;
	*out = fix[(*nfix)++];
	return 0;
}

/* A file applied after ours that assigns another value wins at boot: warn,
 * or with override: fix comment its line out (saved with ours). */
static int check_overrides(const ctune_root *r, const ctune_plan_opts *o, ctune_plan *p, ctune_persist **fix,
			   size_t *nfix, ctune_error *err)
{
	_cleanup_sysctld_ ctune_sysctld *l = calloc(1, sizeof(*l));
	if (!l)
		return ctune_error_set(err, -ENOMEM, "out of memory");
	int rr = ctune_sysctld_list(r, l, err);
	if (rr < 0)
		return rr;
	check_masking(r, l, p);
	/* A file that cannot be checked may override ours unseen: a warning, and
	 * with override: fix a failure, as fix cannot do what it says. */
	if (l->nskipped > 0 && o->override == CTUNE_OVERRIDE_FIX)
		return ctune_error_set(err, -ENAMETOOLONG,
				       "override fix cannot check %s (%zu file%s with a path too long to handle) for "
				       "values that override %s at boot; nothing was changed",
				       l->skipped, l->nskipped, l->nskipped == 1 ? "" : "s", p->file);
	if (l->nskipped > 0)
		warn(p, "%s%s not checked for values that override %s at boot: its path is too long", l->skipped,
		     l->nskipped > 1 ? " (and other files)" : "", p->file);
	char why[256];
	bool systemd = ctune_boot_model_detect(r, why, sizeof(why)) == CTUNE_BOOT_SYSTEMD;
	size_t after = ctune_sysctld_after(r, l, p->file);
	for (size_t f = after; f < l->n; f++) {
		if (ctune_sysctld_same_file(r, l->files[f], p->file))
			continue;
		_cleanup_free_ char *text = NULL;
		ctune_error re = { 0 };
		rr = ctune_root_read_all(r, l->files[f], 16u << 20, &text, NULL);
		if (rr == -ENOENT)
			continue; /* a dangling link: skipped at boot too */
		if (rr < 0) {
			if (rr == -EFBIG)
				ctune_error_set(&re, rr, "it is larger than 16 MiB");
			else
				ctune_error_set(&re, rr, "%s", ctune_root_strerror(rr));
			if (o->override == CTUNE_OVERRIDE_FIX)
				return ctune_error_set(err, rr,
						       "override fix cannot read %s (%s) to check it for values that "
						       "override %s at boot; nothing was changed",
						       l->files[f], re.msg, p->file);
			warn(p, "%s not checked for values that override %s at boot: cannot read it (%s)", l->files[f],
			     p->file, re.msg);
			continue;
		}
		for (size_t i = 0; i < p->n; i++) {
			for (size_t k = 0; k < p->items[i].nkeys; k++) {
				const char *key = p->items[i].keys[k].key;
				ctune_sysctl_assign a;
				unsigned xl = 0;
				/* systemd-sysctl: a later bare "-key" cancels our line. */
				if (systemd && ctune_sysctl_text_exclusion(text, key, &xl) &&
				    !(ctune_sysctl_text_lookup(text, key, &a) && a.line > xl)) {
					snprintf(a.value, sizeof(a.value), "(none: -%s cancels it)", key);
					a.line = xl;
				} else if (!ctune_sysctl_text_lookup(text, key, &a) ||
					   parse_persisted(a.value) == p->items[i].desired)
					continue;
				if (o->override != CTUNE_OVERRIDE_FIX) {
					warn(p, "%s line %u sets %s = %s and is applied after %s at boot, so it overrides %lld",
					     l->files[f], a.line, key, a.value, p->file, p->items[i].desired);
					continue;
				}
				ctune_persist *fp = NULL;
				char note[300];
				snprintf(note, sizeof(note), "disabled by ctune: it overrode %s", p->file);
				if ((rr = fix_session(r, fix, nfix, l->files[f], &fp, err)) < 0 ||
				    (rr = ctune_persist_comment_out(fp, key, note, err)) < 0)
					return rr;
				if (p->nfixed < ELEMENTSOF(p->fixed))
					snprintf(p->fixed[p->nfixed++], sizeof(p->fixed[0]), "%s: %s", l->files[f], key);
				warn(p, "%s line %u set %s = %s after %s at boot: commented out (override: fix)",
				     l->files[f], a.line, key, a.value, p->file);
				p->items[i].persist_changed = true;
				p->persist_changed = true;
			}
		}
	}
	return 0;
}

/* Write the live values.  The kernel checks some keys against others at
 * every write (frag6_low_thresh <= frag6_high_thresh), so a refused write is
 * retried after the rest: any order the request names then works.  Every
 * key's value before is in the journal already, so whatever a write does
 * (refused, or taken but read back wrong or not at all) is undone. */
static int write_live(const ctune_root *r, ctune_plan *p, ctune_error *err)
{
	bool done[CTUNE_PLAN_MAX_ITEMS][2] = { { false } };
	for (;;) {
		size_t progress = 0, left = 0;
		ctune_error first = { 0 };
		int first_rr = 0;
		for (size_t i = 0; i < p->n; i++) {
			for (size_t k = 0; k < p->items[i].nkeys; k++) {
				const ctune_plan_key *pk = &p->items[i].keys[k];
				if (!pk->live_change || done[i][k] || p->items[i].via_param)
					continue;
				int rr = ctune_procsys_write(r, pk->key, p->items[i].desired, &first);
				if (rr == 0) {
					done[i][k] = true;
					progress++;
				} else {
					left++;
					if (!first_rr)
						first_rr = rr;
					if (rr != -EINVAL)
						return ctune_error_set(err, rr, "%s", first.msg);
				}
			}
		}
		if (left == 0)
			return 0;
		if (progress == 0)
			return ctune_error_set(err, first_rr, "%s", first.msg);
	}
}

/* Undo from the journal; when that fails too, say what stays changed. */
static void rollback(const ctune_root *r, ctune_txlog *tx, ctune_error *err)
{
	ctune_error e = { 0 };
	if (ctune_txlog_rollback(tx, &e) == 0)
		return;
	size_t len = strlen(err->msg);
	len += (size_t)snprintf(err->msg + len, sizeof(err->msg) - len, "; undoing it failed too (%s)", e.msg);
	for (size_t i = 0; i < tx->nlive && len < sizeof(err->msg); i++) {
		long long now;
		if (ctune_procsys_read(r, tx->live[i].key, &now, NULL) == 0 && now != tx->live[i].before)
			len += (size_t)snprintf(err->msg + len, sizeof(err->msg) - len, " %s is %lld (was %lld)",
						tx->live[i].key, now, tx->live[i].before);
	}
}

/* Every file one request may change, behind one face: the sysctl file, the
 * modprobe file, the modules-load.d file and the files override: fix edits. */
typedef struct plan_file {
	void *s;
	int (*render)(void *s, const char **text, size_t *len, ctune_error *err);
	const char *(*original)(const void *s, size_t *len);
	const char *(*path)(const void *s);
	int (*prepare)(void *s, ctune_error *err);
	int (*commit)(void *s, ctune_error *err);
	void (*close)(void *s);
	ctune_textfile *(*textfile)(void *s);
} plan_file;

#define FILE_OPS(prefix, type)                                                                                    \
	static int prefix##_render_(void *s, const char **t, size_t *l, ctune_error *e)                          \
	{                                                                                                         \
		return ctune_##prefix##_render((type *)s, t, l, e);                                               \
	}                                                                                                         \
	static const char *prefix##_original_(const void *s, size_t *l)                                           \
	{                                                                                                         \
		return ctune_##prefix##_original((const type *)s, l);                                             \
	}                                                                                                         \
	static const char *prefix##_path_(const void *s)                                                          \
	{                                                                                                         \
		return ctune_##prefix##_path((const type *)s);                                                    \
	}                                                                                                         \
	static int prefix##_prepare_(void *s, ctune_error *e)                                                     \
	{                                                                                                         \
		return ctune_##prefix##_prepare((type *)s, e);                                                    \
	}                                                                                                         \
	static int prefix##_commit_(void *s, ctune_error *e)                                                      \
	{                                                                                                         \
		return ctune_##prefix##_commit((type *)s, e);                                                     \
	}                                                                                                         \
	static void prefix##_close_(void *s)                                                                      \
	{                                                                                                         \
		ctune_##prefix##_close((type *)s);                                                                \
	}                                                                                                         \
	static ctune_textfile *prefix##_textfile_(void *s)                                                        \
	{                                                                                                         \
		return ctune_##prefix##_textfile((type *)s);                                                      \
	}                                                                                                         \
	static plan_file prefix##_file(type *s)                                                                   \
	{                                                                                                         \
		return (plan_file){ s,                prefix##_render_,  prefix##_original_, prefix##_path_,      \
				    prefix##_prepare_, prefix##_commit_, prefix##_close_, prefix##_textfile_ }; \
	}

FILE_OPS(persist, ctune_persist)
FILE_OPS(modprobe, ctune_modprobe)
FILE_OPS(modload, ctune_modload)

#define MAX_FILES 11

typedef struct plan_files {
	size_t n;
	plan_file f[MAX_FILES];
	bool changed[MAX_FILES]; /* its render differs from the file */
} plan_files;

static void close_files(plan_files *fs)
{
	for (size_t i = 0; i < fs->n; i++)
		fs->f[i].close(fs->f[i].s);
	fs->n = 0;
}

/* Everything Augeas does (every lens loaded, every file parsed and
 * rendered) is done before this point, so nothing below runs a lens.  The
 * journal comes first (txlog.h); then every file is prepared (written
 * beside its target), the live values are written, and every file is
 * committed (renamed over its target).  Any failure undoes all of it from
 * the journal: files, live values, new directories, the backup. */
static int apply(const ctune_root *r, const ctune_plan_opts *o, const ctune_detect *d, ctune_persist *ps,
		 plan_files *fs, ctune_plan *p, ctune_error *err)
{
	_cleanup_free_ ctune_txlog *tx = malloc(sizeof(*tx));
	if (!tx)
		return ctune_error_set(err, -ENOMEM, "out of memory");
	ctune_txlog_init(tx, r);
	int rr = 0;
	for (size_t i = 0; i < fs->n && rr >= 0; i++)
		if (fs->changed[i])
			rr = ctune_txlog_add_file(tx, fs->f[i].textfile(fs->f[i].s), err);
	char backup[PATH_MAX + 64] = "";
	if (rr >= 0 && p->persist_changed && o->backup && ps && ctune_persist_exists(ps)) {
		rr = ctune_textfile_backup_name(ctune_persist_textfile(ps), backup, sizeof(backup), err);
		if (rr >= 0)
			rr = ctune_txlog_add_made(tx, backup, err);
	}
	for (size_t i = 0; i < p->n && rr >= 0; i++) {
		const ctune_plan_item *it = &p->items[i];
		for (size_t k = 0; k < it->nkeys && rr >= 0; k++)
			if (it->keys[k].live_change && !it->via_param)
				rr = ctune_txlog_add_live(tx, it->keys[k].key, it->keys[k].live_before, err);
		if (it->via_param && it->keys[0].live_change)
			rr = ctune_txlog_add_param(tx, d->module, it->keys[0].live_before, err);
	}
	if (rr < 0)
		return rr;
	if ((rr = ctune_txlog_begin(tx, err)) < 0)
		return rr;

	if (backup[0]) {
		rr = ctune_textfile_backup_as(ctune_persist_textfile(ps), backup, err);
		if (rr > 0 && strlen(backup) < sizeof(p->backup_file))
			memcpy(p->backup_file, backup, strlen(backup) + 1);
		if (rr < 0)
			goto undo;
	}
	for (size_t i = 0; i < fs->n; i++)
		if (fs->changed[i] && (rr = fs->f[i].prepare(fs->f[i].s, err)) < 0)
			goto undo;
	if ((rr = write_live(r, p, err)) < 0)
		goto undo;
	/* Module parameters (hashsize) go last: the kernel rebuilds the table. */
	for (size_t i = 0; i < p->n; i++) {
		if (!p->items[i].via_param || !p->items[i].keys[0].live_change)
			continue;
		rr = ctune_modprobe_live_set_hashsize(r, d->module, (unsigned long)p->items[i].desired, NULL, err);
		if (rr < 0)
			goto undo;
	}
	for (size_t i = 0; i < fs->n; i++)
		if (fs->changed[i] && (rr = fs->f[i].commit(fs->f[i].s, err)) < 0)
			goto undo;
	char note[sizeof(p->warnings[0])];
	if ((rr = ctune_txlog_commit(tx, note, sizeof(note), err)) < 0)
		goto undo;
	if (note[0])
		warn(p, "%s", note);
	return 0;

undo:
	p->backup_file[0] = '\0';
	rollback(r, tx, err);
	return rr;
}

static int add_diff(ctune_plan *p, const plan_file *f, bool always, ctune_error *err)
{
	const char *after;
	size_t alen, blen;
	int rr = f->render(f->s, &after, &alen, err);
	if (rr < 0 || (rr == 0 && !always) || p->ndiffs >= ELEMENTSOF(p->diffs))
		return rr;
	const char *before = f->original(f->s, &blen);
	snprintf(p->diffs[p->ndiffs].file, sizeof(p->diffs[0].file), "%s", f->path(f->s));
	p->diffs[p->ndiffs].before = strndup(before, blen);
	p->diffs[p->ndiffs].after = strndup(after, alen);
	if (!p->diffs[p->ndiffs].before || !p->diffs[p->ndiffs].after)
		return ctune_error_set(err, -ENOMEM, "out of memory");
	p->ndiffs++;
	return rr;
}

/* Make sure the module loads before systemd-sysctl applies its keys. */
static int plan_module_load(const ctune_root *r, const ctune_plan_opts *o, const ctune_detect *d, ctune_plan *p,
			    plan_files *fs, ctune_error *err)
{
	char why[256];
	bool systemd = ctune_boot_model_detect(r, why, sizeof(why)) == CTUNE_BOOT_SYSTEMD;
	bool sysctl_keys = false;
	for (size_t i = 0; i < p->n; i++)
		sysctl_keys |= !p->items[i].t->modparam;
	bool want = o->ensure_module > 0 ||
		    (o->ensure_module < 0 && systemd && sysctl_keys && d->module_state != CTUNE_MODULE_BUILTIN);
	if (!want || !o->persist || o->state != CTUNE_STATE_PRESENT)
		return 0;
	ctune_modload *ml = NULL;
	const char *file = o->modules_load_file[0] ? o->modules_load_file : CTUNE_MODLOAD_DEFAULT_FILE;
	int rr = ctune_modload_open(&ml, r, file, err);
	if (rr < 0)
		return rr;
	fs->f[fs->n++] = modload_file(ml);
	p->module_load.checked = true;
	p->module_load.module = d->module;
	snprintf(p->module_load.file, sizeof(p->module_load.file), "%s", file);
	ctune_modload_hit hit = { 0 };
	ctune_error e = { 0 };
	rr = ctune_modload_ensure(ml, d->module, &hit, &e);
	if (rr < 0 && o->ensure_module < 0) {
		warn(p, "%s is not made to load early: %s", d->module, e.msg);
		return 0;
	}
	if (rr < 0)
		return ctune_error_set(err, rr, "%s", e.msg);
	p->module_load.changed = rr > 0;
	snprintf(p->module_load.listed_in, sizeof(p->module_load.listed_in), "%s", rr > 0 ? file : hit.file);
	return 0;
}

int ctune_plan_run(const ctune_root *r, const ctune_plan_opts *o, const ctune_want *want, size_t n,
		   ctune_plan *p, ctune_error *err)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->file, sizeof(p->file), "%s", o->file[0] ? o->file : "/etc/sysctl.conf");
	int rr = validate(o, want, n, err);
	if (rr < 0) {
		p->bad_request = true;
		return rr;
	}

	ctune_detect d;
	if ((rr = ctune_detect_run(r, o->scheme, &d, err)) < 0)
		return rr;
	if (d.scheme == CTUNE_SCHEME_NONE)
		return ctune_error_set(err, -ENOENT,
				       "cannot tell the naming scheme: no conntrack keys and no kernel release under "
				       "%s; pass scheme: legacy or modern",
				       ctune_root_name(r));
	p->scheme = d.scheme;

	_cleanup_close_ int lock = ctune_lock_acquire(r, o->lock_wait_ms ? o->lock_wait_ms : LOCK_WAIT_MS, err);
	if (lock < 0)
		return lock;
	char note[sizeof(p->warnings[0])];
	if ((rr = ctune_txlog_recover(r, note, sizeof(note), err)) < 0)
		return rr;
	if (rr > 0)
		warn(p, "%s", note);

	/* Sessions: the sysctl file first (ps), then the others. */
	_cleanup_(close_files) plan_files fs = { 0 };
	ctune_persist *ps = NULL;
	ctune_modprobe *mp = NULL;
	bool params = false;
	for (size_t i = 0; i < n; i++)
		params |= want[i].t->modparam != NULL;
	if (o->persist) {
		if ((rr = ctune_persist_open(&ps, r, p->file, err)) < 0)
			return rr;
		fs.f[fs.n++] = persist_file(ps);
		const char *mfile = o->modprobe_file[0] ? o->modprobe_file : CTUNE_MODPROBE_DEFAULT_FILE;
		if (params) {
			if ((rr = ctune_modprobe_open(&mp, r, mfile, err)) < 0)
				return rr;
			fs.f[fs.n++] = modprobe_file(mp);
		}
	}

	/* Read everything as it is before changing anything. */
	p->n = n;
	for (size_t i = 0; i < n; i++) {
		ctune_plan_item *it = &p->items[i];
		it->t = want[i].t;
		it->desired = want[i].value;
		it->file = p->file;
		if (it->t->unit == CTUNE_UNIT_BUCKETS && o->state == CTUNE_STATE_PRESENT) {
			unsigned long rounded = ctune_scheme_round_buckets(d.scheme, (unsigned long)it->desired);
			if ((long long)rounded != it->desired)
				warn(p, "%s %lld is rounded up to %lu: the kernel allocates whole pages of buckets",
				     it->t->name, it->desired, rounded);
			it->desired = (long long)rounded;
		}
		if ((rr = plan_keys(r, it->t->modparam ? NULL : ps, d.scheme, p, it, err)) < 0)
			return rr;
	}
	/* The guards see the live values just read, in check mode too. */
	if ((rr = ctune_guard_check(r, d.scheme, o, p, err)) < 0) {
		p->bad_request = rr == -EPERM;
		return rr;
	}
	if (ps && o->state == CTUNE_STATE_PRESENT && (rr = plan_stale(o, ps, d.scheme, p, err)) < 0)
		return rr;
	for (size_t i = 0; i < n; i++) {
		ctune_plan_item *it = &p->items[i];
		rr = it->t->modparam ? plan_param_item(r, o, &d, mp, p, it, err) : plan_item(r, o, ps, p, it, err);
		if (rr < 0)
			return rr;
	}
	if (o->state == CTUNE_STATE_PRESENT)
		check_ratio(r, &d, p);
	if ((rr = plan_module_load(r, o, &d, p, &fs, err)) < 0)
		return rr;

	if (ps) {
		ctune_persist *fix[8];
		size_t nfix = 0;
		if (o->state == CTUNE_STATE_PRESENT && (rr = check_overrides(r, o, p, fix, &nfix, err)) < 0) {
			for (size_t i = 0; i < nfix; i++)
				ctune_persist_close(fix[i]);
			return rr;
		}
		for (size_t i = 0; i < nfix; i++)
			fs.f[fs.n++] = persist_file(fix[i]);
	}
	p->persist_changed = false;
	for (size_t i = 0; i < fs.n; i++) {
		/* The sysctl file's diff is shown even when it does not change. */
		rr = o->diff ? add_diff(p, &fs.f[i], i == 0, err) : fs.f[i].render(fs.f[i].s, NULL, NULL, err);
		if (rr < 0)
			return rr;
		fs.changed[i] = rr > 0;
		p->persist_changed |= rr > 0;
	}

	bool live_changes = false;
	for (size_t i = 0; i < n; i++)
		live_changes |= p->items[i].live_changed;
	p->changed = live_changes || p->persist_changed;
	if (o->check_mode || !p->changed)
		return 0;
	return apply(r, o, &d, ps, &fs, p, err);
}

void ctune_plan_free(ctune_plan *p)
{
	for (size_t i = 0; i < p->ndiffs; i++) {
		free(p->diffs[i].before);
		free(p->diffs[i].after);
	}
	p->ndiffs = 0;
}
