/* bootfiles.c - see bootfiles.h.
 *
 * How data moves.  A find function lists the configuration files in force
 * the way their reader does (conf_list: directories in order, a name seen
 * in an earlier directory masks it in later ones, then lexical order of the
 * names), reads each one through the root (links followed inside it) and
 * scans its text with a few lines of C that copy the reader's own parsing:
 * systemd-modules-load's strip-and-skip for modules-load.d, kmod's
 * continuation lines and `options` tokens plus the kernel's parameter
 * splitting for modprobe.d.  No Augeas there: a find must see exactly what
 * the boot will see, including lines a lens would refuse.
 *
 * A session edits one file through a lens, as persist.c does for sysctl
 * files: reading, parsing, rendering and the atomic save are textfile.c's
 * (see textfile.h), the same for both kinds of session; only the lens and
 * the tree edits differ.  Unlike a sysctl file, a file every line of which
 * was removed is deleted by commit rather than left empty, and the
 * directory of a file ctune creates is made by prepare.  In a file that
 * mixes line endings the "\r" stays in the text (Modules_Load treats it as
 * whitespace, as systemd does).
 */
#include "bootfiles.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "textfile.h"

#ifndef CTUNE_LENS_DIR
#define CTUNE_LENS_DIR "/usr/local/share/ctune/lenses"
#endif

#define MAX_FILE_BYTES (4u << 20) /* these files are a few hundred bytes */
#define MAX_FILES 512
#define HOST_MAX (PATH_MAX + 4096 + 64)

static const char *const modload_dirs[] = {
	"/etc/modules-load.d", "/run/modules-load.d", "/usr/local/lib/modules-load.d",
	"/usr/lib/modules-load.d", "/lib/modules-load.d",
};
static const char *const modprobe_dirs[] = {
	"/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d", "/usr/lib/modprobe.d", "/lib/modprobe.d",
};
static const char *const legacy_modprobe_dirs[] = { "/etc/modprobe.d" };

/* --- small helpers ------------------------------------------------------ */


/* kmod's rule for module names, the kernel's for parameter names: '-' and
 * '_' are one character.  a is compared over alen bytes. */
static bool name_eq_n(const char *a, size_t alen, const char *b)
{
	size_t i = 0;
	for (; i < alen && b[i]; i++) {
		char x = a[i] == '-' ? '_' : a[i], y = b[i] == '-' ? '_' : b[i];
		if (x != y)
			return false;
	}
	return i == alen && b[i] == '\0';
}

static bool name_eq(const char *a, const char *b)
{
	return name_eq_n(a, strlen(a), b);
}

/* A module or parameter name ctune writes: what kernel module names are
 * made of. */
static bool word_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* --- the lens load path ------------------------------------------------- */

const char *ctune_modload_lens_path(void)
{
	static char path[2 * PATH_MAX + 2];
	const char *env = getenv("CTUNE_LENS_DIR");
	if (env && *env)
		snprintf(path, sizeof(path), "%s", env);
#ifdef CTUNE_LENS_SRCDIR
	else
		snprintf(path, sizeof(path), "%s:%s", CTUNE_LENS_DIR, CTUNE_LENS_SRCDIR);
#else
	else
		snprintf(path, sizeof(path), "%s", CTUNE_LENS_DIR);
#endif
	return path;
}

/* --- reading a file inside the root ------------------------------------- */

/* Read abs under the root, links followed inside it; *target (may be NULL)
 * gets the file actually read.  -ENOENT for a missing file (or a dangling
 * link, such as a mask pointing at /dev/null outside a test root). */
static int read_in_root(const ctune_root *root, const char *abs, char **out, char *target, size_t tsize,
			ctune_error *err)
{
	char resolved[PATH_MAX], host[HOST_MAX];
	ctune_error ignored = { 0 };
	int r = ctune_root_resolve(root, abs, true, resolved, sizeof(resolved), &ignored);
	if (r == -ENOENT || r == -ENOTDIR)
		return -ENOENT;
	if (r < 0)
		return ctune_error_set(err, r, "%s", ignored.msg);
	if (target)
		snprintf(target, tsize, "%s", resolved);
	if (ctune_root_path(root, resolved, host, sizeof(host)) < 0)
		return ctune_error_set(err, -ENAMETOOLONG, "%s: path too long", abs);
	return ctune_textfile_read(host, abs, MAX_FILE_BYTES, "configuration file", out, NULL, NULL, err);
}

/* --- which files are in force ------------------------------------------- */

typedef struct conf_list {
	size_t n;
	char **files; /* absolute paths under the root, in reading order */
} conf_list;

