/* textfile.c - see textfile.h. */
#include "textfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"

/* --- reading ------------------------------------------------------------ */

int ctune_textfile_read(const char *host, const char *shown, size_t max_bytes, const char *noun, char **out,
			size_t *len, struct stat *st, ctune_error *err)
{
	/* O_NONBLOCK: a FIFO in its place is refused below rather than waited
	 * on for a writer (a regular file reads the same either way). */
	_cleanup_close_ int fd = open(host, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return -ENOENT;
		return ctune_error_set(err, -errno, "%s: %s", shown, strerror(errno));
	}
	struct stat sb;
	if (fstat(fd, &sb) < 0)
		return ctune_error_set(err, -errno, "%s: %s", shown, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return ctune_error_set(err, -EINVAL, "%s: not a regular file", shown);
	if ((unsigned long long)sb.st_size > max_bytes)
		return ctune_error_set(err, -EFBIG, "%s: too large for a %s (%lld bytes)", shown, noun,
				       (long long)sb.st_size);

	_cleanup_free_ char *buf = NULL;
	size_t got = 0;
	int r = ctune_read_all_fd(fd, max_bytes, &buf, &got);
	if (r == -EFBIG) /* The file grew while we read it. */
		return ctune_error_set(err, -EFBIG, "%s: too large for a %s", shown, noun);
	if (r == -ENOMEM)
		return -ENOMEM;
	if (r < 0)
		return ctune_error_set(err, r, "%s: %s", shown, strerror(-r));
	if (memchr(buf, '\0', got))
		return ctune_error_set(err, -EBADMSG, "%s: contains a NUL byte, not a %s", shown, noun);
	if (st)
		*st = sb;
	*out = TAKE_PTR(buf);
	if (len)
		*len = got;
	return 0;
}

/* --- Augeas's reports ----------------------------------------------------- */

int ctune_textfile_failure(ctune_textfile *f, int code, const char *what, ctune_error *err)
{
	const char *msg = aug_error_message(f->aug), *minor = aug_error_minor_message(f->aug),
		   *details = aug_error_details(f->aug);
	return ctune_error_set(err, code, "%s: Augeas could not %s: %s%s%s%s%s", f->target, what,
			       msg ? msg : "unknown error", minor ? ": " : "", minor ? minor : "",
			       details ? ": " : "", details ? details : "");
}

/* The lens could not be compiled or found.  A lens from ctune's own load
 * path is the one an install can lose, so the message says where it was
 * looked for and how to point there. */
static int lens_failure(ctune_textfile *f, ctune_error *err)
{
	const ctune_textfile_format *fmt = f->format;
	if (!fmt->loadpath) {
		char what[128];
		snprintf(what, sizeof(what), "load the %s lens", fmt->lens);
		return ctune_textfile_failure(f, -EIO, what, err);
	}
	int code = aug_error(f->aug) == AUG_ENOLENS ? -ENOENT : -EIO;
	const char *msg = aug_error_message(f->aug), *minor = aug_error_minor_message(f->aug),
		   *details = aug_error_details(f->aug);
	return ctune_error_set(err, code, "%s: cannot load the %s lens (looked in %s and Augeas's own lenses; "
			       "set CTUNE_LENS_DIR to the folder holding ctune's lenses): %s%s%s%s%s",
			       f->target, fmt->lens, fmt->loadpath(), msg ? msg : "unknown error",
			       minor ? ": " : "", minor ? minor : "", details ? ": " : "", details ? details : "");
}

/* The line of f->input that the tree node at path (an Augeas error path,
 * "/parsed/LABEL" or "/parsed/LABEL[N]") came from: the N-th line whose
 * first word (after blanks and a '-') is LABEL.  0 when none is: a node the
 * editor added, or a lens whose labels are not the lines' first words. */
static long line_of_node(const ctune_textfile *f, const char *path)
{
	const char *label = strncmp(path, "/parsed/", 8) == 0 ? path + 8 : NULL;
	if (!label || !*label || strchr(label, '/'))
		return 0;
	size_t n = strcspn(label, "[");
	long want = label[n] == '[' ? strtol(label + n + 1, NULL, 10) : 1, seen = 0, no = 1;
	for (const char *s = f->input; s && *s; no++) {
		const char *w = s + strspn(s, " \t");
		if (*w == '-')
			w++;
		if (strncmp(w, label, n) == 0 && strchr(" \t=\n", w[n] ? w[n] : '\n') && ++seen == want)
			return no;
		s = strchr(s, '\n');
		s = s ? s + 1 : NULL;
	}
	return 0;
}

/* The lens's report of a parse (or put) failure, with the line it stopped
 * at quoted from the input.  A parse failure has a line and a character; a
 * render (put) failure has the tree node the lens could not write, whose
 * line is found by line_of_node().  Only the first line of Augeas's message
 * is kept (a put failure appends the tree and the lens's whole pattern). */
static int parse_failure(ctune_textfile *f, const char *what, ctune_error *err)
{
	const char *message = NULL, *line = NULL, *column = NULL, *node = NULL;
	aug_get(f->aug, "/augeas/text/parsed/error/message", &message);
	aug_get(f->aug, "/augeas/text/parsed/error/line", &line);
	aug_get(f->aug, "/augeas/text/parsed/error/char", &column);
	aug_get(f->aug, "/augeas/text/parsed/error/path", &node);
	if (!message)
		return ctune_textfile_failure(f, -EBADMSG, what, err);
	int mlen = (int)strcspn(message, "\n");
	/* A put failure's path is the parent; the node itself is quoted in the
	 * message: "Unexpected node '/parsed/LABEL': can not match tree". */
	char quoted[256];
	const char *q = strstr(message, "'/parsed/");
	if (q && !line) {
		size_t qn = strcspn(q + 1, "'\n");
		if (q[1 + qn] == '\'' && qn < sizeof(quoted)) {
			memcpy(quoted, q + 1, qn);
			quoted[qn] = '\0';
			node = quoted;
		}
	}

	long no = line ? strtol(line, NULL, 10) : node ? line_of_node(f, node) : 0;
	const char *s = no > 0 ? f->input : NULL;
	for (long i = 1; i < no && s; i++) {
		s = strchr(s, '\n');
		if (s)
			s++;
	}
	int len = s ? (int)strcspn(s, "\n") : 0;
	if (line)
		return ctune_error_set(err, -EBADMSG,
				       "%s: the %s lens cannot %s line %s, character %s (\"%.*s%s\"): %.*s; "
				       "the file is left as it is",
				       f->target, f->format->title, what, line, column ? column : "0",
				       len > 80 ? 80 : len, s ? s : "", len > 80 ? "..." : "", mlen, message);
	const char *entry = node && strncmp(node, "/parsed/", 8) == 0 ? node + 8 : node ? node : "(unknown)";
	if (s)
		return ctune_error_set(err, -EBADMSG,
				       "%s: the %s lens cannot %s the entry %s of line %ld (\"%.*s%s\"): %.*s; "
				       "the file is left as it is",
				       f->target, f->format->title, what, entry, no, len > 80 ? 80 : len, s,
				       len > 80 ? "..." : "", mlen, message);
	return ctune_error_set(err, -EBADMSG,
			       "%s: the %s lens cannot %s the entry %s (a new line, not in the file): %.*s; "
			       "the file is left as it is",
			       f->target, f->format->title, what, entry, mlen, message);
}

/* --- lenses ----------------------------------------------------------------- */

/* Augeas reads lens files with a flex scanner whose fatal error handler
 * calls exit(2): a directory or FIFO named like a lens, or a read that
 * fails, ends the process inside aug_init() or aug_text_store() with
 * nothing on stdout.  Two guards:
 *  - vet_lens_dirs() refuses, before Augeas starts, any "*.aug" in ctune's
 *    lens directories (and $AUGEAS_LENS_LIB) that is not a readable regular
 *    file of sane size, so what can be seen beforehand is an ordinary error;
 *  - augeas_busy names what Augeas is doing while it loads or runs a lens,
 *    so that an exit from inside it (a read error no check can foresee) is
 *    turned into the usual JSON failure by the executable's atexit and
 *    fatal-signal handlers (ctune_textfile_busy(); Augeas also crashes
 *    when an allocation fails while it compiles a lens).  Every lens runs before the request's first
 *    change (plan.c), so such an exit changes nothing and exit 1 is true.
 * The alternative, running Augeas in a child process, would cost a fork
 * and a copy of every tree for each request, for a failure this rare. */
static char augeas_busy[PATH_MAX + 512];

const char *ctune_textfile_busy(void)
{
	return augeas_busy[0] ? augeas_busy : NULL;
}

static void busy(const ctune_textfile *f, const char *what)
{
	if (what)
		snprintf(augeas_busy, sizeof(augeas_busy),
			 "%s: Augeas ended the process while %s the %s lens; nothing was changed", f->target, what,
			 f->format->lens);
	else
		augeas_busy[0] = '\0';
}

#define LENS_MAX_BYTES (1u << 20)
#define LENS_DIR_MAX_ENTRIES 4096

static int vet_lens_dir(const ctune_textfile *f, const char *dir, ctune_error *err)
{
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_CLOEXEC);
	if (dfd < 0)
		return 0; /* Augeas skips what it cannot open as a directory */
	_cleanup_closedir_ DIR *d = fdopendir(dfd);
	if (!d)
		return 0;
	dfd = -1;
	unsigned seen = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (++seen > LENS_DIR_MAX_ENTRIES)
			return ctune_error_set(err, -E2BIG, "%s: the lens directory %s holds more than %u entries",
					       f->target, dir, LENS_DIR_MAX_ENTRIES);
		size_t n = strlen(de->d_name);
		if (n < 5 || strcmp(de->d_name + n - 4, ".aug") != 0)
			continue;
		struct stat st;
		const char *why = NULL;
		if (fstatat(dirfd(d), de->d_name, &st, 0) < 0)
			why = strerror(errno);
		else if (!S_ISREG(st.st_mode))
			why = "not a regular file";
		else if ((unsigned long long)st.st_size > LENS_MAX_BYTES)
			why = "too large for a lens";
		else if (faccessat(dirfd(d), de->d_name, R_OK, 0) < 0)
			why = strerror(errno);
		if (why)
			return ctune_error_set(err, -EINVAL, "%s: cannot use the lens file %s/%s: %s (lenses are "
					       "looked up in %s; set CTUNE_LENS_DIR to the folder holding ctune's lenses)",
					       f->target, dir, de->d_name, why,
					       f->format->loadpath ? f->format->loadpath() : dir);
	}
	return 0;
}

