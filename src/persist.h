/* persist.h - one sysctl-format file, edited through ctune's Ctune_Sysctl
 * lens (lenses/ctune_sysctl.aug: every file the boot tools accept).
 *
 * ctune persists tunables the way an administrator would: the line for a key
 * is changed where it stands, every comment, blank line and unrelated key is
 * kept, and a new key is appended at the end as `key = value`.  A session
 * covers one file (/etc/sysctl.conf or a sysctl.d file) under a root prefix:
 * open it, read or queue changes, render the result for check and diff modes,
 * then save once and close.  Nothing touches the disk before
 * ctune_persist_save(), and a save that would not change a byte does not
 * touch the file at all.
 *
 * sysctl.d spells one key several ways: `net.netfilter.x`, `-net.netfilter.x`
 * (ignore failure) and `net/netfilter/x`.  Every function that takes a key
 * matches all spellings systemd-sysctl applies to that key
 * (ctune_sysctl_key_canon): `net/netfilter.x` (a path that does not exist)
 * is another key, left alone; `- x` is x (procps opens " x", so a set
 * respells the line it keeps `-x`).  sysctl's rule that the last
 * occurrence in a file wins is the rule here too.
 *
 * Functions return 0 or a non-negative count on success and -errno on
 * failure; err (may be NULL) then says what went wrong, naming the file.
 */
#ifndef CTUNE_PERSIST_H
#define CTUNE_PERSIST_H

#include <stdbool.h>
#include <stddef.h>

#include "cleanup.h"
#include "error.h"
#include "root.h"
#include "scheme.h"

typedef struct ctune_persist ctune_persist;

/* One conntrack key found in the file, as listed by ctune_persist_list(). */
typedef struct ctune_persist_key {
	const ctune_tunable *tunable; /* what the key means */
	ctune_scheme scheme;          /* the scheme whose key (or alias) it is */
	char key[256];                /* normalised: dotted, without '-' */
	char spelling[256];           /* as written at its last occurrence */
	unsigned count;               /* occurrences in the file, >= 1 */
} ctune_persist_key;

/* Open a session for the file at path (absolute, as seen from root; e.g.
 * "/etc/sysctl.conf").  Symbolic links are followed inside the root (an
 * absolute target is taken relative to the root, a target that climbs
 * above a root prefix is refused with -EXDEV), so a link such as Debian's
 * 99-sysctl.conf -> ../sysctl.conf edits the link's target and keeps the
 * link.  A missing file reads as empty and is created (mode 0644) by a save
 * that has something to write; its directory must exist.  A file the lens
 * cannot parse fails with -EBADMSG and a message naming the line.
 * Returns 0 and *p, or -errno. */
int ctune_persist_open(ctune_persist **p, const ctune_root *root, const char *path, ctune_error *err);

/* Release the session; unsaved changes are dropped.  p may be NULL. */
void ctune_persist_close(ctune_persist *p);

/* The path as given to open, and the file actually read and written after
 * following links (both as seen from the root). */
const char *ctune_persist_path(const ctune_persist *p);
const char *ctune_persist_target(const ctune_persist *p);

/* True when the file existed when the session was opened (or last saved). */
bool ctune_persist_exists(const ctune_persist *p);

/* The value sysctl would apply for key from this file: the last occurrence,
 * whatever its spelling, copied into value (size bytes; "" when absent).  A
 * carriage return ending the value (a CRLF line) is not part of it.
 * Returns the number of occurrences (0: absent), or -EINVAL for an empty
 * key and -ENOBUFS when the value does not fit. */
int ctune_persist_get(ctune_persist *p, const char *key, char *value, size_t size, ctune_error *err);

/* Every conntrack key in the file (either scheme, key or alias; see
 * ctune_tunable_by_key), one entry per key in order of first appearance.
 * *keys is malloc'ed (free() it; NULL when *n is 0).  Returns 0 or -errno. */
int ctune_persist_list(ctune_persist *p, ctune_persist_key **keys, size_t *n, ctune_error *err);

