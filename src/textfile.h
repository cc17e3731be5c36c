/* textfile.h - one text file edited in memory through one Augeas lens: the
 * machinery every ctune editor shares (persist.c for sysctl files,
 * bootfiles.c for modules-load.d and modprobe.d).
 *
 * An editor embeds a ctune_textfile in its session and keeps only what its
 * format means: which nodes of the tree under /parsed are what, and how a
 * change is made there.  This module does the rest, the same way for every
 * format:
 *
 *  - open() follows the path to the real file inside the root, reads its
 *    bytes (size cap, no NUL byte, status kept) and hands them to Augeas as
 *    a string (aug_text_store into /parsed).  Augeas never reads or writes a
 *    file itself: with AUG_NO_MODL_AUTOLOAD | AUG_NO_LOAD it compiles only
 *    the one lens (about 2 ms instead of ~0.5 s for every lens) and loads
 *    no files.
 *  - render() runs the lens backwards over the original text
 *    (aug_text_retrieve), so check and diff modes see exactly what a save
 *    would write.
 *  - prepare() writes that text itself into a hidden temporary file beside
 *    the target, with the original's owner, mode and extended attributes,
 *    fsync'ed; commit() renames it over the target.  So a save is atomic,
 *    writes through symbolic links, spans several files all or nothing (the
 *    caller prepares every file before committing any), and is skipped when
 *    nothing changed - none of which aug_save offers together, and no
 *    .augnew or .augsave file is ever made.  Both refuse with -ESTALE when
 *    the file changed on disk since it was read.
 *
 * Line endings: the lenses know only "\n".  A file whose every line ends in
 * "\r\n" (made on Windows) is given to Augeas with the "\r" removed, and
 * every line of the result gets its "\r\n" back (dos).  In a file that
 * mixes endings the "\r" stays in the text, for the lens to take as it
 * will.  A file without a final newline is given one for the lens (as
 * Augeas's own loader does); a file that changes is written with a final
 * newline.
 *
 * Functions return 0 or a non-negative count on success and -errno on
 * failure; err (may be NULL) then says what went wrong, naming the file.
 */
#ifndef CTUNE_TEXTFILE_H
#define CTUNE_TEXTFILE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "aug-util.h"
#include "error.h"
#include "root.h"

/* Editors call aug_* on f->aug: augeas-dl.h's names. */
#include "augeas-dl.h"

#define CTUNE_TEXTFILE_HOST_MAX (PATH_MAX + 4096 + 64) /* root prefix + path + backup suffix */

/* What differs between the files an editor handles; an editor keeps one
 * static const per format. */
typedef struct ctune_textfile_format {
	const char *lens;  /* the Augeas lens, e.g. "Sysctl.lns" */
	const char *title; /* the lens in parse errors: "the <title> lens cannot parse line ..." */
	/* ctune's own lens directories, asked for when Augeas starts (NULL:
	 * Augeas's own lenses only).  A lens that fails to load is then
	 * reported with where it was looked for and CTUNE_LENS_DIR, the
	 * variable that moves them. */
	const char *(*loadpath)(void);
	const char *noun;    /* what the file is, in refusals: "too large for a <noun>" */
	size_t max_bytes;    /* larger files are refused (-EFBIG) */
	bool create_dirs;    /* the path's missing directories are made by prepare() */
	bool remove_empty;   /* a file rendered empty is removed by commit() (emptied through a link) */
} ctune_textfile_format;

