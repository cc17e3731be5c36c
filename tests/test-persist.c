/* test-persist.c - sysctl files edited through the persist module.
 *
 * Every case copies a fixture from tests/data/persist/ into a scratch root,
 * edits it through a session, and compares the rendered text and the file
 * on disk byte for byte with the expected fixture.  Files ctune writes are
 * parsed again - by a fresh session, by augtool with only the Sysctl lens,
 * and, for files that hold only per-namespace keys, by procps `sysctl -p`
 * inside a throwaway network namespace - so "Augeas wrote it" never stands
 * in for "sysctl accepts it".
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "persist.h"
#include "testlib.h"

#define DATA CTUNE_TEST_DIR "/data/persist/"
#define U "net.netfilter.nf_conntrack_udp_timeout"
#define US "net.netfilter.nf_conntrack_udp_timeout_stream"
#define T "net.netfilter.nf_conntrack_tcp_timeout_established"
#define MAXK "net.netfilter.nf_conntrack_max"
#define LMAX "net.ipv4.netfilter.ip_conntrack_max"
#define LT "net.ipv4.netfilter.ip_conntrack_tcp_timeout_established"
#define LALIAS "net.ipv4.ip_conntrack_max"

static char rootdir[256];
static ctune_root root;

static void setup(void)
{
	snprintf(rootdir, sizeof(rootdir), "%s", tl_mkroot());
	char p[512];
	snprintf(p, sizeof(p), "%s/etc", rootdir);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/etc/sysctl.d", rootdir);
	ck_assert_int_eq(mkdir(p, 0755), 0);
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
	tl_put(rootdir, abs, s, len, mode);
	free(s);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The directory holds exactly these names (NULL-terminated, sorted): no
 * .augnew, .augsave or temporary file is left behind. */
static void assert_dir(const char *absdir, const char *const *want)
{
	DIR *d = opendir(tl_host(rootdir, absdir));
	ck_assert_ptr_nonnull(d);
	char *names[64];
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		ck_assert_uint_lt(n, 64);
		names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	size_t w = 0;
	while (want[w])
		w++;
	char got[2048] = "";
	for (size_t i = 0; i < n; i++) {
		strncat(got, names[i], sizeof(got) - strlen(got) - 2);
		strcat(got, " ");
	}
	ck_assert_msg(n == w, "%s holds: %s", absdir, got);
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(strcmp(names[i], want[i]) == 0, "%s holds: %s", absdir, got);
		free(names[i]);
	}
}

static ctune_persist *open_ok(const char *abs)
{
	ctune_persist *p = NULL;
	ctune_error err = { 0 };
	int r = ctune_persist_open(&p, &root, abs, &err);
	ck_assert_msg(r == 0, "open %s: %d %s", abs, r, err.msg);
	ck_assert_ptr_nonnull(p);
	return p;
}

static void assert_get(ctune_persist *p, const char *key, int count, const char *value)
{
	char buf[64];
	ctune_error err = { 0 };
	int r = ctune_persist_get(p, key, buf, sizeof(buf), &err);
	ck_assert_msg(r == count, "get %s: %d (%s), want %d", key, r, err.msg, count);
	ck_assert_str_eq(buf, value);
}

static void assert_render(ctune_persist *p, int changed, const char *name)
{
	const char *text = NULL;
	size_t len = 0;
	ctune_error err = { 0 };
	int r = ctune_persist_render(p, &text, &len, &err);
	ck_assert_msg(r == changed, "render: %d (%s), want %d", r, err.msg, changed);
	tl_assert_same(DATA, "rendered text", text, len, name);
}

static int save(ctune_persist *p)
{
	ctune_error err = { 0 };
	int r = ctune_persist_save(p, &err);
	ck_assert_msg(r >= 0, "save: %d %s", r, err.msg);
	return r;
}

/* augtool, with only the Sysctl lens for only this file, loads it cleanly. */
static void assert_augtool_parses(const char *abs)
{
	char cmd[2048], out[4096] = "";
	snprintf(cmd, sizeof(cmd),
		 "augtool -r '%s' -A --transform 'Sysctl.lns incl %s' print /augeas//error 2>&1; echo rc=$?", rootdir,
		 abs);
	FILE *f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	size_t n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	pclose(f);
	ck_assert_msg(strcmp(out, "rc=0\n") == 0, "augtool on %s said:\n%s", abs, out);
}

/* The edits in p render as the golden file after; save them, close p, and
 * /etc/sysctl.conf on disk is after byte for byte and parses again. */
static void save_conf(ctune_persist *p, const char *after)
{
	assert_render(p, 1, after);
	ck_assert_int_eq(save(p), 1);
	ctune_persist_close(p);
	tl_assert_file(rootdir, DATA, "/etc/sysctl.conf", after);
	assert_augtool_parses("/etc/sysctl.conf");
}

/* procps `sysctl -p FILE` in a new network namespace applies the file
 * without a word on stderr, and the kernel then holds value for key.  Only
 * for files with per-namespace keys: nothing global may be written. */