static void conf_list_done(conf_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->files[i]);
	free(l->files);
	l->files = NULL;
	l->n = 0;
}

static int cmp_base(const void *a, const void *b)
{
	return strcmp(base_name(*(char *const *)a), base_name(*(char *const *)b));
}

static bool listed_name(const conf_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(base_name(l->files[i]), name) == 0)
			return true;
	return false;
}

static int conf_add(conf_list *l, const char *dir, const char *name, ctune_error *err)
{
	if (l->n >= MAX_FILES)
		return ctune_error_set(err, -E2BIG, "more than %d configuration files in %s and its siblings",
				       MAX_FILES, dir);
	char **grown = realloc(l->files, (l->n + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	l->files = grown;
	if (asprintf(&l->files[l->n], "%s/%s", dir, name) < 0)
		return -ENOMEM;
	l->n++;
	return 0;
}

/* The files a reader takes from dirs, in its reading order.  conf_only:
 * names ending in ".conf" (kmod, systemd); otherwise every name but hidden
 * files and '~' backups (module-init-tools).  A name in an earlier
 * directory masks it in later ones, whatever the entry is (a link to
 * /dev/null masks).  extra (may be NULL) is an absolute path whose
 * presence is given by extra_present rather than by the disk: a file a
 * session is about to create or remove. */
static int conf_list_make(const ctune_root *root, const char *const *dirs, size_t ndirs, bool conf_only,
			  const char *extra, bool extra_present, conf_list *l, ctune_error *err)
{
	for (size_t d = 0; d < ndirs; d++) {
		size_t dlen = strlen(dirs[d]);
		const char *extra_name = NULL;
		if (extra && strncmp(extra, dirs[d], dlen) == 0 && extra[dlen] == '/' && !strchr(extra + dlen + 1, '/'))
			extra_name = extra + dlen + 1;
		if (extra_name && extra_present && !listed_name(l, extra_name)) {
			int r = conf_add(l, dirs[d], extra_name, err);
			if (r < 0)
				return r;
		}

		_cleanup_closedir_ DIR *dir = NULL;
		if (ctune_root_opendir(root, dirs[d], &dir) < 0)
			continue;
		struct dirent *de;
		while ((de = readdir(dir))) {
			const char *name = de->d_name;
			size_t len = strlen(name);
			if (name[0] == '.' || name[len - 1] == '~')
				continue;
			if (conf_only && (len < 6 || strcmp(name + len - 5, ".conf") != 0))
				continue;
			struct stat st;
			char entry[PATH_MAX];
			snprintf(entry, sizeof(entry), "%s/%s", dirs[d], name);
			if (ctune_root_stat(root, entry, true, &st) == 0 && S_ISDIR(st.st_mode))
				continue;
			if ((extra_name && strcmp(name, extra_name) == 0) || listed_name(l, name))
				continue;
			int r = conf_add(l, dirs[d], name, err);
			if (r < 0)
				return r;
		}
	}
	if (l->n > 1) /* l->files is NULL while empty: qsort must not see it */
		qsort(l->files, l->n, sizeof(l->files[0]), cmp_base);
	return 0;
}

/* The directory of path if it is one of dirs, else NULL. */
static const char *dir_of(const char *path, const char *const *dirs, size_t ndirs, size_t *index)
{
	for (size_t d = 0; d < ndirs; d++) {
		size_t dlen = strlen(dirs[d]);
		if (strncmp(path, dirs[d], dlen) == 0 && path[dlen] == '/' && !strchr(path + dlen + 1, '/')) {
			if (index)
				*index = d;
			return dirs[d];
		}
	}
	return NULL;
}

/* --- reading modules-load.d as systemd does ----------------------------- */

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The lines of text naming module, as systemd-modules-load reads them:
 * each line stripped of whitespace, empty and '#'/';' lines skipped, the
 * rest one module name.  Fills *hit with the first (when hit is non-NULL)
 * and returns how many lines name it. */
static int modload_scan(const char *text, const char *module, ctune_modload_hit *hit)
{
	int count = 0;
	unsigned lineno = 0;
	for (const char *p = text; *p;) {
		const char *end = strchrnul(p, '\n');
		lineno++;
		const char *s = p, *e = end;
		while (s < e && is_ws(*s))
			s++;
		while (e > s && is_ws(e[-1]))
			e--;
		if (s < e && *s != '#' && *s != ';' && name_eq_n(s, (size_t)(e - s), module)) {
			if (count++ == 0 && hit) {
				hit->line = lineno;
				snprintf(hit->name, sizeof(hit->name), "%.*s", (int)(e - s), s);
			}
		}
		p = *end ? end + 1 : end;
	}
	return count;
}

/* How many files of the list name module, with *hit for the first.  When
 * session_target is set, the file that resolves to it is read from
 * session_text instead of the disk. */
static int modload_count(const ctune_root *root, const conf_list *l, const char *module, const char *session_target,
			 const char *session_text, ctune_modload_hit *hit, ctune_error *err)
{
	int files = 0;
	for (size_t i = 0; i < l->n; i++) {
		_cleanup_free_ char *text = NULL;
		char target[PATH_MAX] = "";
		ctune_modload_hit h = { 0 };
		int r = read_in_root(root, l->files[i], &text, target, sizeof(target), err);
		if (r < 0 && r != -ENOENT)
			return r;
		const char *t = text;
		if (session_target && strcmp(target, session_target) == 0)
			t = session_text;
		else if (r == -ENOENT)
			continue;
		if (modload_scan(t, module, &h) > 0) {
			if (files++ == 0 && hit) {
				*hit = h;
				snprintf(hit->file, sizeof(hit->file), "%s", l->files[i]);
			}
		}
	}
	return files;
}

int ctune_modload_find(const ctune_root *root, const char *module, ctune_modload_hit *hit, ctune_error *err)
{
	if (hit)
		memset(hit, 0, sizeof(*hit));
	if (!word_valid(module))
		return ctune_error_set(err, -EINVAL, "\"%.64s\" is not a module name", module ? module : "");
	_cleanup_(conf_list_done) conf_list l = { 0 };
	int r = conf_list_make(root, modload_dirs, ELEMENTSOF(modload_dirs), true, NULL, false, &l, err);
	if (r < 0)
		return r;
	return modload_count(root, &l, module, NULL, NULL, hit, err);
}

/* --- reading modprobe configuration as kmod and the kernel do ------------ */

/* The next parameter of an options string, split as the kernel's
 * next_arg() does: whitespace separates, double quotes group (and are not
 * part of the value).  name, nlen and val, vlen (val NULL when there is
 * no '=') point into s; returns where to go on, or NULL at the end. */
static const char *next_param(const char *s, const char **name, size_t *nlen, const char **val, size_t *vlen)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	if (!*s)
		return NULL;
	bool quoted = *s == '"', in_quote = quoted;
	const char *a = s + quoted, *eq = NULL;
	size_t i = 0;
	for (; a[i]; i++) {
		if (isspace((unsigned char)a[i]) && !in_quote)
			break;
		if (!eq && a[i] == '=')
			eq = a + i;
		if (a[i] == '"')
			in_quote = !in_quote;
	}
	const char *end = a + i; /* one past the argument */
	const char *stop = (quoted || (eq && eq[1] == '"')) && end > a && end[-1] == '"' ? end - 1 : end;
	*name = a;
	*nlen = (size_t)((eq ? eq : stop) - a);
	*val = NULL;
	*vlen = 0;
	if (eq) {
		const char *v = eq + 1;
		if (*v == '"')
			v++;
		*val = v;
		*vlen = stop > v ? (size_t)(stop - v) : 0;
	}
	return end;
}

/* Record an assignment of the wanted parameter found in params. */
static void take_params(const char *params, const char *param, const char *file, unsigned line,
			ctune_modprobe_assign *out, int *found)
{
	const char *name, *val;
	size_t nlen, vlen;
	for (const char *p = params; (p = next_param(p, &name, &nlen, &val, &vlen));) {
		if (!name_eq_n(name, nlen, param))
			continue;
		snprintf(out->file, sizeof(out->file), "%s", file);
		out->line = line;
		snprintf(out->value, sizeof(out->value), "%.*s", (int)(val ? vlen : 0), val ? val : "");
		out->count++;
		*found = 1;
	}
}

/* Scan one file's text for `options <module> ...` lines, kmod's way: a
 * trailing backslash joins the next line, a line starting with '#' is a
 * comment, tokens are separated by spaces and tabs. */
static void modprobe_scan(const char *text, const char *file, const char *module, const char *param,
			  ctune_modprobe_assign *out, int *found)
{
	unsigned lineno = 0;
	const char *p = text;
	while (*p) {
		/* One logical line into buf. */
		char buf[8192];
		size_t n = 0;
		unsigned first = lineno + 1;
		for (;;) {
			const char *end = strchrnul(p, '\n');
			size_t len = (size_t)(end - p);
			lineno++;
			bool cont = len > 0 && p[len - 1] == '\\';
			if (cont)
				len--;
			if (n + len >= sizeof(buf))
				len = sizeof(buf) - 1 - n;
			memcpy(buf + n, p, len);
			n += len;
			p = *end ? end + 1 : end;
			if (!cont || !*p)
				break;
		}
		buf[n] = '\0';
		if (buf[0] == '\0' || buf[0] == '#')
			continue;

		char *save = NULL, *cmd = strtok_r(buf, " \t", &save);
		if (!cmd || strcmp(cmd, "options") != 0)
			continue;
		char *mod = strtok_r(NULL, " \t", &save);
		if (!mod || !name_eq(mod, module) || !save)
			continue;
		for (char *c = save; *c; c++)
			if (*c == '\t' || *c == '\r')
				*c = ' ';
		take_params(save, param, file, first, out, found);
	}
}

/* Parameters from the kernel command line: `module.param=value` words,
 * before a "--" (what follows is init's). */
static void cmdline_scan(const char *text, const char *module, const char *param, ctune_modprobe_assign *out,
			 int *found)
{
	const char *name, *val;
	size_t nlen, vlen;
	for (const char *p = text; (p = next_param(p, &name, &nlen, &val, &vlen));) {
		if (nlen == 2 && memcmp(name, "--", 2) == 0 && !val)
			break;
		const char *dot = memchr(name, '.', nlen);
		if (!dot || !name_eq_n(name, (size_t)(dot - name), module) ||
		    !name_eq_n(dot + 1, nlen - (size_t)(dot + 1 - name), param))
			continue;
		snprintf(out->file, sizeof(out->file), "/proc/cmdline");
		out->line = 0;
		snprintf(out->value, sizeof(out->value), "%.*s", (int)(val ? vlen : 0), val ? val : "");
		out->count++;
		*found = 1;
	}
}

/* module-init-tools, not kmod: /sbin/modprobe is a program of its own
 * rather than a link to kmod. */
static bool legacy_tools(const ctune_root *root)
{
	struct stat st;
	if (ctune_root_stat(root, "/sbin/modprobe", false, &st) < 0)
		return false;
	return S_ISREG(st.st_mode);
}

int ctune_modprobe_find(const ctune_root *root, const char *module, const char *param, ctune_modprobe_assign *out,
			ctune_error *err)
{
	memset(out, 0, sizeof(*out));
	if (!word_valid(module) || !word_valid(param))
		return ctune_error_set(err, -EINVAL, "\"%.64s\" / \"%.64s\" is not a module and parameter name",
				       module ? module : "", param ? param : "");
	out->legacy_tools = legacy_tools(root);

	_cleanup_(conf_list_done) conf_list l = { 0 };
	int r, found = 0;
	if (out->legacy_tools)
		r = conf_list_make(root, legacy_modprobe_dirs, ELEMENTSOF(legacy_modprobe_dirs), false, NULL, false,
				   &l, err);
	else
		r = conf_list_make(root, modprobe_dirs, ELEMENTSOF(modprobe_dirs), true, NULL, false, &l, err);
	if (r < 0)
		return r;

	for (size_t i = out->legacy_tools ? 0 : 1; i <= l.n; i++) {
		const char *file = i == 0 ? "/etc/modprobe.conf" : l.files[i - 1];
		_cleanup_free_ char *text = NULL;
		r = read_in_root(root, file, &text, NULL, 0, err);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return r;
		modprobe_scan(text, file, module, param, out, &found);
	}

	_cleanup_free_ char *cmdline = NULL;
	r = read_in_root(root, "/proc/cmdline", &cmdline, NULL, 0, NULL);
	if (r == 0)
		cmdline_scan(cmdline, module, param, out, &found);
	return found;
}

/* --- sessions: what both kinds share ------------------------------------- */

/* ctune's Modules_Load lens comes from ctune_modload_lens_path(); the stock
 * Modprobe lens is looked for there too, then in Augeas's own directory.
 * Both kinds of file are ctune's to create (with their directory on a
 * minimal image) and to remove once the edits leave nothing in them. */
#define BOOT_FORMAT(lens_name)                                                                     \
	{                                                                                           \
		.lens = lens_name, .title = lens_name, .loadpath = ctune_modload_lens_path,         \
		.noun = "configuration file", .max_bytes = MAX_FILE_BYTES, .create_dirs = true,     \
		.remove_empty = true,                                                               \
	}
static const ctune_textfile_format modload_format = BOOT_FORMAT("Modules_Load.lns");
static const ctune_textfile_format modprobe_format = BOOT_FORMAT("Modprobe.lns");

/* The nodes matching expr whose value names name (kmod's '-'/'_' rule), in
 * file order. */
static int match_named(ctune_textfile *f, const char *expr, const char *name, strv *out, ctune_error *err)
{
	int r = ctune_textfile_match(f, expr, out, "search the tree", err);
	if (r < 0)
		return r;
	int kept = 0;
	for (int i = 0; i < out->n; i++) {
		const char *v = NULL;
		if (aug_get(f->aug, out->v[i], &v) == 1 && v && name_eq(v, name))
			out->v[kept++] = out->v[i];
		else
			free(out->v[i]);
	}
	out->n = kept;
	return 0;
}

/* --- modules-load.d sessions --------------------------------------------- */

struct ctune_modload {
	ctune_textfile f;
};

/* ctune_modload_close, _path, _target, _exists, _original, _render,
 * _prepare, _commit and _save: the textfile's own. */
CTUNE_TEXTFILE_SESSION_FUNCS(ctune_modload, ctune_modload)

static int check_module(const ctune_modload *m, const char *module, ctune_error *err)
{
	if (!word_valid(module))
		return ctune_error_set(err, -EINVAL, "%s: \"%.64s\" is not a module name", m->f.target,
				       module ? module : "");
	return 0;
}

int ctune_modload_open(ctune_modload **mp, const ctune_root *root, const char *path, ctune_error *err)
{
	*mp = NULL;
	if (!path)
		path = CTUNE_MODLOAD_DEFAULT_FILE;
	const char *name = base_name(path);
	size_t len = strlen(name);
	if (!dir_of(path, modload_dirs, ELEMENTSOF(modload_dirs), NULL) || name[0] == '.' || len < 6 ||
	    strcmp(name + len - 5, ".conf") != 0)
		return ctune_error_set(err, -EINVAL,
				       "%s: systemd-modules-load reads only *.conf in /etc/modules-load.d, "
				       "/run/modules-load.d, /usr/local/lib/modules-load.d, /usr/lib/modules-load.d "
				       "and /lib/modules-load.d",
				       path);
	ctune_modload *m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	_cleanup_modload_ ctune_modload *owned = m;
	int r = ctune_textfile_open(&m->f, root, path, &modload_format, err);
	if (r < 0)
		return r;
	*mp = TAKE_PTR(owned);
	return 0;
}

/* The module nodes naming module, in file order. */
static int modload_nodes(ctune_modload *m, const char *module, strv *out, ctune_error *err)
{
	int r = check_module(m, module, err);
	if (r < 0)
		return r;
	return match_named(&m->f, "/parsed/module", module, out, err);
}

int ctune_modload_listed(ctune_modload *m, const char *module, ctune_error *err)
{
	_cleanup_(strv_done) strv nodes = { 0 };
	int r = modload_nodes(m, module, &nodes, err);
	return r < 0 ? r : nodes.n;
}

/* The session's file will exist after a save. */
static bool will_exist(ctune_modload *m)
{
	const char *text = NULL; /* set when the render returns > 0 */
	size_t len = 0;
	if (ctune_textfile_render(&m->f, &text, &len, NULL) < 0)
		return m->f.exists;
	return len > 0;
}

int ctune_modload_in_force(ctune_modload *m, const char *module, ctune_modload_hit *hit, ctune_error *err)
{
	if (hit)
		memset(hit, 0, sizeof(*hit));
	int r = check_module(m, module, err);
	if (r < 0)
		return r;
	const char *text;
	r = ctune_textfile_render(&m->f, &text, NULL, err);
	if (r < 0)
		return r;
	_cleanup_(conf_list_done) conf_list l = { 0 };
	r = conf_list_make(&m->f.root, modload_dirs, ELEMENTSOF(modload_dirs), true, m->f.path, will_exist(m), &l,
			   err);
	if (r < 0)
		return r;
	return modload_count(&m->f.root, &l, module, m->f.target, text, hit, err);
}

/* A file of the same name as path in an earlier directory (one that masks
 * path), or with earlier false in a later one (one path masks, or will
 * once it exists): true and its path in found. */
static bool same_name_elsewhere(const ctune_root *root, const char *path, bool earlier, char *found, size_t size)
{
	size_t index = 0;
	dir_of(path, modload_dirs, ELEMENTSOF(modload_dirs), &index);
	const char *name = base_name(path);
	size_t from = earlier ? 0 : index + 1, to = earlier ? index : ELEMENTSOF(modload_dirs);
	for (size_t d = from; d < to; d++) {
		char abs[PATH_MAX];
		struct stat st;
		snprintf(abs, sizeof(abs), "%s/%s", modload_dirs[d], name);
		if (ctune_root_stat(root, abs, false, &st) == 0) {
			snprintf(found, size, "%s", abs);
			return true;
		}
	}
	return false;
}

int ctune_modload_ensure(ctune_modload *m, const char *module, ctune_modload_hit *hit, ctune_error *err)
{
	char other[PATH_MAX];
	if (hit)
		memset(hit, 0, sizeof(*hit));
	int r = check_module(m, module, err);
	if (r < 0)
		return r;
	if (same_name_elsewhere(&m->f.root, m->f.path, true, other, sizeof(other)))
		return ctune_error_set(err, -EBUSY,
				       "%s is masked by %s (systemd reads only the first file of a name): "
				       "list %s in %s or in another file",
				       m->f.path, other, module, other);
	r = ctune_modload_in_force(m, module, hit, err);
	if (r != 0)
		return r < 0 ? r : 0;

	if (!will_exist(m) && same_name_elsewhere(&m->f.root, m->f.path, false, other, sizeof(other))) {
		_cleanup_free_ char *text = NULL;
		r = read_in_root(&m->f.root, other, &text, NULL, 0, err);
		if (r < 0 && r != -ENOENT)
			return r;
		/* Does it list anything at all?  Any non-comment line is a module. */
		bool lists = false;
		for (const char *p = text ? text : ""; *p && !lists;) {
			const char *end = strchrnul(p, '\n'), *s = p;
			while (s < end && is_ws(*s))
				s++;
			lists = s < end && *s != '#' && *s != ';';
			p = *end ? end + 1 : end;
		}
		if (lists)
			return ctune_error_set(err, -ENOTUNIQ,
					       "creating %s would mask %s, which loads other modules (systemd reads "
					       "only the first file of a name): choose another file name",
					       m->f.path, other);
	}

	if (aug_set(m->f.aug, "/parsed/module[last()+1]", module) < 0)
		return ctune_textfile_failure(&m->f, -EIO, "add a module", err);
	m->f.dirty = true;
	return 1;
}

int ctune_modload_remove(ctune_modload *m, const char *module, ctune_error *err)
{
	_cleanup_(strv_done) strv nodes = { 0 };
	int r = modload_nodes(m, module, &nodes, err);
	if (r < 0)
		return r;
	r = ctune_textfile_remove(&m->f, nodes.v, nodes.n, "remove a module", err);
	return r < 0 ? r : nodes.n;
}

/* --- modprobe.d sessions -------------------------------------------------- */

struct ctune_modprobe {
	ctune_textfile f;
};

/* ctune_modprobe_close, _path, _target, _exists, _original, _render,
 * _prepare, _commit and _save: the textfile's own. */
CTUNE_TEXTFILE_SESSION_FUNCS(ctune_modprobe, ctune_modprobe)

int ctune_modprobe_open(ctune_modprobe **mp, const ctune_root *root, const char *path, ctune_error *err)
{
	*mp = NULL;
	ctune_modprobe *m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	_cleanup_modprobe_ ctune_modprobe *owned = m;
	int r = ctune_textfile_open(&m->f, root, path ? path : CTUNE_MODPROBE_DEFAULT_FILE, &modprobe_format, err);
	if (r < 0)
		return r;
	*mp = TAKE_PTR(owned);
	return 0;
}

/* The options lines of module (lines, file order) and the assignments of
 * param on them (params, file order). */
static int modprobe_nodes(ctune_modprobe *m, const char *module, const char *param, strv *lines, strv *params,
			  ctune_error *err)
{
	if (!word_valid(module) || !word_valid(param))
		return ctune_error_set(err, -EINVAL, "%s: \"%.64s\" / \"%.64s\" is not a module and parameter name",
				       m->f.target, module ? module : "", param ? param : "");
	int r = match_named(&m->f, "/parsed/options", module, lines, err);
	if (r < 0)
		return r;

	for (int i = 0; i < lines->n; i++) {
		char expr[PATH_MAX];
		_cleanup_(strv_done) strv kids = { 0 };
		snprintf(expr, sizeof(expr), "%s/*[label() != '#comment']", lines->v[i]);
		r = ctune_textfile_match(&m->f, expr, &kids, "search the tree", err);
		if (r < 0)
			return r;
		for (int k = 0; k < kids.n; k++) {
			const char *label = NULL;
			if (aug_label(m->f.aug, kids.v[k], &label) != 1 || !label || !name_eq(label, param))
				continue;
			char **grown = realloc(params->v, (size_t)(params->n + 1) * sizeof(*grown));
			if (!grown)
				return -ENOMEM;
			params->v = grown;
			params->v[params->n++] = TAKE_PTR(kids.v[k]);
		}
	}
	return 0;
}

int ctune_modprobe_get(ctune_modprobe *m, const char *module, const char *param, char *value, size_t size,
		       ctune_error *err)
{
	_cleanup_(strv_done) strv lines = { 0 }, params = { 0 };
	int r = modprobe_nodes(m, module, param, &lines, &params, err);
	if (r < 0)
		return r;
	const char *v = NULL;
	if (params.n > 0 && (aug_get(m->f.aug, params.v[params.n - 1], &v) != 1 || !v))
		v = NULL;
	v = v ? v : "";
	size_t len = strlen(v);
	if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
		v++;
		len -= 2;
	}
	if (len + 1 > size)
		return ctune_error_set(err, -ENOBUFS, "%s: the value of %s %s is too long (%zu bytes)", m->f.target,
				       module, param, len);
	memcpy(value, v, len);
	value[len] = '\0';
	return params.n;
}