typedef struct ctune_textfile {
	/* For the editor to read; dirty it sets after each change it makes to
	 * the tree. */
	augeas *aug;           /* the file's tree is /parsed */
	ctune_root root;
	char path[PATH_MAX];   /* as given to open */
	char target[PATH_MAX]; /* after following links, as seen from the root; names the file in messages */
	bool exists;           /* the file existed when read (or last committed) */
	bool dos;              /* every line ended in "\r\n": the tree has no "\r" of its own */
	bool dirty;            /* the tree changed since the last render */
	bool reload;           /* committed: /input gets the new text on next use */

	/* The machinery's own. */
	const ctune_textfile_format *format;
	char host[CTUNE_TEXTFILE_HOST_MAX]; /* root prefix + target: what open(2) takes */
	struct stat st;                     /* of the target when read; valid when exists */
	char *original;                     /* the file's bytes (NUL-terminated); "" when missing */
	size_t original_len;
	char *input; /* what Augeas parsed: "\r\n" -> "\n" when dos, final "\n" */

	char *tmp;           /* a prepared temporary file awaiting commit, or NULL */
	bool unlink_pending; /* prepared: commit removes the file (remove_empty) */
	struct stat tmp_st;  /* of that file */
	char *tmp_text;      /* what it holds (NUL-terminated), the session's text after commit */
	size_t tmp_len;

	bool changed;   /* the last render differs from the original */
	char *rendered; /* the last render when changed */
	size_t rendered_len;
} ctune_textfile;

/* Read the regular file at host (a full path, already resolved: a link is
 * refused) into a fresh NUL-terminated buffer (*out, *len may be NULL),
 * refusing files over max_bytes and files holding a NUL byte (they are no
 * <noun>); st (may be NULL) gets its status.  shown names the file in
 * messages.  Returns 0, -ENOENT without a message when the file does not
 * exist, or -errno. */
int ctune_textfile_read(const char *host, const char *shown, size_t max_bytes, const char *noun, char **out,
			size_t *len, struct stat *st, ctune_error *err);

/* Open *f (zeroed by the caller) for the file at path (absolute, as seen
 * from root), in format (which must outlive f): links are followed inside
 * the root (a target above a root prefix is refused with -EXDEV), a missing
 * file reads as empty, and the text is parsed into /parsed (-EBADMSG and
 * the line when the lens refuses it; -ENOENT when a lens of ctune's own
 * load path is not found).  On failure f still needs ctune_textfile_done().
 * Returns 0 or -errno. */
int ctune_textfile_open(ctune_textfile *f, const ctune_root *root, const char *path,
			const ctune_textfile_format *format, ctune_error *err);

/* Release what f holds, discarding a prepared file that was not
 * committed.  f itself is the caller's. */
void ctune_textfile_done(ctune_textfile *f);

/* While Augeas loads or runs a lens: a sentence saying so (for an exit
 * from inside Augeas, see textfile.c); NULL otherwise. */
const char *ctune_textfile_busy(void);

/* Record Augeas's own words for its last failure, for the step what ("set
 * a value"), and return code. */
int ctune_textfile_failure(ctune_textfile *f, int code, const char *what, ctune_error *err);

/* The nodes matching expr, in document order, into *out (strv_done() it).
 * what names the step in a failure.  Returns 0 or -errno. */
int ctune_textfile_match(ctune_textfile *f, const char *expr, strv *out, const char *what, ctune_error *err);

/* Remove the first n of nodes (paths from ctune_textfile_match), last
 * first: removing a later node never renumbers an earlier one, so the
 * paths left stay valid.  what names the step in a failure.  Returns 0 or
 * -errno. */
int ctune_textfile_remove(ctune_textfile *f, char *const *nodes, int n, const char *what, ctune_error *err);

/* The file's text as read at open (or at the last commit); "" for a
 * missing file.  Valid until the next commit or done. */
const char *ctune_textfile_original(const ctune_textfile *f, size_t *len);

/* The text the file would have with the changes made so far.  *text stays
 * valid until the next change, commit or done.  Returns 1 when it differs
 * from the original, 0 when not (*text is then the original), or -errno. */
int ctune_textfile_render(ctune_textfile *f, const char **text, size_t *len, ctune_error *err);

/* Write the rendered text into the temporary file beside the target
 * without replacing anything (or, remove_empty, mark an empty result for
 * removal).  Returns 1, 0 when nothing changed, or -errno leaving no
 * temporary file and the target untouched (a directory create_dirs made
 * stays: empty, and where the next attempt needs it). */
int ctune_textfile_prepare(ctune_textfile *f, ctune_error *err);

