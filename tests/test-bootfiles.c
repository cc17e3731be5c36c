/* test-bootfiles.c - modules-load.d and modprobe.d, read and edited through
 * the bootfiles module.
 *
 * Edits copy a golden file from tests/data/bootfiles/ into a scratch root,
 * go through a session, and compare the rendered text and the file on disk
 * byte for byte with the expected file.  What ctune writes is then read by
 * the programs that read it at boot, where this machine has them:
 * systemd-analyze cat-config lists the modules-load.d files in force (for
 * the masking rules), systemd-modules-load itself parses a modules-load.d
 * file (only on a kernel without module support, where it cannot load
 * anything), libkmod - modprobe's parser, loaded with dlopen() - reads every
 * modprobe file, and augtool with only the one lens loads it without an
 * error.  A missing tool skips its check with a note, never the test.
 *
 * The live hashsize is tested on a file standing in for /sys, and against
 * the kernel only in ways that cannot change it: a write from a new network
 * namespace (refused) and, in the initial one, a request that rounds up to
 * the size the table already has.
 */
#include <check.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bootfiles.h"
#include "testlib.h"

#define DATA CTUNE_TEST_DIR "/data/bootfiles/"
#define LENSES CTUNE_TEST_DIR "/../lenses"
#define ML "/etc/modules-load.d/ctune.conf"
#define MP "/etc/modprobe.d/ctune.conf"

static char rootdir[256];
static ctune_root root;

