/* persist.c - see persist.h.
 *
 * What is sysctl about a sysctl file: which keys the lens can write, the
 * spellings of one key, and where in the /parsed tree of the Sysctl lens a
 * key's entries are.  Reading the file, parsing, rendering and the atomic
 * save are textfile.c's (see textfile.h for how data moves), so every
 * function here only finds nodes and changes them.
 *
 * Line endings: in a file that mixes them the "\r" of a CRLF line ends up
 * at the end of a value ("5\r"), which get() drops as sysctl does and set()
 * keeps on the line; a blank "\r\n" line there does not parse and is
 * reported.  A file that is all CRLF is handled by textfile.c.
 */
#include "persist.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootfiles.h"
#include "sysctlkey.h"
#include "textfile.h"

struct ctune_persist {
	ctune_textfile f;
};

/* ctune's own lens (lenses/ctune_sysctl.aug), found where Modules_Load is:
 * it reads every file the boot tools accept, which the stock Sysctl lens
 * does not. */
static const ctune_textfile_format sysctl_format = {
	.lens = "Ctune_Sysctl.lns",
	.title = "Ctune_Sysctl",
	.loadpath = ctune_modload_lens_path,
	.noun = "sysctl file",
	.max_bytes = 16u << 20, /* sysctl files are a few KiB; refuse nonsense */
	/* As persist.h promises: the directory must exist, and a file whose
	 * last key goes stays, empty (/etc/sysctl.conf is the distribution's
	 * file, not ctune's to remove). */
	.create_dirs = false,
	.remove_empty = false,
};

/* --- small helpers ------------------------------------------------------ */

/* Characters the Sysctl lens accepts in a key: /[*:\/A-Za-z0-9_.-]+/. */
static bool key_valid(const char *key)
{
	if (!key || !*key || strlen(key) >= 256)
		return false;
	for (const char *c = key; *c; c++) {
		bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
			  strchr("*:/_.-", *c);
		if (!ok)
			return false;
	}
	/* Nothing left after the '-' prefix is no key. */
	return !(key[0] == '-' && key[1] == '\0');
}

/* --- the tree ----------------------------------------------------------- */

/* The key a label names for systemd-sysctl, dotted; a mixed spelling
 * (net/netfilter.x names no file) never equals a ctune key, and a glob
 * (many keys) is -EINVAL: such a line is not "the key" and is left alone.
 * "- x" is x for systemd-sysctl but " x" for procps: set() respells the
 * line it keeps. */
static int label_key(const char *label, char *norm, size_t size)
{
	return ctune_sysctl_key_canon(label, norm, size, NULL);
}

/* Refuse what the lens could not write back; norm gets the dotted key. */
static int check_key(ctune_persist *p, const char *key, char norm[static 256], ctune_error *err)
{
	if (!key_valid(key) || ctune_key_normalize(key, norm, 256) <= 0)
		return ctune_error_set(err, -EINVAL, "%s: \"%.64s\" is not a sysctl key", p->f.target,
				       key ? key : "");
	return 0;
}

/* The entries whose label matches re (a whole-label regular expression),
 * in file order: one walk of the tree by Augeas, whatever its size.  (A
 * list of every entry with a label lookup each, as this once was, costs a
 * walk per entry: minutes on a 2 MiB file.) */
static int match_re(ctune_persist *p, const char *re, strv *out, ctune_error *err)
{
	char expr[1200];
	if (snprintf(expr, sizeof(expr), "/parsed/*[label() =~ regexp('%s')]", re) >= (int)sizeof(expr))
		return ctune_error_set(err, -ENAMETOOLONG, "%s: key too long", p->f.target);
	return ctune_textfile_match(&p->f, expr, out, "search the entries", err);
}

/* The entries whose key is key as the boot tools read it (label_key), in
 * file order; norm gets the normalised key. */
