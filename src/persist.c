/* persist.c - see persist.h.
 *
 * How data moves: open() follows the path to the real file inside the root,
 * reads its bytes, and hands them to Augeas as a string (aug_text_store with
 * the Sysctl lens into /parsed).  Augeas never reads or writes a file itself:
 * with AUG_NO_MODL_AUTOLOAD | AUG_NO_LOAD it compiles only the Sysctl lens
 * (about 2 ms instead of ~0.5 s for every lens) and loads no files.  Edits
 * change the /parsed tree; render() runs the lens backwards over the original
 * text (aug_text_retrieve) to get the new text, so check and diff modes see
 * exactly what a save would write.  save() writes that text itself, so it can
 * be atomic (temporary file, fsync, rename), keep mode and owner, write
 * through symbolic links, and skip the write when nothing changed - none of
 * which aug_save offers together, and no .augnew or .augsave file is ever
 * made.
 *
 * Line endings: the lens knows only "\n".  A file whose every line ends in
 * "\r\n" (made on Windows) is given to Augeas with the "\r" removed, and every
 * line of the result gets its "\r\n" back.  In a file that mixes endings the
 * "\r" stays in the text: it ends up at the end of a value ("5\r"), which
 * get() drops as sysctl does and set() keeps on the line; a blank "\r\n" line
 * there does not parse and is reported.  A file without a final newline is
 * given one for the lens (as Augeas's own loader does); a file that changes
 * is written with a final newline.
 */
#include "persist.h"

#include "augeas-dl.h"

#include "aug-util.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LENS "Sysctl.lns"
#define MAX_FILE_BYTES (16u << 20) /* sysctl files are a few KiB; refuse nonsense */
#define HOST_MAX (PATH_MAX + 4096 + 64) /* root prefix + path + backup suffix */

struct ctune_persist {
	augeas *aug;
	ctune_root root;
	char path[PATH_MAX];   /* as given to open */
	char target[PATH_MAX]; /* after following links, as seen from the root */
	char host[HOST_MAX];   /* root prefix + target: what open(2) takes */
	bool exists;
	struct stat st; /* of the target when read; valid when exists */

	char *original; /* the file's bytes (NUL-terminated); "" when missing */
	size_t original_len;
	char *input; /* what Augeas parsed: "\r\n" -> "\n" when dos, final "\n" */
	bool dos;    /* every line ended in "\r\n" */

	char *tmp;          /* a prepared temporary file awaiting commit, or NULL */
	struct stat tmp_st; /* of that file */
	size_t tmp_len;

	bool dirty;     /* the tree changed since the last render */
	bool changed;   /* the last render differs from the original */
	char *rendered; /* the last render when changed */
	size_t rendered_len;
};

static void discard_prepared(ctune_persist *p);

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

static bool value_valid(const char *value)
{
	size_t n = value ? strlen(value) : 0;
	if (n == 0 || n > 20)
		return false;
	for (size_t i = 0; i < n; i++)
		if (value[i] < '0' || value[i] > '9')
			return false;
	return true;
}

/* --- following the path inside the root --------------------------------- */


/* --- reading and parsing ------------------------------------------------ */

static int read_target(ctune_persist *p, ctune_error *err)
{
	_cleanup_close_ int fd = open(p->host, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			return ctune_error_set(err, -errno, "%s: %s", p->target, strerror(errno));
		p->exists = false;
		p->original = strdup("");
		p->original_len = 0;
		return p->original ? 0 : -ENOMEM;
	}
	if (fstat(fd, &p->st) < 0)
		return ctune_error_set(err, -errno, "%s: %s", p->target, strerror(errno));
	if (!S_ISREG(p->st.st_mode))
		return ctune_error_set(err, -EINVAL, "%s: not a regular file", p->target);
	if ((unsigned long long)p->st.st_size > MAX_FILE_BYTES)
		return ctune_error_set(err, -EFBIG, "%s: too large for a sysctl file (%lld bytes)", p->target,
				       (long long)p->st.st_size);

	size_t cap = (size_t)p->st.st_size + 1, got = 0;
	_cleanup_free_ char *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (got + 1 == cap) {
			/* The file grew while we read it. */
			if (cap > MAX_FILE_BYTES)
				return ctune_error_set(err, -EFBIG, "%s: too large for a sysctl file", p->target);
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				return -ENOMEM;
			buf = nb;
			cap *= 2;
		}
		ssize_t k = read(fd, buf + got, cap - 1 - got);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return ctune_error_set(err, -errno, "%s: %s", p->target, strerror(errno));
		}
		if (k == 0)
			break;
		got += (size_t)k;
	}
	buf[got] = '\0';
	if (memchr(buf, '\0', got))
		return ctune_error_set(err, -EBADMSG, "%s: contains a NUL byte, not a sysctl file", p->target);
	p->exists = true;
	p->original = TAKE_PTR(buf);
	p->original_len = got;
	return 0;
}