/* mkdir -p of abs under the root. */
static void mkdirs(const char *abs)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s%s/", rootdir, abs);
	for (char *p = path + strlen(rootdir) + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			ck_assert_msg(mkdir(path, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", path, strerror(errno));
			*p = '/';
		}
}

static void setup(void)
{
	snprintf(rootdir, sizeof(rootdir), "%s", tl_mkroot());
	mkdirs("/etc/modules-load.d");
	mkdirs("/etc/modprobe.d");
	ck_assert_int_eq(ctune_root_init(&root, rootdir, NULL), 0);
}

static void teardown(void)
{
	tl_rmrf(rootdir);
}

/* --- helpers ------------------------------------------------------------ */

static void install(const char *name, const char *abs, mode_t mode)
{
	size_t len;
	char *s = tl_fixture(DATA, name, &len);
	tl_write_mode(rootdir, abs, s, mode);
	free(s);
}

static void assert_untouched(const char *abs, const struct stat *before)
{
	struct stat now = tl_stat(rootdir, abs);
	ck_assert_msg(now.st_ino == before->st_ino && now.st_mtim.tv_sec == before->st_mtim.tv_sec &&
			      now.st_mtim.tv_nsec == before->st_mtim.tv_nsec && now.st_size == before->st_size,
		      "%s was rewritten", abs);
}

/* No temporary file (".name.ctune-XXXXXX") or Augeas file anywhere in the
 * root. */
static int leftover_seen;
static int leftover_walk(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	const char *name = path + ftw->base;
	if (strstr(name, ".ctune-") || strstr(name, ".augnew") || strstr(name, ".augsave")) {
		fprintf(stderr, "leftover: %s\n", path);
		leftover_seen++;
	}
	return 0;
}

static void assert_no_leftovers(void)
{
	leftover_seen = 0;
	ck_assert_int_eq(nftw(rootdir, leftover_walk, 16, FTW_PHYS), 0);
	ck_assert_msg(leftover_seen == 0, "temporary files left in the root");
}

/* The output of a shell command (stderr too), and its exit status. */
static int run(const char *cmd, char *out, size_t size)
{
	FILE *f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	size_t n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	int st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool have(const char *tool)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}

/* augtool with only lens (from the source tree or Augeas's own) for only
 * this file loads it without an error. */
static void assert_augtool_parses(const char *lens, const char *abs)
{
	if (!have("augtool")) {
		fprintf(stderr, "test-bootfiles: no augtool; %s not re-parsed\n", abs);
		return;
	}
	char cmd[2048], out[4096];
	snprintf(cmd, sizeof(cmd),
		 "augtool -r '%s' -I '%s' -A --transform '%s incl %s' print /augeas//error 2>&1; echo rc=$?",
		 rootdir, LENSES, lens, abs);
	run(cmd, out, sizeof(out));
	ck_assert_msg(strcmp(out, "rc=0\n") == 0, "augtool (%s) on %s said:\n%s", lens, abs, out);
}

/* --- modules-load.d helpers --------------------------------------------- */

static ctune_modload *ml_open(const char *abs)
{
	ctune_modload *m = NULL;
	ctune_error err = { 0 };
	int r = ctune_modload_open(&m, &root, abs, &err);
	ck_assert_msg(r == 0, "open %s: %d %s", abs ? abs : "(default)", r, err.msg);
	return m;
}

static void ml_render(ctune_modload *m, int changed, const char *name)
{
	const char *text = NULL;
	size_t len = 0;
	ctune_error err = { 0 };
	int r = ctune_modload_render(m, &text, &len, &err);
	ck_assert_msg(r == changed, "render: %d (%s), want %d", r, err.msg, changed);
	if (name)
		tl_assert_same(DATA, "rendered text", text, len, name);
}

static int ml_ensure(ctune_modload *m, const char *module, ctune_modload_hit *hit)
{
	ctune_error err = { 0 };
	int r = ctune_modload_ensure(m, module, hit, &err);
	ck_assert_msg(r >= 0, "ensure %s: %d %s", module, r, err.msg);
	return r;
}

static int ml_save(ctune_modload *m)
{
	ctune_error err = { 0 };
	int r = ctune_modload_save(m, &err);
	ck_assert_msg(r >= 0, "save: %d %s", r, err.msg);
	return r;
}

/* The modules-load.d files systemd itself says are in force (under the
 * root), one per line, or NULL without systemd-analyze. */
static char *systemd_in_force(char *out, size_t size)
{
	if (!have("systemd-analyze"))
		return NULL;
	char cmd[1024], raw[16384];
	snprintf(cmd, sizeof(cmd), "systemd-analyze --root='%s' cat-config modules-load.d 2>&1", rootdir);
	if (run(cmd, raw, sizeof(raw)) != 0)
		return NULL;
	out[0] = '\0';
	size_t rl = strlen(rootdir);
	for (char *line = strtok(raw, "\n"); line; line = strtok(NULL, "\n"))
		if (strncmp(line, "# ", 2) == 0 && strncmp(line + 2, rootdir, rl) == 0) {
			strncat(out, line + 2 + rl, size - strlen(out) - 2);
			strcat(out, "\n");
		}
	return out;
}

/* systemd-modules-load's own reading of a file: the module names it tries,
 * one per line.  Only where the kernel has no module support (no
 * /proc/modules), so that nothing can be loaded; NULL elsewhere. */
static char *systemd_reads(const char *abs, char *out, size_t size)
{
	const char *tool = "/lib/systemd/systemd-modules-load";
	if (access("/proc/modules", F_OK) == 0 || access(tool, X_OK) != 0)
		return NULL;
	char cmd[1024], raw[8192];
	snprintf(cmd, sizeof(cmd), "SYSTEMD_LOG_LEVEL=debug SYSTEMD_LOG_TARGET=console %s '%s' 2>&1", tool,
		 tl_host(rootdir, abs));
	run(cmd, raw, sizeof(raw));
	out[0] = '\0';
	for (char *line = strtok(raw, "\n"); line; line = strtok(NULL, "\n"))
		if (strncmp(line, "Loading module: ", 16) == 0) {
			strncat(out, line + 16, size - strlen(out) - 2);
			strcat(out, "\n");
		}
	return out;
}

static void assert_systemd_reads(const char *abs, const char *want)
{
	char got[4096];
	if (!systemd_reads(abs, got, sizeof(got))) {
		fprintf(stderr, "test-bootfiles: systemd-modules-load not run on %s (modules can load here)\n", abs);
		return;
	}
	ck_assert_msg(strcmp(got, want) == 0, "systemd-modules-load reads %s as:\n%s\nwant:\n%s", abs, got, want);
}

/* --- modules-load.d: golden edits ---------------------------------------- */

START_TEST(test_modload_add_absent)
{
	ctune_modload *m = ml_open(NULL);
	ck_assert_str_eq(ctune_modload_path(m), ML);
	ck_assert(!ctune_modload_exists(m));
	ml_render(m, 0, NULL);
	ctune_modload_hit hit;
	ck_assert_int_eq(ml_ensure(m, "nf_conntrack", &hit), 1);
	ck_assert_int_eq(ctune_modload_listed(m, "nf_conntrack", NULL), 1);
	ml_render(m, 1, "modload/absent.after");
	ck_assert(!tl_exists(rootdir, ML)); /* nothing on disk before the save */
	ck_assert_int_eq(ml_save(m), 1);
	tl_assert_file(rootdir, DATA, ML, "modload/absent.after");
	ck_assert_int_eq(tl_stat(rootdir, ML).st_mode & 07777, 0644);
	ck_assert(ctune_modload_exists(m));

	/* The same session, and a new one, now find it in force. */
	ck_assert_int_eq(ml_ensure(m, "nf_conntrack", &hit), 0);
	ck_assert_str_eq(hit.file, ML);
	ck_assert_int_eq(ml_save(m), 0);
	ctune_modload_close(m);
	ck_assert_int_eq(ctune_modload_find(&root, "nf-conntrack", &hit, NULL), 1);
	ck_assert_str_eq(hit.file, ML);
	ck_assert_uint_eq(hit.line, 1);
	ck_assert_str_eq(hit.name, "nf_conntrack");
	assert_augtool_parses("Modules_Load.lns", ML);
	assert_systemd_reads(ML, "nf_conntrack\n");
	assert_no_leftovers();
}
END_TEST

static const struct golden {
	const char *name;
	const char *module;
	const char *systemd; /* what systemd-modules-load reads afterwards */
} modload_cases[] = {
	{ "comments", "nf_conntrack", "br_netfilter\noverlay\nnf_conntrack\n" },
	{ "crlf", "nf_conntrack", "br_netfilter\nnf_conntrack\n" },
	{ "nonl", "nf_conntrack", "br_netfilter\nnf_conntrack\n" },
};

START_TEST(test_modload_golden)
{
	const struct golden *c = &modload_cases[_i];
	char before[128], after[128];
	snprintf(before, sizeof(before), "modload/%s.before", c->name);
	snprintf(after, sizeof(after), "modload/%s.after", c->name);
	install(before, ML, 0644);

	ctune_modload *m = ml_open(ML);
	size_t len;
	const char *orig = ctune_modload_original(m, &len);
	tl_assert_same(DATA, "original", orig, len, before);
	ck_assert_int_eq(ctune_modload_listed(m, c->module, NULL), 0);
	ck_assert_int_eq(ml_ensure(m, c->module, NULL), 1);
	ml_render(m, 1, after);
	ck_assert_int_eq(ml_save(m), 1);
	ctune_modload_close(m);
	tl_assert_file(rootdir, DATA, ML, after);
	assert_augtool_parses("Modules_Load.lns", ML);
	assert_systemd_reads(ML, c->systemd);

	/* Again: nothing to do, the file is not touched. */
	tl_age(rootdir, ML);
	struct stat st = tl_stat(rootdir, ML);
	m = ml_open(ML);
	ck_assert_int_eq(ml_ensure(m, c->module, NULL), 0);
	ml_render(m, 0, after);
	ck_assert_int_eq(ml_save(m), 0);
	ctune_modload_close(m);
	assert_untouched(ML, &st);
	assert_no_leftovers();
}
END_TEST

START_TEST(test_modload_already_listed)
{
	install("modload/listed.before", ML, 0640);
	tl_age(rootdir, ML);
	struct stat st = tl_stat(rootdir, ML);
	ctune_modload *m = ml_open(ML);
	ctune_modload_hit hit;
	ck_assert_int_eq(ml_ensure(m, "nf_conntrack", &hit), 0);
	ck_assert_str_eq(hit.file, ML);
	ck_assert_uint_eq(hit.line, 2);
	ck_assert_str_eq(hit.name, "nf-conntrack");
	ml_render(m, 0, "modload/listed.before");
	ck_assert_int_eq(ml_save(m), 0);
	ctune_modload_close(m);
	assert_untouched(ML, &st);
	assert_systemd_reads(ML, "nf-conntrack\n");
}
END_TEST

/* Listed by a vendor file: nothing to add, nothing created. */
START_TEST(test_modload_listed_in_usr_lib)
{
	tl_write(rootdir, "/usr/lib/modules-load.d/conntrack.conf", "# vendor\nnf_conntrack\n");
	ctune_modload *m = ml_open(ML);
	ctune_modload_hit hit;
	ck_assert_int_eq(ml_ensure(m, "nf_conntrack", &hit), 0);
	ck_assert_str_eq(hit.file, "/usr/lib/modules-load.d/conntrack.conf");
	ck_assert_uint_eq(hit.line, 2);
	ml_render(m, 0, NULL);
	ck_assert_int_eq(ml_save(m), 0);
	ctune_modload_close(m);
	ck_assert(!tl_exists(rootdir, ML));

	char in_force[4096];
	if (systemd_in_force(in_force, sizeof(in_force)))
		ck_assert_str_eq(in_force, "/usr/lib/modules-load.d/conntrack.conf\n");
	assert_no_leftovers();
}
END_TEST

/* A same-named file in an earlier directory masks the vendor file: the
 * module is not in force, and ensure adds it to ctune's own file. */
START_TEST(test_modload_masked)
{
	tl_write(rootdir, "/usr/lib/modules-load.d/conntrack.conf", "nf_conntrack\n");
	tl_write(rootdir, "/run/modules-load.d/conntrack.conf", "# masked at run time\n");
	tl_write(rootdir, "/lib/modules-load.d/other.conf", "ip_conntrack\n");
	tl_write(rootdir, "/usr/local/lib/modules-load.d/other.conf", "br_netfilter\n");
	tl_write(rootdir, "/etc/modules-load.d/zz.txt", "nf_conntrack\n"); /* not *.conf */

	ctune_modload_hit hit;
	ck_assert_int_eq(ctune_modload_find(&root, "nf_conntrack", &hit, NULL), 0);
	ck_assert_int_eq(ctune_modload_find(&root, "ip_conntrack", &hit, NULL), 0);
	ck_assert_int_eq(ctune_modload_find(&root, "br_netfilter", &hit, NULL), 1);
	ck_assert_str_eq(hit.file, "/usr/local/lib/modules-load.d/other.conf");

	char in_force[4096];
	if (systemd_in_force(in_force, sizeof(in_force)))
		ck_assert_str_eq(in_force, "/run/modules-load.d/conntrack.conf\n"
					   "/usr/local/lib/modules-load.d/other.conf\n");
	else
		fprintf(stderr, "test-bootfiles: no systemd-analyze; masking not compared with systemd\n");

	ctune_modload *m = ml_open(ML);
	ck_assert_int_eq(ml_ensure(m, "nf_conntrack", NULL), 1);
	ck_assert_int_eq(ml_save(m), 1);
	ctune_modload_close(m);
	tl_assert_file(rootdir, DATA, ML, "modload/absent.after");
	ck_assert_int_eq(ctune_modload_find(&root, "nf_conntrack", &hit, NULL), 1);
	ck_assert_str_eq(hit.file, ML);

	/* A link to /dev/null masks too (the link dangles inside a root). */
	tl_rmrf(tl_host(rootdir, "/run/modules-load.d"));
	ck_assert_int_eq(symlink("/dev/null", tl_host(rootdir, "/etc/modules-load.d/conntrack.conf")), 0);
	ck_assert_int_eq(ctune_modload_find(&root, "nf_conntrack", &hit, NULL), 1);
	ck_assert_str_eq(hit.file, ML);
}
END_TEST

/* A file systemd would not read, or whose edit would drop other modules,
 * is refused before anything changes. */
START_TEST(test_modload_refused)
{
	ctune_error err = { 0 };
	ctune_modload *m = NULL;
	ck_assert_int_eq(ctune_modload_open(&m, &root, "/etc/modules-load.d/ctune", &err), -EINVAL);
	ck_assert_int_eq(ctune_modload_open(&m, &root, "/etc/modules.conf", NULL), -EINVAL);
	ck_assert_int_eq(ctune_modload_open(&m, &root, "/etc/modules-load.d/.hidden.conf", NULL), -EINVAL);
	ck_assert_int_eq(ctune_modload_open(&m, &root, "/etc/modules-load.d/sub/x.conf", NULL), -EINVAL);
	ck_assert_ptr_null(m);

	/* Masked: the session's own file would never be read. */
	tl_write(rootdir, "/etc/modules-load.d/vendor.conf", "# local override\n");
	tl_write(rootdir, "/usr/lib/modules-load.d/vendor.conf", "br_netfilter\n");
	m = ml_open("/usr/lib/modules-load.d/vendor.conf");
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(ctune_modload_ensure(m, "nf_conntrack", NULL, &err), -EBUSY);
	ck_assert_ptr_nonnull(strstr(err.msg, "masked by /etc/modules-load.d/vendor.conf"));
	ml_render(m, 0, NULL);
	ctune_modload_close(m);

	/* Creating /etc/modules-load.d/x.conf would hide a vendor x.conf that
	 * loads br_netfilter. */
	tl_write(rootdir, "/usr/lib/modules-load.d/x.conf", "br_netfilter\n");
	m = ml_open("/etc/modules-load.d/x.conf");
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(ctune_modload_ensure(m, "nf_conntrack", NULL, &err), -ENOTUNIQ);
	ck_assert_ptr_nonnull(strstr(err.msg, "/usr/lib/modules-load.d/x.conf"));
	ctune_modload_close(m);
	ck_assert(!tl_exists(rootdir, "/etc/modules-load.d/x.conf"));

	/* A vendor file with comments only may be masked. */
	tl_write(rootdir, "/usr/lib/modules-load.d/y.conf", "# nothing\n");
	m = ml_open("/etc/modules-load.d/y.conf");
	ck_assert_int_eq(ml_ensure(m, "nf_conntrack", NULL), 1);
	ctune_modload_close(m);

	/* Not a module name. */
	m = ml_open(ML);
	ck_assert_int_eq(ctune_modload_ensure(m, "nf conntrack", NULL, NULL), -EINVAL);
	ck_assert_int_eq(ctune_modload_ensure(m, "#nf_conntrack", NULL, NULL), -EINVAL);
	ck_assert_int_eq(ctune_modload_ensure(m, "", NULL, NULL), -EINVAL);
	ck_assert_int_eq(ctune_modload_find(&root, "a/b", NULL, NULL), -EINVAL);
	ml_render(m, 0, NULL);
	ctune_modload_close(m);
	assert_no_leftovers();
}
END_TEST

START_TEST(test_modload_remove)
{
	install("modload/remove.before", ML, 0644);
	tl_write(rootdir, "/usr/lib/modules-load.d/vendor.conf", "nf_conntrack\n");
	ctune_modload *m = ml_open(ML);
	ctune_error err = { 0 };
	ck_assert_int_eq(ctune_modload_remove(m, "nf_conntrack", &err), 2);
	ml_render(m, 1, "modload/remove.after");
	/* Still loaded by the vendor file: the caller can say so. */
	ctune_modload_hit hit;
	ck_assert_int_eq(ctune_modload_in_force(m, "nf_conntrack", &hit, NULL), 1);
	ck_assert_str_eq(hit.file, "/usr/lib/modules-load.d/vendor.conf");
	ck_assert_int_eq(ml_save(m), 1);
	ctune_modload_close(m);
	tl_assert_file(rootdir, DATA, ML, "modload/remove.after");
	assert_systemd_reads(ML, "br_netfilter\noverlay\n");

	/* Removing what is not there changes nothing. */
	tl_age(rootdir, ML);
	struct stat st = tl_stat(rootdir, ML);
	m = ml_open(ML);
	ck_assert_int_eq(ctune_modload_remove(m, "nf_conntrack", NULL), 0);
	ck_assert_int_eq(ml_save(m), 0);
	ctune_modload_close(m);
	assert_untouched(ML, &st);
	assert_no_leftovers();
}
END_TEST

/* ctune's own file, left without a line, goes away. */
START_TEST(test_modload_remove_last_line)
{
	ctune_modload *m = ml_open(ML);
	ck_assert_int_eq(ml_ensure(m, "nf_conntrack", NULL), 1);
	ck_assert_int_eq(ml_save(m), 1);
	ck_assert(tl_exists(rootdir, ML));
	ck_assert_int_eq(ctune_modload_remove(m, "nf_conntrack", NULL), 1);
	const char *text;
	size_t len;
	ck_assert_int_eq(ctune_modload_render(m, &text, &len, NULL), 1);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(ctune_modload_prepare(m, NULL), 1);
	ck_assert(tl_exists(rootdir, ML)); /* prepared, not committed */
	ck_assert_int_eq(ctune_modload_commit(m, NULL), 1);
	ck_assert(!tl_exists(rootdir, ML));
	ck_assert(!ctune_modload_exists(m));
	ck_assert_int_eq(ctune_modload_find(&root, "nf_conntrack", NULL, NULL), 0);
	ctune_modload_close(m);
	assert_no_leftovers();
}
END_TEST

START_TEST(test_modload_legacy_module)
{
	ctune_modload *m = ml_open(ML);
	ck_assert_int_eq(ml_ensure(m, "ip_conntrack", NULL), 1);
	ck_assert_int_eq(ml_save(m), 1);
	ctune_modload_close(m);
	tl_assert_file(rootdir, DATA, ML, "modload/legacy.after");
	ck_assert_int_eq(ctune_modload_find(&root, "ip_conntrack", NULL, NULL), 1);
	ck_assert_int_eq(ctune_modload_find(&root, "nf_conntrack", NULL, NULL), 0);
}
END_TEST

/* The session counts its own unsaved edits, and what its file will mask. */
START_TEST(test_modload_in_force_sees_edits)
{
	tl_write(rootdir, "/usr/lib/modules-load.d/ctune.conf", "# vendor file of the same name\n");
	ctune_modload *m = ml_open(ML);
	ck_assert_int_eq(ctune_modload_in_force(m, "nf_conntrack", NULL, NULL), 0);
	ck_assert_int_eq(ml_ensure(m, "nf_conntrack", NULL), 1);
	ctune_modload_hit hit;
	ck_assert_int_eq(ctune_modload_in_force(m, "nf_conntrack", &hit, NULL), 1);
	ck_assert_str_eq(hit.file, ML);
	/* Nothing on disk yet. */
	ck_assert_int_eq(ctune_modload_find(&root, "nf_conntrack", NULL, NULL), 0);
	ctune_modload_close(m);
	ck_assert(!tl_exists(rootdir, ML));
}
END_TEST

/* --- modprobe.d helpers --------------------------------------------------- */

static ctune_modprobe *mp_open(const char *abs)
{
	ctune_modprobe *m = NULL;
	ctune_error err = { 0 };
	int r = ctune_modprobe_open(&m, &root, abs, &err);
	ck_assert_msg(r == 0, "open %s: %d %s", abs ? abs : "(default)", r, err.msg);
	return m;
}

static void mp_render(ctune_modprobe *m, int changed, const char *name)
{
	const char *text = NULL;
	size_t len = 0;
	ctune_error err = { 0 };
	int r = ctune_modprobe_render(m, &text, &len, &err);
	ck_assert_msg(r == changed, "render: %d (%s), want %d", r, err.msg, changed);
	if (name)
		tl_assert_same(DATA, "rendered text", text, len, name);
}

static int mp_save(ctune_modprobe *m)
{
	ctune_error err = { 0 };
	int r = ctune_modprobe_save(m, &err);
	ck_assert_msg(r >= 0, "save: %d %s", r, err.msg);
	return r;
}

static void mp_get(ctune_modprobe *m, const char *module, const char *param, int count, const char *value)
{
	char buf[64];
	ctune_error err = { 0 };
	int r = ctune_modprobe_get(m, module, param, buf, sizeof(buf), &err);
	ck_assert_msg(r == count, "get %s %s: %d (%s), want %d", module, param, r, err.msg, count);
	ck_assert_str_eq(buf, value);
}

/* libkmod, modprobe's own parser, loaded at run time (libkmod2 is there
 * wherever kmod is; no headers needed). */
typedef struct kmod {
	void *lib;
	void *(*new)(const char *, const char *const *);
	void *(*options)(const void *);
	bool (*next)(void *);
	const char *(*key)(const void *);
	const char *(*value)(const void *);
	void (*free_iter)(void *);
	void *(*unref)(void *);
} kmod;

static bool kmod_load(kmod *k)
{
	k->lib = dlopen("libkmod.so.2", RTLD_NOW);
	if (!k->lib)
		return false;
	*(void **)&k->new = dlsym(k->lib, "kmod_new");
	*(void **)&k->options = dlsym(k->lib, "kmod_config_get_options");
	*(void **)&k->next = dlsym(k->lib, "kmod_config_iter_next");
	*(void **)&k->key = dlsym(k->lib, "kmod_config_iter_get_key");
	*(void **)&k->value = dlsym(k->lib, "kmod_config_iter_get_value");
	*(void **)&k->free_iter = dlsym(k->lib, "kmod_config_iter_free_iter");
	*(void **)&k->unref = dlsym(k->lib, "kmod_unref");
	return k->new && k->options && k->next && k->key && k->value && k->free_iter && k->unref;
}

/* The options libkmod would pass to module, read from paths (files or
 * directories, absolute on this host): every options line of the module,
 * joined in kmod's order, each after a space.  False without libkmod. */
static bool kmod_joined(const char *const *paths, const char *module, char *joined, size_t size)
{
	kmod k;
	if (!kmod_load(&k))
		return false;
	void *ctx = k.new("/nonexistent", paths);
	ck_assert_ptr_nonnull(ctx);
	void *it = k.options(ctx);
	joined[0] = '\0';
	while (k.next(it))
		if (strcmp(k.key(it), module) == 0)
			snprintf(joined + strlen(joined), size - strlen(joined), " %s", k.value(it));
	k.free_iter(it);
	k.unref(ctx);
	dlclose(k.lib);
	return true;
}

/* What libkmod makes of one file: the value of the last `param=` in the
 * options it would pass to module (the kernel applies them left to right),
 * "" when none; false without libkmod. */
static bool kmod_value(const char *abs, const char *module, const char *param, char *value, size_t size)
{
	const char *paths[] = { tl_host(rootdir, abs), NULL };
	char joined[4096];
	if (!kmod_joined(paths, module, joined, sizeof(joined)))
		return false;
	value[0] = '\0';
	char want[80];
	snprintf(want, sizeof(want), " %s=", param);
	for (const char *p = joined; (p = strstr(p, want)); p++)
		snprintf(value, size, "%.*s", (int)strcspn(p + strlen(want), " \r"), p + strlen(want));
	return true;
}

static void assert_kmod_reads(const char *abs, const char *module, const char *param, const char *want)
{
	char got[64];
	if (!kmod_value(abs, module, param, got, sizeof(got))) {
		fprintf(stderr, "test-bootfiles: no libkmod; %s not read by kmod\n", abs);
		return;
	}
	ck_assert_msg(strcmp(got, want) == 0, "kmod reads %s %s=%s from %s, want %s", module, param, got, abs, want);
}

/* --- modprobe.d: golden edits --------------------------------------------- */

static const struct mp_golden {
	const char *name;
	const char *file;
	const char *module, *param, *value;
	int set;  /* what set returns */
	const char *kmod_module; /* as kmod spells it */
} modprobe_cases[] = {
	{ "other-options", MP, "nf_conntrack", "hashsize", "65536", 0, "nf_conntrack" },
	{ "append", MP, "nf_conntrack", "hashsize", "65536", 0, "nf_conntrack" },
	{ "duplicates", MP, "nf_conntrack", "hashsize", "65536", 2, "nf_conntrack" },
	{ "legacy-modprobe.conf", "/etc/modprobe.conf", "ip_conntrack", "hashsize", "131072", 0, "ip_conntrack" },
	{ "crlf", MP, "nf_conntrack", "hashsize", "65536", 0, "nf_conntrack" },
	{ "continued", MP, "nf_conntrack", "hashsize", "65536", 0, "nf_conntrack" },
};

START_TEST(test_modprobe_golden)
{
	const struct mp_golden *c = &modprobe_cases[_i];
	char before[128], after[128];
	snprintf(before, sizeof(before), "modprobe/%s.before", c->name);
	snprintf(after, sizeof(after), "modprobe/%s.after", c->name);
	install(before, c->file, 0644);

	ctune_modprobe *m = mp_open(c->file);
	ctune_error err = { 0 };
	int r = ctune_modprobe_set(m, c->module, c->param, c->value, &err);
	ck_assert_msg(r == c->set, "set: %d (%s), want %d", r, err.msg, c->set);
	mp_get(m, c->module, c->param, 1, c->value);
	mp_render(m, 1, after);
	ck_assert_int_eq(mp_save(m), 1);
	ctune_modprobe_close(m);
	tl_assert_file(rootdir, DATA, c->file, after);
	assert_augtool_parses("Modprobe.lns", c->file);
	assert_kmod_reads(c->file, c->kmod_module, c->param, c->value);

	/* Again: nothing to do, the file is not touched. */
	tl_age(rootdir, c->file);
	struct stat st = tl_stat(rootdir, c->file);
	m = mp_open(c->file);
	ck_assert_int_eq(ctune_modprobe_set(m, c->module, c->param, c->value, NULL), 0);
	mp_render(m, 0, after);
	ck_assert_int_eq(mp_save(m), 0);
	ctune_modprobe_close(m);
	assert_untouched(c->file, &st);
	assert_no_leftovers();
}
END_TEST

START_TEST(test_modprobe_absent)
{
	ctune_modprobe *m = mp_open(NULL);
	ck_assert_str_eq(ctune_modprobe_path(m), MP);
	mp_get(m, "nf_conntrack", "hashsize", 0, "");
	ck_assert_int_eq(ctune_modprobe_set(m, "nf_conntrack", "hashsize", "65536", NULL), 0);
	mp_render(m, 1, "modprobe/absent.after");
	ck_assert_int_eq(mp_save(m), 1);
	ctune_modprobe_close(m);
	tl_assert_file(rootdir, DATA, MP, "modprobe/absent.after");
	ck_assert_int_eq(tl_stat(rootdir, MP).st_mode & 07777, 0644);
	assert_kmod_reads(MP, "nf_conntrack", "hashsize", "65536");

	ctune_modprobe_assign a;
	ck_assert_int_eq(ctune_modprobe_find(&root, "nf_conntrack", "hashsize", &a, NULL), 1);
	ck_assert_str_eq(a.file, MP);
	ck_assert_str_eq(a.value, "65536");
	ck_assert_uint_eq(a.line, 1);
	ck_assert(!a.legacy_tools);
	assert_no_leftovers();
}
END_TEST

START_TEST(test_modprobe_get)
{
	install("modprobe/duplicates.before", MP, 0644);
	ctune_modprobe *m = mp_open(MP);
	mp_get(m, "nf_conntrack", "hashsize", 3, "4096");
	mp_get(m, "nf-conntrack", "hashsize", 3, "4096");
	mp_get(m, "nf_conntrack", "acct", 1, "1");
	mp_get(m, "nf_conntrack", "expect_hashsize", 0, "");
	char small[2];
	ck_assert_int_eq(ctune_modprobe_get(m, "nf_conntrack", "hashsize", small, sizeof(small), NULL), -ENOBUFS);
	ctune_modprobe_close(m);

	/* Quotes are not part of the value. */
	tl_write(rootdir, MP, "options nf_conntrack hashsize=\"2048\"\n");
	m = mp_open(MP);
	mp_get(m, "nf_conntrack", "hashsize", 1, "2048");
	ctune_modprobe_close(m);
}
END_TEST

START_TEST(test_modprobe_unset)
{
	install("modprobe/unset.before", MP, 0644);
	ctune_modprobe *m = mp_open(MP);
	ck_assert_int_eq(ctune_modprobe_unset(m, "nf_conntrack", "hashsize", NULL), 2);
	mp_render(m, 1, "modprobe/unset.after");
	ck_assert_int_eq(mp_save(m), 1);
	ck_assert_int_eq(ctune_modprobe_unset(m, "nf_conntrack", "hashsize", NULL), 0);
	ck_assert_int_eq(mp_save(m), 0);
	ctune_modprobe_close(m);
	tl_assert_file(rootdir, DATA, MP, "modprobe/unset.after");
	assert_kmod_reads(MP, "nf_conntrack", "hashsize", "");

	/* ctune's own file, left empty, goes away. */
	tl_write(rootdir, "/etc/modprobe.d/only.conf", "options nf_conntrack hashsize=1024\n");
	m = mp_open("/etc/modprobe.d/only.conf");
	ck_assert_int_eq(ctune_modprobe_unset(m, "nf_conntrack", "hashsize", NULL), 1);
	ck_assert_int_eq(mp_save(m), 1);
	ctune_modprobe_close(m);
	ck_assert(!tl_exists(rootdir, "/etc/modprobe.d/only.conf"));
	assert_no_leftovers();
}
END_TEST

START_TEST(test_modprobe_bad)
{
	ctune_error err = { 0 };
	ctune_modprobe *m = NULL;
	tl_write(rootdir, MP, "options nf_conntrack hashsize=1024\nthis is no modprobe line\n");
	ck_assert_int_eq(ctune_modprobe_open(&m, &root, MP, &err), -EBADMSG);
	ck_assert_ptr_null(m);
	ck_assert_ptr_nonnull(strstr(err.msg, "line 2"));
	ck_assert_ptr_nonnull(strstr(err.msg, "this is no modprobe line"));

	unlink(tl_host(rootdir, MP));
	m = mp_open(MP);
	ck_assert_int_eq(ctune_modprobe_set(m, "nf_conntrack", "hashsize", "-1", NULL), -EINVAL);
	ck_assert_int_eq(ctune_modprobe_set(m, "nf_conntrack", "hashsize", "0x100", NULL), -EINVAL);
	ck_assert_int_eq(ctune_modprobe_set(m, "nf_conntrack", "hashsize", "", NULL), -EINVAL);
	ck_assert_int_eq(ctune_modprobe_set(m, "nf conntrack", "hashsize", "1", NULL), -EINVAL);
	ck_assert_int_eq(ctune_modprobe_set(m, "nf_conntrack", "hash=size", "1", NULL), -EINVAL);
	mp_render(m, 0, NULL);
	ctune_modprobe_close(m);
	ck_assert(!tl_exists(rootdir, MP));
}
END_TEST

/* --- modprobe.d: which value is in force ---------------------------------- */

START_TEST(test_modprobe_find_kmod)
{
	tl_write(rootdir, "/lib/modprobe.d/a.conf", "options nf_conntrack hashsize=1\n");
	tl_write(rootdir, "/usr/lib/modprobe.d/b.conf", "options nf_conntrack hashsize=2\n");
	tl_write(rootdir, "/etc/modprobe.d/b.conf", "# masks the vendor b.conf\noptions nf_conntrack hashsize=3\n");
	tl_write(rootdir, "/etc/modprobe.d/c.txt", "options nf_conntrack hashsize=9\n");
	tl_write(rootdir, "/etc/modprobe.conf", "options nf_conntrack hashsize=10\n"); /* kmod ignores it */
	ctune_modprobe_assign a;
	ctune_error err = { 0 };
	ck_assert_int_eq(ctune_modprobe_find(&root, "nf_conntrack", "hashsize", &a, &err), 1);
	ck_assert_str_eq(a.file, "/etc/modprobe.d/b.conf");
	ck_assert_str_eq(a.value, "3");
	ck_assert_uint_eq(a.line, 2);
	ck_assert_uint_eq(a.count, 2);

	/* A later name wins; continuation lines, quotes, '-' for '_' and a
	 * comment-looking line. */
	tl_write(rootdir, "/run/modprobe.d/c.conf",
		 "# options nf_conntrack hashsize=7\n"
		 "options nf-conntrack acct=1 \\\n  \"hashsize=4\" tstamp=1 expect-hashsize=5\n");
	ck_assert_int_eq(ctune_modprobe_find(&root, "nf_conntrack", "hashsize", &a, NULL), 1);
	ck_assert_str_eq(a.file, "/run/modprobe.d/c.conf");
	ck_assert_str_eq(a.value, "4");
	ck_assert_uint_eq(a.line, 2);
	ck_assert_uint_eq(a.count, 3);
	ck_assert_int_eq(ctune_modprobe_find(&root, "nf_conntrack", "expect_hashsize", &a, NULL), 1);
	ck_assert_str_eq(a.value, "5");
	ck_assert_int_eq(ctune_modprobe_find(&root, "nf_conntrack", "acct", &a, NULL), 1);
	ck_assert_int_eq(ctune_modprobe_find(&root, "nf_conntrack", "tstamp", &a, NULL), 1);
	ck_assert_str_eq(a.value, "1");
	ck_assert_int_eq(ctune_modprobe_find(&root, "nf_conntrack", "nf_conntrack_helper", &a, NULL), 0);
	ck_assert_int_eq(ctune_modprobe_find(&root, "ip_conntrack", "hashsize", &a, NULL), 0);

	/* The kernel command line comes last, up to "--". */
	tl_write(rootdir, "/proc/cmdline", "quiet nf_conntrack.hashsize=\"99\" -- nf_conntrack.hashsize=5\n");
	ck_assert_int_eq(ctune_modprobe_find(&root, "nf_conntrack", "hashsize", &a, NULL), 1);
	ck_assert_str_eq(a.file, "/proc/cmdline");
	ck_assert_str_eq(a.value, "99");
	ck_assert_uint_eq(a.line, 0);

	/* kmod (a link to it as /sbin/modprobe) agrees on the files. */
	unlink(tl_host(rootdir, "/proc/cmdline"));
	tl_write(rootdir, "/bin/kmod", "");
	tl_write(rootdir, "/sbin/.keep", "");
	ck_assert_int_eq(symlink("/bin/kmod", tl_host(rootdir, "/sbin/modprobe")), 0);
	ck_assert_int_eq(ctune_modprobe_find(&root, "nf_conntrack", "hashsize", &a, NULL), 1);
	ck_assert(!a.legacy_tools);
	ck_assert_str_eq(a.value, "4");
	char dirs[5][1024], joined[1024];
	const char *names[] = { "/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d",
				"/usr/lib/modprobe.d", "/lib/modprobe.d" };
	const char *paths[6] = { NULL };
	for (int i = 0; i < 5; i++) {
		snprintf(dirs[i], sizeof(dirs[i]), "%s%s", rootdir, names[i]);
		paths[i] = dirs[i];
	}
	if (!kmod_joined(paths, "nf_conntrack", joined, sizeof(joined))) {
		fprintf(stderr, "test-bootfiles: no libkmod; directory rules not compared with kmod\n");
		return;
	}
	/* kmod hands the kernel every line in this order; the kernel takes
	 * the last. */
	ck_assert_msg(strstr(joined, "hashsize=3") && strstr(joined, "\"hashsize=4\"") && !strstr(joined, "hashsize=2") &&
			      !strstr(joined, "hashsize=9") && !strstr(joined, "hashsize=10") &&
			      strstr(joined, "hashsize=3") < strstr(joined, "\"hashsize=4\""),
		      "kmod joins: %s", joined);
}
END_TEST

/* CentOS 5: module-init-tools reads /etc/modprobe.conf, then every file of
 * /etc/modprobe.d; the module is ip_conntrack. */
START_TEST(test_modprobe_find_legacy)
{
	tl_write_mode(rootdir, "/sbin/modprobe", "\177ELF", 0755);
	install("modprobe/legacy-modprobe.conf.after", "/etc/modprobe.conf", 0644);
	ctune_modprobe_assign a;
	ck_assert_int_eq(ctune_modprobe_find(&root, "ip_conntrack", "hashsize", &a, NULL), 1);
	ck_assert(a.legacy_tools);
	ck_assert_str_eq(a.file, "/etc/modprobe.conf");
	ck_assert_str_eq(a.value, "131072");
	ck_assert_uint_eq(a.line, 8);

	tl_write(rootdir, "/etc/modprobe.d/conntrack", "options ip_conntrack hashsize=16384\n");
	tl_write(rootdir, "/etc/modprobe.d/old~", "options ip_conntrack hashsize=1\n");
	tl_write(rootdir, "/lib/modprobe.d/x.conf", "options ip_conntrack hashsize=2\n"); /* not read there */
	ck_assert_int_eq(ctune_modprobe_find(&root, "ip_conntrack", "hashsize", &a, NULL), 1);
	ck_assert_str_eq(a.file, "/etc/modprobe.d/conntrack");
	ck_assert_str_eq(a.value, "16384");
	ck_assert_uint_eq(a.count, 2);
}
END_TEST

/* --- files: links, attributes, failures ------------------------------------ */

START_TEST(test_symlink_inside_root)
{
	/* Absolute link targets are taken inside the root. */
	tl_write_mode(rootdir, "/srv/shared/conntrack.conf", "options nf_conntrack acct=1\n", 0640);
	ck_assert_int_eq(symlink("/srv/shared/conntrack.conf", tl_host(rootdir, MP)), 0);
	ctune_modprobe *m = mp_open(MP);
	ck_assert_str_eq(ctune_modprobe_target(m), "/srv/shared/conntrack.conf");
	ck_assert(ctune_modprobe_exists(m));
	ck_assert_int_eq(ctune_modprobe_set(m, "nf_conntrack", "hashsize", "65536", NULL), 0);
	ck_assert_int_eq(mp_save(m), 1);
	ctune_modprobe_close(m);
	ck_assert(S_ISLNK(tl_stat(rootdir, MP).st_mode));
	size_t len;
	char *s = tl_slurp(tl_host(rootdir, "/srv/shared/conntrack.conf"), &len);
	ck_assert_str_eq(s, "options nf_conntrack acct=1 hashsize=65536\n");
	free(s);
	ck_assert_int_eq(tl_stat(rootdir, "/srv/shared/conntrack.conf").st_mode & 07777, 0640);

	/* Emptied through a link: the target stays, empty, the link keeps it. */
	m = mp_open(MP);
	ck_assert_int_eq(ctune_modprobe_unset(m, "nf_conntrack", "hashsize", NULL), 1);
	ck_assert_int_eq(ctune_modprobe_unset(m, "nf_conntrack", "acct", NULL), 1);
	ck_assert_int_eq(mp_save(m), 1);
	ctune_modprobe_close(m);
	ck_assert(S_ISLNK(tl_stat(rootdir, MP).st_mode));
	ck_assert_int_eq(tl_stat(rootdir, "/srv/shared/conntrack.conf").st_size, 0);

	/* A relative link in modules-load.d. */
	tl_write(rootdir, "/etc/modules", "br_netfilter\n");
	ck_assert_int_eq(symlink("../modules", tl_host(rootdir, "/etc/modules-load.d/modules.conf")), 0);
	ctune_modload *ml = ml_open("/etc/modules-load.d/modules.conf");
	ck_assert_str_eq(ctune_modload_target(ml), "/etc/modules");
	ck_assert_int_eq(ml_ensure(ml, "nf_conntrack", NULL), 1);
	ck_assert_int_eq(ml_save(ml), 1);
	ctune_modload_close(ml);
	s = tl_slurp(tl_host(rootdir, "/etc/modules"), &len);
	ck_assert_str_eq(s, "br_netfilter\nnf_conntrack\n");
	free(s);
	ctune_modload_hit hit;
	ck_assert_int_eq(ctune_modload_find(&root, "nf_conntrack", &hit, NULL), 1);
	ck_assert_str_eq(hit.file, "/etc/modules-load.d/modules.conf");
	assert_no_leftovers();
}
END_TEST

START_TEST(test_symlink_out_of_root)
{
	ck_assert_int_eq(symlink("../../../../../../../../etc/passwd", tl_host(rootdir, ML)), 0);
	ck_assert_int_eq(symlink("../../../../../../../../tmp/x.conf", tl_host(rootdir, MP)), 0);
	/* ".." stops at the root, as in a chroot: the links name the image's
	 * own /etc/passwd and /tmp/x.conf, never the host's. */
	ctune_error err = { 0 };
	ctune_modload *ml = NULL;
	ctune_modprobe *mp = NULL;
	ck_assert_int_eq(ctune_modload_open(&ml, &root, ML, &err), 0);
	ck_assert_str_eq(ctune_modload_target(ml), "/etc/passwd");
	ck_assert_int_eq(ctune_modprobe_open(&mp, &root, MP, NULL), 0);
	ck_assert_str_eq(ctune_modprobe_target(mp), "/tmp/x.conf");
	ctune_modload_close(ml);
	ctune_modprobe_close(mp);
	/* A find does not read the host's /etc/passwd (which has "root"). */
	ck_assert_int_eq(ctune_modload_find(&root, "root", NULL, NULL), 0);
}
END_TEST

START_TEST(test_mode_and_owner_kept)
{
	install("modprobe/append.before", MP, 0600);
	ck_assert_int_eq(chown(tl_host(rootdir, MP), 1234, 5678), 0);
	install("modload/comments.before", ML, 0640);
	ck_assert_int_eq(chown(tl_host(rootdir, ML), 4321, 8765), 0);

	ctune_modprobe *m = mp_open(MP);
	ck_assert_int_eq(ctune_modprobe_set(m, "nf_conntrack", "hashsize", "65536", NULL), 0);
	ck_assert_int_eq(mp_save(m), 1);
	ctune_modprobe_close(m);
	struct stat st = tl_stat(rootdir, MP);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	ck_assert_uint_eq(st.st_uid, 1234);
	ck_assert_uint_eq(st.st_gid, 5678);

	ctune_modload *ml = ml_open(ML);
	ck_assert_int_eq(ml_ensure(ml, "nf_conntrack", NULL), 1);
	ck_assert_int_eq(ml_save(ml), 1);
	ctune_modload_close(ml);
	st = tl_stat(rootdir, ML);
	ck_assert_int_eq(st.st_mode & 07777, 0640);
	ck_assert_uint_eq(st.st_uid, 4321);
	ck_assert_uint_eq(st.st_gid, 8765);
}
END_TEST

/* Every way a save can fail leaves the file as it was and nothing beside
 * it. */
START_TEST(test_failures_leave_nothing)
{
	install("modload/comments.before", ML, 0644);
	install("modprobe/append.before", MP, 0644);

	/* The disk refuses the write (a file size limit). */
	ctune_modload *ml = ml_open(ML);
	ck_assert_int_eq(ml_ensure(ml, "nf_conntrack", NULL), 1);
	struct rlimit old, small = { 100, 100 };
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	small.rlim_max = old.rlim_max;
	void (*oldsig)(int) = signal(SIGXFSZ, SIG_IGN);
	ctune_error err = { 0 };
	int r = setrlimit(RLIMIT_FSIZE, &small);
	if (r == 0)
		r = ctune_modload_save(ml, &err);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, oldsig);
	ck_assert_msg(r == -EFBIG, "save under a size limit: %d %s", r, err.msg);
	tl_assert_file(rootdir, DATA, ML, "modload/comments.before");
	assert_no_leftovers();

	/* The file changed on disk between prepare and commit. */
	ck_assert_int_eq(ctune_modload_prepare(ml, NULL), 1);
	tl_write(rootdir, ML, "# someone else\n");
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(ctune_modload_commit(ml, &err), -ESTALE);
	ck_assert_ptr_nonnull(strstr(err.msg, "changed on disk"));
	ctune_modload_close(ml);
	size_t len;
	char *s = tl_slurp(tl_host(rootdir, ML), &len);
	ck_assert_str_eq(s, "# someone else\n");
	free(s);
	assert_no_leftovers();

	/* Changed before prepare. */
	ctune_modprobe *mp = mp_open(MP);
	ck_assert_int_eq(ctune_modprobe_set(mp, "nf_conntrack", "hashsize", "65536", NULL), 0);
	tl_write(rootdir, MP, "# replaced\n");
	ck_assert_int_eq(ctune_modprobe_save(mp, NULL), -ESTALE);
	assert_no_leftovers();

	/* Prepared, then closed without commit. */
	ctune_modprobe_close(mp);
	mp = mp_open(MP);
	ck_assert_int_eq(ctune_modprobe_set(mp, "nf_conntrack", "hashsize", "65536", NULL), 0);
	ck_assert_int_eq(ctune_modprobe_prepare(mp, NULL), 1);
	ctune_modprobe_close(mp);
	s = tl_slurp(tl_host(rootdir, MP), &len);
	ck_assert_str_eq(s, "# replaced\n");
	free(s);
	assert_no_leftovers();

	/* The directory does not exist: opened as an empty file; nothing is
	 * created until a save (here: a session closed unsaved). */
	mp = NULL;
	ck_assert_int_eq(ctune_modprobe_open(&mp, &root, "/etc/modprobe.d/missing/x.conf", NULL), 0);
	ck_assert(!ctune_modprobe_exists(mp));
	ck_assert_int_ge(ctune_modprobe_set(mp, "nf_conntrack", "hashsize", "1024", NULL), 0);
	ctune_modprobe_close(mp);
	assert_no_leftovers();
}
END_TEST