/* Make the file say key = value once.  When the key is present (any
 * spelling) its last occurrence gets the value in place, keeping its
 * spelling, and the other occurrences are removed.  (Augeas matches the
 * layout of the lines it keeps to the original lines by label in order, so
 * when the earlier duplicates are spelt exactly like the last one, the line
 * kept takes the first one's spacing; its place and spelling are kept.) otherwise `key = value`
 * is appended at the end, spelt as given.  value must be a decimal integer
 * without sign (ranges are the caller's business).  "-key" exclusions of
 * the key go too (systemd-sysctl would let one cancel the value).  Returns
 * the number of duplicate lines and exclusions removed, or -EINVAL for a
 * malformed key or value.
 * (One exception to "in place": a line without a value, `key =`, is
 * replaced by a new line at the same position, with '/' written as '.',
 * because the lens cannot give that form a value.) */
int ctune_persist_set(ctune_persist *p, const char *key, const char *value, ctune_error *err);

/* Remove every occurrence of key, in all spellings.  Returns the number of
 * lines removed (0 when absent) or -errno. */
int ctune_persist_remove(ctune_persist *p, const char *key, ctune_error *err);

/* Rename every occurrence of key (all spellings) to new_key, keeping each
 * line's value, position and '-' prefix.  Occurrences of new_key already in
 * the file are left alone: call ctune_persist_set() afterwards to make the
 * file say the value once.  Returns the number of lines renamed or -errno. */
int ctune_persist_rename(ctune_persist *p, const char *key, const char *new_key, ctune_error *err);

/* The file's text as read at open (or at the last save): the diff's
 * "before".  Empty for a missing file.  Valid until the next save or close. */
const char *ctune_persist_original(const ctune_persist *p, size_t *len);

/* The text the file would have with the changes made so far, without
 * writing anything: the diff's "after".  *text stays valid until the next
 * change, save or close.  Returns 1 when it differs from the original, 0
 * when the changes cancel out (then *text is the original byte for byte),
 * or -errno. */
int ctune_persist_render(ctune_persist *p, const char **text, size_t *len, ctune_error *err);

/* Write the rendered text when it differs from the file: into a temporary
 * file in the same directory with the original's mode and owner (0644 and
 * the caller's for a new file), fsync'ed, then renamed over the target.
 * Refuses with -ESTALE when the file changed on disk since it was read.  No
 * temporary file survives a failure.  Returns 1 when the file was written,
 * 0 when nothing changed (the file is not touched), or -errno. */
int ctune_persist_save(ctune_persist *p, ctune_error *err);

/* The session's file machinery (textfile.h), for the request's journal
 * (txlog.h). */
struct ctune_textfile;
struct ctune_textfile *ctune_persist_textfile(ctune_persist *p);

/* Two-phase save, for changes that span several files: prepare writes the
 * rendered text into the temporary file (mode, owner, fsync) without
 * replacing anything and returns 1 (0 when nothing changed, -errno on
 * failure, leaving nothing behind); commit renames it over the target (and
 * returns 1, or 0 when nothing was prepared).  Closing a session discards a
 * prepared file that was not committed. */
int ctune_persist_prepare(ctune_persist *p, ctune_error *err);
int ctune_persist_commit(ctune_persist *p, ctune_error *err);

/* Turn every occurrence of key (all spellings, and its "-key" exclusions)
 * into a comment holding the line's text and note ("# key = value  #
 * note"), so a file stops assigning (or cancelling) it while a reader still
 * sees what it said.  Returns the number of lines
 * commented out or -errno. */
int ctune_persist_comment_out(ctune_persist *p, const char *key, const char *note, ctune_error *err);

/* Copy the file, as it is on disk now, next to the target under Ansible's
 * backup name `<target>.<pid>.<YYYY-MM-DD@HH:MM:SS>~` (local time), keeping
 * mode, owner and times.  The name ends in '~', so sysctl.d readers ignore
 * it.  Writes the backup's path (as seen from the root) into path.
 * Returns 1 when a copy was made, 0 when the file does not exist (path
 * gets ""), or -errno (-EEXIST if that name is taken). */
int ctune_persist_backup(ctune_persist *p, char *path, size_t size, ctune_error *err);

static inline void ctune_persist_closep(ctune_persist **p)
{
	ctune_persist_close(*p);
}
#define _cleanup_persist_ _cleanup_(ctune_persist_closep)

#endif
