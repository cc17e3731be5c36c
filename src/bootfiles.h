/* bootfiles.h - what the next boot does with the conntrack module: is it
 * loaded early (modules-load.d), and with which hash size (modprobe.d).
 *
 * A persisted nf_conntrack_max is only in force after reboot when the
 * module is loaded before systemd-sysctl applies the key; the fix in use is
 * a modules-load.d entry.  The hash size (buckets) is a module parameter,
 * persisted as `options nf_conntrack hashsize=N` in modprobe.d (legacy
 * scheme: `options ip_conntrack hashsize=N`, often in /etc/modprobe.conf),
 * and changed live through /sys/module/<module>/parameters/hashsize where
 * the nf_conntrack_buckets sysctl is read-only.
 *
 * Two kinds of function live here:
 *  - find functions read every configuration file in force, with the
 *    reader's own rules (which directories, which names, masking, order),
 *    and say what the boot will do and which file says so;
 *  - sessions edit one file through Augeas - ctune's Modules_Load lens
 *    (lenses/modules_load.aug) or the stock Modprobe lens - the way
 *    persist.h edits a sysctl file: everything else in the file is kept,
 *    render() gives the before/after text for check and diff modes,
 *    prepare()/commit() write it atomically (temporary file beside it,
 *    fsync, rename; mode and owner kept, 0644 for a new file) and only when
 *    a byte changes; symbolic links are followed inside the root; a
 *    session that fails or is closed leaves no temporary file behind.
 *
 * Module names are compared the way kmod compares them: '-' and '_' are
 * the same character ("nf-conntrack" is nf_conntrack).  Parameter names
 * likewise, as the kernel does.
 *
 * The Modules_Load lens is looked up in $CTUNE_LENS_DIR when set, else in
 * the directory it is installed to (CTUNE_LENS_DIR at build time), else in
 * the source tree's lenses/ (an uninstalled build); Augeas's own lens
 * directory comes after those.
 *
 * Functions return 0 or a non-negative count on success and -errno on
 * failure; err (may be NULL) then says what went wrong, naming the file.
 */
#ifndef CTUNE_BOOTFILES_H
#define CTUNE_BOOTFILES_H

#include <stdbool.h>
#include <stddef.h>

#include "cleanup.h"
#include "error.h"
#include "root.h"

#define CTUNE_MODLOAD_DEFAULT_FILE "/etc/modules-load.d/ctune.conf"
#define CTUNE_MODPROBE_DEFAULT_FILE "/etc/modprobe.d/ctune.conf"

/* The Augeas load path used for ctune's lenses (see above), for messages
 * and tests. */
const char *ctune_modload_lens_path(void);

/* ---- modules-load.d ----------------------------------------------------
 *
 * systemd-modules-load reads *.conf in /etc/modules-load.d,
 * /run/modules-load.d, /usr/local/lib/modules-load.d,
 * /usr/lib/modules-load.d and /lib/modules-load.d; a file name in an
 * earlier directory masks the same name in later ones (a link to /dev/null
 * masks by being empty); the files are read in lexical order of their
 * names.  A line names one module after leading and trailing whitespace is
 * stripped; empty lines and lines starting with '#' or ';' are skipped.
 * (Modules named on the kernel command line, modules-load=, are not
 * configuration files and not looked at.)
 */

/* Where a module is listed. */
typedef struct ctune_modload_hit {
	char file[256]; /* absolute path under the root, as the directory lists it */
	unsigned line;  /* 1-based */
	char name[128]; /* the module as spelt on that line */
} ctune_modload_hit;

/* Is module listed in a modules-load.d file in force?  *hit (may be NULL)
 * gets the first listing in boot order.  Returns the number of files in
 * force that list it (0: none), or -errno (-EINVAL for a name that is not a
 * module name). */
int ctune_modload_find(const ctune_root *root, const char *module, ctune_modload_hit *hit, ctune_error *err);

typedef struct ctune_modload ctune_modload;

/* Open a session for one modules-load.d file: path is "<dir>/<name>.conf"
 * with dir one of the five directories above (NULL means
 * CTUNE_MODLOAD_DEFAULT_FILE); anything else is refused with -EINVAL, since
 * systemd would never read it.  Links are followed inside the root (a
 * target above a root prefix is refused with -EXDEV).  A missing file reads
 * as empty and is created by a save that has something to write, with any
 * missing directories (mode 0755, like mkdir -p); check and diff modes
 * create nothing.  Returns 0 and *m, or -errno (-EBADMSG when the
 * lens cannot parse the file, naming the line; -ENOENT when the lens is
 * not found). */
