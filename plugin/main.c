/* main.c - the ctune executable: argv / args file / stdin -> request ->
 * libctune -> exactly one JSON object on stdout.
 *
 * Three ways in:
 *   ctune facts [--root DIR] [--table] ...   command line
 *                                            (--format human|prometheus: text)
 *   ctune ARGS_FILE                          Ansible's binary-module call
 *   ctune < request.json                     Salt, scripts, anything
 * Diagnostics go to stderr; stdout carries the one response object, also on
 * failure ({"failed": true, "msg": ...}).  Exit status: 0 success, 1 the
 * request failed, 2 the request itself was wrong.
 *
 * The response is the caller's only news of what was done, so a stdout that
 * cannot carry it (closed, read-only, /dev/full, a pipe nobody reads) is
 * refused before anything is read or changed; a write that still fails
 * (EPIPE, ENOSPC) says on stderr what was done.  SIGPIPE is ignored so that
 * a reader that goes away mid-way is an EPIPE to report, not a silent death.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "changelog.h"
#include "cleanup.h"
#include "cli-help.h"
#include "cli-set.h"
#include "facts.h"
#include "lock.h"
#include "textfile.h"
#include "txlog.h"
#include "human.h"
#include "json-util.h"
#include "netns-json.h"
#include "prometheus.h"
#include "report.h"
#include "request.h"
#include "response.h"
#include "root.h"
#include "watch.h"

#define MAX_REQUEST_BYTES (1u << 20)

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

static const char usage[] =
	"Usage: ctune facts [--root DIR] [--table [--top N]] [--source auto|proc|netlink] [--log-events]\n"
	"                   [--no-advice] [--no-boot] [--scheme auto|legacy|modern]\n"
	"                   [--format json|human|prometheus] [--per-cpu] [--netns]\n"
	"       ctune set NAME=VALUE... [--check|--dry-run] [--diff] [--file F] [--backup]\n"
	"                 [--no-live] [--no-persist] [--absent] [--migrate] [--override warn|fix]\n"
	"                 [--ensure-module yes|no] [--modules-load-file F] [--modprobe-file F]\n"
	"                 [--lock-timeout 30s] [--force] [--format json|human]\n"
	"                 [--color auto|always|never]\n"
	"                 [--root DIR] [--scheme auto|legacy|modern]\n"
	"       ctune tunables         (the table of tunables: names, units, ranges, keys)\n"
	"       ctune watch [--interval 1s|500ms] [--count N] [--root DIR] [--source auto|proc|netlink]\n"
	"                   [--format human|json]\n"
	"       ctune report [PATH...] [--top N] [--max-age D] [--format human|json|prometheus|html]\n"
	"                    [--output FILE]   (many hosts' facts from Ansible or Salt: see --help)\n"
	"       ctune ARGS_FILE        (Ansible binary-module convention)\n"
	"       ctune < REQUEST.json   (one JSON object on stdin)\n"
	"       ctune --help | --version | VERB --help | help VERB\n"
	"\n"
	"Reports and tunes the netfilter connection-tracking table.\n"
	"  facts      print one JSON object: scheme, count, max, usage, buckets, every timeout,\n"
	"             per-CPU statistics (drop, early_drop, insert_failed...), sizing advice,\n"
	"             effective_at_boot; --table adds a summary of the table by family,\n"
	"             protocol, TCP state, ASSURED, UNREPLIED and long remaining timeouts,\n"
	"             and its top talkers: the N largest groups (--top N, default 10, 0: off)\n"
	"             by source, destination, protocol/port, zone and mark;\n"
	"             --log-events adds the kernel log's \"table full, dropping packet\" lines\n"
	"             (it reads the whole log: its cost grows with the log, so not by default).\n"
	"             --netns adds every network namespace of the host with its entry count,\n"
	"             its /run/netns name and one process in it (pid, comm, cgroup).\n"
	"             --format: json (the default when stdout is not a terminal), human (a\n"
	"             report, the default on a terminal) or prometheus (node_exporter's textfile\n"
	"             collector; metrics named ctune_*).\n"
	"  set        bring tunables (canonical names: max, buckets, tcp_timeout_established,\n"
	"             udp_timeout, ...) to the given values, live through /proc/sys and persisted\n"
	"             in --file (default /etc/sysctl.conf) through Augeas, all or nothing.\n"
	"             Timeouts take seconds or durations: 90s, 30m, 12h, 3d.  buckets goes to\n"
	"             /etc/modprobe.d/ctune.conf (options nf_conntrack hashsize=N); on systemd\n"
	"             hosts the module is listed in /etc/modules-load.d/ctune.conf so the\n"
	"             persisted keys exist when systemd-sysctl applies them.  It refuses a max\n"
	"             below the live count and timeouts that would cut live connections\n"
	"             (tcp_timeout_established < 7200 s, udp_timeout_stream < 120 s) unless --force.\n"
	"  watch      sample count, max and the statistics every --interval (default 1s, 10ms..1d)\n"
	"             until Ctrl-C or --count N samples: a line per sample with usage, change/s,\n"
	"             drops/s and the time to a full table at the recent growth rate on a\n"
	"             terminal, one JSON object per line otherwise.  Never walks the table.\n"
	"  report     one report over many hosts' facts as Ansible (jsonfile cache, `--tree`) and\n"
	"             Salt (`--out=json`) wrote them: hosts ranked by risk, drift, fleet totals;\n"
	"             human, json, prometheus or a self-contained html page (ctune report --help).\n"
	"  --root DIR read proc/, sys/ and etc/ under DIR (fixture trees, offline images).\n"
	"\n"
	"`ctune tunables` lists every tunable (names, units, ranges, sysctl keys); set also\n"
	"takes their sysctl keys (net.netfilter.nf_conntrack_max=N, ip_conntrack_max=N).\n"
	"`ctune VERB --help` shows a verb's options.  Manual: man ctune.\n";

static char err_json_buf[PATH_MAX + 1024];
/* A person reads stdout (a terminal, and JSON not asked for with --format
 * json): an error goes to stderr alone, not also as JSON beside it. */