/* Remove the first n assignments of params, then each of the options
 * lines that is left without an option (last first, so the paths of
 * earlier ones stay valid).  what names the first step in a failure. */
static int remove_params(ctune_modprobe *m, const strv *lines, const strv *params, int n, const char *what,
			 ctune_error *err)
{
	int r = ctune_textfile_remove(&m->f, params->v, n, what, err);
	if (r < 0 || n == 0)
		return r;
	for (int i = lines->n - 1; i >= 0; i--) {
		char expr[PATH_MAX];
		snprintf(expr, sizeof(expr), "%s/*[label() != '#comment']", lines->v[i]);
		int k = aug_match(m->f.aug, expr, NULL);
		if (k < 0)
			return ctune_textfile_failure(&m->f, -EIO, "search the tree", err);
		if (k == 0 && aug_rm(m->f.aug, lines->v[i]) < 0)
			return ctune_textfile_failure(&m->f, -EIO, "remove an options line", err);
	}
	return 0;
}

int ctune_modprobe_set(ctune_modprobe *m, const char *module, const char *param, const char *value,
		       ctune_error *err)
{
	_cleanup_(strv_done) strv lines = { 0 }, params = { 0 };
	int r = modprobe_nodes(m, module, param, &lines, &params, err);
	if (r < 0)
		return r;
	if (!number_valid(value))
		return ctune_error_set(err, -EINVAL, "%s: %s %s: \"%.64s\" is not a decimal number without sign",
				       m->f.target, module, param, value ? value : "");

	if (params.n > 0) {
		const char *old = NULL;
		const char *last = params.v[params.n - 1];
		if (aug_get(m->f.aug, last, &old) < 0)
			return ctune_textfile_failure(&m->f, -EIO, "read a value", err);
		if (!old || strcmp(old, value) != 0) {
			if (aug_set(m->f.aug, last, value) < 0)
				return ctune_textfile_failure(&m->f, -EIO, "set a value", err);
			m->f.dirty = true;
		}
		r = remove_params(m, &lines, &params, params.n - 1, "remove a duplicate", err);
		return r < 0 ? r : params.n - 1;
	}

	char path[PATH_MAX];
	if (lines.n > 0) {
		/* Onto the last line for the module, before its comment. */
		const char *line = lines.v[lines.n - 1];
		snprintf(path, sizeof(path), "%s/#comment", line);
		if (aug_match(m->f.aug, path, NULL) == 1) {
			if (aug_insert(m->f.aug, path, param, 1) < 0)
				return ctune_textfile_failure(&m->f, -EIO, "add an option", err);
			snprintf(path, sizeof(path), "%s/%s[last()]", line, param);
		} else {
			snprintf(path, sizeof(path), "%s/%s[last()+1]", line, param);
		}
		if (aug_set(m->f.aug, path, value) < 0)
			return ctune_textfile_failure(&m->f, -EIO, "add an option", err);
		m->f.dirty = true;
		return 0;
	}

	snprintf(path, sizeof(path), "/parsed/options[last()]/%s", param);
	if (aug_set(m->f.aug, "/parsed/options[last()+1]", module) < 0 || aug_set(m->f.aug, path, value) < 0)
		return ctune_textfile_failure(&m->f, -EIO, "add an options line", err);
	m->f.dirty = true;
	return 0;
}

