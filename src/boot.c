/* boot.c - see boot.h.
 *
 * Data flow: bootmodel.c lists the files; each file's lines become
 * settings (key, value or none for an exclusion, file, line) under the
 * model's parsing rules; the settings are then "written" in the model's
 * order, globs expanded over the conntrack keys that exist, and every
 * write that reaches a conntrack tunable of the running scheme is taken or
 * refused by the kernel's rules.  The modelled sources are systemd 252's
 * src/sysctl/sysctl.c (parse_file, apply_all) and read_line(), and procps
 * 4.0.2's sysctl.c (Preload, parse_setting_line, write_setting_list) and
 * the older procps 3 `sysctl -p` of RHEL 5/6; none of their code is used.
 */
#include "boot.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootfiles.h"
#include "cleanup.h"
#include "sysctld.h"
#include "sysctlkey.h"

/* key, exact and value share one allocation (key's): a file of many
 * conntrack lines costs what their text does. */
typedef struct setting {
	char *key;         /* slash form: systemd's normal form, or the path procps opens */
	const char *exact; /* procps: the path as joined, before the kernel resolves it */
	const char *value; /* NULL: "-key", an exclusion */
	bool removed;    /* systemd: replaced by a later assignment */
	bool ignore;
	size_t file;
	unsigned line;
} setting;

/* A conntrack key that exists at boot. */
typedef struct candidate {
	char path[160]; /* slash form */
	const char *key; /* dotted */
	const ctune_tunable *t;
} candidate;

struct replay {
	const ctune_root *r;
	ctune_boot *b;
	const ctune_sysctld *l;
	setting *s;
	size_t n, cap;
	candidate c[2 * CTUNE_BOOT_MAX];
	size_t nc;
	candidate other[2 * CTUNE_BOOT_MAX]; /* the other scheme's keys and aliases, sorted by path */
	size_t nother;
	/* Settings by key (systemd: the one not removed) or by exact path
	 * (procps): index + 1, 0 for an empty slot; open addressing, at most
	 * half full.  A file of many keys costs linear time, not quadratic. */
	size_t *idx;
	size_t idx_cap; /* a power of two, or 0 */
	bool by_exact;
};

static void replay_done(struct replay *rp)
{
	for (size_t i = 0; i < rp->n; i++)
		free(rp->s[i].key);
	free(rp->s);
	free(rp->idx);
}

static const char *idx_name(const struct replay *rp, const setting *s)
{
	return rp->by_exact ? s->exact : s->key;
}

/* The slot of name: the one holding it, or the empty one where it goes. */
static size_t *idx_slot(struct replay *rp, const char *name)
{
	uint64_t h = 14695981039346656037u; /* FNV-1a */
	for (const unsigned char *c = (const unsigned char *)name; *c; c++)
		h = (h ^ *c) * 1099511628211u;
	size_t mask = rp->idx_cap - 1;
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		size_t *sl = &rp->idx[i];
		if (!*sl || strcmp(idx_name(rp, &rp->s[*sl - 1]), name) == 0)
			return sl;
	}
}

/* The setting indexed under name, or NULL. */
static setting *idx_get(struct replay *rp, const char *name)
{
	if (!rp->idx_cap)
		return NULL;
	size_t *sl = idx_slot(rp, name);
	return *sl ? &rp->s[*sl - 1] : NULL;
}

/* Room for one more name; rebuilt from the settings when it grows
 * (systemd: those not removed; procps: the first of each exact path). */