static bool tty_errors;
static volatile sig_atomic_t answering; /* the response is being written: a crash adds nothing */
#define ANSWER(call) (answering = 1, (call))

/* The exit status of a request that failed before anything was done with
 * -errno r: 2 when the request or its arguments were wrong, 1 when the
 * machine failed it (no memory, an I/O error), as for any later failure. */
static int status_of(int r)
{
	return r == -ENOMEM || r == -EIO || r == -ENOSPC || r == -EINTR ? EXIT_FAILED : EXIT_USAGE;
}

static int fail(int status, const char *msg)
{
	_cleanup_json_ json_t *o = ctune_error_response(msg);
	/* The message may quote a file's name or text from an image: a
	 * terminal gets its control characters as \xNN. */
	fputs("ctune: ", stderr);
	ctune_human_escape(stderr, msg, strlen(msg));
	fputc('\n', stderr);
	if (!tty_errors)
		ANSWER(ctune_response_print(o, false));
	return status;
}

/* The result of printing the response r (0 or -errno): when it failed, one
 * line on stderr with what the request did (done: a sentence, or NULL when
 * it changed nothing), and exit status 1. */
static int delivered(int r, const char *done)
{
	if (r >= 0)
		return EXIT_OK;
	fprintf(stderr, "ctune: cannot write the response to standard output: %s; %s%s\n",
		strerror(-r), done ? "the request was carried out: " : "",
		done ? done : "nothing was changed");
	return EXIT_FAILED;
}

/* Can stdout carry the response?  0, or -errno with why in why[]. */
static int check_stdout(char *why, size_t size)
{
	int fl = fcntl(STDOUT_FILENO, F_GETFL);
	if (fl < 0) {
		snprintf(why, size, "standard output is closed");
		return -EBADF;
	}
	if ((fl & O_ACCMODE) == O_RDONLY) {
		snprintf(why, size, "standard output is open for reading only");
		return -EBADF;
	}
	struct stat st;
	if (fstat(STDOUT_FILENO, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 &&
	    minor(st.st_rdev) == 7) {
		snprintf(why, size, "standard output is /dev/full");
		return -ENOSPC;
	}
	/* A pipe or socket whose reader is gone polls as an error or hang-up. */
	struct pollfd p = { .fd = STDOUT_FILENO, .events = POLLOUT };
	if (poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP | POLLNVAL))) {
		snprintf(why, size, "standard output is a pipe or socket nobody reads");
		return -EPIPE;
	}
	return 0;
}