static void assert_sysctl_applies(const char *abs, const char *key, const char *value)
{
	if (geteuid() != 0 || system("unshare -n true 2>/dev/null") != 0) {
		fprintf(stderr, "test-persist: no network namespace here; sysctl -p of %s not checked\n", abs);
		return;
	}
	char proc[256], cmd[2048], out[4096] = "", want[128];
	ck_assert_int_ge(ctune_key_procpath(key, proc, sizeof(proc)), 0);
	snprintf(cmd, sizeof(cmd),
		 "unshare -n sh -c 'e=$(sysctl -p \"$1\" 2>&1 >/dev/null); s=$?; "
		 "[ -z \"$e\" ] && [ $s = 0 ] || { echo \"sysctl: $s $e\"; exit 1; }; cat \"$2\"' sh '%s' '%s' 2>&1",
		 tl_host(rootdir, abs), proc);
	FILE *f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	size_t n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	pclose(f);
	snprintf(want, sizeof(want), "%s\n", value);
	ck_assert_msg(strcmp(out, want) == 0, "sysctl -p %s: got \"%s\", want %s = %s", abs, out, key, value);
}

static const char *const etc_only_conf[] = { "sysctl.conf", "sysctl.d", NULL };
static const char *const empty_dir[] = { NULL };

/* --- set: one golden pair per edge case ---------------------------------- */

static const struct set_case {
	const char *name;   /* fixtures <name>.before and <name>.after */
	const char *file;   /* where it is installed */
	const char *get;    /* the key as asked for */
	int count;          /* its occurrences before */
	const char *before; /* its value before */
	const char *key, *value;
	int removed;                      /* duplicates set() reports */
	const char *key2, *value2;        /* a second set (an append), or NULL */
	const char *after;                /* the value a re-read gives for key */
	bool augtool;                     /* Augeas's file loader can parse the result */
	const char *sysctl_key, *sysctl_value; /* check with sysctl -p, or NULL */
} set_cases[] = {
	{ "comments", "/etc/sysctl.conf", T, 1, "432000", T, "43200", 0, U, "60", "43200", true, T, "43200" },
	{ "duplicates", "/etc/sysctl.conf", T, 3, "300", T, "43200", 2, NULL, NULL, "43200", true, T, "43200" },
	{ "dash", "/etc/sysctl.d/90-conntrack.conf", U, 1, "30", U, "60", 0, US, "120", "60", true, US, "120" },
	{ "slash", "/etc/sysctl.d/90-conntrack.conf", "net/netfilter/nf_conntrack_udp_timeout", 1, "30", U, "60",
	  0, US, "120", "60", true, U, "60" },
	{ "tabs", "/etc/sysctl.conf", "-" U, 1, "30", U, "60", 0, US, "120", "60", true, U, "60" },
	{ "nospace", "/etc/sysctl.conf", U, 1, "30", "-" U, "60", 0, US, "120", "60", true, U, "60" },
	/* Augeas's own loader cannot parse the blank "\r\n" line of a DOS
	 * file, before or after: the lens does not know "\r". */
	{ "crlf", "/etc/sysctl.conf", U, 1, "30", U, "60", 0, US, "120", "60", false, US, "120" },
	{ "crlf-mixed", "/etc/sysctl.conf", U, 1, "30", U, "60", 0, US, "120", "60", true, U, "60" },
	{ "notrailing", "/etc/sysctl.conf", U, 1, "30", U, "60", 0, NULL, NULL, "60", true, U, "60" },
	{ "empty", "/etc/sysctl.d/90-conntrack.conf", U, 0, "", U, "60", 0, NULL, NULL, "60", true, U, "60" },
	/* "key =" cannot take a value in place: replaced, '/' respelt. */
	{ "emptyvalue", "/etc/sysctl.conf", U, 1, "", U, "60", 0, US, "120", "60", true, US, "120" },
};

START_TEST(test_set)
{
	const struct set_case *c = &set_cases[_i];
	char before[64], after[64];
	snprintf(before, sizeof(before), "%s.before", c->name);
	snprintf(after, sizeof(after), "%s.after", c->name);
	install(before, c->file, 0644);
	ctune_error err = { 0 };

	ctune_persist *p = open_ok(c->file);
	ck_assert(ctune_persist_exists(p));
	ck_assert_str_eq(ctune_persist_path(p), c->file);
	ck_assert_str_eq(ctune_persist_target(p), c->file);
	size_t olen;
	const char *orig = ctune_persist_original(p, &olen);
	tl_assert_same(DATA, "original", orig, olen, before);
	assert_get(p, c->get, c->count, c->before);

	ck_assert_int_eq(ctune_persist_set(p, c->key, c->value, &err), c->removed);
	if (c->key2)
		ck_assert_int_eq(ctune_persist_set(p, c->key2, c->value2, &err), 0);
	ck_assert_str_eq(err.msg, "");
	assert_get(p, c->get, 1, c->after);
	assert_render(p, 1, after);
	tl_assert_file(rootdir, DATA, c->file, before); /* nothing written before save */
	orig = ctune_persist_original(p, &olen);
	tl_assert_same(DATA, "original after edits", orig, olen, before);

	ck_assert_int_eq(save(p), 1);
	tl_assert_file(rootdir, DATA, c->file, after);
	/* The session goes on from what it wrote. */
	orig = ctune_persist_original(p, &olen);
	tl_assert_same(DATA, "original after save", orig, olen, after);
	assert_render(p, 0, after);
	ck_assert_int_eq(save(p), 0);
	ctune_persist_close(p);

	if (strcmp(c->file, "/etc/sysctl.conf") == 0)
		assert_dir("/etc", etc_only_conf);
	else {
		static const char *const d[] = { "90-conntrack.conf", NULL };
		assert_dir("/etc/sysctl.d", d);
	}
	ck_assert_uint_eq(tl_stat(rootdir, c->file).st_mode & 07777, 0644);

	p = open_ok(c->file);
	assert_get(p, c->get, 1, c->after);
	ctune_persist_close(p);
	if (c->augtool)
		assert_augtool_parses(c->file);
	if (c->sysctl_key)
		assert_sysctl_applies(c->file, c->sysctl_key, c->sysctl_value);
}
END_TEST

