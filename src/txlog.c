/* txlog.c - see txlog.h.
 *
 * Data moves: plan.c fills a ctune_txlog with what it will change, begin()
 * writes it (text, one fact a line) and keeps the old inodes, plan.c
 * makes the changes, then commit() or rollback().  A later run reads the
 * same text back into the same struct (parse()) and calls the same undo,
 * so a repair after a kill and an undo after a failure are one code path.
 */
#include "txlog.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootfiles.h"
#include "cleanup.h"
#include "procsys.h"
#include "scheme.h"
#include "textfile.h"

#define MAX_BYTES (64u << 10)
#define MAGIC "ctune-journal 1"

static volatile int active;

bool ctune_txlog_active(void)
{
	return active;
}

void ctune_txlog_init(ctune_txlog *tx, const ctune_root *root)
{
	memset(tx, 0, sizeof(*tx));
	tx->root = root;
}

/* --- what may be written into (and read back from) a journal ------------ */

/* Absolute, no empty, "." or ".." component, no control character. */
static bool path_ok(const char *p)
{
	size_t n = strlen(p);
	if (n < 2 || n >= PATH_MAX || p[0] != '/' || p[n - 1] == '/')
		return false;
	for (const char *c = p; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return false;
	for (const char *c = p; c; c = strchr(c + 1, '/')) {
		size_t len = strcspn(c + 1, "/");
		if (len == 0 || (len == 1 && c[1] == '.') || (len == 2 && c[1] == '.' && c[2] == '.'))
			return false;
	}
	return true;
}

/* A conntrack tunable's key and a value a kernel could have had: not
 * its settable range, since what is restored is whatever the kernel held
 * (a value ctune would refuse to set is still one to put back). */
static bool live_ok(const char *key, long long value)
{
	char norm[256];
	ctune_scheme s;
	if (ctune_key_normalize(key, norm, sizeof(norm)) <= 0 || strcmp(norm, key) != 0)
		return false;
	return ctune_tunable_by_key(norm, &s) && value >= 0;
}

static bool module_ok(const char *m, long long value)
{
	size_t n = strlen(m);
	if (n == 0 || n >= 64 || value <= 0 || value > (long long)UINT_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)m[i]) && m[i] != '_' && m[i] != '-')
			return false;
	return true;
}

static int too_many(const char *what, ctune_error *err)
{
	return ctune_error_set(err, -E2BIG, "more %s in one request than the journal holds", what);
}

static bool is_dir(const ctune_root *r, const char *abs)
{
	char host[CTUNE_TEXTFILE_HOST_MAX];
	struct stat st;
	return ctune_root_path(r, abs, host, sizeof(host)) >= 0 && lstat(host, &st) == 0 && S_ISDIR(st.st_mode);
}

static int add_dir(ctune_txlog *tx, const char *dir, ctune_error *err)
{
	for (size_t i = 0; i < tx->ndirs; i++)
		if (strcmp(tx->dir[i], dir) == 0)
			return 0;
	if (tx->ndirs >= CTUNE_TXLOG_MAX_DIRS)
		return too_many("new directories", err);
	snprintf(tx->dir[tx->ndirs++], PATH_MAX, "%s", dir);
	return 0;
}

int ctune_txlog_add_file(ctune_txlog *tx, struct ctune_textfile *f, ctune_error *err)
{
	if (!path_ok(f->target))
		return ctune_error_set(err, -EINVAL, "%s: a name the journal cannot hold", f->target);
	if (tx->nfiles >= CTUNE_TXLOG_MAX_FILES)
		return too_many("files", err);
	snprintf(tx->file[tx->nfiles].target, PATH_MAX, "%s", f->target);
	tx->file[tx->nfiles].existed = f->exists;
	tx->nfiles++;
	if (!f->format->create_dirs)
		return 0;
	/* The directories prepare() will make, parents first. */
	char dir[PATH_MAX], *missing[CTUNE_TXLOG_MAX_DIRS + 1];
	size_t n = 0;
	snprintf(dir, sizeof(dir), "%s", f->target);
	for (char *slash = strrchr(dir, '/'); slash && slash != dir; slash = strrchr(dir, '/')) {
		*slash = '\0';
		if (is_dir(tx->root, dir))
			break;
		if (n > CTUNE_TXLOG_MAX_DIRS)
			return too_many("new directories", err);
		missing[n++] = strdup(dir);
		if (!missing[n - 1])
			return -ENOMEM;
	}
	int r = 0;
	while (n > 0) {
		char *d = missing[--n];
		if (r == 0)
			r = add_dir(tx, d, err);
		free(d);
	}
	return r;
}