int ctune_modload_open(ctune_modload **m, const ctune_root *root, const char *path, ctune_error *err);

/* Release the session; unsaved changes and an uncommitted prepared file are
 * dropped.  m may be NULL. */
void ctune_modload_close(ctune_modload *m);

/* The path as opened, and the file read and written after following links
 * (both as seen from the root); whether it existed when read. */
const char *ctune_modload_path(const ctune_modload *m);
const char *ctune_modload_target(const ctune_modload *m);
bool ctune_modload_exists(const ctune_modload *m);

/* How many lines of this file (as edited so far) name module. */
int ctune_modload_listed(ctune_modload *m, const char *module, ctune_error *err);

/* Like ctune_modload_find(), but as the boot would see things if this
 * session were saved now: the session's file counts with its edits (and
 * masks a same-named file in a later directory once it exists). */
int ctune_modload_in_force(ctune_modload *m, const char *module, ctune_modload_hit *hit, ctune_error *err);

/* Make sure the boot loads module: when a file in force already lists it
 * (ctune_modload_in_force), nothing changes, *hit (may be NULL) says
 * where, and 0 is returned.  Otherwise a line naming the module is added at
 * the end of this file and 1 is returned.  Refused, changing nothing:
 * -EBUSY when this file is masked by a same-named file in an earlier
 * directory (systemd would not read it), -ENOTUNIQ when creating it would
 * mask a same-named file in a later directory that lists other modules. */
int ctune_modload_ensure(ctune_modload *m, const char *module, ctune_modload_hit *hit, ctune_error *err);

/* Remove every line of this file naming module (any '-'/'_' spelling).
 * Returns the number of lines removed.  Other files are not touched: call
 * ctune_modload_in_force() to see whether one still lists it.  A file left
 * without a single line (not even a comment) is deleted by commit (emptied
 * instead when the path is a link, so the link keeps a target). */
int ctune_modload_remove(ctune_modload *m, const char *module, ctune_error *err);

/* Before/after text, prepare/commit/save: exactly as ctune_persist_original,
 * _render, _prepare, _commit and _save (persist.h), including -ESTALE when
 * the file changed on disk since it was read.  A file the edits leave empty
 * is prepared as a removal: commit unlinks it (returning 1); the "after"
 * text is then "". */
const char *ctune_modload_original(const ctune_modload *m, size_t *len);
int ctune_modload_render(ctune_modload *m, const char **text, size_t *len, ctune_error *err);
int ctune_modload_prepare(ctune_modload *m, ctune_error *err);
int ctune_modload_commit(ctune_modload *m, ctune_error *err);
int ctune_modload_save(ctune_modload *m, ctune_error *err);
struct ctune_textfile;
struct ctune_textfile *ctune_modload_textfile(ctune_modload *m); /* for txlog.h */

static inline void ctune_modload_closep(ctune_modload **m)
{
	ctune_modload_close(*m);
}
#define _cleanup_modload_ _cleanup_(ctune_modload_closep)

/* ---- modprobe.d ---------------------------------------------------------
 *
 * kmod (every systemd distribution) reads *.conf in /etc/modprobe.d,
 * /run/modprobe.d, /usr/local/lib/modprobe.d, /usr/lib/modprobe.d and
 * /lib/modprobe.d, earlier directories masking same-named files in later
 * ones, in lexical order of the names; then the kernel command line
 * (`module.param=value`).  All `options <module> ...` lines are joined in
 * that order and the kernel applies the parameters left to right, so the
 * last assignment wins.  module-init-tools (CentOS 5 and 6, whose
 * /sbin/modprobe is a program rather than a link to kmod) reads
 * /etc/modprobe.conf first, then every file in /etc/modprobe.d.  A line
 * ending in '\' continues on the next; a line starting with '#' is a
 * comment.
 *
 * A built-in module (CONFIG_NF_CONNTRACK=y) never reads modprobe.d: only the
 * kernel command line sets its parameters.
 */

/* One assignment of a module parameter. */
typedef struct ctune_modprobe_assign {
	char file[256];  /* absolute path under the root; "/proc/cmdline" for the kernel command line */
	unsigned line;   /* 1-based (the first line of a continued line); 0 for /proc/cmdline */
	char value[128]; /* as written, quotes removed */
	unsigned count;  /* assignments seen in all files (the last one wins) */
	bool legacy_tools; /* read by module-init-tools rules (see above) */
} ctune_modprobe_assign;