/* Two files prepared, then both committed: nothing moves before the
 * commits. */
START_TEST(test_two_phase)
{
	ctune_modload *ml = ml_open(ML);
	ctune_modprobe *mp = mp_open(MP);
	ck_assert_int_eq(ml_ensure(ml, "nf_conntrack", NULL), 1);
	ck_assert_int_eq(ctune_modprobe_set(mp, "nf_conntrack", "hashsize", "65536", NULL), 0);
	ck_assert_int_eq(ctune_modload_prepare(ml, NULL), 1);
	ck_assert_int_eq(ctune_modprobe_prepare(mp, NULL), 1);
	ck_assert(!tl_exists(rootdir, ML) && !tl_exists(rootdir, MP));
	ck_assert_int_eq(ctune_modload_commit(ml, NULL), 1);
	ck_assert_int_eq(ctune_modprobe_commit(mp, NULL), 1);
	ck_assert_int_eq(ctune_modload_commit(ml, NULL), 0);
	ctune_modload_close(ml);
	ctune_modprobe_close(mp);
	tl_assert_file(rootdir, DATA, ML, "modload/absent.after");
	tl_assert_file(rootdir, DATA, MP, "modprobe/absent.after");
	assert_no_leftovers();
}
END_TEST

/* Without CTUNE_LENS_DIR an uninstalled build finds the source tree's
 * lenses after the install directory; without its lens, a modules-load.d
 * session says where it looked. */