static int match_key(ctune_persist *p, const char *key, char norm[static 256], strv *out, ctune_error *err)
{
	int r = check_key(p, key, norm, err);
	if (r < 0)
		return r;
	/* One Augeas walk finds the candidates, a superset of the spellings:
	 * anything before the first part (a '-', blanks, a leading '/'), any
	 * run of '.' or '/' between parts and after the last.  label_key()
	 * then keeps the entries that name key exactly as the boot tools read
	 * it: a label lookup per candidate, not per entry of a large file.
	 * The key's characters are [A-Za-z0-9_*:.-] (key_valid): only '.' and
	 * '*' mean something in a regular expression. */
	char re[1100] = "[^A-Za-z0-9_]*";
	size_t n = strlen(re);
	for (const char *c = norm; *c; c++) {
		const char *piece = *c == '.' ? "[./]+" : *c == '*' ? "[*]" : NULL;
		size_t len = piece ? strlen(piece) : 1;
		if (n + len + sizeof("[./]*") >= sizeof(re))
			return ctune_error_set(err, -ENAMETOOLONG, "%s: key too long", p->f.target);
		memcpy(re + n, piece ? piece : c, len);
		n += len;
	}
	memcpy(re + n, "[./]*", sizeof("[./]*"));
	r = match_re(p, re, out, err);
	if (r < 0)
		return r;
	int kept = 0;
	for (int i = 0; i < out->n; i++) {
		const char *label = NULL;
		char k[256];
		if (aug_label(p->f.aug, out->v[i], &label) == 1 && label && label_key(label, k, sizeof(k)) >= 0 &&
		    strcmp(k, norm) == 0)
			out->v[kept++] = out->v[i];
		else
			free(out->v[i]);
	}
	out->n = kept;
	return 0;
}

/* --- public ------------------------------------------------------------- */

int ctune_persist_open(ctune_persist **pp, const ctune_root *root, const char *path, ctune_error *err)
{
	*pp = NULL;
	_cleanup_persist_ ctune_persist *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	int r = ctune_textfile_open(&p->f, root, path, &sysctl_format, err);
	if (r < 0)
		return r;
	*pp = TAKE_PTR(p);
	return 0;
}

/* ctune_persist_close, _path, _target, _exists, _original, _render,
 * _prepare, _commit and _save: the textfile's own. */
CTUNE_TEXTFILE_SESSION_FUNCS(ctune_persist, ctune_persist)


int ctune_persist_get(ctune_persist *p, const char *key, char *value, size_t size, ctune_error *err)
{
	char norm[256];
	_cleanup_(strv_done) strv m = { 0 };
	int r = match_key(p, key, norm, &m, err);
	if (r < 0)
		return r;

	const char *v = "";
	if (m.n > 0 && (aug_get(p->f.aug, m.v[m.n - 1], &v) != 1 || !v))
		v = "";
	size_t len = strlen(v);
	if (len > 0 && v[len - 1] == '\r')
		len--;
	if (len + 1 > size)
		return ctune_error_set(err, -ENOBUFS, "%s: the value of %s is too long (%zu bytes)", p->f.target,
				       norm, len);
	memcpy(value, v, len);
	value[len] = '\0';
	return m.n;
}

int ctune_persist_list(ctune_persist *p, ctune_persist_key **keys, size_t *n, ctune_error *err)
{
	/* Every key of the scheme table has "conntrack" in it. */
	_cleanup_(strv_done) strv m = { 0 };
	int r = match_re(p, ".*conntrack.*", &m, err);
	if (r < 0)
		return r;

	_cleanup_free_ ctune_persist_key *out = NULL;
	size_t count = 0;
	for (int i = 0; i < m.n; i++) {
		const char *label = NULL;
		char norm[256];
		ctune_scheme scheme;
		if (aug_label(p->f.aug, m.v[i], &label) != 1 || !label || label_key(label, norm, sizeof(norm)) < 0 ||
		    strlen(label) >= 256)
			continue;
		const ctune_tunable *t = ctune_tunable_by_key(norm, &scheme);
		if (!t)
			continue;
		size_t j = 0;
		while (j < count && strcmp(out[j].key, norm) != 0)
			j++;
		if (j == count) {
			ctune_persist_key *grown = realloc(out, (count + 1) * sizeof(*out));
			if (!grown)
				return -ENOMEM;
			out = grown;
			memset(&out[count], 0, sizeof(out[count]));
			out[count].tunable = t;
			out[count].scheme = scheme;
			memcpy(out[count].key, norm, strlen(norm) + 1);
			count++;
		}
		memcpy(out[j].spelling, label, strlen(label) + 1);
		out[j].count++;
	}
	*keys = TAKE_PTR(out);
	*n = count;
	return 0;
}