int ctune_modprobe_unset(ctune_modprobe *m, const char *module, const char *param, ctune_error *err)
{
	_cleanup_(strv_done) strv lines = { 0 }, params = { 0 };
	int r = modprobe_nodes(m, module, param, &lines, &params, err);
	if (r < 0)
		return r;
	r = remove_params(m, &lines, &params, params.n, "remove an option", err);
	return r < 0 ? r : params.n;
}

/* --- the live parameter --------------------------------------------------- */

static int param_path(const char *module, const char *param, char *abs, size_t size, ctune_error *err)
{
	if (!word_valid(module) || !word_valid(param))
		return ctune_error_set(err, -EINVAL, "\"%.64s\" / \"%.64s\" is not a module and parameter name",
				       module ? module : "", param ? param : "");
	/* sysfs spells the module with '_' whatever the caller wrote. */
	int n = snprintf(abs, size, "/sys/module/%s/parameters/%s", module, param);
	for (char *c = abs + strlen("/sys/module/"); *c != '/'; c++)
		if (*c == '-')
			*c = '_';
	return n;
}

int ctune_modprobe_live_get(const ctune_root *root, const char *module, const char *param, char *value,
			    size_t size, ctune_error *err)
{
	char abs[256];
	int r = param_path(module, param, abs, sizeof(abs), err);
	if (r < 0)
		return r;
	ssize_t n = ctune_root_read_small(root, abs, value, size);
	if (n == -ENOENT)
		return ctune_error_set(err, -ENOENT, "%s: missing: %s is not loaded or has no parameter %s", abs,
				       module, param);
	if (n < 0)
		return ctune_error_set(err, (int)n, "%s: %s", abs, ctune_root_strerror((int)n));
	while (n > 0 && (value[n - 1] == '\n' || value[n - 1] == '\r'))
		value[--n] = '\0';
	return (int)n;
}