int ctune_txlog_add_made(ctune_txlog *tx, const char *path, ctune_error *err)
{
	if (!path_ok(path) || path[strlen(path) - 1] != '~')
		return ctune_error_set(err, -EINVAL, "%s: a name the journal cannot hold", path);
	if (tx->nmade >= CTUNE_TXLOG_MAX_MADE)
		return too_many("backups", err);
	snprintf(tx->made[tx->nmade++], PATH_MAX, "%s", path);
	return 0;
}

int ctune_txlog_add_live(ctune_txlog *tx, const char *key, long long before, ctune_error *err)
{
	for (size_t i = 0; i < tx->nlive; i++)
		if (strcmp(tx->live[i].key, key) == 0)
			return 0; /* the first value is the one to restore */
	if (strlen(key) >= sizeof(tx->live[0].key) || !live_ok(key, before))
		return ctune_error_set(err, -EINVAL, "%s = %lld: not a value the journal can hold", key, before);
	if (tx->nlive >= CTUNE_TXLOG_MAX_LIVE)
		return too_many("live values", err);
	snprintf(tx->live[tx->nlive].key, sizeof(tx->live[0].key), "%s", key);
	tx->live[tx->nlive++].before = before;
	return 0;
}

int ctune_txlog_add_param(ctune_txlog *tx, const char *module, long long before, ctune_error *err)
{
	if (!module_ok(module, before))
		return ctune_error_set(err, -EINVAL, "%s hashsize %lld: not a value the journal can hold", module,
				       before);
	if (tx->nparams >= CTUNE_TXLOG_MAX_PARAMS)
		return too_many("module parameters", err);
	snprintf(tx->param[tx->nparams].module, sizeof(tx->param[0].module), "%s", module);
	tx->param[tx->nparams++].before = before;
	return 0;
}

/* --- the journal file ---------------------------------------------------- */

/* The journal's full path: its directory resolved inside the root, the
 * name itself never followed (a link there is refused by every open). */
static int journal_host(const ctune_root *r, char *host, size_t size, ctune_error *err)
{
	char resolved[PATH_MAX], dir[CTUNE_TEXTFILE_HOST_MAX];
	int rr = ctune_root_resolve(r, "/etc", true, resolved, sizeof(resolved), err);
	if (rr < 0)
		return rr;
	if (ctune_root_path(r, resolved, dir, sizeof(dir)) < 0 ||
	    snprintf(host, size, "%s/%s", dir, strrchr(CTUNE_TXLOG_PATH, '/') + 1) >= (int)size)
		return ctune_error_set(err, -ENAMETOOLONG, "%s: path too long", CTUNE_TXLOG_PATH);
	return 0;
}

/* fsync the directory holding path (a full path); the caller decides
 * whether a failure matters. */
static int sync_parent(const char *path)
{
	char dir[CTUNE_TEXTFILE_HOST_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		return 0;
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		return -errno;
	return 0;
}

static char *format(const ctune_txlog *tx, size_t *len)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *m = open_memstream(&buf, &size);
	if (!m)
		return NULL;
	fprintf(m, MAGIC "\nstate %s\n", tx->done ? "done" : "rollback");
	for (size_t i = 0; i < tx->ndirs; i++)
		fprintf(m, "dir %s\n", tx->dir[i]);
	for (size_t i = 0; i < tx->nfiles; i++)
		fprintf(m, "file %d %s\n", tx->file[i].existed, tx->file[i].target);
	for (size_t i = 0; i < tx->nmade; i++)
		fprintf(m, "made %s\n", tx->made[i]);
	for (size_t i = 0; i < tx->nlive; i++)
		fprintf(m, "live %s %lld\n", tx->live[i].key, tx->live[i].before);
	for (size_t i = 0; i < tx->nparams; i++)
		fprintf(m, "hashsize %s %lld\n", tx->param[i].module, tx->param[i].before);
	fputs("end\n", m);
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	*len = size;
	return buf;
}