START_TEST(test_lens_missing)
{
	unsetenv("CTUNE_LENS_DIR");
	const char *path = ctune_modload_lens_path();
	const char *colon = strchr(path, ':');
	ck_assert_msg(colon && strstr(colon, "/lenses"), "lens path without CTUNE_LENS_DIR: %s", path);
	ctune_modload_close(ml_open(ML));

	setenv("CTUNE_LENS_DIR", "/nonexistent/lenses", 1);
	ck_assert_str_eq(ctune_modload_lens_path(), "/nonexistent/lenses");
	ctune_error err = { 0 };
	ctune_modload *m = NULL;
	int r = ctune_modload_open(&m, &root, ML, &err);
	ck_assert_msg(r == -ENOENT, "open without the lens: %d %s", r, err.msg);
	ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/lenses"));
	ck_assert_ptr_nonnull(strstr(err.msg, "CTUNE_LENS_DIR"));
	/* The stock Modprobe lens is still found. */
	ctune_modprobe_close(mp_open(MP));
}
END_TEST

/* --- the live parameter ----------------------------------------------------- */

#define HS "/sys/module/nf_conntrack/parameters/hashsize"

START_TEST(test_live_file)
{
	char buf[64];
	unsigned long got = 0;
	ctune_error err = { 0 };
	ck_assert_int_eq(ctune_modprobe_live_get(&root, "nf_conntrack", "hashsize", buf, sizeof(buf), &err),
			 -ENOENT);
	ck_assert_int_eq(ctune_modprobe_live_set_hashsize(&root, "nf_conntrack", 65536, &got, NULL), -ENOENT);

	tl_write_mode(rootdir, HS, "16384\n", 0600);
	ck_assert_int_eq(ctune_modprobe_live_get(&root, "nf-conntrack", "hashsize", buf, sizeof(buf), NULL), 5);
	ck_assert_str_eq(buf, "16384");
	ck_assert_int_eq(ctune_modprobe_live_set_hashsize(&root, "nf_conntrack", 65536, &got, NULL), 1);
	ck_assert_uint_eq(got, 65536);
	size_t len;
	char *s = tl_slurp(tl_host(rootdir, HS), &len);
	ck_assert_str_eq(s, "65536\n");
	free(s);
	tl_age(rootdir, HS);
	struct stat st = tl_stat(rootdir, HS);
	ck_assert_int_eq(ctune_modprobe_live_set_hashsize(&root, "nf_conntrack", 65536, &got, NULL), 0);
	assert_untouched(HS, &st);
	ck_assert_int_eq(ctune_modprobe_live_set_hashsize(&root, "nf_conntrack", 0, NULL, NULL), -EINVAL);

	/* A read-only parameter (ip_conntrack's expect size, say) is not
	 * written, even by root. */
	tl_write_mode(rootdir, "/sys/module/ip_conntrack/parameters/hashsize", "8192\n", 0400);
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(ctune_modprobe_live_set_hashsize(&root, "ip_conntrack", 16384, &got, &err), -EACCES);
	ck_assert_ptr_nonnull(strstr(err.msg, "read-only"));
	s = tl_slurp(tl_host(rootdir, "/sys/module/ip_conntrack/parameters/hashsize"), &len);
	ck_assert_str_eq(s, "8192\n");
	free(s);
}
END_TEST

