/* txlog.h - one request's changes, all or nothing, also across a kill -9.
 *
 * A `set` may change several files (the sysctl file, modprobe.d,
 * modules-load.d, files override: fix comments out) and several live
 * values.  Each file is written beside its target and renamed over it, one
 * rename after another; a failure or a kill between two of them would leave
 * the first file new and the rest old.  So before the first change the
 * request writes a journal, ROOT/etc/.ctune-journal, that says how to put
 * everything back:
 *
 *   ctune-journal 1
 *   state rollback            ("done" once every change is made)
 *   dir /etc/modprobe.d       a directory this request creates
 *   file 1 /etc/sysctl.conf   a file it replaces (1) or creates (0)
 *   made /etc/sysctl.conf.4242.2026-12-03@08:00:00~   a backup it makes
 *   live net.netfilter.nf_conntrack_max 262144        a live value before
 *   hashsize nf_conntrack 65536                       the hash size before
 *   end
 *
 * The previous content of every file replaced is kept as a hard link to
 * its old inode, ".NAME.ctune-old" beside it; the new content is prepared
 * as ".NAME.ctune-new" (textfile.h).  The journal itself is written to a
 * hidden name, fsync'ed and renamed into place, so it is either whole or
 * absent.  Then: links, directories, the backup, every file prepared,
 * live values, every rename; then the journal is rewritten with
 * "state done" (the commit point), the links removed, and the journal
 * removed.
 *
 * A failure before the commit point undoes everything from the journal in
 * memory; a kill leaves the journal on disk, and the next run of ctune,
 * whatever its verb, repairs from it first under the lock: state rollback
 * restores each file (a file whose ".NAME.ctune-new" still exists, or
 * whose target is still the old inode, was never replaced), removes the
 * files and directories the request created and the hidden files, and
 * writes the live values back; state done only removes the links.  Each
 * step can be repeated, so a repair that is itself interrupted is finished
 * by the run after it.
 *
 * The journal is read like every file under a root: a regular file, at
 * most 64 KiB, every line checked (paths absolute and without "." or ".."
 * components or control characters, resolved inside the root; live keys
 * only conntrack tunables, values not negative); anything else is
 * refused, naming the line, and nothing is done with it.
 *
 * Functions return 0 or a non-negative count on success and -errno on
 * failure; err (may be NULL) then says what went wrong.
 */
#ifndef CTUNE_TXLOG_H
#define CTUNE_TXLOG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "error.h"
#include "root.h"

#define CTUNE_TXLOG_PATH "/etc/.ctune-journal"
#define CTUNE_TXLOG_MAX_FILES 16
#define CTUNE_TXLOG_MAX_DIRS 8
#define CTUNE_TXLOG_MAX_MADE 4
#define CTUNE_TXLOG_MAX_LIVE 160
#define CTUNE_TXLOG_MAX_PARAMS 4

struct ctune_textfile;

typedef struct ctune_txlog {
	const ctune_root *root;
	bool done; /* the commit point is passed: a repair only tidies up */
	size_t nfiles;
	struct {
		char target[PATH_MAX]; /* as seen from the root, links resolved */
		bool existed;
	} file[CTUNE_TXLOG_MAX_FILES];
	size_t ndirs; /* parents first */
	char dir[CTUNE_TXLOG_MAX_DIRS][PATH_MAX];
	size_t nmade;
	char made[CTUNE_TXLOG_MAX_MADE][PATH_MAX];
	size_t nlive;
	struct {
		char key[128];
		long long before;
	} live[CTUNE_TXLOG_MAX_LIVE];
	size_t nparams;
	struct {
		char module[64];
		long long before;
	} param[CTUNE_TXLOG_MAX_PARAMS];
	bool on_disk; /* the journal file exists */
	bool made_etc; /* /etc was created for the journal alone: it goes again */
	/* Not in the journal: the directories this run adds names to, with
	 * their times before, put back by an undo in the same run, so that a
	 * failed request leaves even the directories' times as they were. */
	size_t ntimes;
	struct {
		char host[PATH_MAX];
		struct timespec mtime;
	} times[CTUNE_TXLOG_MAX_FILES + 2];
} ctune_txlog;

/* Start an empty journal for root (not yet written). */
void ctune_txlog_init(ctune_txlog *tx, const ctune_root *root);

/* Record what the request will change: a file about to be replaced or
 * created (with the directories its save creates), a backup it will make,
 * a live key's value before, a module's hash size before.  Returns 0, or
 * -E2BIG / -EINVAL (a name the journal cannot hold) with err set. */
int ctune_txlog_add_file(ctune_txlog *tx, struct ctune_textfile *f, ctune_error *err);
int ctune_txlog_add_made(ctune_txlog *tx, const char *path, ctune_error *err);
int ctune_txlog_add_live(ctune_txlog *tx, const char *key, long long before, ctune_error *err);
int ctune_txlog_add_param(ctune_txlog *tx, const char *module, long long before, ctune_error *err);

/* Write the journal (state rollback) and keep the old inode of every file
 * it lists; stale hidden files of a killed run beside those files go.
 * After a failure nothing is changed (and nothing needs undoing).
 * Returns 0 or -errno. */
int ctune_txlog_begin(ctune_txlog *tx, ctune_error *err);

/* Every change is made: pass the commit point, then tidy up.  Returns 0,
 * or -errno when the commit point could not be passed (call
 * ctune_txlog_rollback).  A failure to tidy up after it is not a failure
 * of the request: it is put in note (size bytes, "" when none) and the
 * next run finishes it. */
int ctune_txlog_commit(ctune_txlog *tx, char *note, size_t size, ctune_error *err);

/* Undo everything the journal lists (see above) and remove it.  Returns 0,
 * or the first error, with the journal left for the next run to finish. */
int ctune_txlog_rollback(ctune_txlog *tx, ctune_error *err);

/* True from ctune_txlog_begin() until the request's journal is gone
 * (committed or rolled back): the window in which this process has
 * changes under way. */
bool ctune_txlog_active(void);

/* True when a journal is waiting under root: one lstat(). */
bool ctune_txlog_pending(const ctune_root *root);

/* Repair from a journal a killed run left (the caller holds the lock).
 * Returns 0 when there was none, 1 when it repaired (note says what), or
 * -errno (a journal it will not trust, or a repair that failed). */
int ctune_txlog_recover(const ctune_root *root, char *note, size_t size, ctune_error *err);

#endif