/* Give the entry at path a value.  An entry written without one ("key =")
 * keeps the lens's empty-value form in its skeleton and cannot take a value
 * in place, so it is replaced by a new entry right after it (keeping a
 * trailing comment).  Augeas refuses to create labels with '/', so such an
 * entry is respelt with dots (keeping its '-'). */
static int set_node(ctune_persist *p, const char *path, const char *value, ctune_error *err)
{
	const char *old = NULL, *label = NULL;
	char v[32];
	if (aug_get(p->f.aug, path, &old) != 1 || aug_label(p->f.aug, path, &label) != 1 || !label)
		return ctune_textfile_failure(&p->f, -EIO, "read a value", err);

	if (old && *old) {
		bool cr = !p->f.dos && old[strlen(old) - 1] == '\r';
		snprintf(v, sizeof(v), "%s%s", value, cr ? "\r" : "");
		if (strcmp(old, v) == 0)
			return 0;
		if (aug_set(p->f.aug, path, v) < 0)
			return ctune_textfile_failure(&p->f, -EIO, "set a value", err);
		p->f.dirty = true;
		return 0;
	}

	/* path may lack an index; once a sibling of the same label exists it
	 * would match both.  It is the last node with its label (the last entry
	 * of its key), and the new entry will be the last with the new one. */
	char newlabel[258], oldpath[1024], fresh[1024], from[1100], to[1100];
	_cleanup_free_ char *esc_old = NULL, *esc_new = NULL;
	snprintf(newlabel, sizeof(newlabel), "%s%s", label[0] == '-' ? "-" : "", label + (label[0] == '-'));
	for (char *c = newlabel; *c; c++)
		if (*c == '/')
			*c = '.';
	if (aug_escape_name(p->f.aug, label, &esc_old) < 0 || aug_escape_name(p->f.aug, newlabel, &esc_new) < 0)
		return ctune_textfile_failure(&p->f, -ENOMEM, "escape a key", err);
	snprintf(oldpath, sizeof(oldpath), "/parsed/%s", esc_old ? esc_old : label);
	int k = aug_match(p->f.aug, oldpath, NULL);
	if (k < 1)
		return ctune_textfile_failure(&p->f, -EIO, "find an entry", err);
	if (snprintf(oldpath, sizeof(oldpath), "/parsed/%s[%d]", esc_old ? esc_old : label, k) >= (int)sizeof(oldpath) ||
	    snprintf(fresh, sizeof(fresh), "/parsed/%s[last()]", esc_new ? esc_new : newlabel) >= (int)sizeof(fresh))
		return ctune_error_set(err, -ENAMETOOLONG, "%s: key too long", p->f.target);
	snprintf(from, sizeof(from), "%s/#comment", oldpath);
	snprintf(to, sizeof(to), "%s/#comment", fresh);

	if (aug_insert(p->f.aug, oldpath, newlabel, 0) < 0 || aug_set(p->f.aug, fresh, value) < 0)
		return ctune_textfile_failure(&p->f, -EIO, "replace an empty entry", err);
	p->f.dirty = true;
	if (aug_match(p->f.aug, from, NULL) == 1 && aug_mv(p->f.aug, from, to) < 0)
		return ctune_textfile_failure(&p->f, -EIO, "keep a comment", err);
	if (aug_rm(p->f.aug, oldpath) < 1)
		return ctune_textfile_failure(&p->f, -EIO, "replace an empty entry", err);
	return 0;
}