/* Read all of fd, refusing more than MAX_REQUEST_BYTES. */
static int read_request(int fd, const char *what, char **out, size_t *len, ctune_error *err)
{
	size_t cap = 8192, got = 0;
	_cleanup_free_ char *buf = malloc(cap);
	if (!buf)
		return ctune_error_set(err, -ENOMEM, "out of memory");
	for (;;) {
		if (got == cap) {
			if (cap >= MAX_REQUEST_BYTES)
				return ctune_error_set(err, -EFBIG, "%s is larger than %u bytes", what,
						       MAX_REQUEST_BYTES);
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				return ctune_error_set(err, -ENOMEM, "out of memory");
			buf = nb;
			cap *= 2;
		}
		ssize_t k = read(fd, buf + got, cap - got);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return ctune_error_set(err, -errno, "cannot read %s: %s", what, strerror(errno));
		}
		if (k == 0)
			break;
		got += (size_t)k;
	}
	if (got == 0)
		return ctune_error_set(err, -ENODATA, "%s is empty: expected one JSON object", what);
	*out = TAKE_PTR(buf);
	*len = got;
	return 0;
}

/* "unknown verb 'fact' — did you mean 'facts'?"; alone: the single
 * argument was no file either (Ansible's arguments file convention). */
static int unknown_verb(const char *word, bool alone)
{
	char near[32], verbs[256], msg[512];
	if (ctune_cli_suggest_verb(usage, word, near, sizeof(near)))
		snprintf(msg, sizeof(msg), "unknown verb '%.64s' \u2014 did you mean '%s'?", word, near);
	else
		snprintf(msg, sizeof(msg), "unknown verb '%.64s' (verbs: %s; see ctune --help)%s", word,
			 ctune_cli_verbs(usage, verbs, sizeof(verbs)),
			 alone ? "; nor is it an arguments file: no such file" : "");
	return fail(EXIT_USAGE, msg);
}

static int run_facts(const ctune_request *req)
{
	ctune_error err = { 0 };
	ctune_root root;
	int ri = ctune_root_init(&root, req->root, &err);
	if (ri < 0)
		return fail(status_of(ri), err.msg);

	/* A run killed halfway left a journal: repair from it first (one
	 * lstat when there is none), and say so. */
	char note[sizeof(err.msg)] = "";
	if (ctune_txlog_pending(&root)) {
		ctune_error e = { 0 };
		unsigned wait = req->plan.lock_wait_ms ? req->plan.lock_wait_ms : 30000;
		_cleanup_close_ int lock = ctune_lock_acquire(&root, wait, &e);
		if (lock < 0 || ctune_txlog_recover(&root, note, sizeof(note), &e) < 0)
			snprintf(note, sizeof(note), "%s", e.msg);
	}

	ctune_facts facts;
	ctune_facts_opts opts = { .scheme = req->scheme,
				  .source = req->source,
				  .table = req->table,
				  .top = req->table ? req->top : 0,
				  .events = req->events,
				  .advice = req->advice,
				  .boot = req->boot };
	if (ctune_facts_gather(&root, &opts, &facts, &err) < 0)
		return fail(EXIT_FAILED, err.msg);

	_cleanup_json_ json_t *f = ctune_facts_to_json(&facts, &root);
	ctune_facts_free(&facts);
	if (!f)
		return fail(EXIT_FAILED, "out of memory");
	/* A root prefix is refused with the request (request.c); what fails
	 * here is the machine's. */
	if (req->netns && ctune_netns_facts(f, &root, &err) < 0)
		return fail(err.code == -EINVAL ? EXIT_USAGE : EXIT_FAILED, err.msg);
	if (note[0])
		json_array_append_new(json_object_get(f, "warnings"), ctune_json_text(note));

	ctune_format format = req->format;
	if (format == CTUNE_FORMAT_AUTO)
		format = isatty(STDOUT_FILENO) ? CTUNE_FORMAT_HUMAN : CTUNE_FORMAT_JSON;
	if (format == CTUNE_FORMAT_HUMAN)
		return delivered(ANSWER(ctune_human_print(stdout, f)), NULL);
	if (format == CTUNE_FORMAT_PROMETHEUS)
		return delivered(ANSWER(ctune_prometheus_print(stdout, f, req->per_cpu)), NULL);
	if (req->origin == CTUNE_ORIGIN_CLI)
		return delivered(ANSWER(ctune_response_print(f, true)), NULL);

	/* Protocol callers get the usual module result; facts travel under
	 * ansible_facts.conntrack, where Ansible merges them into hostvars. */
	_cleanup_json_ json_t *o = json_object();
	json_object_set_new(o, "changed", json_false());
	json_object_set_new(o, "failed", json_false());
	json_object_set(o, "warnings", json_object_get(f, "warnings"));
	json_object_del(f, "warnings");
	json_t *af = json_object();
	json_object_set(af, "conntrack", f);
	json_object_set_new(o, "ansible_facts", af);
	return delivered(ANSWER(ctune_response_print(o, false)), NULL);
}