/* module's hash size as the kernel has it now, into *now and *got (may be
 * NULL); abs is the parameter's path, for messages. */
static int read_hashsize(const ctune_root *root, const char *module, const char *abs, unsigned long *now,
			 unsigned long *got, ctune_error *err)
{
	char buf[64], *end;
	int r = ctune_modprobe_live_get(root, module, "hashsize", buf, sizeof(buf), err);
	if (r < 0)
		return r;
	errno = 0;
	unsigned long v = strtoul(buf, &end, 10);
	if (errno || end == buf || *end || buf[0] == '-')
		return ctune_error_set(err, -EIO, "%s: \"%s\" is not a number", abs, buf);
	*now = v;
	if (got)
		*got = v;
	return 0;
}

int ctune_modprobe_live_set_hashsize(const ctune_root *root, const char *module, unsigned long buckets,
				     unsigned long *got, ctune_error *err)
{
	char abs[256], buf[64];
	unsigned long now;
	int r = param_path(module, "hashsize", abs, sizeof(abs), err);
	if (r < 0)
		return r;
	if (buckets == 0 || buckets > UINT_MAX)
		return ctune_error_set(err, -EINVAL, "%s: %lu is not a hash size", abs, buckets);
	r = read_hashsize(root, module, abs, &now, got, err);
	if (r < 0)
		return r;
	if (now == buckets)
		return 0;

	/* A parameter without write permission is read-only to the kernel's
	 * own loader too; root could still write it, and the value would
	 * change without the table being resized. */
	struct stat st;
	r = ctune_root_stat(root, abs, false, &st);
	if (r < 0)
		return ctune_error_set(err, r, "%s: %s", abs, strerror(-r));
	if (!(st.st_mode & 0222))
		return ctune_error_set(err, -EACCES, "%s is read-only (mode %04o): this kernel sets the hash size "
				       "only when the module loads", abs, (unsigned)(st.st_mode & 07777));

	_cleanup_close_ int fd = ctune_root_open(root, abs, O_WRONLY | O_TRUNC | O_NOFOLLOW);
	if (fd < 0)
		return ctune_error_set(err, fd, "%s: %s", abs, ctune_root_strerror(fd));
	int len = snprintf(buf, sizeof(buf), "%lu\n", buckets);
	if (write(fd, buf, (size_t)len) != len) {
		int e = errno ? errno : EIO;
		if (e == EOPNOTSUPP)
			return ctune_error_set(err, -EOPNOTSUPP, "%s: the kernel resizes the table only from the "
					       "initial network namespace", abs);
		return ctune_error_set(err, -e, "%s: writing %lu: %s", abs, buckets, strerror(e));
	}
	if (close(TAKE_FD(fd)) < 0)
		return ctune_error_set(err, -errno, "%s: writing %lu: %s", abs, buckets, strerror(errno));

	r = read_hashsize(root, module, abs, &now, got, err);
	if (r < 0)
		return r;
	/* The kernel allocates whole pages of one-pointer bucket heads. */
	unsigned long page = (unsigned long)sysconf(_SC_PAGESIZE) / sizeof(void *);
	unsigned long rounded = page ? (buckets + page - 1) / page * page : buckets;
	if (now != buckets && now != rounded)
		return ctune_error_set(err, -EIO, "%s: wrote %lu but reads back %lu", abs, buckets, now);
	return 1;
}