/* The real kernel, without changing it: the request is one bucket less than
 * the table has, which the kernel rounds up to the size it already has. */
static bool live_probe(const ctune_root *real, unsigned long *now)
{
	char buf[64];
	if (geteuid() != 0 || ctune_modprobe_live_get(real, "nf_conntrack", "hashsize", buf, sizeof(buf), NULL) < 0)
		return false;
	*now = strtoul(buf, NULL, 10);
	unsigned long page = (unsigned long)sysconf(_SC_PAGESIZE) / sizeof(void *);
	return *now > page && *now % page == 0;
}

START_TEST(test_live_kernel)
{
	ctune_root real;
	unsigned long now, got = 0;
	ck_assert_int_eq(ctune_root_init(&real, "/", NULL), 0);
	if (!live_probe(&real, &now)) {
		fprintf(stderr, "test-bootfiles: no writable nf_conntrack hashsize here; kernel not tried\n");
		return;
	}

	/* From a new network namespace the kernel refuses. */
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWNET) < 0)
			_exit(77);
		ctune_error err = { 0 };
		int r = ctune_modprobe_live_set_hashsize(&real, "nf_conntrack", now - 1, &got, &err);
		if (r == -EOPNOTSUPP && strstr(err.msg, "initial network namespace"))
			_exit(0);
		fprintf(stderr, "from a new netns: %d %s\n", r, err.msg);
		_exit(1);
	}
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 77),
		      "write from a new network namespace was not refused");

	/* From here: accepted, rounded up, nothing resized. */
	ctune_error err = { 0 };
	int r = ctune_modprobe_live_set_hashsize(&real, "nf_conntrack", now - 1, &got, &err);
	if (r == -EOPNOTSUPP) {
		fprintf(stderr, "test-bootfiles: not in the initial network namespace; live write not tried\n");
		return;
	}
	ck_assert_msg(r == 1, "live write of %lu: %d %s", now - 1, r, err.msg);
	ck_assert_uint_eq(got, now);
}
END_TEST