/* The request is carried out but its response cannot be built (no memory
 * left): the short answer a caller needs, made without allocating, and
 * exit 0, since the request succeeded. */
static int applied_without_response(void)
{
	static const char text[] = "{\"changed\": true, \"failed\": false, \"msg\": \"the request was carried out; "
				   "its full response could not be built (out of memory)\"}\n";
	answering = 1;
	if (ctune_write_all(STDOUT_FILENO, text, sizeof(text) - 1) < 0) {
		static const char line[] = "ctune: cannot write the response to standard output; the request was "
					   "carried out\n";
		ssize_t w = write(STDERR_FILENO, line, sizeof(line) - 1);
		(void)w;
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

static int run_set(const ctune_request *req)
{
	ctune_error err = { 0 };
	ctune_root root;
	int ri = ctune_root_init(&root, req->root, &err);
	if (ri < 0)
		return fail(status_of(ri), err.msg);

	/* main() refused an unusable stdout before anything else (check_stdout). */
	ctune_plan plan;
	int r = ctune_plan_run(&root, &req->plan, req->want, req->nwant, &plan, &err);
	if (r < 0) {
		ctune_plan_free(&plan);
		return fail(plan.bad_request ? EXIT_USAGE : EXIT_FAILED, err.msg);
	}
	bool changed = plan.changed && !req->plan.check_mode;
	/* A record on the host of each change to it; an image or a fixture
	 * under --root is not this host (changelog.h). */
	if (changed && !req->root[0])
		ctune_changelog_syslog(&plan, &req->plan);
	_cleanup_json_ json_t *o = ctune_plan_to_json(&plan, &req->plan);
	ctune_plan_free(&plan);
	if (!o && changed)
		return applied_without_response();
	if (!o)
		return fail(EXIT_FAILED, "out of memory");
	const char *msg = json_string_value(json_object_get(o, "msg"));
	bool did = json_is_true(json_object_get(o, "changed")) && !req->plan.check_mode;
	ctune_format format = req->format;
	if (format == CTUNE_FORMAT_AUTO)
		format = isatty(STDOUT_FILENO) ? CTUNE_FORMAT_HUMAN : CTUNE_FORMAT_JSON;
	if (format == CTUNE_FORMAT_HUMAN) {
		bool color = req->color == CTUNE_COLOR_ALWAYS ||
			     (req->color == CTUNE_COLOR_AUTO && ctune_color_auto(STDOUT_FILENO));
		return delivered(ANSWER(ctune_set_human_print(stdout, o, color)), did ? msg : NULL);
	}
	return delivered(ANSWER(ctune_response_print(o, req->origin == CTUNE_ORIGIN_CLI)), did ? msg : NULL);
}

static int run(const ctune_request *req)
{
	switch (req->verb) {
	case CTUNE_VERB_FACTS:
		return run_facts(req);
	case CTUNE_VERB_SET:
		return run_set(req);
	case CTUNE_VERB_WATCH: {
		ctune_error err = { 0 };
		bool wrong = false;
		int r = ctune_watch_main(req, &err, &wrong);
		return r >= 0 ? r : fail(wrong ? EXIT_USAGE : EXIT_FAILED, err.msg[0] ? err.msg : strerror(-r));
	}
	case CTUNE_VERB_TUNABLES: {
		_cleanup_json_ json_t *o = ctune_tunables_to_json();
		return o ? delivered(ANSWER(ctune_response_print(o, req->origin == CTUNE_ORIGIN_CLI)), NULL) : EXIT_FAILED;
	}
	}
	return fail(EXIT_USAGE, "unknown verb");
}

static int run_json(int fd, const char *what)
{
	ctune_error err = { 0 };
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r = read_request(fd, what, &text, &len, &err);
	if (r < 0)
		return fail(status_of(r), err.msg[0] ? err.msg : strerror(-r));
	ctune_request req;
	r = ctune_request_from_json(text, len, &req, &err);
	if (r < 0)
		return fail(status_of(r), err.msg[0] ? err.msg : strerror(-r));
	return run(&req);
}

/* jansson seeds its hash function on first use from /dev/urandom: an open,
 * a read and a close on every run.  One getrandom() call does the same; a
 * seed of 0 (the call failed, or drew 0) leaves it to jansson.  That is the
 * fallback for kernels before 3.17, which have no getrandom() (ENOSYS; the
 * static binary runs on 2.6.18): jansson reads /dev/urandom, and where there
 * is none (an empty chroot) mixes the time and the pid.  Never a failure:
 * the seed only spreads hash buckets. */
static void seed_json(void)
{
	uint32_t seed = 0;
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
		seed = 0;
	json_object_seed(seed);
}


/* Augeas's lens scanner exits the process on a read error (textfile.c):
 * still one JSON object on stdout, and exit 1, since no lens runs after
 * the request's first change. */
static void augeas_exit_guard(void)
{
	const char *what = ctune_textfile_busy();
	if (!what)
		return;
	char msg[sizeof(err_json_buf) / 2];
	snprintf(msg, sizeof(msg), "%s (a lens file could not be read: Augeas's own words are on stderr)", what);
	fail(EXIT_FAILED, msg);
	fflush(stdout);
	_exit(EXIT_FAILED);
}

/* The same for a crash inside Augeas (it does not check every allocation
 * while it compiles a lens): the JSON is built by hand into a static
 * buffer, since nothing that allocates may run in a signal handler. */
static void augeas_crash_guard(int sig)
{
	/* Before the request's journal exists nothing has changed, and a
	 * crash (Augeas does not check every allocation) is one more failure
	 * to report; after it, dying is a kill -9, which the next run repairs
	 * from the journal. */
	const char *what = ctune_textfile_busy();
	if (!what && !ctune_txlog_active() && !answering)
		what = "ctune crashed before changing anything";
	if (!what) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	static const char head[] = "{\"failed\":true,\"changed\":false,\"msg\":\"";
	size_t n = 0;
	for (const char *c = head; *c; c++)
		err_json_buf[n++] = *c;
	for (const char *c = what; *c && n < sizeof(err_json_buf) - 64; c++) {
		unsigned char u = (unsigned char)*c;
		if (u == '"' || u == '\\')
			err_json_buf[n++] = '\\';
		err_json_buf[n++] = u < 0x20 ? ' ' : (char)u;
	}
	static const char tail[] = " (a crash)\"}\n";
	for (const char *c = tail; *c; c++)
		err_json_buf[n++] = *c;
	ssize_t w = write(STDOUT_FILENO, err_json_buf, n);
	static const char line[] = "ctune: crashed before changing anything\n";
	w = write(STDERR_FILENO, line, sizeof(line) - 1);
	(void)w;
	_exit(EXIT_FAILED);
}

/* Did the command line ask for JSON (--format json), which then carries
 * errors too? */
static bool json_asked(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--format=json") == 0 ||
		    (strcmp(argv[i], "--format") == 0 && i + 1 < argc && strcmp(argv[i + 1], "json") == 0))
			return true;
	return false;
}

/* `ctune VERB --help`, `ctune VERB -h`, `ctune help VERB`: the verb's help
 * and exit 0; -1 when the command line asks for none. */
static int verb_help(int argc, char **argv)
{
	const char *verb = NULL;
	if (argc < 2)
		return -1;
	if (strcmp(argv[1], "help") == 0 && argc >= 3)
		verb = argv[2];
	for (int i = 2; !verb && i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			verb = argv[1];
	if (!verb)
		return -1;
	if (!ctune_cli_is_verb(usage, verb))
		return unknown_verb(verb, false);
	if (strcmp(verb, "report") == 0) { /* its options are its own (report.c) */
		char *help[] = { argv[0], (char *)"report", (char *)"--help", NULL };
		return ctune_report_main(3, help);
	}
	ctune_cli_verb_help(stdout, usage, verb);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAILED;
}

int main(int argc, char **argv)
{
	/* First, before any open() could be given descriptor 1 and take the
	 * response for its own content. */
	char why[128];
	if (check_stdout(why, sizeof(why)) < 0) {
		fprintf(stderr, "ctune: %s: the response could not be delivered, so nothing was done\n", why);
		return EXIT_FAILED;
	}
	signal(SIGPIPE, SIG_IGN);
	seed_json();
	atexit(augeas_exit_guard);
	signal(SIGSEGV, augeas_crash_guard);
	signal(SIGBUS, augeas_crash_guard);
	signal(SIGABRT, augeas_crash_guard);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
			  (strcmp(argv[1], "help") == 0 && argc == 2))) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	tty_errors = isatty(STDOUT_FILENO) && !json_asked(argc, argv);
	int help = verb_help(argc, argv);
	if (help >= 0)
		return help;
	if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
		printf("ctune %s\n", CTUNE_VERSION);
		return EXIT_OK;
	}

	if (argc == 1) {
		/* A person who typed `ctune` alone; Ansible and Salt pipe. */
		if (isatty(STDIN_FILENO))
			fputs("ctune: reading one JSON request from standard input, e.g. {\"verb\": \"facts\"} or "
			      "{\"max\": 1210856}, ended by Ctrl-D.\n"
			      "       For the command line see `ctune --help` (ctune facts, ctune set max=N).\n",
			      stderr);
		return run_json(STDIN_FILENO, "the request on standard input");
	}

	/* The fleet view reads files, not a request: a verb of its own. */
	if (strcmp(argv[1], "report") == 0)
		return ctune_report_main(argc, argv);

	/* One argument that is not a verb (of the usage text) or an option:
	 * Ansible's args file. */
	if (argc == 2 && argv[1][0] != '-' && !ctune_cli_is_verb(usage, argv[1])) {
		/* A regular file, or a pipe (`ctune <(...)`): a FIFO without a
		 * writer does not hang the open and reads as empty; a device
		 * (/dev/zero), socket or directory is refused. */
		_cleanup_close_ int fd = ctune_file_open(argv[1], O_RDONLY, CTUNE_KIND_REG | CTUNE_KIND_PIPE);
		/* No such file, and a word rather than a path: a mistyped verb. */
		if (fd == -ENOENT && !strchr(argv[1], '/'))
			return unknown_verb(argv[1], true);
		if (fd < 0) {
			char msg[512];
			snprintf(msg, sizeof(msg), "cannot open the arguments file %s: %s", argv[1],
				 ctune_root_strerror(fd));
			return fail(EXIT_USAGE, msg);
		}
		return run_json(fd, "the arguments file");
	}

	if (argv[1][0] != '-' && !ctune_cli_is_verb(usage, argv[1]))
		return unknown_verb(argv[1], false);
	ctune_error err = { 0 };
	ctune_request req;
	int r = ctune_request_from_argv(argc, argv, &req, &err);
	if (r < 0)
		return fail(status_of(r), err.msg[0] ? err.msg : strerror(-r));
	return run(&req);
}
