/* plan.c - see plan.h.  The order is the contract: validate everything
 * before touching anything; live first (so the kernel can refuse a value
 * before the file says it), then one save; undo the live writes when the
 * save fails. */
#include "plan.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "detect.h"
#include "lock.h"
#include "persist.h"
#include "procsys.h"
#include "sysctld.h"

#define LOCK_WAIT_MS 30000

static const char *const sysctl_dirs[] = {
	"/etc/sysctl.d/", "/run/sysctl.d/", "/usr/local/lib/sysctl.d/", "/usr/lib/sysctl.d/", "/lib/sysctl.d/",
};

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
	for (size_t i = 0; i < ELEMENTSOF(sysctl_dirs); i++) {
		size_t dl = strlen(sysctl_dirs[i]);
		if (strncmp(file, sysctl_dirs[i], dl) != 0)
			continue;
		const char *name = file + dl;
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

static int read_key(const ctune_root *r, ctune_persist *ps, ctune_plan_key *k, ctune_error *err)
{
	k->live_present = ctune_procsys_read(r, k->key, &k->live_before, NULL) == 0;
	k->live_writable = k->live_present && ctune_procsys_writable(r, k->key);
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
	for (size_t i = 0; i < ELEMENTSOF(sysctl_dirs); i++) {
		if (strncmp(p->file, sysctl_dirs[i], strlen(sysctl_dirs[i])) == 0)
			break;
		char other[300];
		snprintf(other, sizeof(other), "%s%s", sysctl_dirs[i], name);
		if (ctune_root_exists(r, other)) {
			warn(p, "%s masks %s: the file ctune writes is never read at boot", other, p->file);
			return;
		}
	}
	if (strcmp(p->file, "/etc/sysctl.conf") != 0)
		return;
	bool systemd = ctune_root_exists(r, "/lib/systemd/systemd-sysctl") ||
		       ctune_root_exists(r, "/usr/lib/systemd/systemd-sysctl");
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
	_cleanup_free_ ctune_sysctld *l = malloc(sizeof(*l));
	if (!l)
		return ctune_error_set(err, -ENOMEM, "out of memory");
	int rr = ctune_sysctld_list(r, l, err);
	if (rr < 0)
		return rr;
	check_masking(r, l, p);
	size_t after = ctune_sysctld_after(r, l, p->file);
	for (size_t f = after; f < l->n; f++) {
		if (ctune_sysctld_same_file(r, l->files[f], p->file))
			continue;
		_cleanup_free_ char *text = NULL;
		if (ctune_root_read_all(r, l->files[f], 16u << 20, &text, NULL) < 0)
			continue;
		for (size_t i = 0; i < p->n; i++) {
			for (size_t k = 0; k < p->items[i].nkeys; k++) {
				const char *key = p->items[i].keys[k].key;
				ctune_sysctl_assign a;
				if (!ctune_sysctl_text_lookup(text, key, &a) ||
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
 * retried after the rest: any order the request names then works. */
static int write_live(const ctune_root *r, ctune_plan *p, ctune_journal *j, ctune_error *err)
{
	bool done[CTUNE_PLAN_MAX_ITEMS][2] = { { false } };
	for (;;) {
		size_t progress = 0, left = 0;
		ctune_error first = { 0 };
		int first_rr = 0;
		for (size_t i = 0; i < p->n; i++) {
			for (size_t k = 0; k < p->items[i].nkeys; k++) {
				const ctune_plan_key *pk = &p->items[i].keys[k];
				if (!pk->live_change || done[i][k])
					continue;
				int rr = ctune_procsys_write_journaled(r, j, pk->key, p->items[i].desired, &first);
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

/* Undo the live writes; when that fails too, say which keys stay changed. */
static void rollback(const ctune_root *r, ctune_journal *j, ctune_error *err)
{
	ctune_journal copy = *j;
	ctune_error e = { 0 };
	if (ctune_journal_rollback(r, j, &e) == 0)
		return;
	size_t len = strlen(err->msg);
	len += (size_t)snprintf(err->msg + len, sizeof(err->msg) - len,
				"; restoring the previous live values failed too (%s):", e.msg);
	for (size_t i = 0; i < copy.n && len < sizeof(err->msg); i++) {
		long long now;
		if (ctune_procsys_read(r, copy.entry[i].key, &now, NULL) == 0 && now != copy.entry[i].before)
			len += (size_t)snprintf(err->msg + len, sizeof(err->msg) - len, " %s is %lld (was %lld)",
						copy.entry[i].key, now, copy.entry[i].before);
	}
}

static void remove_backup(const ctune_root *r, ctune_plan *p)
{
	char path[4608];
	if (p->backup_file[0] && ctune_root_path(r, p->backup_file, path, sizeof(path)) >= 0)
		unlink(path);
	p->backup_file[0] = '\0';
}

/* Live first, then every file at once: each is prepared (written beside the
 * target) before any is committed (renamed over it), so a full disk or a
 * read-only mount leaves every file as it was and the live values undone. */
static int apply(const ctune_root *r, const ctune_plan_opts *o, ctune_persist *ps, ctune_persist **fix, size_t nfix,
		 ctune_plan *p, ctune_error *err)
{
	ctune_journal j = { 0 };
	int rr = write_live(r, p, &j, err);
	if (rr < 0) {
		rollback(r, &j, err);
		return rr;
	}
	if (!ps || !p->persist_changed)
		return 0;

	if (o->backup && (rr = ctune_persist_backup(ps, p->backup_file, sizeof(p->backup_file), err)) < 0) {
		rollback(r, &j, err);
		return rr;
	}
	rr = ctune_persist_prepare(ps, err);
	for (size_t i = 0; rr >= 0 && i < nfix; i++)
		rr = ctune_persist_prepare(fix[i], err);
	if (rr < 0) {
		rollback(r, &j, err);
		remove_backup(r, p);
		return rr;
	}
	/* Renames within one directory: what can fail here failed above. */
	if ((rr = ctune_persist_commit(ps, err)) < 0) {
		rollback(r, &j, err);
		remove_backup(r, p);
		return rr;
	}
	for (size_t i = 0; i < nfix; i++) {
		if ((rr = ctune_persist_commit(fix[i], err)) < 0) {
			/* A rename that failed after the checks of prepare: say what
			 * is already written, and undo the live values. */
			size_t len = strlen(err->msg);
			snprintf(err->msg + len, sizeof(err->msg) - len, "; %s was already saved", p->file);
			rollback(r, &j, err);
			return rr;
		}
	}
	return 0;
}

struct fixes {
	ctune_persist **v;
	size_t *n;
};

static void close_fixp(struct fixes *f)
{
	for (size_t i = 0; i < *f->n; i++)
		ctune_persist_close(f->v[i]);
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

	_cleanup_persist_ ctune_persist *ps = NULL;
	ctune_persist *fix[8];
	size_t nfix = 0;
	_cleanup_(close_fixp) struct fixes fixes = { fix, &nfix };
	if (o->persist && (rr = ctune_persist_open(&ps, r, p->file, err)) < 0)
		return rr;
	/* Read everything as it is before changing anything. */
	p->n = n;
	for (size_t i = 0; i < n; i++) {
		ctune_plan_item *it = &p->items[i];
		it->t = want[i].t;
		it->desired = want[i].value;
		if ((rr = plan_keys(r, ps, d.scheme, p, it, err)) < 0)
			return rr;
	}
	if (ps && o->state == CTUNE_STATE_PRESENT && (rr = plan_stale(o, ps, d.scheme, p, err)) < 0)
		return rr;
	for (size_t i = 0; i < n; i++)
		if ((rr = plan_item(r, o, ps, p, &p->items[i], err)) < 0)
			return rr;

	if (ps) {
		const char *after;
		size_t alen, blen;
		if ((rr = ctune_persist_render(ps, &after, &alen, err)) < 0)
			return rr;
		p->persist_changed = rr > 0;
		if (o->diff) {
			const char *before = ctune_persist_original(ps, &blen);
			p->before_text = strndup(before, blen);
			p->after_text = strndup(after, alen);
			if (!p->before_text || !p->after_text)
				return ctune_error_set(err, -ENOMEM, "out of memory");
		}
		if (o->state == CTUNE_STATE_PRESENT && (rr = check_overrides(r, o, p, fix, &nfix, err)) < 0)
			return rr;
	}

	bool live_changes = false;
	for (size_t i = 0; i < n; i++)
		live_changes |= p->items[i].live_changed;
	p->changed = live_changes || p->persist_changed;
	if (o->check_mode || !p->changed)
		return 0;
	return apply(r, o, ps, fix, nfix, p, err);
}

void ctune_plan_free(ctune_plan *p)
{
	free(p->before_text);
	free(p->after_text);
	p->before_text = p->after_text = NULL;
}