/* Put what prepare made in place of the target; the session then goes on
 * from the file as written.  Returns 1, 0 when nothing was prepared, or
 * -errno (the prepared file is then discarded and the target untouched):
 * -EBUSY when the tree was edited after prepare, so that what would be
 * written is no longer what the caller last rendered. */
int ctune_textfile_commit(ctune_textfile *f, ctune_error *err);

/* The name of a file ctune keeps beside path (a full path, or one as seen
 * from the root): ".NAME.ctune-SUFFIX" in path's directory; "new" is what
 * prepare writes, "old" the link txlog.c keeps to the previous file.
 * Returns 0, -EINVAL (no file name) or -ENAMETOOLONG. */
int ctune_textfile_sidecar(const char *path, const char *suffix, char *out, size_t size);

/* prepare, then commit when something was prepared. */
int ctune_textfile_save(ctune_textfile *f, ctune_error *err);

/* Copy the file, as it is on disk now, next to the target under Ansible's
 * backup name `<target>.<pid>.<YYYY-MM-DD@HH:MM:SS>~` (local time),
 * keeping mode, owner and times; its path, as seen from the root, goes
 * into path.  Returns 1, 0 when the file does not exist (path gets ""), or
 * -errno (-EEXIST if that name is taken). */
int ctune_textfile_backup(ctune_textfile *f, char *path, size_t size, ctune_error *err);

/* The two halves of ctune_textfile_backup, for a caller that records the
 * name before the copy exists (txlog.h): the name, as seen from the root,
 * into path; then the copy under that name (1, 0 when the file does not
 * exist, or -errno). */
int ctune_textfile_backup_name(ctune_textfile *f, char *path, size_t size, ctune_error *err);
int ctune_textfile_backup_as(ctune_textfile *f, const char *name, ctune_error *err);

/* The public functions of an editor's session type T, a struct whose
 * member f is its ctune_textfile, that are the textfile's own unchanged:
 * prefix##_close, _path, _target, _exists, _original, _render, _prepare,
 * _commit, _save and _textfile (the machinery itself, for txlog.h), exactly as the editor's header declares them.  One
 * definition for every editor, so the sessions cannot drift apart. */
#define CTUNE_TEXTFILE_SESSION_FUNCS(prefix, T)                                                     \
	void prefix##_close(T *s)                                                                   \
	{                                                                                           \
		if (!s)                                                                             \
			return;                                                                     \
		ctune_textfile_done(&s->f);                                                         \
		free(s);                                                                            \
	}                                                                                           \
	const char *prefix##_path(const T *s)                                                       \
	{                                                                                           \
		return s->f.path;                                                                   \
	}                                                                                           \
	const char *prefix##_target(const T *s)                                                     \
	{                                                                                           \
		return s->f.target;                                                                 \
	}                                                                                           \
	bool prefix##_exists(const T *s)                                                            \
	{                                                                                           \
		return s->f.exists;                                                                 \
	}                                                                                           \
	const char *prefix##_original(const T *s, size_t *len)                                      \
	{                                                                                           \
		return ctune_textfile_original(&s->f, len);                                         \
	}                                                                                           \
	int prefix##_render(T *s, const char **text, size_t *len, ctune_error *err)                 \
	{                                                                                           \
		return ctune_textfile_render(&s->f, text, len, err);                                \
	}                                                                                           \
	int prefix##_prepare(T *s, ctune_error *err)                                                \
	{                                                                                           \
		return ctune_textfile_prepare(&s->f, err);                                          \
	}                                                                                           \
	int prefix##_commit(T *s, ctune_error *err)                                                 \
	{                                                                                           \
		return ctune_textfile_commit(&s->f, err);                                           \
	}                                                                                           \
	int prefix##_save(T *s, ctune_error *err)                                                   \
	{                                                                                           \
		return ctune_textfile_save(&s->f, err);                                             \
	}                                                                                           \
	ctune_textfile *prefix##_textfile(T *s)                                                     \
	{                                                                                           \
		return &s->f;                                                                       \
	}

#endif