/* --- missing files ------------------------------------------------------- */

START_TEST(test_missing_created)
{
	const char *file = "/etc/sysctl.d/90-conntrack.conf";
	ctune_persist *p = open_ok(file);
	ck_assert(!ctune_persist_exists(p));
	size_t olen = 99;
	ck_assert_str_eq(ctune_persist_original(p, &olen), "");
	ck_assert_uint_eq(olen, 0);
	assert_get(p, U, 0, "");

	ck_assert_int_eq(ctune_persist_set(p, U, "60", NULL), 0);
	assert_render(p, 1, "empty.after");
	ck_assert_ptr_null(tl_slurp(tl_host(rootdir, file), &olen)); /* not yet */

	mode_t old = umask(077); /* the new file's mode does not come from umask */
	int r = save(p);
	umask(old);
	ck_assert_int_eq(r, 1);
	ck_assert(ctune_persist_exists(p));
	ctune_persist_close(p);

	tl_assert_file(rootdir, DATA, file, "empty.after");
	struct stat st = tl_stat(rootdir, file);
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	ck_assert(S_ISREG(st.st_mode));
	static const char *const d[] = { "90-conntrack.conf", NULL };
	assert_dir("/etc/sysctl.d", d);
	assert_augtool_parses(file);
	assert_sysctl_applies(file, U, "60");
}
END_TEST

START_TEST(test_missing_untouched)
{
	const char *file = "/etc/sysctl.d/90-conntrack.conf";
	ctune_persist *p = open_ok(file);
	ck_assert_int_eq(ctune_persist_remove(p, U, NULL), 0);
	assert_render(p, 0, "empty.before");
	ck_assert_int_eq(save(p), 0);

	/* Changes that cancel out write nothing either. */
	ck_assert_int_eq(ctune_persist_set(p, U, "60", NULL), 0);
	assert_render(p, 1, "empty.after");
	ck_assert_int_eq(ctune_persist_remove(p, U, NULL), 1);
	assert_render(p, 0, "empty.before");
	ck_assert_int_eq(save(p), 0);
	ck_assert(!ctune_persist_exists(p));
	ctune_persist_close(p);
	assert_dir("/etc/sysctl.d", empty_dir);
}
END_TEST

START_TEST(test_missing_directory)
{
	ctune_persist *p = NULL;
	ctune_error err = { 0 };
	ck_assert_int_eq(ctune_persist_open(&p, &root, "/etc/nowhere/90-conntrack.conf", &err), -ENOENT);
	ck_assert_ptr_null(p);
	ck_assert_str_eq(err.msg, "/etc/nowhere/90-conntrack.conf: /etc/nowhere: No such file or directory");
}
END_TEST

/* --- files that must not be written ------------------------------------- */

START_TEST(test_unparseable)
{
	install("unparseable.before", "/etc/sysctl.conf", 0644);
	tl_age(rootdir, "/etc/sysctl.conf");
	struct stat before = tl_stat(rootdir, "/etc/sysctl.conf");
	ctune_persist *p = NULL;
	ctune_error err = { 0 };
	ck_assert_int_eq(ctune_persist_open(&p, &root, "/etc/sysctl.conf", &err), -EBADMSG);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(err.code, -EBADMSG);
	ck_assert_str_eq(err.msg, "/etc/sysctl.conf: the Ctune_Sysctl lens cannot parse line 3, character 19 "
				  "(\"net.ipv4.ip_forward = 1\rnet.ipv4.tcp_syncookies = 1\"): Iterated lens matched less "
				  "than it should; the file is left as it is");
	tl_assert_file(rootdir, DATA, "/etc/sysctl.conf", "unparseable.before");
	struct stat after = tl_stat(rootdir, "/etc/sysctl.conf");
	ck_assert_int_eq(after.st_ino, before.st_ino);
	ck_assert_int_eq(after.st_mtim.tv_sec, 978307200);
	assert_dir("/etc", etc_only_conf);
}
END_TEST

START_TEST(test_crlf_blank_line_in_mixed_file)
{
	/* The stock Sysctl lens refused the blank "\r\n" line; the boot tools
	 * and Ctune_Sysctl read it as blank, and keep it. */
	install("crlf-blank.before", "/etc/sysctl.conf", 0644);
	ctune_persist *p = NULL;
	ctune_error err = { 0 };
	ck_assert_int_eq(ctune_persist_open(&p, &root, "/etc/sysctl.conf", &err), 0);
	ck_assert_int_eq(ctune_persist_set(p, "net.netfilter.nf_conntrack_udp_timeout", "60", &err), 0);
	ck_assert_int_eq(ctune_persist_save(p, &err), 1);
	ctune_persist_close(p);
	tl_assert_file(rootdir, DATA, "/etc/sysctl.conf", "crlf-blank.after");
}
END_TEST

START_TEST(test_not_a_file)
{
	ctune_persist *p = NULL;
	ctune_error err = { 0 };
	ck_assert_int_eq(ctune_persist_open(&p, &root, "/etc/sysctl.d", &err), -EINVAL);
	ck_assert_str_eq(err.msg, "/etc/sysctl.d: not a regular file");
	ctune_error_clear(&err);
	ck_assert_int_eq(ctune_persist_open(&p, &root, "etc/sysctl.conf", &err), -EINVAL);
	ck_assert_str_eq(err.msg, "\"etc/sysctl.conf\" is not an absolute file path");
	ctune_error_clear(&err);
	ck_assert_int_eq(ctune_persist_open(&p, &root, "/etc/sysctl.d/", &err), -EINVAL);
	ck_assert_int_eq(ctune_persist_open(&p, &root, "", NULL), -EINVAL);
	ck_assert_int_eq(ctune_persist_open(&p, &root, "/", NULL), -EINVAL);
	install("empty.before", "/etc/plain", 0644);
	ck_assert_int_eq(ctune_persist_open(&p, &root, "/etc/plain/x.conf", NULL), -ENOTDIR);
	ck_assert_ptr_null(p);
}
END_TEST