/* Build p->input from p->original: see the header comment on line endings. */
static int make_input(ctune_persist *p)
{
	const char *o = p->original;
	size_t lf = 0, crlf = 0;
	for (size_t i = 0; i < p->original_len; i++)
		if (o[i] == '\n') {
			lf++;
			if (i > 0 && o[i - 1] == '\r')
				crlf++;
		}
	p->dos = crlf > 0 && crlf == lf;

	char *in = malloc(p->original_len + 2);
	if (!in)
		return -ENOMEM;
	size_t n = 0;
	for (size_t i = 0; i < p->original_len; i++) {
		if (p->dos && o[i] == '\r' && o[i + 1] == '\n')
			continue;
		in[n++] = o[i];
	}
	if (n > 0 && in[n - 1] != '\n')
		in[n++] = '\n';
	in[n] = '\0';
	free(p->input);
	p->input = in;
	return 0;
}

/* Augeas's own words for its last failure. */
static int aug_failure(ctune_persist *p, int code, const char *what, ctune_error *err)
{
	const char *msg = aug_error_message(p->aug), *minor = aug_error_minor_message(p->aug),
		   *details = aug_error_details(p->aug);
	return ctune_error_set(err, code, "%s: Augeas could not %s: %s%s%s%s%s", p->target, what,
			       msg ? msg : "unknown error", minor ? ": " : "", minor ? minor : "",
			       details ? ": " : "", details ? details : "");
}

/* The lens's report of a parse (or put) failure, with the line it stopped
 * at quoted from the input. */
static int parse_failure(ctune_persist *p, const char *what, ctune_error *err)
{
	const char *message = NULL, *line = NULL, *column = NULL;
	aug_get(p->aug, "/augeas/text/parsed/error/message", &message);
	aug_get(p->aug, "/augeas/text/parsed/error/line", &line);
	aug_get(p->aug, "/augeas/text/parsed/error/char", &column);
	if (!message)
		return aug_failure(p, -EBADMSG, what, err);

	long no = line ? strtol(line, NULL, 10) : 0;
	const char *s = p->input;
	for (long i = 1; i < no && s; i++) {
		s = strchr(s, '\n');
		if (s)
			s++;
	}
	int len = s ? (int)strcspn(s, "\n") : 0;
	return ctune_error_set(err, -EBADMSG,
			       "%s: the Sysctl lens cannot %s line %s, character %s (\"%.*s%s\"): %s; "
			       "the file is left as it is",
			       p->target, what, line ? line : "?", column ? column : "?", len > 80 ? 80 : len,
			       s ? s : "", len > 80 ? "..." : "", message);
}

/* Parse p->original into /parsed. */
static int load_tree(ctune_persist *p, ctune_error *err)
{
	int r = make_input(p);
	if (r < 0)
		return r;
	if (aug_rm(p->aug, "/parsed") < 0 || aug_set(p->aug, "/input", p->input) < 0)
		return aug_failure(p, -ENOMEM, "store the text", err);
	if (aug_text_store(p->aug, LENS, "/input", "/parsed") < 0) {
		if (aug_error(p->aug) != AUG_NOERROR)
			return aug_failure(p, -EIO, "load the " LENS " lens", err);
		return parse_failure(p, "parse", err);
	}
	p->dirty = false;
	p->changed = false;
	free(p->rendered);
	p->rendered = NULL;
	p->rendered_len = 0;
	return 0;
}

/* --- the tree ----------------------------------------------------------- */