/* The journal could not be written: the request's files are not saved. */
static int journal_failure(const ctune_txlog *tx, int code, ctune_error *err)
{
	if (tx->nfiles == 0)
		return ctune_error_set(err, code, "cannot write the journal %s for the live values: %s",
				       CTUNE_TXLOG_PATH, strerror(-code));
	return ctune_error_set(err, code, "%s%s: not saved: cannot write the journal %s: %s", tx->file[0].target,
			       tx->nfiles > 1 ? " and the other files" : "", CTUNE_TXLOG_PATH, strerror(-code));
}

/* An unnamed file in dir holding text, fsync'ed: O_TMPFILE where the
 * kernel and file system have it (Linux 3.11+), so a run killed while
 * writing leaves no name behind; else -EOPNOTSUPP. */
static int unnamed(const char *dir, const char *text, size_t len)
{
#ifdef O_TMPFILE
	_cleanup_close_ int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno == EISDIR || errno == EINVAL || errno == EOPNOTSUPP ? -EOPNOTSUPP : -errno;
	int r = ctune_write_all(fd, text, len);
	if (r < 0)
		return r;
	if (fsync(fd) < 0)
		return -errno;
	return TAKE_FD(fd);
#else
	(void)dir, (void)text, (void)len;
	return -EOPNOTSUPP;
#endif
}

/* Write the journal whole, then give it its name: a reader finds the old
 * journal, the new one, or none, never a part.  The first journal of a
 * request is linked straight to its name (nothing to replace); a rewrite
 * goes through ".ctune-journal.new" and a rename, and a run killed in
 * between leaves both names, which a repair removes. */
static int write_journal(ctune_txlog *tx, ctune_error *err)
{
	char host[CTUNE_TEXTFILE_HOST_MAX], tmp[CTUNE_TEXTFILE_HOST_MAX + 8], dir[CTUNE_TEXTFILE_HOST_MAX];
	int r = journal_host(tx->root, host, sizeof(host), err);
	if (r < 0)
		return r;
	snprintf(tmp, sizeof(tmp), "%s.new", host);
	snprintf(dir, sizeof(dir), "%s", host);
	*strrchr(dir, '/') = '\0';
	size_t len = 0;
	_cleanup_free_ char *text = format(tx, &len);
	if (!text)
		return ctune_error_set(err, -ENOMEM, "out of memory");
	struct stat st;
	if (lstat(tmp, &st) == 0 && unlink(tmp) < 0)
		return journal_failure(tx, -errno, err);
	const char *name = tx->on_disk ? tmp : host;
	_cleanup_close_ int fd = unnamed(dir, text, len);
	if (fd >= 0 && linkat(fd, "", AT_FDCWD, name, AT_EMPTY_PATH) < 0) {
		/* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH: the named way then. */
		if (errno != ENOENT && errno != EPERM && errno != EINVAL)
			return journal_failure(tx, -errno, err);
		close(TAKE_FD(fd));
		fd = -EOPNOTSUPP;
	}
	if (fd < 0 && fd != -EOPNOTSUPP)
		return journal_failure(tx, fd, err);
	if (fd < 0) {
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return journal_failure(tx, -errno, err);
		r = ctune_write_all(fd, text, len);
		if (r < 0 || fsync(fd) < 0) {
			r = r < 0 ? r : -errno;
			unlink(tmp);
			return journal_failure(tx, r, err);
		}
		name = tmp;
	}
	if (name == tmp && rename(tmp, host) < 0) {
		r = -errno;
		unlink(tmp);
		return journal_failure(tx, r, err);
	}
	tx->on_disk = true;
	return 0;
}