/* --- idempotence --------------------------------------------------------- */

START_TEST(test_idempotent)
{
	install("comments.before", "/etc/sysctl.conf", 0644);
	tl_age(rootdir, "/etc/sysctl.conf");
	struct stat before = tl_stat(rootdir, "/etc/sysctl.conf");

	ctune_persist *p = open_ok("/etc/sysctl.conf");
	ck_assert_int_eq(ctune_persist_set(p, T, "432000", NULL), 0);
	assert_render(p, 0, "comments.before");
	ck_assert_int_eq(save(p), 0);
	ctune_persist_close(p);

	struct stat after = tl_stat(rootdir, "/etc/sysctl.conf");
	ck_assert_int_eq(after.st_ino, before.st_ino);
	ck_assert_int_eq(after.st_mtim.tv_sec, 978307200);
	ck_assert_int_eq(after.st_mtim.tv_nsec, 0);
	tl_assert_file(rootdir, DATA, "/etc/sysctl.conf", "comments.before");
	assert_dir("/etc", etc_only_conf);
}
END_TEST

/* The final newline a file lacks is not added when nothing else changes. */
START_TEST(test_idempotent_no_trailing_newline)
{
	install("notrailing.before", "/etc/sysctl.conf", 0644);
	tl_age(rootdir, "/etc/sysctl.conf");
	ctune_persist *p = open_ok("/etc/sysctl.conf");
	ck_assert_int_eq(ctune_persist_set(p, U, "30", NULL), 0);
	assert_render(p, 0, "notrailing.before");
	ck_assert_int_eq(save(p), 0);
	ctune_persist_close(p);
	ck_assert_int_eq(tl_stat(rootdir, "/etc/sysctl.conf").st_mtim.tv_sec, 978307200);
	tl_assert_file(rootdir, DATA, "/etc/sysctl.conf", "notrailing.before");
}
END_TEST

/* A DOS file and a '-' key whose value already matches: no change. */
START_TEST(test_idempotent_crlf_and_dash)
{
	install("crlf.after", "/etc/sysctl.conf", 0644);
	install("dash.after", "/etc/sysctl.d/90-conntrack.conf", 0644);
	tl_age(rootdir, "/etc/sysctl.conf");
	tl_age(rootdir, "/etc/sysctl.d/90-conntrack.conf");
	ctune_persist *p = open_ok("/etc/sysctl.conf");
	ck_assert_int_eq(ctune_persist_set(p, U, "60", NULL), 0);
	ck_assert_int_eq(ctune_persist_set(p, US, "120", NULL), 0);
	assert_render(p, 0, "crlf.after");
	ck_assert_int_eq(save(p), 0);
	ctune_persist_close(p);
	p = open_ok("/etc/sysctl.d/90-conntrack.conf");
	ck_assert_int_eq(ctune_persist_set(p, U, "60", NULL), 0);
	ck_assert_int_eq(save(p), 0);
	ctune_persist_close(p);
	ck_assert_int_eq(tl_stat(rootdir, "/etc/sysctl.conf").st_mtim.tv_sec, 978307200);
	ck_assert_int_eq(tl_stat(rootdir, "/etc/sysctl.d/90-conntrack.conf").st_mtim.tv_sec, 978307200);
}
END_TEST

/* --- schemes: legacy keys, stale keys, removal --------------------------- */