/* The entries (not comments) under /parsed, in file order. */
static int entries(ctune_persist *p, strv *out, ctune_error *err)
{
	int n = aug_match(p->aug, "/parsed/*[label() != '#comment']", &out->v);
	if (n < 0)
		return aug_failure(p, -EIO, "list the entries", err);
	out->n = n;
	return 0;
}

/* Refuse what the lens could not write back; norm gets the dotted key. */
static int check_key(ctune_persist *p, const char *key, char norm[static 256], ctune_error *err)
{
	if (!key_valid(key) || ctune_key_normalize(key, norm, 256) <= 0)
		return ctune_error_set(err, -EINVAL, "%s: \"%.64s\" is not a sysctl key", p->target,
				       key ? key : "");
	return 0;
}

/* The entries whose key is key in any spelling, in file order; norm gets
 * the normalised key. */
static int match_key(ctune_persist *p, const char *key, char norm[static 256], strv *out, ctune_error *err)
{
	int r = check_key(p, key, norm, err);
	if (r < 0)
		return r;
	r = entries(p, out, err);
	if (r < 0)
		return r;
	int kept = 0;
	for (int i = 0; i < out->n; i++) {
		const char *label = NULL;
		char k[256];
		if (aug_label(p->aug, out->v[i], &label) == 1 && label &&
		    ctune_key_normalize(label, k, sizeof(k)) >= 0 && strcmp(k, norm) == 0)
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
	size_t n = path ? strlen(path) : 0;
	if (n == 0 || path[0] != '/' || path[n - 1] == '/')
		return ctune_error_set(err, -EINVAL, "\"%s\" is not an absolute file path", path ? path : "");
	if (n >= PATH_MAX)
		return ctune_error_set(err, -ENAMETOOLONG, "%.64s...: path too long", path);

	ctune_persist *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	_cleanup_persist_ ctune_persist *owned = p;
	p->root = *root;
	memcpy(p->path, path, n + 1);

	int r = ctune_root_resolve(root, path, false, p->target, sizeof(p->target), err);
	if (r < 0)
		return r;
	if (ctune_root_path(root, p->target, p->host, sizeof(p->host)) < 0)
		return ctune_error_set(err, -ENAMETOOLONG, "%s: path too long", path);
	r = read_target(p, err);
	if (r < 0)
		return r;

	r = ctune_augeas_load(err);
	if (r < 0)
		return r;
	/* "/" rather than the root prefix: Augeas never sees a file here. */
	p->aug = aug_init("/", NULL, AUG_NO_MODL_AUTOLOAD | AUG_NO_LOAD | AUG_NO_ERR_CLOSE | AUG_SAVE_NOOP);
	if (!p->aug)
		return ctune_error_set(err, -ENOMEM, "%s: cannot start Augeas", p->target);
	if (aug_error(p->aug) != AUG_NOERROR)
		return aug_failure(p, -EIO, "start", err);
	r = load_tree(p, err);
	if (r < 0)
		return r;

	*pp = TAKE_PTR(owned);
	return 0;
}

void ctune_persist_close(ctune_persist *p)
{
	if (!p)
		return;
	discard_prepared(p);
	if (p->aug)
		aug_close(p->aug);
	free(p->original);
	free(p->input);
	free(p->rendered);
	free(p);
}

const char *ctune_persist_path(const ctune_persist *p)
{
	return p->path;
}

const char *ctune_persist_target(const ctune_persist *p)
{
	return p->target;
}

bool ctune_persist_exists(const ctune_persist *p)
{
	return p->exists;
}

int ctune_persist_get(ctune_persist *p, const char *key, char *value, size_t size, ctune_error *err)
{
	char norm[256];
	_cleanup_(strv_done) strv m = { 0 };
	int r = match_key(p, key, norm, &m, err);
	if (r < 0)
		return r;

	const char *v = "";
	if (m.n > 0 && (aug_get(p->aug, m.v[m.n - 1], &v) != 1 || !v))
		v = "";
	size_t len = strlen(v);
	if (len > 0 && v[len - 1] == '\r')
		len--;
	if (len + 1 > size)
		return ctune_error_set(err, -ENOBUFS, "%s: the value of %s is too long (%zu bytes)", p->target,
				       norm, len);
	memcpy(value, v, len);
	value[len] = '\0';
	return m.n;
}

int ctune_persist_list(ctune_persist *p, ctune_persist_key **keys, size_t *n, ctune_error *err)
{
	_cleanup_(strv_done) strv m = { 0 };
	int r = entries(p, &m, err);
	if (r < 0)
		return r;

	_cleanup_free_ ctune_persist_key *out = NULL;
	size_t count = 0;
	for (int i = 0; i < m.n; i++) {
		const char *label = NULL;
		char norm[256];
		ctune_scheme scheme;
		if (aug_label(p->aug, m.v[i], &label) != 1 || !label ||
		    ctune_key_normalize(label, norm, sizeof(norm)) < 0 || strlen(label) >= 256)
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
	if (aug_get(p->aug, path, &old) != 1 || aug_label(p->aug, path, &label) != 1 || !label)
		return aug_failure(p, -EIO, "read a value", err);

	if (old && *old) {
		bool cr = !p->dos && old[strlen(old) - 1] == '\r';
		snprintf(v, sizeof(v), "%s%s", value, cr ? "\r" : "");
		if (strcmp(old, v) == 0)
			return 0;
		if (aug_set(p->aug, path, v) < 0)
			return aug_failure(p, -EIO, "set a value", err);
		p->dirty = true;
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
	if (aug_escape_name(p->aug, label, &esc_old) < 0 || aug_escape_name(p->aug, newlabel, &esc_new) < 0)
		return aug_failure(p, -ENOMEM, "escape a key", err);
	snprintf(oldpath, sizeof(oldpath), "/parsed/%s", esc_old ? esc_old : label);
	int k = aug_match(p->aug, oldpath, NULL);
	if (k < 1)
		return aug_failure(p, -EIO, "find an entry", err);
	if (snprintf(oldpath, sizeof(oldpath), "/parsed/%s[%d]", esc_old ? esc_old : label, k) >= (int)sizeof(oldpath) ||
	    snprintf(fresh, sizeof(fresh), "/parsed/%s[last()]", esc_new ? esc_new : newlabel) >= (int)sizeof(fresh))
		return ctune_error_set(err, -ENAMETOOLONG, "%s: key too long", p->target);
	snprintf(from, sizeof(from), "%s/#comment", oldpath);
	snprintf(to, sizeof(to), "%s/#comment", fresh);

	if (aug_insert(p->aug, oldpath, newlabel, 0) < 0 || aug_set(p->aug, fresh, value) < 0)
		return aug_failure(p, -EIO, "replace an empty entry", err);
	p->dirty = true;
	if (aug_match(p->aug, from, NULL) == 1 && aug_mv(p->aug, from, to) < 0)
		return aug_failure(p, -EIO, "keep a comment", err);
	if (aug_rm(p->aug, oldpath) < 1)
		return aug_failure(p, -EIO, "replace an empty entry", err);
	return 0;
}

int ctune_persist_set(ctune_persist *p, const char *key, const char *value, ctune_error *err)
{
	char norm[256];
	_cleanup_(strv_done) strv m = { 0 };
	int r = match_key(p, key, norm, &m, err);
	if (r < 0)
		return r;
	if (!value_valid(value))
		return ctune_error_set(err, -EINVAL, "%s: %s: \"%.64s\" is not a decimal number without sign",
				       p->target, norm, value ? value : "");

	if (m.n == 0) {
		_cleanup_free_ char *escaped = NULL;
		char path[512];
		if (aug_escape_name(p->aug, key, &escaped) < 0)
			return aug_failure(p, -ENOMEM, "escape a key", err);
		snprintf(path, sizeof(path), "/parsed/%s[last()+1]", escaped ? escaped : key);
		if (aug_set(p->aug, path, value) < 0)
			return aug_failure(p, -EIO, "add a key", err);
		p->dirty = true;
		return 0;
	}

	/* Set the last occurrence first: removing earlier ones renumbers it. */
	r = set_node(p, m.v[m.n - 1], value, err);
	if (r < 0)
		return r;
	for (int i = m.n - 2; i >= 0; i--) {
		if (aug_rm(p->aug, m.v[i]) < 0)
			return aug_failure(p, -EIO, "remove a duplicate", err);
		p->dirty = true;
	}
	return m.n - 1;
}

int ctune_persist_remove(ctune_persist *p, const char *key, ctune_error *err)
{
	char norm[256];
	_cleanup_(strv_done) strv m = { 0 };
	int r = match_key(p, key, norm, &m, err);
	if (r < 0)
		return r;
	/* Last first: removing a later node never renumbers an earlier one. */
	for (int i = m.n - 1; i >= 0; i--) {
		if (aug_rm(p->aug, m.v[i]) < 0)
			return aug_failure(p, -EIO, "remove a key", err);
		p->dirty = true;
	}
	return m.n;
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
		if (aug_label(p->aug, m.v[i], &label) != 1 || !label)
			return aug_failure(p, -EIO, "read a key", err);
		bool dash = label[0] == '-' || new_key[0] == '-';
		snprintf(lbl, sizeof(lbl), "%s%s", dash ? "-" : "", new_norm);
		if (strcmp(label, lbl) == 0)
			continue;
		if (aug_rename(p->aug, m.v[i], lbl) < 0)
			return aug_failure(p, -EIO, "rename a key", err);
		p->dirty = true;
	}
	return m.n;
}

const char *ctune_persist_original(const ctune_persist *p, size_t *len)
{
	if (len)
		*len = p->original_len;
	return p->original;
}

/* "\n" -> "\r\n" for a dos file. */
static char *to_dos(const char *s, size_t *len)
{
	size_t n = 0, lf = 0;
	for (; s[n]; n++)
		lf += s[n] == '\n';
	char *out = malloc(n + lf + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			*o++ = '\r';
		*o++ = s[i];
	}
	*o = '\0';
	*len = (size_t)(o - out);
	return out;
}

int ctune_persist_render(ctune_persist *p, const char **text, size_t *len, ctune_error *err)
{
	if (p->dirty) {
		const char *out = NULL;
		if (aug_text_retrieve(p->aug, LENS, "/input", "/parsed", "/output") < 0) {
			if (aug_error(p->aug) != AUG_NOERROR)
				return aug_failure(p, -EIO, "render the file", err);
			return parse_failure(p, "render", err);
		}
		if (aug_get(p->aug, "/output", &out) != 1 || !out)
			return aug_failure(p, -EIO, "render the file", err);

		free(p->rendered);
		p->rendered = NULL;
		p->rendered_len = 0;
		p->changed = strcmp(out, p->input) != 0;
		if (p->changed) {
			p->rendered_len = strlen(out);
			p->rendered = p->dos ? to_dos(out, &p->rendered_len) : strdup(out);
		}
		aug_rm(p->aug, "/output");
		if (p->changed && !p->rendered) {
			p->changed = false;
			return -ENOMEM;
		}
		p->dirty = false;
	}
	if (text)
		*text = p->changed ? p->rendered : p->original;
	if (len)
		*len = p->changed ? p->rendered_len : p->original_len;
	return p->changed;
}

/* The file is still the one we read: same inode, size and mtime, or still
 * missing. */
static int check_unchanged(ctune_persist *p, ctune_error *err)
{
	struct stat st;
	if (lstat(p->host, &st) < 0) {
		if (errno == ENOENT && !p->exists)
			return 0;
		if (errno == ENOENT)
			return ctune_error_set(err, -ESTALE, "%s: removed since it was read; not saved", p->target);
		return ctune_error_set(err, -errno, "%s: %s", p->target, strerror(errno));
	}
	if (!p->exists || st.st_dev != p->st.st_dev || st.st_ino != p->st.st_ino || st.st_size != p->st.st_size ||
	    st.st_mtim.tv_sec != p->st.st_mtim.tv_sec || st.st_mtim.tv_nsec != p->st.st_mtim.tv_nsec)
		return ctune_error_set(err, -ESTALE, "%s: changed on disk since it was read; not saved", p->target);
	return 0;
}

static int copy_attributes(ctune_persist *p, int fd, const char *what, ctune_error *err)
{
	return ctune_copy_file_attributes(fd, p->exists, &p->st, p->host, what, err);
}

static void sync_dir(const char *file)
{
	char dir[HOST_MAX];
	snprintf(dir, sizeof(dir), "%s", file);
	char *slash = strrchr(dir, '/');
	if (!slash)
		return;
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		(void)fsync(fd); /* the rename is done; a failed flush here is not a failed save */
}

static void discard_prepared(ctune_persist *p)
{
	if (!p->tmp)
		return;
	unlink(p->tmp);
	free(p->tmp);
	p->tmp = NULL;
}

int ctune_persist_prepare(ctune_persist *p, ctune_error *err)
{
	discard_prepared(p);
	const char *text = NULL; /* set when the render returns > 0 */
	size_t len = 0;
	int r = ctune_persist_render(p, &text, &len, err);
	if (r <= 0)
		return r;
	r = check_unchanged(p, err);
	if (r < 0)
		return r;
	r = ctune_check_replaceable(p->host, p->target, err);
	if (r < 0)
		return r;

	/* ".name.ctune-XXXXXX": hidden, and not "*.conf", so no sysctl.d
	 * reader picks it up while it exists. */
	char tmp[HOST_MAX];
	const char *slash = strrchr(p->host, '/');
	if (snprintf(tmp, sizeof(tmp), "%.*s/.%s.ctune-XXXXXX", (int)(slash - p->host), p->host, slash + 1) >=
	    (int)sizeof(tmp))
		return ctune_error_set(err, -ENAMETOOLONG, "%s: path too long", p->target);
	_cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return ctune_error_set(err, -errno, "%s: cannot create a temporary file beside it: %s", p->target,
				       strerror(errno));
	_cleanup_(ctune_unlinkp) char *cleanup_tmp = tmp;

	r = ctune_write_all(fd, text, len);
	if (r < 0)
		return ctune_error_set(err, r, "%s: writing: %s", p->target, strerror(-r));
	r = copy_attributes(p, fd, p->target, err);
	if (r < 0)
		return r;
	if (fsync(fd) < 0)
		return ctune_error_set(err, -errno, "%s: fsync: %s", p->target, strerror(errno));
	if (fstat(fd, &p->tmp_st) < 0)
		return ctune_error_set(err, -errno, "%s: %s", p->target, strerror(errno));
	if (close(TAKE_FD(fd)) < 0)
		return ctune_error_set(err, -errno, "%s: writing: %s", p->target, strerror(errno));
	p->tmp = strdup(tmp);
	if (!p->tmp)
		return ctune_error_set(err, -ENOMEM, "out of memory");
	p->tmp_len = len;
	cleanup_tmp = NULL;
	return 1;
}

int ctune_persist_commit(ctune_persist *p, ctune_error *err)
{
	if (!p->tmp)
		return 0;
	int r = check_unchanged(p, err);
	if (r < 0) {
		discard_prepared(p);
		return r;
	}
	if (rename(p->tmp, p->host) < 0) {
		r = ctune_error_set(err, -errno, "%s: cannot replace it: %s", p->target, strerror(errno));
		discard_prepared(p);
		return r;
	}
	free(p->tmp);
	p->tmp = NULL;
	sync_dir(p->host);

	/* The session goes on from the file as now written. */
	free(p->original);
	p->original = TAKE_PTR(p->rendered);
	p->original_len = p->tmp_len;
	p->exists = true;
	p->st = p->tmp_st;
	r = load_tree(p, err);
	if (r < 0)
		return r;
	return 1;
}

int ctune_persist_save(ctune_persist *p, ctune_error *err)
{
	int r = ctune_persist_prepare(p, err);
	if (r <= 0)
		return r;
	return ctune_persist_commit(p, err);
}

/* Replace every occurrence of key (all spellings) with a comment that keeps
 * the line's text and says why: "# key = value  # <note>". */
int ctune_persist_comment_out(ctune_persist *p, const char *key, const char *note, ctune_error *err)
{
	char norm[256];
	_cleanup_(strv_done) strv m = { 0 };
	int r = match_key(p, key, norm, &m, err);
	if (r < 0)
		return r;
	for (int i = m.n - 1; i >= 0; i--) {
		const char *label = NULL, *value = NULL;
		if (aug_label(p->aug, m.v[i], &label) != 1 || !label || aug_get(p->aug, m.v[i], &value) < 0)
			return aug_failure(p, -EIO, "read a key", err);
		char text[1024];
		snprintf(text, sizeof(text), "%s = %s  # %s", label, value ? value : "", note);
		for (char *c = text; *c; c++)
			if (*c == '\n' || *c == '\r')
				*c = ' ';
		if (aug_insert(p->aug, m.v[i], "#comment", 1) < 0)
			return aug_failure(p, -EIO, "insert a comment", err);
		/* The new node is the matched node's preceding sibling. */
		char path[600];
		snprintf(path, sizeof(path), "%s/preceding-sibling::*[1]", m.v[i]);
		if (aug_set(p->aug, path, text) < 0 || aug_rm(p->aug, m.v[i]) < 0)
			return aug_failure(p, -EIO, "comment a key out", err);
		p->dirty = true;
	}
	return m.n;
}

int ctune_persist_backup(ctune_persist *p, char *path, size_t size, ctune_error *err)
{
	if (size > 0)
		path[0] = '\0';
	_cleanup_close_ int in = open(p->host, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0) {
		if (errno == ENOENT)
			return 0;
		return ctune_error_set(err, -errno, "%s: %s", p->target, strerror(errno));
	}
	struct stat st;
	if (fstat(in, &st) < 0)
		return ctune_error_set(err, -errno, "%s: %s", p->target, strerror(errno));

	/* Ansible's backup_local(): path.PID.YYYY-MM-DD@HH:MM:SS~ */
	char stamp[32], name[PATH_MAX + 64], host[HOST_MAX];
	time_t now = time(NULL);
	struct tm tm;
	if (!localtime_r(&now, &tm) || strftime(stamp, sizeof(stamp), "%Y-%m-%d@%H:%M:%S", &tm) == 0)
		return ctune_error_set(err, -EINVAL, "cannot format the time for a backup name");
	if (snprintf(name, sizeof(name), "%s.%ld.%s~", p->target, (long)getpid(), stamp) >= (int)sizeof(name) ||
	    ctune_root_path(&p->root, name, host, sizeof(host)) < 0)
		return ctune_error_set(err, -ENAMETOOLONG, "%s: backup path too long", p->target);
	if (strlen(name) + 1 > size)
		return ctune_error_set(err, -ENOBUFS, "%s: no room for the backup path", p->target);

	_cleanup_close_ int out = open(host, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return ctune_error_set(err, -errno, "%s: cannot create backup %s: %s", p->target, name,
				       strerror(errno));
	_cleanup_(ctune_unlinkp) char *guard = host;

	char buf[65536];
	for (;;) {
		ssize_t k = read(in, buf, sizeof(buf));
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return ctune_error_set(err, -errno, "%s: reading: %s", p->target, strerror(errno));
		}
		if (k == 0)
			break;
		int r = ctune_write_all(out, buf, (size_t)k);
		if (r < 0)
			return ctune_error_set(err, r, "%s: writing backup %s: %s", p->target, name, strerror(-r));
	}

	struct stat now_st;
	if (fstat(out, &now_st) < 0)
		return ctune_error_set(err, -errno, "%s: %s", name, strerror(errno));
	if ((now_st.st_uid != st.st_uid || now_st.st_gid != st.st_gid) && fchown(out, st.st_uid, st.st_gid) < 0)
		return ctune_error_set(err, -errno, "%s: cannot keep owner %u:%u: %s", name, (unsigned)st.st_uid,
				       (unsigned)st.st_gid, strerror(errno));
	if (fchmod(out, st.st_mode & 07777) < 0)
		return ctune_error_set(err, -errno, "%s: cannot set mode: %s", name, strerror(errno));
	struct timespec times[2] = { st.st_atim, st.st_mtim };
	if (futimens(out, times) < 0 || fsync(out) < 0)
		return ctune_error_set(err, -errno, "%s: %s", name, strerror(errno));
	if (close(TAKE_FD(out)) < 0)
		return ctune_error_set(err, -errno, "%s: writing: %s", name, strerror(errno));

	guard = NULL;
	memcpy(path, name, strlen(name) + 1);
	return 1;
}