static int match_exclusions(ctune_persist *p, const char *norm, strv *m, ctune_error *err);

/* Remove the "-key" exclusions of norm: systemd-sysctl takes one after an
 * assignment as cancelling it, and an explicit assignment keeps a glob off
 * the key anyway.  Returns the number removed or -errno. */
static int remove_exclusions(ctune_persist *p, const char *norm, ctune_error *err)
{
	_cleanup_(strv_done) strv m = { 0 };
	int r = match_exclusions(p, norm, &m, err);
	if (r < 0)
		return r;
	r = ctune_textfile_remove(&p->f, m.v, m.n, "remove an exclusion", err);
	return r < 0 ? r : m.n;
}

int ctune_persist_set(ctune_persist *p, const char *key, const char *value, ctune_error *err)
{
	char norm[256];
	_cleanup_(strv_done) strv m = { 0 };
	int r = match_key(p, key, norm, &m, err);
	if (r < 0)
		return r;
	if (!number_valid(value))
		return ctune_error_set(err, -EINVAL, "%s: %s: \"%.64s\" is not a decimal number without sign",
				       p->f.target, norm, value ? value : "");

	if (m.n == 0) {
		_cleanup_free_ char *escaped = NULL;
		char path[512];
		if (aug_escape_name(p->f.aug, key, &escaped) < 0)
			return ctune_textfile_failure(&p->f, -ENOMEM, "escape a key", err);
		snprintf(path, sizeof(path), "/parsed/%s[last()+1]", escaped ? escaped : key);
		if (aug_set(p->f.aug, path, value) < 0)
			return ctune_textfile_failure(&p->f, -EIO, "add a key", err);
		p->f.dirty = true;
		return remove_exclusions(p, norm, err);
	}

	/* "- key" (a blank after the dash): procps opens " key", so the line
	 * kept is respelt "-key", which both tools apply. */
	const char *label = NULL;
	bool differs = false;
	char k[256];
	if (aug_label(p->f.aug, m.v[m.n - 1], &label) == 1 && label &&
	    ctune_sysctl_key_canon(label, k, sizeof(k), &differs) >= 0 && differs) {
		char fixed[258];
		const char *t = label + 1;
		while (*t == ' ' || *t == '\t')
			t++;
		snprintf(fixed, sizeof(fixed), "-%s", t);
		if (aug_rename(p->f.aug, m.v[m.n - 1], fixed) < 0)
			return ctune_textfile_failure(&p->f, -EIO, "respell a key", err);
		p->f.dirty = true;
		strv_done(&m);
		if ((r = match_key(p, key, norm, &m, err)) < 0)
			return r;
	}

	/* Set the last occurrence first: removing earlier ones renumbers it. */
	r = set_node(p, m.v[m.n - 1], value, err);
	if (r < 0)
		return r;
	r = ctune_textfile_remove(&p->f, m.v, m.n - 1, "remove a duplicate", err);
	if (r < 0)
		return r;
	r = remove_exclusions(p, norm, err);
	return r < 0 ? r : m.n - 1 + r;
}

int ctune_persist_remove(ctune_persist *p, const char *key, ctune_error *err)
{
	char norm[256];
	_cleanup_(strv_done) strv m = { 0 };
	int r = match_key(p, key, norm, &m, err);
	if (r < 0)
		return r;
	r = ctune_textfile_remove(&p->f, m.v, m.n, "remove a key", err);
	return r < 0 ? r : m.n;
}