/* The value param of module gets at the next load: the last assignment in
 * the files in force (and the kernel command line).  Returns 1 and fills
 * *out, 0 when nothing assigns it, or -errno. */
int ctune_modprobe_find(const ctune_root *root, const char *module, const char *param,
			ctune_modprobe_assign *out, ctune_error *err);

typedef struct ctune_modprobe ctune_modprobe;

/* Open a session for one modprobe configuration file (NULL means
 * CTUNE_MODPROBE_DEFAULT_FILE), e.g. /etc/modprobe.d/ctune.conf or the
 * legacy /etc/modprobe.conf.  Same rules and errors as
 * ctune_modload_open(), except that any absolute path is accepted. */
int ctune_modprobe_open(ctune_modprobe **m, const ctune_root *root, const char *path, ctune_error *err);
void ctune_modprobe_close(ctune_modprobe *m);
const char *ctune_modprobe_path(const ctune_modprobe *m);
const char *ctune_modprobe_target(const ctune_modprobe *m);
bool ctune_modprobe_exists(const ctune_modprobe *m);

/* The value this file gives param of module (the last assignment on its
 * options lines), quotes removed, copied into value (size bytes; "" when
 * absent or given without a value).  Returns the number of assignments
 * (0: absent) or -errno (-ENOBUFS when the value does not fit). */
int ctune_modprobe_get(ctune_modprobe *m, const char *module, const char *param, char *value, size_t size,
		       ctune_error *err);

/* Make the file assign param=value for module once.  The last assignment
 * gets the value in place (its line keeps its other options and its
 * comment) and earlier ones are removed, with their line when it is left
 * without options.  When the module has options lines but none assigns
 * param, it is added to the last of them; otherwise a line
 * `options <module> <param>=<value>` is appended.  value must be a decimal
 * number without sign.  Returns the number of earlier assignments removed,
 * or -EINVAL for a malformed module, param or value. */
int ctune_modprobe_set(ctune_modprobe *m, const char *module, const char *param, const char *value,
		       ctune_error *err);

/* Remove every assignment of param for module, and each options line that
 * is left without options.  Returns the number of assignments removed. */
int ctune_modprobe_unset(ctune_modprobe *m, const char *module, const char *param, ctune_error *err);

/* As for modules-load.d sessions (a file left empty is removed). */
const char *ctune_modprobe_original(const ctune_modprobe *m, size_t *len);
int ctune_modprobe_render(ctune_modprobe *m, const char **text, size_t *len, ctune_error *err);
int ctune_modprobe_prepare(ctune_modprobe *m, ctune_error *err);
int ctune_modprobe_commit(ctune_modprobe *m, ctune_error *err);
int ctune_modprobe_save(ctune_modprobe *m, ctune_error *err);
struct ctune_textfile *ctune_modprobe_textfile(ctune_modprobe *m); /* for txlog.h */

static inline void ctune_modprobe_closep(ctune_modprobe **m)
{
	ctune_modprobe_close(*m);
}
#define _cleanup_modprobe_ _cleanup_(ctune_modprobe_closep)

/* ---- the live parameter -------------------------------------------------
 *
 * /sys/module/<module>/parameters/<param> exists while the module is
 * loaded (and for a built-in module whose parameter is visible).  Writing
 * hashsize makes the kernel allocate a new table and move every entry into
 * it; it is allowed only in the initial network namespace (elsewhere the
 * kernel answers EOPNOTSUPP) and only where the parameter is writable
 * (ip_conntrack on 2.6.18 and nf_conntrack since: mode 0600).  Current
 * kernels round the size up to a whole page of buckets (512 on x86_64).
 */

/* Read the parameter into value (size bytes, trailing newline removed).
 * Returns the length, or -ENOENT when the module or parameter is absent. */
int ctune_modprobe_live_get(const ctune_root *root, const char *module, const char *param, char *value,
			    size_t size, ctune_error *err);

/* Set module's hashsize to buckets and read it back.  *got (may be NULL)
 * gets the value read back.  Returns 1 when the kernel took the new size
 * (the value read back is buckets, or buckets rounded up to a whole page
 * of buckets), 0 when it already was buckets (nothing written), or -errno:
 * -ENOENT (not loaded, or no such parameter), -EACCES (read-only
 * parameter: not written), -EOPNOTSUPP (not the initial network
 * namespace), -EINVAL (0, or refused by the kernel), -EIO (the value read
 * back is neither). */
int ctune_modprobe_live_set_hashsize(const ctune_root *root, const char *module, unsigned long buckets,
				     unsigned long *got, ctune_error *err);

#endif