START_TEST(test_legacy)
{
	install("legacy.before", "/etc/sysctl.conf", 0644);
	ctune_persist *p = open_ok("/etc/sysctl.conf");
	assert_get(p, LMAX, 1, "65536");
	assert_get(p, "-net/ipv4/netfilter/ip_conntrack_max", 1, "65536");
	assert_get(p, LT, 1, "432000");
	assert_get(p, LALIAS, 1, "65536");
	assert_get(p, MAXK, 0, "");

	ctune_persist_key *keys = NULL;
	size_t n = 0;
	ck_assert_int_eq(ctune_persist_list(p, &keys, &n, NULL), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(keys[0].tunable->name, "max");
	ck_assert_int_eq(keys[0].scheme, CTUNE_SCHEME_LEGACY);
	ck_assert_str_eq(keys[0].key, LMAX);
	ck_assert_str_eq(keys[0].spelling, LMAX);
	ck_assert_uint_eq(keys[0].count, 1);
	ck_assert_str_eq(keys[1].tunable->name, "tcp_timeout_established");
	ck_assert_int_eq(keys[1].scheme, CTUNE_SCHEME_LEGACY);
	ck_assert_str_eq(keys[1].key, LT);
	ck_assert_str_eq(keys[2].tunable->name, "max");
	ck_assert_int_eq(keys[2].scheme, CTUNE_SCHEME_LEGACY);
	ck_assert_str_eq(keys[2].key, LALIAS);
	free(keys);

	ck_assert_int_eq(ctune_persist_set(p, LMAX, "1210856", NULL), 0);
	ck_assert_int_eq(ctune_persist_set(p, LT, "43200", NULL), 0);
	ck_assert_int_eq(ctune_persist_set(p, LALIAS, "1210856", NULL), 0);
	save_conf(p, "legacy.after");
}
END_TEST

START_TEST(test_migrate)
{
	install("migrate.before", "/etc/sysctl.conf", 0644);
	ctune_persist *p = open_ok("/etc/sysctl.conf");

	ctune_persist_key *keys = NULL;
	size_t n = 0;
	ck_assert_int_eq(ctune_persist_list(p, &keys, &n, NULL), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(keys[0].key, LMAX);
	ck_assert_int_eq(keys[0].scheme, CTUNE_SCHEME_LEGACY);
	ck_assert_str_eq(keys[1].key, LT);
	ck_assert_str_eq(keys[1].spelling, "-net/ipv4/netfilter/ip_conntrack_tcp_timeout_established");
	ck_assert_int_eq(keys[1].scheme, CTUNE_SCHEME_LEGACY);
	ck_assert_str_eq(keys[2].key, MAXK);
	ck_assert_int_eq(keys[2].scheme, CTUNE_SCHEME_MODERN);
	ck_assert_str_eq(keys[2].tunable->name, "max");
	free(keys);

	ck_assert_int_eq(ctune_persist_rename(p, LMAX, MAXK, NULL), 1);
	ck_assert_int_eq(ctune_persist_rename(p, LT, T, NULL), 1);
	assert_get(p, MAXK, 2, "262144");
	assert_get(p, "-" T, 1, "432000");
	assert_get(p, LMAX, 0, "");
	ck_assert_int_eq(ctune_persist_set(p, MAXK, "1210856", NULL), 1);
	save_conf(p, "migrate.after");

	p = open_ok("/etc/sysctl.conf");
	ck_assert_int_eq(ctune_persist_list(p, &keys, &n, NULL), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(keys[0].key, T);
	ck_assert_str_eq(keys[0].spelling, "-" T);
	ck_assert_int_eq(keys[0].scheme, CTUNE_SCHEME_MODERN);
	ck_assert_str_eq(keys[1].key, MAXK);
	free(keys);
	/* Renaming what is absent changes nothing. */
	ck_assert_int_eq(ctune_persist_rename(p, LMAX, MAXK, NULL), 0);
	assert_render(p, 0, "migrate.after");
	ctune_persist_close(p);
}
END_TEST

START_TEST(test_remove)
{
	install("remove.before", "/etc/sysctl.conf", 0644);
	ctune_persist *p = open_ok("/etc/sysctl.conf");
	assert_get(p, MAXK, 3, "7");
	ck_assert_int_eq(ctune_persist_remove(p, "net/netfilter/nf_conntrack_max", NULL), 3);
	ck_assert_int_eq(ctune_persist_remove(p, MAXK, NULL), 0);
	ck_assert_int_eq(ctune_persist_remove(p, T, NULL), 0);
	assert_get(p, MAXK, 0, "");
	save_conf(p, "remove.after");
	assert_sysctl_applies("/etc/sysctl.conf", "net.ipv4.ip_forward", "1");
}
END_TEST

START_TEST(test_list_ignores_other_keys)
{
	install("comments.before", "/etc/sysctl.conf", 0644);
	ctune_persist *p = open_ok("/etc/sysctl.conf");
	ctune_persist_key *keys = NULL;
	size_t n = 0;
	ck_assert_int_eq(ctune_persist_list(p, &keys, &n, NULL), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(keys[0].key, T);
	ck_assert_int_eq(keys[0].scheme, CTUNE_SCHEME_MODERN);
	ck_assert_uint_eq(keys[0].count, 1);
	free(keys);
	ctune_persist_close(p);

	install("empty.before", "/etc/sysctl.d/90-conntrack.conf", 0644);
	p = open_ok("/etc/sysctl.d/90-conntrack.conf");
	keys = (ctune_persist_key *)&n; /* must be replaced */
	ck_assert_int_eq(ctune_persist_list(p, &keys, &n, NULL), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(keys);
	ctune_persist_close(p);

	install("duplicates.before", "/etc/sysctl.conf", 0644);
	p = open_ok("/etc/sysctl.conf");
	ck_assert_int_eq(ctune_persist_list(p, &keys, &n, NULL), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(keys[0].spelling, "net/netfilter/nf_conntrack_tcp_timeout_established");
	ck_assert_uint_eq(keys[0].count, 3);
	free(keys);
	ctune_persist_close(p);
}
END_TEST

/* --- links, mode, owner --------------------------------------------------- */

/* Debian: /etc/sysctl.d/99-sysctl.conf -> ../sysctl.conf */
START_TEST(test_symlink_relative)
{
	install("comments.before", "/etc/sysctl.conf", 0644);
	ck_assert_int_eq(symlink("../sysctl.conf", tl_host(rootdir, "/etc/sysctl.d/99-sysctl.conf")), 0);
	ctune_persist *p = open_ok("/etc/sysctl.d/99-sysctl.conf");
	ck_assert_str_eq(ctune_persist_path(p), "/etc/sysctl.d/99-sysctl.conf");
	ck_assert_str_eq(ctune_persist_target(p), "/etc/sysctl.conf");
	ck_assert_int_eq(ctune_persist_set(p, T, "43200", NULL), 0);
	ck_assert_int_eq(ctune_persist_set(p, U, "60", NULL), 0);
	ck_assert_int_eq(save(p), 1);
	ctune_persist_close(p);

	tl_assert_file(rootdir, DATA, "/etc/sysctl.conf", "comments.after");
	ck_assert(S_ISLNK(tl_stat(rootdir, "/etc/sysctl.d/99-sysctl.conf").st_mode));
	char link[64];
	ssize_t k = readlink(tl_host(rootdir, "/etc/sysctl.d/99-sysctl.conf"), link, sizeof(link) - 1);
	ck_assert_int_eq(k, 14);
	link[k] = '\0';
	ck_assert_str_eq(link, "../sysctl.conf");
	assert_dir("/etc", etc_only_conf);
	static const char *const d[] = { "99-sysctl.conf", NULL };
	assert_dir("/etc/sysctl.d", d);
}
END_TEST

/* An absolute target means the root prefix's file, never the host's. */
START_TEST(test_symlink_absolute)
{
	install("comments.before", "/etc/sysctl.conf", 0644);
	ck_assert_int_eq(symlink("/etc/sysctl.conf", tl_host(rootdir, "/etc/sysctl.d/99-sysctl.conf")), 0);
	ctune_persist *p = open_ok("/etc/sysctl.d/99-sysctl.conf");
	ck_assert_str_eq(ctune_persist_target(p), "/etc/sysctl.conf");
	assert_get(p, T, 1, "432000");
	ck_assert_int_eq(ctune_persist_set(p, T, "43200", NULL), 0);
	ck_assert_int_eq(ctune_persist_set(p, U, "60", NULL), 0);
	ck_assert_int_eq(save(p), 1);
	ctune_persist_close(p);
	tl_assert_file(rootdir, DATA, "/etc/sysctl.conf", "comments.after");
	ck_assert(S_ISLNK(tl_stat(rootdir, "/etc/sysctl.d/99-sysctl.conf").st_mode));
}
END_TEST

/* ".." climbs no higher than the root, as in a chroot: the image's /tmp. */
START_TEST(test_symlink_escape)
{
	ck_assert_int_eq(symlink("../../../../../../../../../tmp/ctune-escape.conf",
				 tl_host(rootdir, "/etc/sysctl.d/99-out.conf")),
			 0);
	ck_assert_int_eq(mkdir(tl_host(rootdir, "/tmp"), 0755), 0);
	ctune_persist *p = open_ok("/etc/sysctl.d/99-out.conf");
	ck_assert_str_eq(ctune_persist_target(p), "/tmp/ctune-escape.conf");
	ctune_persist_close(p);
	p = NULL;

	/* A loop is refused too. */
	ck_assert_int_eq(symlink("98-loop.conf", tl_host(rootdir, "/etc/sysctl.d/98-loop.conf")), 0);
	ck_assert_int_eq(ctune_persist_open(&p, &root, "/etc/sysctl.d/98-loop.conf", NULL), -ELOOP);
}
END_TEST

/* A link to a file not yet there: the target is created, the link kept. */
START_TEST(test_symlink_dangling)
{
	ck_assert_int_eq(symlink("90-real.conf", tl_host(rootdir, "/etc/sysctl.d/96-link.conf")), 0);
	ctune_persist *p = open_ok("/etc/sysctl.d/96-link.conf");
	ck_assert(!ctune_persist_exists(p));
	ck_assert_str_eq(ctune_persist_target(p), "/etc/sysctl.d/90-real.conf");
	ck_assert_int_eq(ctune_persist_set(p, U, "60", NULL), 0);
	ck_assert_int_eq(save(p), 1);
	ctune_persist_close(p);
	tl_assert_file(rootdir, DATA, "/etc/sysctl.d/90-real.conf", "empty.after");
	ck_assert(S_ISLNK(tl_stat(rootdir, "/etc/sysctl.d/96-link.conf").st_mode));
	static const char *const d[] = { "90-real.conf", "96-link.conf", NULL };
	assert_dir("/etc/sysctl.d", d);
}
END_TEST

START_TEST(test_mode_and_owner_kept)
{
	install("comments.before", "/etc/sysctl.conf", 0640);
	bool root_user = geteuid() == 0;
	if (root_user)
		ck_assert_int_eq(chown(tl_host(rootdir, "/etc/sysctl.conf"), 1234, 5678), 0);
	struct stat before = tl_stat(rootdir, "/etc/sysctl.conf");

	ctune_persist *p = open_ok("/etc/sysctl.conf");
	ck_assert_int_eq(ctune_persist_set(p, T, "43200", NULL), 0);
	ck_assert_int_eq(ctune_persist_set(p, U, "60", NULL), 0);
	ck_assert_int_eq(save(p), 1);
	ctune_persist_close(p);

	struct stat after = tl_stat(rootdir, "/etc/sysctl.conf");
	ck_assert_uint_eq(after.st_mode & 07777, 0640);
	ck_assert_uint_eq(after.st_uid, before.st_uid);
	ck_assert_uint_eq(after.st_gid, before.st_gid);
	if (root_user) {
		ck_assert_uint_eq(after.st_uid, 1234);
		ck_assert_uint_eq(after.st_gid, 5678);
	}
	ck_assert_uint_ne(after.st_ino, before.st_ino); /* replaced, not rewritten in place */
	tl_assert_file(rootdir, DATA, "/etc/sysctl.conf", "comments.after");
	assert_dir("/etc", etc_only_conf);
}
END_TEST

/* --- failures leave everything as it was --------------------------------- */

/* The temporary file cannot be written (file size limit): the save fails,
 * the file is untouched and no temporary file is left. */
START_TEST(test_failed_write_leaves_nothing)
{
	install("comments.before", "/etc/sysctl.conf", 0644);
	tl_age(rootdir, "/etc/sysctl.conf");
	ctune_persist *p = open_ok("/etc/sysctl.conf");
	ck_assert_int_eq(ctune_persist_set(p, T, "43200", NULL), 0);
	ck_assert_int_eq(ctune_persist_set(p, U, "60", NULL), 0);

	struct rlimit old, small = { 100, 100 };
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	small.rlim_max = old.rlim_max;
	void (*oldsig)(int) = signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
	ctune_error err = { 0 };
	int r = ctune_persist_save(p, &err);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, oldsig);

	ck_assert_int_eq(r, -EFBIG);
	ck_assert_str_eq(err.msg, "/etc/sysctl.conf: writing: File too large");
	tl_assert_file(rootdir, DATA, "/etc/sysctl.conf", "comments.before");
	ck_assert_int_eq(tl_stat(rootdir, "/etc/sysctl.conf").st_mtim.tv_sec, 978307200);
	assert_dir("/etc", etc_only_conf);

	/* The same session saves once the limit is gone. */
	ck_assert_int_eq(save(p), 1);
	ctune_persist_close(p);
	tl_assert_file(rootdir, DATA, "/etc/sysctl.conf", "comments.after");
	assert_dir("/etc", etc_only_conf);
}
END_TEST

/* Another writer changed the file after we read it: refuse, keep theirs. */
START_TEST(test_stale)
{
	install("comments.before", "/etc/sysctl.conf", 0644);
	ctune_persist *p = open_ok("/etc/sysctl.conf");
	ck_assert_int_eq(ctune_persist_set(p, T, "43200", NULL), 0);
	install("remove.after", "/etc/sysctl.conf", 0644);
	ctune_error err = { 0 };
	ck_assert_int_eq(ctune_persist_save(p, &err), -ESTALE);
	ck_assert_str_eq(err.msg, "/etc/sysctl.conf: changed on disk since it was read; not saved");
	ctune_persist_close(p);
	tl_assert_file(rootdir, DATA, "/etc/sysctl.conf", "remove.after");
	assert_dir("/etc", etc_only_conf);

	/* Missing when read, present at save. */
	const char *file = "/etc/sysctl.d/90-conntrack.conf";
	p = open_ok(file);
	ck_assert_int_eq(ctune_persist_set(p, U, "60", NULL), 0);
	install("dash.before", file, 0644);
	ck_assert_int_eq(ctune_persist_save(p, NULL), -ESTALE);
	ctune_persist_close(p);
	tl_assert_file(rootdir, DATA, file, "dash.before");
}
END_TEST

/* --- arguments ----------------------------------------------------------- */

START_TEST(test_bad_arguments)
{
	install("comments.before", "/etc/sysctl.conf", 0644);
	ctune_persist *p = open_ok("/etc/sysctl.conf");
	ctune_error err = { 0 };
	static const char *const values[] = { "", "-5", "+5", "12h", "1 2", "1\n2", "0x10", "1.5",
					      "123456789012345678901" };
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		ck_assert_msg(ctune_persist_set(p, T, values[i], NULL) == -EINVAL, "value \"%s\" accepted",
			      values[i]);
	ck_assert_int_eq(ctune_persist_set(p, T, NULL, NULL), -EINVAL);
	ck_assert_int_eq(ctune_persist_set(p, T, "1h", &err), -EINVAL);
	ck_assert_str_eq(err.msg, "/etc/sysctl.conf: " T ": \"1h\" is not a decimal number without sign");

	static const char *const keys[] = { "", "-", "net.a b", "net.a@b", "a\nb = 1", "a=b", "#comment",
					    "net.netfilter.nf_conntrack_max\r" };
	char buf[16];
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		ck_assert_msg(ctune_persist_set(p, keys[i], "1", NULL) == -EINVAL, "key \"%s\" accepted", keys[i]);
		ck_assert_int_eq(ctune_persist_get(p, keys[i], buf, sizeof(buf), NULL), -EINVAL);
		ck_assert_int_eq(ctune_persist_remove(p, keys[i], NULL), -EINVAL);
		ck_assert_int_eq(ctune_persist_rename(p, keys[i], T, NULL), -EINVAL);
		ck_assert_int_eq(ctune_persist_rename(p, T, keys[i], NULL), -EINVAL);
	}
	ctune_error_clear(&err);
	ck_assert_int_eq(ctune_persist_get(p, "net.a b", buf, sizeof(buf), &err), -EINVAL);
	ck_assert_str_eq(err.msg, "/etc/sysctl.conf: \"net.a b\" is not a sysctl key");

	/* A value longer than the caller's buffer. */
	ctune_error_clear(&err);
	ck_assert_int_eq(ctune_persist_get(p, T, buf, 6, &err), -ENOBUFS);
	ck_assert_str_eq(err.msg, "/etc/sysctl.conf: the value of " T " is too long (6 bytes)");
	ck_assert_int_eq(ctune_persist_get(p, T, buf, 7, NULL), 1);
	ck_assert_str_eq(buf, "432000");

	assert_render(p, 0, "comments.before");
	ctune_persist_close(p);
	ctune_persist_close(NULL);
}
END_TEST

/* --- the session after a save --------------------------------------------- */

START_TEST(test_session_after_save)
{
	const char *file = "/etc/sysctl.d/90-conntrack.conf";
	ctune_persist *p = open_ok(file);
	ck_assert_int_eq(ctune_persist_set(p, U, "60", NULL), 0);
	ck_assert_int_eq(save(p), 1);
	ck_assert_int_eq(ctune_persist_set(p, U, "60", NULL), 0);
	ck_assert_int_eq(save(p), 0);
	ck_assert_int_eq(ctune_persist_set(p, U, "30", NULL), 0);
	ck_assert_int_eq(ctune_persist_set(p, "-" US, "120", NULL), 0);
	ck_assert_int_eq(save(p), 1);
	ctune_persist_close(p);
	size_t len;
	char *s = tl_slurp(tl_host(rootdir, file), &len);
	ck_assert_str_eq(s, U " = 30\n-" US " = 120\n");
	free(s);
	static const char *const d[] = { "90-conntrack.conf", NULL };
	assert_dir("/etc/sysctl.d", d);
}
END_TEST

/* A key that is absent is appended spelt as the caller wrote it. */
START_TEST(test_append_spelling)
{
	ctune_persist *p = open_ok("/etc/sysctl.conf");
	ck_assert_int_eq(ctune_persist_set(p, "net/netfilter/nf_conntrack_udp_timeout", "60", NULL), 0);
	ck_assert_int_eq(ctune_persist_set(p, "-" US, "120", NULL), 0);
	const char *text;
	ck_assert_int_eq(ctune_persist_render(p, &text, NULL, NULL), 1);
	ck_assert_str_eq(text, "net/netfilter/nf_conntrack_udp_timeout = 60\n-" US " = 120\n");
	ctune_persist_close(p);
}
END_TEST

/* --- backups -------------------------------------------------------------- */

START_TEST(test_backup)
{
	install("comments.before", "/etc/sysctl.conf", 0640);
	tl_age(rootdir, "/etc/sysctl.conf");
	ck_assert_int_eq(symlink("../sysctl.conf", tl_host(rootdir, "/etc/sysctl.d/99-sysctl.conf")), 0);
	ctune_persist *p = open_ok("/etc/sysctl.d/99-sysctl.conf");
	char path[1024];
	ctune_error err = { 0 };
	ck_assert_int_eq(ctune_persist_backup(p, path, sizeof(path), &err), 1);

	/* Ansible's name: path.PID.YYYY-MM-DD@HH:MM:SS~, next to the target. */
	char pattern[128];
	snprintf(pattern, sizeof(pattern),
		 "^/etc/sysctl\\.conf\\.%ld\\.[0-9]{4}-[0-9]{2}-[0-9]{2}@[0-9]{2}:[0-9]{2}:[0-9]{2}~$",
		 (long)getpid());
	regex_t re;
	ck_assert_int_eq(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
	ck_assert_msg(regexec(&re, path, 0, NULL, 0) == 0, "backup name %s", path);
	regfree(&re);

	struct stat st = tl_stat(rootdir, path);
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	ck_assert_int_eq(st.st_mtim.tv_sec, 978307200);
	ck_assert_uint_eq(st.st_uid, tl_stat(rootdir, "/etc/sysctl.conf").st_uid);
	tl_assert_file(rootdir, DATA, path, "comments.before");

	/* The same name twice is refused, not overwritten. */
	char again[1024];
	int r = ctune_persist_backup(p, again, sizeof(again), NULL);
	ck_assert(r == -EEXIST || r == 1);
	if (r == 1)
		ck_assert_str_ne(again, path); /* the clock moved on */

	ck_assert_int_eq(ctune_persist_set(p, T, "43200", NULL), 0);
	ck_assert_int_eq(ctune_persist_set(p, U, "60", NULL), 0);
	ck_assert_int_eq(save(p), 1);
	ctune_persist_close(p);
	tl_assert_file(rootdir, DATA, "/etc/sysctl.conf", "comments.after");
	tl_assert_file(rootdir, DATA, path, "comments.before");
}
END_TEST

START_TEST(test_backup_missing)
{
	ctune_persist *p = open_ok("/etc/sysctl.d/90-conntrack.conf");
	char path[64] = "junk";
	ck_assert_int_eq(ctune_persist_backup(p, path, sizeof(path), NULL), 0);
	ck_assert_str_eq(path, "");
	ctune_persist_close(p);
	assert_dir("/etc/sysctl.d", empty_dir);
}
END_TEST

static Suite *persist_suite(void)
{
	Suite *s = suite_create("persist");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_set, 0, (int)(sizeof(set_cases) / sizeof(set_cases[0])));
	tcase_add_test(tc, test_missing_created);
	tcase_add_test(tc, test_missing_untouched);
	tcase_add_test(tc, test_missing_directory);
	tcase_add_test(tc, test_unparseable);
	tcase_add_test(tc, test_crlf_blank_line_in_mixed_file);
	tcase_add_test(tc, test_not_a_file);
	tcase_add_test(tc, test_idempotent);
	tcase_add_test(tc, test_idempotent_no_trailing_newline);
	tcase_add_test(tc, test_idempotent_crlf_and_dash);
	tcase_add_test(tc, test_legacy);
	tcase_add_test(tc, test_migrate);
	tcase_add_test(tc, test_remove);
	tcase_add_test(tc, test_list_ignores_other_keys);
	tcase_add_test(tc, test_symlink_relative);
	tcase_add_test(tc, test_symlink_absolute);
	tcase_add_test(tc, test_symlink_escape);
	tcase_add_test(tc, test_symlink_dangling);
	tcase_add_test(tc, test_mode_and_owner_kept);
	tcase_add_test(tc, test_failed_write_leaves_nothing);
	tcase_add_test(tc, test_stale);
	tcase_add_test(tc, test_bad_arguments);
	tcase_add_test(tc, test_session_after_save);
	tcase_add_test(tc, test_append_spelling);
	tcase_add_test(tc, test_backup);
	tcase_add_test(tc, test_backup_missing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tl_run(persist_suite());
}