static int vet_lens_path(const ctune_textfile *f, const char *path, ctune_error *err)
{
	if (!path)
		return 0;
	_cleanup_free_ char *copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	char *save = NULL;
	for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		int r = vet_lens_dir(f, dir, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* --- parsing -------------------------------------------------------------- */

/* f->input from f->original: see the header comment on line endings. */
static int make_input(ctune_textfile *f)
{
	const char *o = f->original;
	size_t lf = 0, crlf = 0;
	for (size_t i = 0; i < f->original_len; i++)
		if (o[i] == '\n') {
			lf++;
			if (i > 0 && o[i - 1] == '\r')
				crlf++;
		}
	f->dos = crlf > 0 && crlf == lf;

	char *in = malloc(f->original_len + 2);
	if (!in)
		return -ENOMEM;
	size_t n = 0;
	for (size_t i = 0; i < f->original_len; i++) {
		if (f->dos && o[i] == '\r' && o[i + 1] == '\n')
			continue;
		in[n++] = o[i];
	}
	if (n > 0 && in[n - 1] != '\n')
		in[n++] = '\n';
	in[n] = '\0';
	free(f->input);
	f->input = in;
	return 0;
}

/* Parse f->original into /parsed. */
static int load_tree(ctune_textfile *f, ctune_error *err)
{
	int r = make_input(f);
	if (r < 0)
		return r;
	if (aug_rm(f->aug, "/parsed") < 0 || aug_set(f->aug, "/input", f->input) < 0)
		return ctune_textfile_failure(f, -ENOMEM, "store the text", err);
	busy(f, "loading or parsing with");
	r = aug_text_store(f->aug, f->format->lens, "/input", "/parsed");
	busy(f, NULL);
	if (r < 0) {
		if (aug_error(f->aug) != AUG_NOERROR)
			return lens_failure(f, err);
		return parse_failure(f, "parse", err);
	}
	f->dirty = false;
	f->changed = false;
	free(f->rendered);
	f->rendered = NULL;
	f->rendered_len = 0;
	return 0;
}

int ctune_textfile_open(ctune_textfile *f, const ctune_root *root, const char *path,
			const ctune_textfile_format *format, ctune_error *err)
{
	size_t n = path ? strlen(path) : 0;
	if (n == 0 || path[0] != '/' || path[n - 1] == '/')
		return ctune_error_set(err, -EINVAL, "\"%s\" is not an absolute file path", path ? path : "");
	if (n >= PATH_MAX)
		return ctune_error_set(err, -ENAMETOOLONG, "%.64s...: path too long", path);
	f->format = format;
	f->root = *root;
	memcpy(f->path, path, n + 1);

	/* With create_dirs the directories may be missing too: prepare()
	 * makes them. */
	int r = ctune_root_resolve(root, path, format->create_dirs, f->target, sizeof(f->target), err);
	if (r < 0)
		return r;
	if (ctune_root_path(root, f->target, f->host, sizeof(f->host)) < 0)
		return ctune_error_set(err, -ENAMETOOLONG, "%s: path too long", path);
	r = ctune_textfile_read(f->host, f->target, format->max_bytes, format->noun, &f->original, &f->original_len,
				&f->st, err);
	if (r == -ENOENT) {
		f->exists = false;
		f->original = strdup("");
		f->original_len = 0;
		if (!f->original)
			return -ENOMEM;
	} else if (r < 0) {
		return r;
	} else {
		f->exists = true;
	}

	r = ctune_augeas_load(err);
	if (r < 0)
		return r;
	if ((r = vet_lens_path(f, format->loadpath ? format->loadpath() : NULL, err)) < 0 ||
	    (r = vet_lens_path(f, getenv("AUGEAS_LENS_LIB"), err)) < 0)
		return r;
	/* "/" rather than the root prefix: Augeas never sees a file here. */
	busy(f, "starting for");
	f->aug = aug_init("/", format->loadpath ? format->loadpath() : NULL,
			  AUG_NO_MODL_AUTOLOAD | AUG_NO_LOAD | AUG_NO_ERR_CLOSE | AUG_SAVE_NOOP);
	busy(f, NULL);
	if (!f->aug)
		return ctune_error_set(err, -ENOMEM, "%s: cannot start Augeas", f->target);
	if (aug_error(f->aug) != AUG_NOERROR)
		return ctune_textfile_failure(f, -EIO, "start", err);
	return load_tree(f, err);
}

static void discard_prepared(ctune_textfile *f)
{
	f->unlink_pending = false;
	free(f->tmp_text);
	f->tmp_text = NULL;
	if (!f->tmp)
		return;
	unlink(f->tmp);
	free(f->tmp);
	f->tmp = NULL;
}

/* An edit after prepare would be lost at commit (the prepared file holds
 * the text before it) or, worse, recorded as written: refuse instead. */
static int edited_since_prepare(ctune_textfile *f, ctune_error *err)
{
	const char *text = NULL;
	size_t len = 0;
	int r = ctune_textfile_render(f, &text, &len, err);
	if (r < 0)
		return r;
	size_t want = f->unlink_pending ? 0 : f->tmp_len;
	if (len != want || (want && memcmp(text, f->tmp_text, want) != 0))
		return ctune_error_set(err, -EBUSY, "%s: edited after it was prepared; prepare it again", f->target);
	return 0;
}

void ctune_textfile_done(ctune_textfile *f)
{
	discard_prepared(f);
	if (f->aug)
		aug_close(f->aug);
	f->aug = NULL;
	free(f->original);
	free(f->input);
	free(f->rendered);
	f->original = f->input = f->rendered = NULL;
}

/* After a commit the tree already says what was written; only the text
 * the lens renders against (/input) changes, and it is handed over when
 * the session is used again, so a commit itself calls nothing in Augeas
 * between the renames of one request. */
static int fresh_tree(ctune_textfile *f, ctune_error *err)
{
	if (!f->reload)
		return 0;
	int r = make_input(f);
	if (r < 0)
		return r;
	if (aug_set(f->aug, "/input", f->input) < 0)
		return ctune_textfile_failure(f, -ENOMEM, "store the text", err);
	f->reload = false;
	return 0;
}

int ctune_textfile_match(ctune_textfile *f, const char *expr, strv *out, const char *what, ctune_error *err)
{
	int r = fresh_tree(f, err);
	if (r < 0)
		return r;
	int n = aug_match(f->aug, expr, &out->v);
	if (n < 0)
		return ctune_textfile_failure(f, -EIO, what, err);
	out->n = n;
	return 0;
}

int ctune_textfile_remove(ctune_textfile *f, char *const *nodes, int n, const char *what, ctune_error *err)
{
	for (int i = n - 1; i >= 0; i--) {
		if (aug_rm(f->aug, nodes[i]) < 0)
			return ctune_textfile_failure(f, -EIO, what, err);
		f->dirty = true;
	}
	return 0;
}

/* --- rendering ------------------------------------------------------------ */

const char *ctune_textfile_original(const ctune_textfile *f, size_t *len)
{
	if (len)
		*len = f->original_len;
	return f->original;
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

int ctune_textfile_render(ctune_textfile *f, const char **text, size_t *len, ctune_error *err)
{
	int r = fresh_tree(f, err);
	if (r < 0)
		return r;
	if (f->dirty) {
		const char *out = NULL;
		busy(f, "rendering with");
		r = aug_text_retrieve(f->aug, f->format->lens, "/input", "/parsed", "/output");
		busy(f, NULL);
		if (r < 0) {
			if (aug_error(f->aug) != AUG_NOERROR)
				return ctune_textfile_failure(f, -EIO, "render the file", err);
			return parse_failure(f, "render", err);
		}
		if (aug_get(f->aug, "/output", &out) != 1 || !out)
			return ctune_textfile_failure(f, -EIO, "render the file", err);

		free(f->rendered);
		f->rendered = NULL;
		f->rendered_len = 0;
		f->changed = strcmp(out, f->input) != 0;
		if (f->changed) {
			f->rendered_len = strlen(out);
			f->rendered = f->dos ? to_dos(out, &f->rendered_len) : strdup(out);
		}
		aug_rm(f->aug, "/output");
		if (f->changed && !f->rendered) {
			f->changed = false;
			return -ENOMEM;
		}
		f->dirty = false;
	}
	if (text)
		*text = f->changed ? f->rendered : f->original;
	if (len)
		*len = f->changed ? f->rendered_len : f->original_len;
	return f->changed;
}

/* --- writing -------------------------------------------------------------- */

int ctune_textfile_sidecar(const char *path, const char *suffix, char *out, size_t size)
{
	const char *slash = strrchr(path, '/');
	if (!slash || !slash[1])
		return -EINVAL;
	int n = snprintf(out, size, "%.*s/.%s.ctune-%s", (int)(slash - path), path, slash + 1, suffix);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* The file is still the one we read: same inode, size and mtime, or still
 * missing.  Anything else means another writer got there first, and
 * replacing its work would lose it. */
static int check_unchanged(ctune_textfile *f, ctune_error *err)
{
	struct stat st;
	if (lstat(f->host, &st) < 0) {
		if (errno == ENOENT && !f->exists)
			return 0;
		if (errno == ENOENT)
			return ctune_error_set(err, -ESTALE, "%s: removed since it was read; not saved", f->target);
		return ctune_error_set(err, -errno, "%s: %s", f->target, strerror(errno));
	}
	if (!f->exists || st.st_dev != f->st.st_dev || st.st_ino != f->st.st_ino || st.st_size != f->st.st_size ||
	    st.st_mtim.tv_sec != f->st.st_mtim.tv_sec || st.st_mtim.tv_nsec != f->st.st_mtim.tv_nsec)
		return ctune_error_set(err, -ESTALE, "%s: changed on disk since it was read; not saved", f->target);
	return 0;
}

static void sync_dir(const char *file)
{
	char dir[CTUNE_TEXTFILE_HOST_MAX];
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

/* mkdir -p of host[0..slash), mode 0755.  host is the root prefix (its
 * first prefix bytes) and the path inside the root: messages name the
 * directory inside the root, as every message of this file does, never the
 * host's path to it. */
static int make_parents(const char *host, size_t prefix, const char *slash, const char *shown, ctune_error *err)
{
	char dir[CTUNE_TEXTFILE_HOST_MAX];
	size_t n = (size_t)(slash - host);
	if (n == 0 || n >= sizeof(dir))
		return 0;
	memcpy(dir, host, n);
	dir[n] = '\0';
	struct stat st;
	if (stat(dir, &st) == 0)
		return 0;
	for (char *c = dir + 1; *c; c++) {
		if (*c != '/')
			continue;
		*c = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return ctune_error_set(err, -errno, "%s: cannot create %s: %s", shown,
					       strlen(dir) > prefix ? dir + prefix : "/", strerror(errno));
		*c = '/';
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return ctune_error_set(err, -errno, "%s: cannot create %s: %s", shown,
				       strlen(dir) > prefix ? dir + prefix : "/", strerror(errno));
	return 0;
}

int ctune_textfile_prepare(ctune_textfile *f, ctune_error *err)
{
	discard_prepared(f);
	const char *text = NULL; /* set when the render returns > 0 */
	size_t len = 0;
	int r = ctune_textfile_render(f, &text, &len, err);
	if (r <= 0)
		return r;
	r = check_unchanged(f, err);
	if (r < 0)
		return r;
	r = ctune_check_replaceable(f->host, f->target, err);
	if (r < 0)
		return r;
	if (f->format->remove_empty && len == 0 && strcmp(f->path, f->target) == 0) {
		/* Nothing left to say: the file goes rather than stays empty
		 * (through a link it is emptied instead, so the link keeps
		 * pointing at a file). */
		f->unlink_pending = true;
		f->tmp_len = 0;
		return 1;
	}

	/* The directory of a file ctune creates (modules-load.d and modprobe.d
	 * on a minimal image) is made here, never in check mode. */
	const char *slash = strrchr(f->host, '/');
	if (f->format->create_dirs) {
		size_t hl = strlen(f->host), tl = strlen(f->target);
		r = make_parents(f->host, hl > tl ? hl - tl : 0, slash, f->target, err);
		if (r < 0)
			return r;
	}

	/* ".name.ctune-new": hidden and not "*.conf", so no reader of the
	 * directory (sysctl.d, systemd-modules-load, kmod) takes it up while
	 * it exists; one fixed name, so that a run killed here leaves a name
	 * the next run knows (txlog.h).  Runs never share it: they hold the
	 * lock (lock.h). */
	char tmp[CTUNE_TEXTFILE_HOST_MAX];
	if (ctune_textfile_sidecar(f->host, "new", tmp, sizeof(tmp)) < 0)
		return ctune_error_set(err, -ENAMETOOLONG, "%s: path too long", f->target);
	if (unlink(tmp) < 0 && errno != ENOENT)
		return ctune_error_set(err, -errno, "%s: cannot remove the stale %s: %s", f->target, tmp,
				       strerror(errno));
	_cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return ctune_error_set(err, -errno, "%s: cannot create a temporary file beside it: %s", f->target,
				       strerror(errno));
	_cleanup_(ctune_unlinkp) char *cleanup_tmp = tmp;

	r = ctune_write_all(fd, text, len);
	if (r < 0)
		return ctune_error_set(err, r, "%s: writing: %s", f->target, strerror(-r));
	r = ctune_copy_file_attributes(fd, f->exists, &f->st, f->host, f->target, err);
	if (r < 0)
		return r;
	if (fsync(fd) < 0)
		return ctune_error_set(err, -errno, "%s: fsync: %s", f->target, strerror(errno));
	if (fstat(fd, &f->tmp_st) < 0)
		return ctune_error_set(err, -errno, "%s: %s", f->target, strerror(errno));
	if (close(TAKE_FD(fd)) < 0)
		return ctune_error_set(err, -errno, "%s: writing: %s", f->target, strerror(errno));
	f->tmp = strdup(tmp);
	f->tmp_text = malloc(len + 1);
	if (!f->tmp || !f->tmp_text) {
		free(f->tmp);
		free(f->tmp_text);
		f->tmp = f->tmp_text = NULL;
		return ctune_error_set(err, -ENOMEM, "out of memory");
	}
	memcpy(f->tmp_text, text, len);
	f->tmp_text[len] = '\0';
	f->tmp_len = len;
	cleanup_tmp = NULL;
	return 1;
}

int ctune_textfile_commit(ctune_textfile *f, ctune_error *err)
{
	if (!f->tmp && !f->unlink_pending)
		return 0;
	int r = edited_since_prepare(f, err);
	if (r == 0)
		r = check_unchanged(f, err);
	if (r < 0) {
		discard_prepared(f);
		return r;
	}
	if (f->unlink_pending) {
		f->unlink_pending = false;
		if (unlink(f->host) < 0)
			return ctune_error_set(err, -errno, "%s: cannot remove it: %s", f->target, strerror(errno));
		sync_dir(f->host);
		free(f->original);
		free(f->rendered);
		f->rendered = NULL;
		f->original = strdup("");
		if (!f->original)
			return -ENOMEM;
		f->original_len = 0;
		f->rendered_len = 0;
		f->changed = false;
		f->exists = false;
		f->reload = true;
		return 1;
	}
	if (rename(f->tmp, f->host) < 0) {
		r = ctune_error_set(err, -errno, "%s: cannot replace it: %s", f->target, strerror(errno));
		discard_prepared(f);
		return r;
	}
	free(f->tmp);
	f->tmp = NULL;
	sync_dir(f->host);

	/* The session goes on from the file as now written. */
	free(f->original);
	f->original = TAKE_PTR(f->tmp_text);
	f->original_len = f->tmp_len;
	free(f->rendered);
	f->rendered = NULL;
	f->rendered_len = 0;
	f->changed = false;
	f->exists = true;
	f->st = f->tmp_st;
	f->reload = true;
	return 1;
}

int ctune_textfile_save(ctune_textfile *f, ctune_error *err)
{
	int r = ctune_textfile_prepare(f, err);
	if (r <= 0)
		return r;
	return ctune_textfile_commit(f, err);
}

/* --- backup --------------------------------------------------------------- */

int ctune_textfile_backup_name(ctune_textfile *f, char *path, size_t size, ctune_error *err)
{
	/* Ansible's backup_local(): path.PID.YYYY-MM-DD@HH:MM:SS~ */
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	if (!localtime_r(&now, &tm) || strftime(stamp, sizeof(stamp), "%Y-%m-%d@%H:%M:%S", &tm) == 0)
		return ctune_error_set(err, -EINVAL, "cannot format the time for a backup name");
	int n = snprintf(path, size, "%s.%ld.%s~", f->target, (long)getpid(), stamp);
	if (n < 0 || (size_t)n >= size)
		return ctune_error_set(err, -ENAMETOOLONG, "%s: backup path too long", f->target);
	return 0;
}

int ctune_textfile_backup(ctune_textfile *f, char *path, size_t size, ctune_error *err)
{
	char name[PATH_MAX + 64];
	int r = ctune_textfile_backup_name(f, name, sizeof(name), err);
	if (r < 0)
		return r;
	if (strlen(name) + 1 > size)
		return ctune_error_set(err, -ENOBUFS, "%s: no room for the backup path", f->target);
	if (size > 0)
		path[0] = '\0';
	r = ctune_textfile_backup_as(f, name, err);
	if (r > 0)
		memcpy(path, name, strlen(name) + 1);
	return r;
}

/* Give the backup copy FD (just created at PATH) the original's times.
 * futimens() is utimensat(), new in 2.6.22; before that musl tries
 * futimesat() on the descriptor alone, which those kernels refuse (EFAULT)
 * and glibc reports ENOSYS.  utimes() on the path works everywhere, to the
 * microsecond; the path is the hidden file this run created with O_EXCL. */
static int copy_times(int fd, const char *path, const struct stat *st)
{
	struct timespec times[2] = { st->st_atim, st->st_mtim };
	if (futimens(fd, times) == 0)
		return 0;
	if (errno != ENOSYS && errno != EFAULT)
		return -errno;
	struct timeval tv[2] = { { st->st_atim.tv_sec, st->st_atim.tv_nsec / 1000 },
				 { st->st_mtim.tv_sec, st->st_mtim.tv_nsec / 1000 } };
	return utimes(path, tv) == 0 ? 0 : -errno;
}

/* The copy is written under ".NAME.ctune-bak" and linked to its name only
 * when whole: a run that fails or is killed on the way leaves no partial
 * backup under a real name (and the next run removes the hidden one). */
int ctune_textfile_backup_as(ctune_textfile *f, const char *name, ctune_error *err)
{
	_cleanup_close_ int in = open(f->host, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (in < 0) {
		if (errno == ENOENT)
			return 0;
		return ctune_error_set(err, -errno, "%s: %s", f->target, strerror(errno));
	}
	struct stat st;
	if (fstat(in, &st) < 0)
		return ctune_error_set(err, -errno, "%s: %s", f->target, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return ctune_error_set(err, -EINVAL, "%s: not a regular file", f->target);

	char host[CTUNE_TEXTFILE_HOST_MAX], tmp[CTUNE_TEXTFILE_HOST_MAX];
	if (ctune_root_path(&f->root, name, host, sizeof(host)) < 0 ||
	    ctune_textfile_sidecar(f->host, "bak", tmp, sizeof(tmp)) < 0)
		return ctune_error_set(err, -ENAMETOOLONG, "%s: backup path too long", f->target);
	if (unlink(tmp) < 0 && errno != ENOENT)
		return ctune_error_set(err, -errno, "%s: cannot remove the stale %s: %s", f->target, tmp,
				       strerror(errno));
	_cleanup_close_ int out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return ctune_error_set(err, -errno, "%s: cannot create backup %s: %s", f->target, name,
				       strerror(errno));
	_cleanup_(ctune_unlinkp) char *guard = tmp;

	char buf[65536];
	for (;;) {
		ssize_t k = read(in, buf, sizeof(buf));
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return ctune_error_set(err, -errno, "%s: reading: %s", f->target, strerror(errno));
		}
		if (k == 0)
			break;
		int r = ctune_write_all(out, buf, (size_t)k);
		if (r < 0)
			return ctune_error_set(err, r, "%s: writing backup %s: %s", f->target, name, strerror(-r));
	}

	struct stat now_st;
	if (fstat(out, &now_st) < 0)
		return ctune_error_set(err, -errno, "%s: %s", name, strerror(errno));
	if ((now_st.st_uid != st.st_uid || now_st.st_gid != st.st_gid) && fchown(out, st.st_uid, st.st_gid) < 0)
		return ctune_error_set(err, -errno, "%s: cannot keep owner %u:%u: %s", name, (unsigned)st.st_uid,
				       (unsigned)st.st_gid, strerror(errno));
	if (fchmod(out, st.st_mode & 07777) < 0)
		return ctune_error_set(err, -errno, "%s: cannot set mode: %s", name, strerror(errno));
	int t = copy_times(out, tmp, &st);
	if (t < 0)
		return ctune_error_set(err, t, "%s: cannot keep the times: %s", name, strerror(-t));
	if (fsync(out) < 0)
		return ctune_error_set(err, -errno, "%s: %s", name, strerror(errno));
	if (close(TAKE_FD(out)) < 0)
		return ctune_error_set(err, -errno, "%s: writing: %s", name, strerror(errno));
	if (link(tmp, host) < 0)
		return ctune_error_set(err, -errno, "%s: cannot create backup %s: %s", f->target, name,
				       strerror(errno));
	return 1; /* guard removes the hidden name */
}