int ctune_persist_rename(ctune_persist *p, const char *key, const char *new_key, ctune_error *err)
{
	char norm[256], new_norm[256];
	_cleanup_(strv_done) strv m = { 0 };
	int r = check_key(p, new_key, new_norm, err);
	if (r < 0)
		return r;
	r = match_key(p, key, norm, &m, err);
	if (r < 0)
		return r;
	for (int i = m.n - 1; i >= 0; i--) {
		const char *label = NULL;
		char lbl[258];
		if (aug_label(p->f.aug, m.v[i], &label) != 1 || !label)
			return ctune_textfile_failure(&p->f, -EIO, "read a key", err);
		bool dash = label[0] == '-' || new_key[0] == '-';
		snprintf(lbl, sizeof(lbl), "%s%s", dash ? "-" : "", new_norm);
		if (strcmp(label, lbl) == 0)
			continue;
		if (aug_rename(p->f.aug, m.v[i], lbl) < 0)
			return ctune_textfile_failure(&p->f, -EIO, "rename a key", err);
		p->f.dirty = true;
	}
	return m.n;
}

/* Replace every occurrence of key (all spellings) with a comment that keeps
 * the line's text and says why: "# key = value  # <note>". */
/* The "-key" exclusions of norm, in file order. */
static int match_exclusions(ctune_persist *p, const char *norm, strv *m, ctune_error *err)
{
	int r = ctune_textfile_match(&p->f, "/parsed/#exclude", m, "list the exclusions", err);
	if (r < 0)
		return r;
	int kept = 0;
	for (int i = 0; i < m->n; i++) {
		const char *v = NULL;
		char k[256];
		if (aug_get(p->f.aug, m->v[i], &v) == 1 && v && label_key(v, k, sizeof(k)) >= 0 && strcmp(k, norm) == 0)
			m->v[kept++] = m->v[i];
		else
			free(m->v[i]);
	}
	m->n = kept;
	return 0;
}

/* Replace the node at path by a comment holding text. */
static int node_to_comment(ctune_persist *p, const char *path, const char *text, ctune_error *err)
{
	char line[1024], prev[600];
	snprintf(line, sizeof(line), "%s", text);
	for (char *c = line; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	if (aug_insert(p->f.aug, path, "#comment", 1) < 0)
		return ctune_textfile_failure(&p->f, -EIO, "insert a comment", err);
	/* The new node is the matched node's preceding sibling. */
	snprintf(prev, sizeof(prev), "%s/preceding-sibling::*[1]", path);
	if (aug_set(p->f.aug, prev, line) < 0 || aug_rm(p->f.aug, path) < 0)
		return ctune_textfile_failure(&p->f, -EIO, "comment a key out", err);
	p->f.dirty = true;
	return 0;
}

/* Replace every occurrence of key (all spellings, and its "-key"
 * exclusions) with a comment that keeps the line's text and says why:
 * "# key = value  # <note>". */
int ctune_persist_comment_out(ctune_persist *p, const char *key, const char *note, ctune_error *err)
{
	char norm[256];
	_cleanup_(strv_done) strv m = { 0 };
	_cleanup_(strv_done) strv x = { 0 };
	int r = match_key(p, key, norm, &m, err);
	if (r < 0 || (r = match_exclusions(p, norm, &x, err)) < 0)
		return r;
	for (int i = x.n - 1; i >= 0; i--) {
		const char *value = NULL;
		char text[1024];
		if (aug_get(p->f.aug, x.v[i], &value) < 0)
			return ctune_textfile_failure(&p->f, -EIO, "read an exclusion", err);
		snprintf(text, sizeof(text), "-%s  # %s", value ? value : "", note);
		if ((r = node_to_comment(p, x.v[i], text, err)) < 0)
			return r;
	}
	for (int i = m.n - 1; i >= 0; i--) {
		const char *label = NULL, *value = NULL;
		if (aug_label(p->f.aug, m.v[i], &label) != 1 || !label || aug_get(p->f.aug, m.v[i], &value) < 0)
			return ctune_textfile_failure(&p->f, -EIO, "read a key", err);
		char text[1024];
		snprintf(text, sizeof(text), "%s = %s  # %s", label, value ? value : "", note);
		if ((r = node_to_comment(p, m.v[i], text, err)) < 0)
			return r;
	}
	return m.n + x.n;
}

int ctune_persist_backup(ctune_persist *p, char *path, size_t size, ctune_error *err)
{
	return ctune_textfile_backup(&p->f, path, size, err);
}