static int idx_reserve(struct replay *rp, size_t names)
{
	if ((names + 1) * 2 <= rp->idx_cap)
		return 0;
	size_t cap = rp->idx_cap ? rp->idx_cap : 256;
	while ((names + 1) * 2 > cap)
		cap *= 2;
	size_t *idx = calloc(cap, sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	free(rp->idx);
	rp->idx = idx;
	rp->idx_cap = cap;
	for (size_t i = 0; i < rp->n; i++) {
		if (rp->s[i].removed)
			continue;
		size_t *sl = idx_slot(rp, idx_name(rp, &rp->s[i]));
		if (!*sl)
			*sl = i + 1;
	}
	return 0;
}

static int cmp_candidates(const void *a, const void *b)
{
	return strcmp(((const candidate *)a)->path, ((const candidate *)b)->path);
}

/* The running scheme's keys and aliases that exist: those under the
 * root's /proc/sys when conntrack is loaded there (an image of a running
 * host), else all of them (the module not loaded now, or no /proc: whether
 * it is there in time at boot is module_early's question). */
static void candidates(struct replay *rp, ctune_scheme scheme)
{
	size_t n;
	const ctune_tunable *t = ctune_tunables(&n);
	bool proc = false;
	for (size_t i = 0; i < n && !proc; i++) {
		char slash[160], abs[200];
		if (!t[i].key[scheme])
			continue;
		ctune_sysctl_key_slash(t[i].key[scheme], slash, sizeof(slash));
		snprintf(abs, sizeof(abs), "/proc/sys/%s", slash);
		proc = ctune_root_exists(rp->r, abs);
	}
	for (size_t i = 0; i < n; i++) {
		const char *keys[2] = { t[i].key[scheme], t[i].alias[scheme] };
		for (int k = 0; k < 2; k++) {
			if (!keys[k] || rp->nc >= ELEMENTSOF(rp->c))
				continue;
			candidate *c = &rp->c[rp->nc];
			ctune_sysctl_key_slash(keys[k], c->path, sizeof(c->path));
			char abs[200];
			snprintf(abs, sizeof(abs), "/proc/sys/%s", c->path);
			if (proc && !ctune_root_exists(rp->r, abs))
				continue;
			c->key = keys[k];
			c->t = &t[i];
			rp->nc++;
		}
	}
	qsort(rp->c, rp->nc, sizeof(rp->c[0]), cmp_candidates);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The other scheme's keys and aliases that are no key of the running one
 * (the tables share none today; a later one must not be listed). */
static void other_keys(struct replay *rp, ctune_scheme scheme)
{
	size_t n;
	const ctune_tunable *t = ctune_tunables(&n);
	ctune_scheme other = scheme == CTUNE_SCHEME_MODERN ? CTUNE_SCHEME_LEGACY : CTUNE_SCHEME_MODERN;
	const char *running[2 * CTUNE_BOOT_MAX];
	size_t nr = 0;
	for (size_t i = 0; i < n; i++) {
		if (t[i].key[scheme] && nr < ELEMENTSOF(running))
			running[nr++] = t[i].key[scheme];
		if (t[i].alias[scheme] && nr < ELEMENTSOF(running))
			running[nr++] = t[i].alias[scheme];
	}
	qsort(running, nr, sizeof(running[0]), cmp_str);
	for (size_t i = 0; i < n; i++) {
		const char *keys[2] = { t[i].key[other], t[i].alias[other] };
		for (int k = 0; k < 2; k++) {
			if (!keys[k] || rp->nother >= ELEMENTSOF(rp->other) ||
			    bsearch(&keys[k], running, nr, sizeof(running[0]), cmp_str))
				continue;
			candidate *c = &rp->other[rp->nother++];
			ctune_sysctl_key_slash(keys[k], c->path, sizeof(c->path));
			c->key = keys[k];
			c->t = &t[i];
		}
	}
	qsort(rp->other, rp->nother, sizeof(rp->other[0]), cmp_candidates);
}

/* A line of file setting key (slash form, a glob never matches): noted
 * when the key is the other scheme's.  Every line counts; the first
 * CTUNE_BOOT_MAX_OTHER are kept. */
static void note_other(struct replay *rp, const char *key, size_t file, unsigned line)
{
	candidate probe;
	if (snprintf(probe.path, sizeof(probe.path), "%s", key) >= (int)sizeof(probe.path))
		return; /* longer than any key */
	const candidate *c = bsearch(&probe, rp->other, rp->nother, sizeof(rp->other[0]), cmp_candidates);
	if (!c)
		return;
	ctune_boot *b = rp->b;
	if (b->nother < CTUNE_BOOT_MAX_OTHER) {
		ctune_boot_other *o = &b->other[b->nother];
		snprintf(o->file, sizeof(o->file), "%s", rp->l->files[file]);
		o->line = line;
		o->key = c->key;
	}
	b->nother++;
}

static bool is_candidate(const struct replay *rp, const char *path)
{
	candidate probe;
	if (snprintf(probe.path, sizeof(probe.path), "%s", path) >= (int)sizeof(probe.path))
		return false;
	return bsearch(&probe, rp->c, rp->nc, sizeof(rp->c[0]), cmp_candidates) != NULL;
}

/* Whether a setting can matter to the replay: a conntrack key that exists
 * (written, or keeping a glob off itself) or a glob.  The others are
 * never written (write_key ignores them) and name no candidate, so they
 * are dropped: memory follows the conntrack lines, not the file's size
 * (a 16 MiB file of other keys held 870 MiB of settings). */
static bool relevant(const struct replay *rp, const char *key, const char *exact)
{
	return ctune_sysctl_key_is_glob(key) || ctune_sysctl_key_is_glob(exact) || is_candidate(rp, key) ||
	       is_candidate(rp, exact);
}

static ctune_boot_value *entry(ctune_boot *b, const ctune_tunable *t)
{
	ctune_boot_value *v = (ctune_boot_value *)ctune_boot_get(b, t);
	if (v || b->n >= CTUNE_BOOT_MAX)
		return v;
	v = &b->v[b->n++];
	memset(v, 0, sizeof(*v));
	v->t = t;
	return v;
}

/* One write of the boot's tool to /proc/sys/<path>. */
static void write_key(struct replay *rp, const char *path, const setting *s)
{
	const candidate *c = NULL;
	for (size_t i = 0; i < rp->nc && !c; i++)
		if (strcmp(rp->c[i].path, path) == 0)
			c = &rp->c[i];
	if (!c)
		return; /* not conntrack's, or a file that does not exist */
	ctune_boot_value *v = entry(rp->b, c->t);
	if (!v)
		return;
	const char *file = rp->l->files[s->file], *why = NULL;
	long long value;
	if (ctune_sysctl_kernel_value(c->t, s->value, rp->b->hz, &value, &why) < 0) {
		if (v->nrejected < CTUNE_BOOT_MAX_REJECTED) {
			ctune_boot_reject *j = &v->rejected[v->nrejected++];
			snprintf(j->file, sizeof(j->file), "%s", file);
			j->line = s->line;
			snprintf(j->raw, sizeof(j->raw), "%s", s->value);
			j->why = why;
		}
		if (v->integer)
			return;
	} else {
		v->integer = true;
		v->value = value;
	}
	snprintf(v->key, sizeof(v->key), "%s", c->key);
	snprintf(v->raw, sizeof(v->raw), "%s", s->value);
	snprintf(v->file, sizeof(v->file), "%s", file);
	v->line = s->line;
	v->ignore_failure = s->ignore;
}

static setting *new_setting(struct replay *rp)
{
	if (rp->n == rp->cap) {
		size_t cap = rp->cap ? 2 * rp->cap : 64;
		setting *s = realloc(rp->s, cap * sizeof(*s));
		if (!s)
			return NULL;
		rp->s = s;
		rp->cap = cap;
	}
	setting *s = &rp->s[rp->n++];
	memset(s, 0, sizeof(*s));
	return s;
}

static int add_setting(struct replay *rp, const char *key, const char *exact, const char *value, bool ignore,
		       size_t file, unsigned line)
{
	size_t kl = strlen(key) + 1, el = strcmp(exact, key) ? strlen(exact) + 1 : 0, vl = value ? strlen(value) + 1 : 0;
	char *text = malloc(kl + el + vl);
	setting *s = text ? new_setting(rp) : NULL;
	if (!s) {
		free(text);
		return -ENOMEM;
	}
	s->key = memcpy(text, key, kl);
	s->exact = el ? memcpy(text + kl, exact, el) : text;
	s->value = value ? memcpy(text + kl + el, value, vl) : NULL;
	s->ignore = ignore;
	s->file = file;
	s->line = line;
	return 0;
}

/* --- systemd-sysctl ------------------------------------------------------ */

static bool sd_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static char *strip(char *s, bool (*space)(char))
{
	while (*s && space(*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && space(s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* read_line(): a line ends at a run of "\n", "\r" and "\0" holding each at
 * most once, a "\0" ending the run. */
static bool sd_line(const char *buf, size_t len, size_t *pos, char *out)
{
	if (*pos >= len)
		return false;
	size_t n = 0;
	int prev = 0;
	while (*pos < len) {
		char c = buf[*pos];
		int eol = c == '\n' ? 1 : c == '\r' ? 2 : c == '\0' ? 4 : 0;
		if ((prev & 4) || (!eol && prev) || (eol & prev))
			break;
		(*pos)++;
		if (eol)
			prev |= eol;
		else
			out[n++] = c;
	}
	out[n] = '\0';
	return true;
}

/* parse_file(): the ordered map.  A re-assignment of the same value keeps
 * the first place; any other replaces the entry at the end. */
static int sd_put(struct replay *rp, const char *key, const char *value, bool ignore, size_t file, unsigned line)
{
	note_other(rp, key, file, line);
	if (!relevant(rp, key, key))
		return 0;
	int r = idx_reserve(rp, rp->n);
	if (r < 0)
		return r;
	size_t *sl = idx_slot(rp, key);
	if (*sl) {
		setting *s = &rp->s[*sl - 1]; /* the key's one setting not removed */
		if ((!value && !s->value) || (value && s->value && strcmp(value, s->value) == 0)) {
			s->ignore = s->ignore || ignore;
			return 0;
		}
		s->removed = true;
	}
	r = add_setting(rp, key, key, value, ignore, file, line);
	if (r == 0)
		*sl = rp->n;
	return r;
}

static int sd_parse(struct replay *rp, const char *text, size_t len, size_t file)
{
	_cleanup_free_ char *line = malloc(len + 1);
	if (!line)
		return -ENOMEM;
	size_t pos = 0;
	unsigned no = 0;
	while (sd_line(text, len, &pos, line)) {
		no++;
		char *p = strip(line, sd_space), *value = strchr(p, '=');
		if (!*p || *p == '#' || *p == ';')
			continue;
		bool ignore = false;
		if (value) {
			ignore = p[0] == '-';
			p += ignore;
			*value++ = '\0';
			value = strip(value, sd_space);
		} else if (p[0] == '-') {
			p++;
		} else {
			continue; /* "Line is not an assignment, ignoring" */
		}
		char key[256];
		if (ctune_sysctl_key_systemd(strip(p, sd_space), key, sizeof(key)) < 0)
			continue;
		int r = sd_put(rp, key, value, ignore, file, no);
		if (r < 0)
			return r;
	}
	return 0;
}

/* apply_all(): the map in order; a glob skips keys the map names. */
static void sd_apply(struct replay *rp)
{
	for (size_t i = 0; i < rp->n; i++) {
		const setting *s = &rp->s[i];
		if (s->removed || !s->value)
			continue;
		if (!ctune_sysctl_key_is_glob(s->key)) {
			write_key(rp, s->key, s);
			continue;
		}
		for (size_t c = 0; c < rp->nc; c++) {
			if (!ctune_sysctl_glob_match(s->key, rp->c[c].path))
				continue;
			if (!idx_get(rp, rp->c[c].path)) /* the map names it: written as itself */
				write_key(rp, rp->c[c].path, s);
		}
	}
}

/* --- procps -------------------------------------------------------------- */

static bool c_space(char c)
{
	return isspace((unsigned char)c) != 0;
}

/* procps 4: parse_setting_line() and setting_new(). */
static int procps_line(struct replay *rp, char *line, size_t file, unsigned no)
{
	char *key = line;
	while (*key && c_space(*key))
		key++;
	if (strlen(key) < 2 || key[0] == '#' || key[0] == ';')
		return 0;
	char *value = strchr(key, '=');
	bool ignore = false;
	if (!value) {
		if (key[0] != '-')
			return 0; /* "invalid syntax, continuing..." */
		key++;
		strip(key, c_space); /* right side only: the left was stripped */
	} else {
		*value++ = '\0';
		ignore = key[0] == '-';
		key += ignore;
		while (*value && c_space(*value))
			value++;
		size_t n = strlen(value);
		while (n > 0 && c_space(value[n - 1]))
			value[--n] = '\0';
		n = strlen(key);
		while (n > 0 && c_space(key[n - 1]))
			key[--n] = '\0';
	}
	if (key[0] == '-')
		key++;
	char exact[256], path[256];
	snprintf(exact, sizeof(exact), "%s", key);
	/* slashdot() on the joined path: the same swap systemd does. */
	char *n = strpbrk(exact, "/.");
	if (n && *n == '.')
		for (; n; n = strpbrk(n + 1, "/."))
			*n = *n == '.' ? '/' : '.';
	if (ctune_sysctl_key_procps(key, path, sizeof(path)) < 0)
		return 0;
	note_other(rp, path, file, no);
	if (!relevant(rp, path, exact))
		return 0;
	return add_setting(rp, path, exact, value, ignore, file, no);
}

/* The old procps `sysctl -p` (RHEL 5 and 6): strtok on '=' and "\r\n",
 * no '-' prefix, no globs, every line written. */
static int procps3_line(struct replay *rp, char *line, size_t file, unsigned no)
{
	char *t = strip(line, c_space);
	if (strlen(t) < 2 || t[0] == '#' || t[0] == ';')
		return 0;
	while (*t == '=')
		t++;
	char *eq = strchr(t, '=');
	if (!*t || !eq)
		return 0;
	*eq = '\0';
	char *name = strip(t, c_space), *value = eq + 1;
	value[strcspn(value, "\r\n")] = '\0';
	while (*value == ' ' || *value == '\t')
		value++;
	if (!*value || ctune_sysctl_key_is_glob(name))
		return 0;
	char path[256];
	if (ctune_sysctl_key_procps(name, path, sizeof(path)) < 0)
		return 0;
	note_other(rp, path, file, no);
	if (!relevant(rp, path, path))
		return 0;
	return add_setting(rp, path, path, value, false, file, no);
}

/* getline(): lines end at "\n" only; a NUL ends the line's text. */
static int procps_parse(struct replay *rp, const char *text, size_t len, size_t file, bool old)
{
	_cleanup_free_ char *line = malloc(len + 1);
	if (!line)
		return -ENOMEM;
	unsigned no = 0;
	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t rlen = nl ? (size_t)(nl - (text + pos)) + 1 : len - pos;
		memcpy(line, text + pos, rlen);
		line[rlen] = '\0';
		pos += rlen;
		no++;
		if (rlen < 2)
			continue;
		int r = old ? procps3_line(rp, line, file, no) : procps_line(rp, line, file, no);
		if (r < 0)
			return r;
	}
	return 0;
}

/* write_setting_list(): every setting in order; a glob skips paths some
 * setting (an assignment or an exclusion) names exactly. */
static int procps_apply(struct replay *rp)
{
	rp->by_exact = true;
	int r = idx_reserve(rp, rp->n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < rp->n; i++) {
		const setting *s = &rp->s[i];
		if (!s->value)
			continue;
		if (!ctune_sysctl_key_is_glob(s->exact)) {
			write_key(rp, s->key, s);
			continue;
		}
		for (size_t c = 0; c < rp->nc; c++) {
			if (!ctune_sysctl_glob_match(s->key, rp->c[c].path))
				continue;
			if (!idx_get(rp, rp->c[c].path)) /* some setting names it exactly */
				write_key(rp, rp->c[c].path, s);
		}
	}
	return 0;
}

/* --- the boot ------------------------------------------------------------ */

static void module_early(const ctune_root *r, const ctune_detect *d, ctune_boot *b)
{
	if (d->module_state == CTUNE_MODULE_BUILTIN) {
		b->module_early = 1;
		snprintf(b->module_reason, sizeof(b->module_reason), "%s is built into the kernel", d->module);
		return;
	}
	if (!b->systemd) {
		/* An init script applies the files; the firewall's script loads
		 * the module later and may or may not apply them again. */
		b->module_early = -1;
		snprintf(b->module_reason, sizeof(b->module_reason),
			 "%s is a loadable module on a host without systemd: whether it is loaded before the sysctl "
			 "files are applied depends on the init scripts",
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
	b->model = ctune_boot_model_detect(r, b->model_reason, sizeof(b->model_reason));
	b->systemd = b->model == CTUNE_BOOT_SYSTEMD;
	/* Timeouts above INT_MAX / HZ seconds are refused; HZ is not in /proc.
	 * Debian and Ubuntu build with 250, RHEL and its rebuilds with 1000. */
	b->hz = ctune_root_exists(r, "/etc/redhat-release") ? 1000 : 250;
	_cleanup_sysctld_ ctune_sysctld *l = calloc(1, sizeof(*l));
	_cleanup_free_ struct replay *rp = calloc(1, sizeof(*rp));
	if (!l || !rp)
		return ctune_error_set(err, -ENOMEM, "out of memory");
	int rr = ctune_boot_model_files(r, b->model, l, err);
	if (rr < 0)
		return rr;
	b->nfiles = l->n;
	rp->r = r;
	rp->b = b;
	rp->l = l;
	candidates(rp, d->scheme);
	other_keys(rp, d->scheme);
	for (size_t i = 0; i < l->n && rr >= 0; i++) {
		_cleanup_free_ char *text = NULL;
		size_t len = 0;
		int e = ctune_root_read_all(r, l->files[i], 16u << 20, &text, &len);
		if (e == -ENOENT)
			continue; /* a dangling link: skipped at boot too */
		if (e < 0) {
			if (b->nskipped < CTUNE_BOOT_MAX_SKIPPED)
				snprintf(b->skipped[b->nskipped++], sizeof(b->skipped[0]), "%s: %s", l->files[i],
					 ctune_root_strerror(e));
			continue;
		}
		rr = b->systemd ? sd_parse(rp, text, len, i)
				: procps_parse(rp, text, len, i, b->model != CTUNE_BOOT_PROCPS);
	}
	if (rr >= 0) {
		if (b->systemd)
			sd_apply(rp);
		else
			rr = procps_apply(rp);
	}
	replay_done(rp);
	if (rr < 0)
		return ctune_error_set(err, rr, "out of memory");
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