/* Remove path when it exists (on a read-only file system unlink() of a
 * missing name fails with EROFS, not ENOENT). */
static int unlink_quiet(const char *path, const char *shown, ctune_error *err)
{
	struct stat st;
	if (lstat(path, &st) < 0 && errno == ENOENT)
		return 0;
	if (unlink(path) < 0 && errno != ENOENT)
		return ctune_error_set(err, -errno, "%s: cannot remove %s: %s", shown, path, strerror(errno));
	return 0;
}

static int remove_journal(ctune_txlog *tx, ctune_error *err)
{
	char host[CTUNE_TEXTFILE_HOST_MAX];
	int r = journal_host(tx->root, host, sizeof(host), err);
	if (r < 0)
		return r;
	char tmp[CTUNE_TEXTFILE_HOST_MAX + 8];
	snprintf(tmp, sizeof(tmp), "%s.new", host);
	if ((r = unlink_quiet(tmp, CTUNE_TXLOG_PATH, err)) < 0 || (r = unlink_quiet(host, CTUNE_TXLOG_PATH, err)) < 0)
		return r;
	tx->on_disk = false;
	(void)sync_parent(host); /* durability only: a journal that comes back is repaired again */
	return 0;
}

/* --- the files ----------------------------------------------------------- */

typedef struct names {
	char host[CTUNE_TEXTFILE_HOST_MAX], old[CTUNE_TEXTFILE_HOST_MAX], tmp[CTUNE_TEXTFILE_HOST_MAX],
		bak[CTUNE_TEXTFILE_HOST_MAX];
} names;

/* A file's full path and its hidden companions.  The path was resolved
 * when recorded; resolving it again keeps a journal from steering ctune
 * outside the root. */
static int file_names(const ctune_root *r, const char *target, names *n, ctune_error *err)
{
	char resolved[PATH_MAX];
	int rr = ctune_root_resolve(r, target, true, resolved, sizeof(resolved), err);
	if (rr < 0)
		return rr;
	if (ctune_root_path(r, resolved, n->host, sizeof(n->host)) < 0 ||
	    ctune_textfile_sidecar(n->host, "old", n->old, sizeof(n->old)) < 0 ||
	    ctune_textfile_sidecar(n->host, "new", n->tmp, sizeof(n->tmp)) < 0 ||
	    ctune_textfile_sidecar(n->host, "bak", n->bak, sizeof(n->bak)) < 0)
		return ctune_error_set(err, -ENAMETOOLONG, "%s: path too long", target);
	return 0;
}

/* Remove ".NAME.ctune-*" beside host: what a killed run (of this version
 * or an older one, with random suffixes) left. */
static void remove_stale(const char *host)
{
	char dir[CTUNE_TEXTFILE_HOST_MAX], prefix[NAME_MAX + 16];
	snprintf(dir, sizeof(dir), "%s", host);
	char *slash = strrchr(dir, '/');
	if (!slash)
		return;
	snprintf(prefix, sizeof(prefix), ".%s.ctune-", slash + 1);
	*slash = '\0';
	_cleanup_closedir_ DIR *d = opendir(dir[0] ? dir : "/");
	if (!d)
		return;
	size_t pl = strlen(prefix);
	struct dirent *de;
	while ((de = readdir(d)))
		if (strncmp(de->d_name, prefix, pl) == 0 && de->d_type != DT_DIR)
			(void)unlinkat(dirfd(d), de->d_name, 0);
}