int main(void)
{
	/* The unit tests use the source tree's lenses, whatever is installed. */
	setenv("CTUNE_LENS_DIR", LENSES, 1);

	Suite *s = suite_create("bootfiles");
	TCase *tc = tcase_create("bootfiles");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_modload_add_absent);
	tcase_add_loop_test(tc, test_modload_golden, 0, (int)ELEMENTSOF(modload_cases));
	tcase_add_test(tc, test_modload_already_listed);
	tcase_add_test(tc, test_modload_listed_in_usr_lib);
	tcase_add_test(tc, test_modload_masked);
	tcase_add_test(tc, test_modload_refused);
	tcase_add_test(tc, test_modload_remove);
	tcase_add_test(tc, test_modload_remove_last_line);
	tcase_add_test(tc, test_modload_legacy_module);
	tcase_add_test(tc, test_modload_in_force_sees_edits);
	tcase_add_loop_test(tc, test_modprobe_golden, 0, (int)ELEMENTSOF(modprobe_cases));
	tcase_add_test(tc, test_modprobe_absent);
	tcase_add_test(tc, test_modprobe_get);
	tcase_add_test(tc, test_modprobe_unset);
	tcase_add_test(tc, test_modprobe_bad);
	tcase_add_test(tc, test_modprobe_find_kmod);
	tcase_add_test(tc, test_modprobe_find_legacy);
	tcase_add_test(tc, test_symlink_inside_root);
	tcase_add_test(tc, test_symlink_out_of_root);
	tcase_add_test(tc, test_mode_and_owner_kept);
	tcase_add_test(tc, test_failures_leave_nothing);
	tcase_add_test(tc, test_two_phase);
	tcase_add_test(tc, test_lens_missing);
	tcase_add_test(tc, test_live_file);
	tcase_add_test(tc, test_live_kernel);
	suite_add_tcase(s, tc);
	return tl_run(s);
}