static bool same_inode(const char *a, const char *b)
{
	struct stat sa, sb;
	return lstat(a, &sa) == 0 && lstat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Put one file back as the journal says it was.  Each step may be
 * repeated (see txlog.h for how a file that was never replaced is told
 * apart). */
static int restore_file(const ctune_root *r, const char *target, bool existed, bool *restored, ctune_error *err)
{
	names n;
	int rr = file_names(r, target, &n, err);
	if (rr < 0)
		return rr;
	struct stat st;
	bool have_old = lstat(n.old, &st) == 0, have_tmp = lstat(n.tmp, &st) == 0;
	if (have_old) {
		if (!have_tmp && !same_inode(n.old, n.host)) {
			if (rename(n.old, n.host) < 0)
				return ctune_error_set(err, -errno, "%s: cannot put the previous file back: %s", target,
						       strerror(errno));
			*restored = true;
		}
		if ((rr = unlink_quiet(n.old, target, err)) < 0)
			return rr;
	} else if (!existed && !have_tmp && lstat(n.host, &st) == 0) {
		if (unlink(n.host) < 0)
			return ctune_error_set(err, -errno, "%s: cannot remove the file this run created: %s", target,
					       strerror(errno));
		*restored = true;
	}
	if ((rr = unlink_quiet(n.tmp, target, err)) < 0 || (rr = unlink_quiet(n.bak, target, err)) < 0)
		return rr;
	(void)sync_parent(n.host);
	return 0;
}

/* --- begin, commit, undo ------------------------------------------------- */

/* Remember the time of the directory holding host (a full path). */
static void keep_time(ctune_txlog *tx, const char *host)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", host);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return;
	*slash = '\0';
	for (size_t i = 0; i < tx->ntimes; i++)
		if (strcmp(tx->times[i].host, dir) == 0)
			return;
	struct stat st;
	if (tx->ntimes >= ELEMENTSOF(tx->times) || lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return;
	memcpy(tx->times[tx->ntimes].host, dir, strlen(dir) + 1);
	tx->times[tx->ntimes++].mtime = st.st_mtim;
}

static void put_times_back(ctune_txlog *tx)
{
	for (size_t i = 0; i < tx->ntimes; i++) {
		struct timespec t[2] = { { .tv_nsec = UTIME_OMIT }, tx->times[i].mtime };
		(void)utimensat(AT_FDCWD, tx->times[i].host, t, AT_SYMLINK_NOFOLLOW);
	}
	tx->ntimes = 0;
}

/* /etc must exist for the journal; the run that creates it says so in the
 * journal it then writes. */
static int make_etc(ctune_txlog *tx, ctune_error *err)
{
	char host[CTUNE_TEXTFILE_HOST_MAX];
	if (is_dir(tx->root, "/etc"))
		return 0;
	if (ctune_root_path(tx->root, "/etc", host, sizeof(host)) < 0)
		return ctune_error_set(err, -ENAMETOOLONG, "root path too long");
	if (mkdir(host, 0755) < 0 && errno != EEXIST)
		return ctune_error_set(err, -errno, "cannot create %s/etc for the journal: %s", tx->root->dir,
				       strerror(errno));
	if (tx->ndirs >= CTUNE_TXLOG_MAX_DIRS)
		return too_many("new directories", err);
	tx->made_etc = true;
	memmove(tx->dir[1], tx->dir[0], tx->ndirs * sizeof(tx->dir[0]));
	snprintf(tx->dir[0], PATH_MAX, "/etc");
	tx->ndirs++;
	return 0;
}

int ctune_txlog_begin(ctune_txlog *tx, ctune_error *err)
{
	active = 1;
	char jhost[CTUNE_TEXTFILE_HOST_MAX];
	if (ctune_root_path(tx->root, CTUNE_TXLOG_PATH, jhost, sizeof(jhost)) >= 0)
		keep_time(tx, jhost);
	int r = make_etc(tx, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < tx->nfiles; i++) {
		names n;
		if ((r = file_names(tx->root, tx->file[i].target, &n, err)) < 0)
			return r;
		keep_time(tx, n.host);
		remove_stale(n.host);
	}
	for (size_t i = 0; i < tx->ndirs; i++) {
		char host[CTUNE_TEXTFILE_HOST_MAX];
		if (ctune_root_path(tx->root, tx->dir[i], host, sizeof(host)) >= 0)
			keep_time(tx, host);
	}
	for (size_t i = 0; i < tx->nmade; i++) {
		char host[CTUNE_TEXTFILE_HOST_MAX];
		if (ctune_root_path(tx->root, tx->made[i], host, sizeof(host)) >= 0)
			keep_time(tx, host);
	}
	if ((r = write_journal(tx, err)) < 0) {
		ctune_error ignored = { 0 };
		(void)ctune_txlog_rollback(tx, &ignored); /* /etc, when this run made it */
		return r;
	}
	for (size_t i = 0; i < tx->nfiles; i++) {
		names n;
		if (!tx->file[i].existed)
			continue;
		if ((r = file_names(tx->root, tx->file[i].target, &n, err)) < 0)
			;
		else if (link(n.host, n.old) < 0)
			r = ctune_error_set(err, -errno, "%s: cannot keep the previous file as %s: %s",
					    tx->file[i].target, n.old, strerror(errno));
		else if (sync_parent(n.old) < 0)
			r = ctune_error_set(err, -errno, "%s: cannot flush its directory: %s", tx->file[i].target,
					    strerror(errno));
		if (r < 0) {
			ctune_error ignored = { 0 };
			if (ctune_txlog_rollback(tx, &ignored) < 0)
				ctune_error_set(err, r, "%s", ignored.msg);
			return r;
		}
	}
	return 0;
}

int ctune_txlog_commit(ctune_txlog *tx, char *note, size_t size, ctune_error *err)
{
	if (size)
		note[0] = '\0';
	tx->done = true;
	int r = write_journal(tx, err);
	if (r < 0) {
		tx->done = false;
		return r;
	}
	/* Past the commit point: what is left is tidying. */
	ctune_error e = { 0 };
	for (size_t i = 0; i < tx->nfiles && r == 0; i++) {
		names n;
		if ((r = file_names(tx->root, tx->file[i].target, &n, &e)) == 0)
			r = unlink_quiet(n.old, tx->file[i].target, &e);
	}
	if (r == 0)
		r = remove_journal(tx, &e);
	char host[CTUNE_TEXTFILE_HOST_MAX];
	if (r == 0 && tx->made_etc && ctune_root_path(tx->root, "/etc", host, sizeof(host)) >= 0)
		(void)rmdir(host); /* fails, as it should, when a file of the request is in it */
	if (r < 0 && size)
		snprintf(note, size, "every change is made, but tidying up after it failed (%s); the next run of "
			 "ctune finishes it from the journal %s", e.msg, CTUNE_TXLOG_PATH);
	active = 0;
	return 0;
}

/* Write the live values back, in reverse order; a value the kernel
 * refuses now because of another one (frag6_low_thresh <= _high) is tried
 * again after the rest. */
static int restore_live(ctune_txlog *tx, size_t *count, ctune_error *err)
{
	bool left[CTUNE_TXLOG_MAX_LIVE];
	size_t nleft = tx->nlive;
	for (size_t i = 0; i < tx->nlive; i++)
		left[i] = true;
	int first = 0;
	while (nleft > 0) {
		size_t progress = 0;
		ctune_error e = { 0 };
		first = 0;
		for (size_t k = tx->nlive; k-- > 0;) {
			if (!left[k])
				continue;
			long long now;
			int rr = ctune_procsys_read(tx->root, tx->live[k].key, &now, NULL);
			if (rr == 0 && now == tx->live[k].before) {
				left[k] = false;
				nleft--;
				progress++;
				continue;
			}
			if (rr == -ENOENT) { /* the module went away: nothing live to restore */
				left[k] = false;
				nleft--;
				progress++;
				continue;
			}
			rr = ctune_procsys_write(tx->root, tx->live[k].key, tx->live[k].before, &e);
			if (rr == 0) {
				left[k] = false;
				nleft--;
				progress++;
				(*count)++;
			} else if (!first) {
				first = rr;
			}
		}
		if (progress == 0) {
			ctune_error_set(err, first, "%s", e.msg);
			return first;
		}
	}
	return 0;
}

static int undo(ctune_txlog *tx, size_t *nfiles, size_t *nlive, ctune_error *err)
{
	int first = 0, rr;
	if (!tx->done) {
		if ((rr = restore_live(tx, nlive, err)) < 0 && !first)
			first = rr;
		for (size_t i = tx->nparams; i-- > 0;) {
			rr = ctune_modprobe_live_set_hashsize(tx->root, tx->param[i].module,
							      (unsigned long)tx->param[i].before, NULL, err);
			if (rr > 0)
				(*nlive)++;
			if (rr < 0 && rr != -ENOENT && !first)
				first = rr;
		}
	}
	for (size_t i = tx->nfiles; i-- > 0;) {
		bool restored = false;
		if (tx->done) {
			names n;
			rr = file_names(tx->root, tx->file[i].target, &n, err);
			if (rr == 0)
				rr = unlink_quiet(n.old, tx->file[i].target, err);
		} else {
			rr = restore_file(tx->root, tx->file[i].target, tx->file[i].existed, &restored, err);
		}
		*nfiles += restored;
		if (rr < 0 && !first)
			first = rr;
	}
	if (!tx->done) {
		for (size_t i = 0; i < tx->nmade; i++) {
			char host[CTUNE_TEXTFILE_HOST_MAX], resolved[PATH_MAX];
			ctune_error e = { 0 };
			if (ctune_root_resolve(tx->root, tx->made[i], true, resolved, sizeof(resolved), &e) < 0 ||
			    ctune_root_path(tx->root, resolved, host, sizeof(host)) < 0)
				continue;
			if ((rr = unlink_quiet(host, tx->made[i], err)) < 0 && !first)
				first = rr;
		}
		/* Deepest first; a directory someone else filled meanwhile stays. */
		for (size_t i = tx->ndirs; i-- > 0;) {
			char host[CTUNE_TEXTFILE_HOST_MAX];
			if (ctune_root_path(tx->root, tx->dir[i], host, sizeof(host)) < 0)
				continue;
			struct stat st;
			if (lstat(host, &st) < 0)
				continue;
			if (rmdir(host) < 0 && errno != ENOENT && errno != ENOTEMPTY && errno != EEXIST && !first)
				first = ctune_error_set(err, -errno, "cannot remove %s, which this run created: %s",
							tx->dir[i], strerror(errno));
		}
	}
	if (first)
		return first;
	return tx->on_disk ? remove_journal(tx, err) : 0;
}

int ctune_txlog_rollback(ctune_txlog *tx, ctune_error *err)
{
	size_t nfiles = 0, nlive = 0;
	int r = undo(tx, &nfiles, &nlive, err);
	if (r == 0) {
		put_times_back(tx);
		active = 0;
	}
	if (r < 0 && tx->on_disk)
		ctune_error_set(err, r, "the next run of ctune finishes it from the journal %s", CTUNE_TXLOG_PATH);
	return r;
}

/* --- a journal a killed run left ----------------------------------------- */

bool ctune_txlog_pending(const ctune_root *root)
{
	char host[CTUNE_TEXTFILE_HOST_MAX];
	struct stat st;
	return ctune_root_path(root, CTUNE_TXLOG_PATH, host, sizeof(host)) >= 0 && lstat(host, &st) == 0;
}

static int bad_line(unsigned line, const char *why, ctune_error *err)
{
	return ctune_error_set(err, -EBADMSG,
			       "%s line %u: %s; this is not a journal ctune wrote: nothing was done with it; look at "
			       "it, then remove it",
			       CTUNE_TXLOG_PATH, line, why);
}

/* One line into tx; false when it is not one ctune writes. */
static int parse_line(ctune_txlog *tx, char *s, unsigned no, ctune_error *err)
{
	char *arg = strchr(s, ' ');
	if (arg)
		*arg++ = '\0';
	if (strcmp(s, "state") == 0 && arg && (strcmp(arg, "rollback") == 0 || strcmp(arg, "done") == 0)) {
		tx->done = strcmp(arg, "done") == 0;
		return 0;
	}
	if (strcmp(s, "dir") == 0 && arg && path_ok(arg)) {
		if (tx->ndirs >= CTUNE_TXLOG_MAX_DIRS)
			return bad_line(no, "too many directories", err);
		snprintf(tx->dir[tx->ndirs++], PATH_MAX, "%s", arg);
		return 0;
	}
	if (strcmp(s, "file") == 0 && arg && (arg[0] == '0' || arg[0] == '1') && arg[1] == ' ' && path_ok(arg + 2)) {
		if (tx->nfiles >= CTUNE_TXLOG_MAX_FILES)
			return bad_line(no, "too many files", err);
		tx->file[tx->nfiles].existed = arg[0] == '1';
		snprintf(tx->file[tx->nfiles++].target, PATH_MAX, "%s", arg + 2);
		return 0;
	}
	if (strcmp(s, "made") == 0 && arg)
		return ctune_txlog_add_made(tx, arg, NULL) < 0 ? bad_line(no, "not a backup ctune makes", err) : 0;
	if ((strcmp(s, "live") == 0 || strcmp(s, "hashsize") == 0) && arg) {
		char *v = strchr(arg, ' '), *end;
		if (!v)
			return bad_line(no, "no value", err);
		*v++ = '\0';
		errno = 0;
		long long value = strtoll(v, &end, 10);
		if (errno || end == v || *end)
			return bad_line(no, "not a number", err);
		int r = s[0] == 'l' ? ctune_txlog_add_live(tx, arg, value, NULL)
				    : ctune_txlog_add_param(tx, arg, value, NULL);
		return r < 0 ? bad_line(no, "not a conntrack value ctune sets", err) : 0;
	}
	return bad_line(no, "unknown line", err);
}

static int parse(ctune_txlog *tx, char *text, ctune_error *err)
{
	unsigned no = 0;
	bool magic = false, end = false;
	for (char *s = text, *nl; *s; s = nl + 1) {
		no++;
		nl = strchr(s, '\n');
		if (!nl)
			return bad_line(no, "cut short", err);
		*nl = '\0';
		if (end)
			return bad_line(no, "text after the end", err);
		if (!magic) {
			if (strcmp(s, MAGIC) != 0)
				return bad_line(no, "not \"" MAGIC "\"", err);
			magic = true;
			continue;
		}
		if (strcmp(s, "end") == 0) {
			end = true;
			continue;
		}
		int r = parse_line(tx, s, no, err);
		if (r < 0)
			return r;
	}
	return end ? 0 : bad_line(no, "no end line", err);
}

int ctune_txlog_recover(const ctune_root *root, char *note, size_t size, ctune_error *err)
{
	if (size)
		note[0] = '\0';
	if (!ctune_txlog_pending(root))
		return 0;
	char host[CTUNE_TEXTFILE_HOST_MAX];
	int r = journal_host(root, host, sizeof(host), err);
	if (r < 0)
		return r;
	_cleanup_free_ char *text = NULL;
	r = ctune_textfile_read(host, CTUNE_TXLOG_PATH, MAX_BYTES, "ctune journal", &text, NULL, NULL, err);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	_cleanup_free_ ctune_txlog *tx = malloc(sizeof(*tx));
	if (!tx)
		return -ENOMEM;
	ctune_txlog_init(tx, root);
	if ((r = parse(tx, text, err)) < 0)
		return r;
	tx->on_disk = true;
	size_t nfiles = 0, nlive = 0;
	ctune_error e = { 0 };
	r = undo(tx, &nfiles, &nlive, &e);
	if (r < 0)
		return ctune_error_set(err, r, "a previous ctune run was interrupted, and repairing what it left "
				       "from the journal %s failed: %s", CTUNE_TXLOG_PATH, e.msg);
	if (size && tx->done)
		snprintf(note, size, "a previous ctune run was interrupted after making every change; its "
			 "journal %s is now tidied away", CTUNE_TXLOG_PATH);
	else if (size)
		snprintf(note, size, "a previous ctune run was interrupted; from its journal %s, %zu file(s) and "
			 "%zu live value(s) were put back as they were before it", CTUNE_TXLOG_PATH, nfiles, nlive);
	return 1;
}
