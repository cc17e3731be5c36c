/* request.c - see request.h.  Both faces (argv and JSON) fill the same
 * struct through the same setters, so an option means one thing whichever
 * way it arrives. */
#include "request.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <jansson.h>
#include <string.h>
#include <strings.h>

#include "duration.h"
#include "json-util.h"
#include "suggest.h"
#include "watch-sample.h"

static void request_init(ctune_request *req, ctune_origin origin)
{
	memset(req, 0, sizeof(*req));
	req->verb = CTUNE_VERB_FACTS;
	req->origin = origin;
	req->format = origin == CTUNE_ORIGIN_CLI ? CTUNE_FORMAT_AUTO : CTUNE_FORMAT_JSON;
	req->scheme = CTUNE_SCHEME_NONE;
	req->top = CTUNE_TOP_LIMIT_DEFAULT;
	req->events = false; /* O(kernel log): asked for, never by default */
	req->advice = true;
	req->boot = true;
	req->source = CTUNE_SOURCE_AUTO;
	req->plan.state = CTUNE_STATE_PRESENT;
	req->plan.live = true;
	req->plan.persist = true;
	req->plan.scheme = CTUNE_SCHEME_NONE;
	req->plan.ensure_module = -1;
	snprintf(req->plan.file, sizeof(req->plan.file), "/etc/sysctl.conf");
}

static int set_root(ctune_request *req, const char *v, ctune_error *err)
{
	size_t n = strlen(v);
	if (n == 0)
		return ctune_error_set(err, -EINVAL, "root: must not be empty");
	if (n >= sizeof(req->root))
		return ctune_error_set(err, -EINVAL, "root: longer than %zu bytes", sizeof(req->root) - 1);
	memcpy(req->root, v, n + 1);
	return 0;
}

static int set_scheme(ctune_request *req, const char *v, ctune_error *err)
{
	if (strcmp(v, "auto") == 0) {
		req->scheme = CTUNE_SCHEME_NONE;
		return 0;
	}
	ctune_scheme s = ctune_scheme_from_name(v);
	if (s == CTUNE_SCHEME_NONE)
		return ctune_error_set(err, -EINVAL, "scheme: '%s' is not one of auto, legacy, modern", v);
	req->scheme = s;
	return 0;
}

static int set_format(ctune_request *req, const char *v, ctune_error *err)
{
	static const struct {
		const char *name;
		ctune_format format;
	} formats[] = { { "json", CTUNE_FORMAT_JSON },
			{ "human", CTUNE_FORMAT_HUMAN },
			{ "prometheus", CTUNE_FORMAT_PROMETHEUS } };
	for (size_t i = 0; i < ELEMENTSOF(formats); i++)
		if (strcmp(v, formats[i].name) == 0) {
			req->format = formats[i].format;
			return 0;
		}
	return ctune_error_set(err, -EINVAL, "format: '%s' is not one of json, human, prometheus", v);
}

static int set_color(ctune_request *req, const char *v, ctune_error *err)
{
	if (strcmp(v, "auto") == 0)
		req->color = CTUNE_COLOR_AUTO;
	else if (strcmp(v, "always") == 0)
		req->color = CTUNE_COLOR_ALWAYS;
	else if (strcmp(v, "never") == 0)
		req->color = CTUNE_COLOR_NEVER;
	else
		return ctune_error_set(err, -EINVAL, "color: '%s' is not one of auto, always, never", v);
	return 0;
}

static int set_verb(ctune_request *req, const char *v, ctune_error *err)
{
	req->verb_given = true;
	if (strcmp(v, "facts") == 0) {
		req->verb = CTUNE_VERB_FACTS;
		return 0;
	}
	if (strcmp(v, "set") == 0) {
		req->verb = CTUNE_VERB_SET;
		return 0;
	}
	if (strcmp(v, "tunables") == 0) {
		req->verb = CTUNE_VERB_TUNABLES;
		return 0;
	}
	if (strcmp(v, "watch") == 0) {
		req->verb = CTUNE_VERB_WATCH;
		return 0;
	}
	return ctune_error_set(err, -EINVAL, "verb: '%s' is not one of: facts, set, tunables, watch", v);
}

static int set_source(ctune_request *req, const char *v, ctune_error *err)
{
	if (strcmp(v, "auto") == 0)
		req->source = CTUNE_SOURCE_AUTO;
	else if (strcmp(v, "proc") == 0)
		req->source = CTUNE_SOURCE_PROC;
	else if (strcmp(v, "netlink") == 0)
		req->source = CTUNE_SOURCE_NETLINK;
	else
		return ctune_error_set(err, -EINVAL, "source: '%s' is not one of auto, proc, netlink", v);
	return 0;
}

/* top: how many groups each top-talker dimension lists (table.h). */
static int set_top(ctune_request *req, const char *v, ctune_error *err)
{
	unsigned long n = 0;
	size_t len = strlen(v);
	bool ok = len > 0 && len <= 7;
	for (size_t i = 0; ok && i < len; i++) {
		ok = v[i] >= '0' && v[i] <= '9';
		n = n * 10 + (unsigned long)(v[i] - '0');
	}
	if (!ok || n > CTUNE_TOP_LIMIT_MAX)
		return ctune_error_set(err, -EINVAL, "top: '%.32s' is not a number of groups from 0 (off) to %u", v,
				       CTUNE_TOP_LIMIT_MAX);
	req->top = (unsigned)n;
	req->top_given = true;
	return 0;
}

static int set_state(ctune_request *req, const char *v, ctune_error *err)
{
	if (strcmp(v, "present") == 0)
		req->plan.state = CTUNE_STATE_PRESENT;
	else if (strcmp(v, "absent") == 0)
		req->plan.state = CTUNE_STATE_ABSENT;
	else
		return ctune_error_set(err, -EINVAL, "state: '%s' is not one of present, absent", v);
	return 0;
}

static int json_to_bool(json_t *v, const char *field, bool *out, ctune_error *err);

/* NAME.conf directly in dir, NAME as schemas/request.json spells it: the
 * first character one of A-Za-z0-9_+@- (no dot: no hidden files, no ".."),
 * the rest also '.', at most 127 bytes with ".conf"; nothing a shell, a glob
 * or a line-based file could read twice (no blank, '*', '/', newline). */
static int set_path(char *dst, size_t size, const char *field, const char *v, const char *dir, ctune_error *err)
{
	size_t dl = strlen(dir);
	const char *name = v + dl;
	size_t nl = strncmp(v, dir, dl) == 0 ? strlen(name) : 0;
	bool ok = nl > 5 && nl < 128 && dl + nl < size && name[0] != '.' && strcmp(name + nl - 5, ".conf") == 0;
	for (const char *c = name; ok && *c; c++)
		ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		     strchr("._-+@", *c);
	if (!ok)
		return ctune_error_set(err, -EINVAL,
				       "%s: '%.200s' is not NAME.conf directly in %s (NAME of letters, digits and "
				       "._-+@, not starting with '.', at most 127 bytes with .conf)",
				       field, v, dir);
	snprintf(dst, size, "%s", v);
	return 0;
}

static int set_modules_load_file(ctune_request *req, const char *v, ctune_error *err)
{
	return set_path(req->plan.modules_load_file, sizeof(req->plan.modules_load_file), "modules_load_file", v,
			"/etc/modules-load.d/", err);
}

static int set_modprobe_file(ctune_request *req, const char *v, ctune_error *err)
{
	return set_path(req->plan.modprobe_file, sizeof(req->plan.modprobe_file), "modprobe_file", v,
			"/etc/modprobe.d/", err);
}

static int set_ensure_module(ctune_request *req, const char *v, ctune_error *err)
{
	bool b = false;
	json_t *s = json_string(v);
	int r = s ? json_to_bool(s, "ensure_module", &b, err) : -ENOMEM;
	json_decref(s);
	if (r == 0)
		req->plan.ensure_module = b;
	return r;
}

/* How long to wait for another run's lock: seconds or a duration ("5s"). */
static int set_lock_timeout(ctune_request *req, const char *v, ctune_error *err)
{
	long long secs;
	int r = ctune_duration_parse(v, CTUNE_DURATION_UNITS, &secs, err);
	if (r < 0)
		return r;
	if (secs < 1 || secs > 3600)
		return ctune_error_set(err, -ERANGE, "lock_timeout: %lld s is outside 1..3600", secs);
	req->plan.lock_wait_ms = (unsigned)(secs * 1000);
	return 0;
}

static int set_interval(ctune_request *req, const char *v, ctune_error *err)
{
	return ctune_watch_parse_interval(v, &req->interval_ms, err);
}

static int set_samples(ctune_request *req, const char *v, ctune_error *err)
{
	return ctune_watch_parse_samples(v, req->origin == CTUNE_ORIGIN_CLI ? "count" : "samples", &req->samples, err);
}

static int set_override(ctune_request *req, const char *v, ctune_error *err)
{
	if (strcmp(v, "warn") == 0)
		req->plan.override = CTUNE_OVERRIDE_WARN;
	else if (strcmp(v, "fix") == 0)
		req->plan.override = CTUNE_OVERRIDE_FIX;
	else
		return ctune_error_set(err, -EINVAL, "override: '%s' is not one of warn, fix", v);
	return 0;
}

static int set_file(ctune_request *req, const char *v, ctune_error *err)
{
	if (strlen(v) >= sizeof(req->plan.file))
		return ctune_error_set(err, -EINVAL, "file: longer than %zu bytes", sizeof(req->plan.file) - 1);
	int r = ctune_plan_check_file(v, err);
	if (r < 0)
		return r;
	snprintf(req->plan.file, sizeof(req->plan.file), "%s", v);
	return 0;
}

/* Add a wanted tunable; text == NULL means "no value" (state: absent). */
static ctune_want *add_want(ctune_request *req, const ctune_tunable *t, ctune_error *err)
{
	for (size_t i = 0; i < req->nwant; i++)
		if (req->want[i].t == t) {
			ctune_error_set(err, -EINVAL, "%s is given twice", t->name);
			return NULL;
		}
	if (req->nwant >= CTUNE_PLAN_MAX_ITEMS) {
		ctune_error_set(err, -E2BIG, "more than %d tunables in one request", CTUNE_PLAN_MAX_ITEMS);
		return NULL;
	}
	ctune_want *w = &req->want[req->nwant];
	req->want_has_value[req->nwant] = false;
	req->nwant++;
	w->t = t;
	w->value = 0;
	return w;
}

static int want_text(ctune_request *req, const ctune_tunable *t, const char *text, ctune_error *err)
{
	ctune_want *w = add_want(req, t, err);
	if (!w)
		return err ? err->code : -EINVAL;
	if (!text)
		return 0;
	/* On/off tunables from Ansible's key=value syntax: acct=yes. */
	if (t->flags & CTUNE_TF_BOOL) {
		bool b;
		json_t *s = json_string(text);
		int known = s && json_to_bool(s, t->name, &b, NULL) == 0;
		json_decref(s);
		if (known) {
			w->value = b;
			req->want_has_value[req->nwant - 1] = true;
			return 0;
		}
	}
	int r = ctune_duration_parse_tunable(t, text, &w->value, err);
	if (r < 0)
		return r;
	req->want_has_value[req->nwant - 1] = true;
	return 0;
}

/* Check mode has several spellings (_ansible_check_mode, check_mode,
 * --check, --dry-run) and none of them can switch it off once another asked
 * for it: any true one makes the request a check, whatever the order of the
 * keys.  An explicit check_mode: false beside a true spelling is refused
 * (finish()), as the caller wants two things at once.  Ansible's own
 * _ansible_check_mode: false is not such a wish: Ansible sends it on every
 * run outside --check, so it never conflicts. */
static int ask_check_mode(ctune_request *req, const char *key, bool on)
{
	if (on) {
		req->check_mode = true;
		if (!req->check_on_key)
			req->check_on_key = key;
	} else if (strcmp(key, "_ansible_check_mode") != 0 && !req->check_off_key) {
		req->check_off_key = key;
	}
	return 0;
}

/* _ansible_check_mode / check_mode, _ansible_diff / diff: the same rule for
 * both pairs (a diff is only more output, so there is nothing to refuse). */
static int json_mode(ctune_request *req, const char *key, json_t *v, ctune_error *err)
{
	bool b = false;
	int r = json_to_bool(v, key, &b, err);
	if (r < 0)
		return r;
	if (strstr(key, "check_mode"))
		return ask_check_mode(req, strcmp(key, "check_mode") == 0 ? "check_mode" : "_ansible_check_mode", b);
	if (b)
		req->diff = true;
	return 0;
}

static const char *verb_name(ctune_verb v)
{
	switch (v) {
	case CTUNE_VERB_FACTS:
		return "facts";
	case CTUNE_VERB_SET:
		return "set";
	case CTUNE_VERB_TUNABLES:
		return "tunables";
	case CTUNE_VERB_WATCH:
		return "watch";
	}
	return "?";
}

/* Every tunable must have a value unless the request removes them; the verb
 * follows from the tunables when not given. */
static int finish(ctune_request *req, ctune_error *err)
{
	if (req->check_on_key && req->check_off_key)
		return ctune_error_set(err, -EINVAL,
				       "%s: false conflicts with %s: true: check mode cannot be switched off once asked "
				       "for (in Ansible, use the task keyword check_mode, not a module option)",
				       req->check_off_key, req->check_on_key);
	if (req->top_given && req->top > 0 && !req->table)
		return ctune_error_set(err, -EINVAL,
				       "top: lists the table's top talkers, so it needs the table (--table, \"table\": "
				       "true)");
	if (req->facts_only) {
		if (req->nwant > 0)
			return ctune_error_set(err, -EINVAL,
					       "ctune_facts only reports facts (%s given: the ctune module sets tunables)",
					       req->want[0].t->name);
		if (req->verb_given && req->verb != CTUNE_VERB_FACTS)
			return ctune_error_set(err, -EINVAL, "ctune_facts only reports facts (verb %s given)",
					       verb_name(req->verb));
		req->verb = CTUNE_VERB_FACTS;
	}
	if (!req->verb_given && req->nwant > 0)
		req->verb = CTUNE_VERB_SET;
	if (req->verb != CTUNE_VERB_SET && req->nwant > 0)
		return ctune_error_set(err, -EINVAL, "verb %s takes no tunables (%s given%s)", verb_name(req->verb),
				       req->want[0].t->name,
				       req->verb == CTUNE_VERB_WATCH && strcmp(req->want[0].t->name, "count") == 0
					       ? "; the number of samples is \"samples\" in JSON, --count on the command line"
					       : "");
	if (req->verb == CTUNE_VERB_SET && req->nwant == 0)
		return ctune_error_set(err, -EINVAL, "verb set needs at least one tunable, e.g. max=1210856");
	/* Text formats are other faces of the facts (and human of watch's
	 * lines); Ansible reads only JSON. */
	if (req->format == CTUNE_FORMAT_HUMAN || req->format == CTUNE_FORMAT_PROMETHEUS) {
		const char *f = req->format == CTUNE_FORMAT_HUMAN ? "human" : "prometheus";
		/* set's summary is for a person at the command line; a JSON
		 * request is a program's. */
		bool human_set = req->format == CTUNE_FORMAT_HUMAN && req->verb == CTUNE_VERB_SET &&
				 req->origin == CTUNE_ORIGIN_CLI;
		bool human_watch = req->verb == CTUNE_VERB_WATCH && req->format == CTUNE_FORMAT_HUMAN;
		if (req->verb != CTUNE_VERB_FACTS && !human_set && !human_watch)
			return ctune_error_set(err, -EINVAL, "format: %s is for the facts verb only", f);
		if (req->origin == CTUNE_ORIGIN_ANSIBLE)
			return ctune_error_set(err, -EINVAL, "format: %s cannot go to Ansible, which reads JSON", f);
	}
	/* watch prints until stopped: one JSON line per sample, which Ansible
	 * (one object, once) cannot take. */
	if (req->verb == CTUNE_VERB_WATCH && (req->origin == CTUNE_ORIGIN_ANSIBLE || req->facts_only))
		return ctune_error_set(err, -EINVAL,
				       "verb watch prints a line per sample until stopped: run it from a terminal or a "
				       "script, not as an Ansible task");
	if (req->verb != CTUNE_VERB_WATCH && (req->interval_ms || req->samples))
		return ctune_error_set(err, -EINVAL, "%s is for the watch verb only",
				       req->interval_ms ? "interval" : req->origin == CTUNE_ORIGIN_CLI ? "count" : "samples");
	/* The namespaces are the running kernel's; a root prefix is files. */
	if (req->netns && req->root[0] && strcmp(req->root, "/") != 0)
		return ctune_error_set(err, -EINVAL,
				       "netns lists the running host's network namespaces and cannot be combined with a "
				       "root prefix (%s)",
				       req->root);
	if (req->netns && req->verb != CTUNE_VERB_FACTS)
		return ctune_error_set(err, -EINVAL, "netns is for the facts verb only");
	/* state absent removes keys from the file and leaves live values alone:
	 * without persist it would do nothing and report success. */
	if (req->verb == CTUNE_VERB_SET && req->plan.state == CTUNE_STATE_ABSENT && !req->plan.persist)
		return ctune_error_set(err, -EINVAL,
				       "state absent removes keys from %s, and persist is false: nothing would be "
				       "removed (drop persist: false, or use state present)",
				       req->plan.file);
	if (req->plan.state == CTUNE_STATE_PRESENT)
		for (size_t i = 0; i < req->nwant; i++)
			if (!req->want_has_value[i])
				return ctune_error_set(err, -EINVAL, "%s: needs a value (or state: absent)",
						       req->want[i].t->name);
	if (req->per_cpu && (req->verb != CTUNE_VERB_FACTS || req->format != CTUNE_FORMAT_PROMETHEUS))
		return ctune_error_set(err, -EINVAL,
				       "per_cpu: only for facts in format prometheus (the JSON facts always hold "
				       "stats.per_cpu)");
	if (req->plan.force && req->verb != CTUNE_VERB_SET)
		return ctune_error_set(err, -EINVAL, "force: only for set (it overrides set's guards)");
	req->plan.scheme = req->scheme;
	req->plan.check_mode = req->check_mode;
	req->plan.diff = req->diff;
	return 0;
}

/* ---- command line ---- */

typedef int (*string_setter)(ctune_request *, const char *, ctune_error *);

static const struct {
	const char *name;
	string_setter set;
} cli_valued[] = {
	{ "--root", set_root },   { "--scheme", set_scheme }, { "--format", set_format },
	{ "--file", set_file },   { "--state", set_state },   { "--override", set_override },
	{ "--source", set_source }, { "--modules-load-file", set_modules_load_file },
	{ "--modprobe-file", set_modprobe_file }, { "--ensure-module", set_ensure_module },
	{ "--lock-timeout", set_lock_timeout },
	{ "--color", set_color },
	{ "--interval", set_interval }, { "--count", set_samples },
	{ "--top", set_top },
};

static const struct {
	const char *name;
	size_t offset; /* of the bool in ctune_request */
	bool value;
} cli_flags[] = {
	{ "--table", offsetof(ctune_request, table), true },
	{ "--backup", offsetof(ctune_request, plan.backup), true },
	{ "--migrate", offsetof(ctune_request, plan.migrate), true },
	{ "--no-live", offsetof(ctune_request, plan.live), false },
	{ "--no-persist", offsetof(ctune_request, plan.persist), false },
	{ "--log-events", offsetof(ctune_request, events), true },
	{ "--no-log-events", offsetof(ctune_request, events), false },
	{ "--no-advice", offsetof(ctune_request, advice), false },
	{ "--no-boot", offsetof(ctune_request, boot), false },
	{ "--netns", offsetof(ctune_request, netns), true },
	{ "--per-cpu", offsetof(ctune_request, per_cpu), true },
	{ "--force", offsetof(ctune_request, plan.force), true },
};

/* "unknown tunable 'mx' (did you mean 'max'?)", with the pointer to the
 * list when nothing is near. */
static int unknown_tunable(const char *name, ctune_error *err)
{
	char near[300];
	if (ctune_tunable_suggest(name, near, sizeof(near)))
		return ctune_error_set(err, -EINVAL, "unknown tunable '%s' (did you mean '%s'?)", name, near);
	return ctune_error_set(err, -EINVAL, "unknown tunable '%s' (`ctune tunables` lists them)", name);
}

/* "max=1210856" or, for state absent, "max". */
static int cli_tunable(ctune_request *req, const char *arg, ctune_error *err)
{
	char name[96]; /* the longest /proc/sys path of a tunable is 75 bytes */
	const char *eq = strchr(arg, '=');
	size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
	if (n == 0 || n >= sizeof(name))
		return ctune_error_set(err, -EINVAL, "'%s' is not NAME=VALUE", arg);
	memcpy(name, arg, n);
	name[n] = '\0';
	const ctune_tunable *t = ctune_tunable_resolve(name);
	if (!t && (strcmp(name, "name") == 0 || strcmp(name, "key") == 0))
		return ctune_error_set(err, -EINVAL,
				       "%s= is ansible.posix.sysctl's form, for the Ansible module and JSON; on the "
				       "command line give the key itself: ctune set %.200s=VALUE",
				       name, eq && ctune_tunable_resolve(eq + 1) ? eq + 1 : "KEY");
	if (!t)
		return unknown_tunable(name, err);
	return want_text(req, t, eq ? eq + 1 : NULL, err);
}

static int cli_option(ctune_request *req, int argc, char **argv, int *i, ctune_error *err)
{
	const char *a = argv[*i];
	const char *eq = strchr(a, '=');
	size_t n = eq ? (size_t)(eq - a) : strlen(a);
	for (size_t k = 0; k < ELEMENTSOF(cli_flags); k++)
		if (!eq && strcmp(a, cli_flags[k].name) == 0) {
			*(bool *)((char *)req + cli_flags[k].offset) = cli_flags[k].value;
			return 0;
		}
	if (strcmp(a, "--absent") == 0)
		return set_state(req, "absent", err);
	if (strcmp(a, "--check") == 0 || strcmp(a, "--dry-run") == 0)
		return ask_check_mode(req, a, true);
	if (strcmp(a, "--diff") == 0) {
		req->diff = true;
		return 0;
	}
	for (size_t k = 0; k < ELEMENTSOF(cli_valued); k++) {
		if (strlen(cli_valued[k].name) != n || strncmp(a, cli_valued[k].name, n) != 0)
			continue;
		if (eq)
			return cli_valued[k].set(req, eq + 1, err);
		if (*i + 1 >= argc)
			return ctune_error_set(err, -EINVAL, "option %s needs a value", a);
		return cli_valued[k].set(req, argv[++*i], err);
	}
	/* --colour for --color, --dryrun for --dry-run: the nearest option. */
	const char *names[ELEMENTSOF(cli_flags) + ELEMENTSOF(cli_valued) + 4] = { "--absent", "--check", "--dry-run",
										   "--diff" };
	size_t nn = 4;
	for (size_t k = 0; k < ELEMENTSOF(cli_flags); k++)
		names[nn++] = cli_flags[k].name;
	for (size_t k = 0; k < ELEMENTSOF(cli_valued); k++)
		names[nn++] = cli_valued[k].name;
	char opt[64];
	snprintf(opt, sizeof(opt), "%.*s", (int)(n < sizeof(opt) ? n : sizeof(opt) - 1), a);
	const char *near = ctune_suggest(opt, names, nn, NULL);
	if (near)
		return ctune_error_set(err, -EINVAL, "unknown option '%s' (did you mean '%s'?)", a, near);
	return ctune_error_set(err, -EINVAL, "unknown option '%s' (see ctune %s --help)", a, argv[1]);
}

int ctune_request_from_argv(int argc, char **argv, ctune_request *req, ctune_error *err)
{
	request_init(req, CTUNE_ORIGIN_CLI);
	if (argc < 2)
		return ctune_error_set(err, -EINVAL, "no verb given (try: ctune facts)");
	int r = set_verb(req, argv[1], err);
	if (r < 0)
		return r;
	for (int i = 2; i < argc; i++) {
		r = argv[i][0] == '-' ? cli_option(req, argc, argv, &i, err)
				      : req->verb == CTUNE_VERB_SET ? cli_tunable(req, argv[i], err)
								    : ctune_error_set(err, -EINVAL,
										      "unexpected argument '%s'", argv[i]);
		if (r < 0)
			return r;
	}
	return finish(req, err);
}

/* ---- JSON ---- */

/* Ansible sends booleans from key=value syntax as strings. */
static int json_to_bool(json_t *v, const char *field, bool *out, ctune_error *err)
{
	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return 0;
	}
	if (json_is_string(v)) {
		static const char *const yes[] = { "true", "yes", "on", "1", "y", "t" };
		static const char *const no[] = { "false", "no", "off", "0", "n", "f" };
		const char *s = json_string_value(v);
		for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
			if (strcasecmp(s, yes[i]) == 0) {
				*out = true;
				return 0;
			}
			if (strcasecmp(s, no[i]) == 0) {
				*out = false;
				return 0;
			}
		}
	}
	if (json_is_integer(v) && (json_integer_value(v) == 0 || json_integer_value(v) == 1)) {
		*out = json_integer_value(v) == 1;
		return 0;
	}
	return ctune_error_set(err, -EINVAL, "%s: expected a boolean", field);
}

static int json_to_string(json_t *v, const char *field, const char **out, ctune_error *err)
{
	if (!json_is_string(v))
		return ctune_error_set(err, -EINVAL, "%s: expected a string", field);
	const char *s = json_string_value(v);
	if (strlen(s) != json_string_length(v))
		return ctune_error_set(err, -EINVAL, "%s: contains a NUL byte", field);
	*out = s;
	return 0;
}

static const struct {
	const char *name;
	string_setter set;
} string_fields[] = {
	{ "verb", set_verb }, { "root", set_root },   { "scheme", set_scheme },
	{ "file", set_file }, { "state", set_state }, { "override", set_override },
	{ "source", set_source }, { "format", set_format },
	{ "modules_load_file", set_modules_load_file }, { "modprobe_file", set_modprobe_file },
	{ "lock_timeout", set_lock_timeout },
	{ "interval", set_interval }, { "samples", set_samples },
};

static const struct {
	const char *name;
	size_t offset;
} bool_fields[] = {
	{ "table", offsetof(ctune_request, table) },
	{ "log_events", offsetof(ctune_request, events) },
	{ "advice", offsetof(ctune_request, advice) },
	{ "boot", offsetof(ctune_request, boot) },
	{ "netns", offsetof(ctune_request, netns) },
	{ "per_cpu", offsetof(ctune_request, per_cpu) },
	{ "force", offsetof(ctune_request, plan.force) },
	{ "live", offsetof(ctune_request, plan.live) },
	{ "persist", offsetof(ctune_request, plan.persist) },
	{ "backup", offsetof(ctune_request, plan.backup) },
	{ "migrate", offsetof(ctune_request, plan.migrate) },
};

/* A tunable's value: a JSON integer, a numeric or duration string (Ansible's
 * key=value syntax sends strings), a boolean for flags, or null with state
 * absent. */
static int json_tunable(ctune_request *req, const ctune_tunable *t, json_t *v, ctune_error *err)
{
	if (json_is_null(v))
		return want_text(req, t, NULL, err);
	if (json_is_string(v)) {
		const char *s = NULL;
		int r = json_to_string(v, t->name, &s, err);
		return r < 0 ? r : want_text(req, t, s, err);
	}
	ctune_want *w = add_want(req, t, err);
	if (!w)
		return err ? err->code : -EINVAL;
	if (json_is_integer(v)) {
		w->value = json_integer_value(v);
		if (w->value < t->min || w->value > t->max)
			return ctune_error_set(err, -ERANGE, "%s: %lld is outside the valid range %lld..%lld", t->name,
					       w->value, t->min, t->max);
	} else if (json_is_boolean(v) && (t->flags & CTUNE_TF_BOOL)) {
		w->value = json_is_true(v);
	} else if (json_is_real(v)) {
		return ctune_error_set(err, -EINVAL, "%s: expected a whole number, got %g", t->name,
				       json_real_value(v));
	} else {
		return ctune_error_set(err, -EINVAL, "%s: expected a number%s", t->name,
				       t->unit == CTUNE_UNIT_SECONDS ? " or a duration such as 12h" : "");
	}
	req->want_has_value[req->nwant - 1] = true;
	return 0;
}

/* The options of ansible.posix.sysctl that ctune maps (sysctl_form). */
static const char *const sysctl_fields[] = { "name", "key", "value", "val", "sysctl_file", "reload", "sysctl_set",
					     "ignoreerrors" };

/* A key that is neither an option nor a tunable: said with the nearest
 * option or tunable when one is near (an option first: "persistent"). */
static int unknown_key(const char *key, ctune_error *err)
{
	const char *names[ELEMENTSOF(string_fields) + ELEMENTSOF(bool_fields) + ELEMENTSOF(sysctl_fields) + 4] = {
		"check_mode", "diff", "ensure_module", "_ansible_check_mode"
	};
	size_t n = 4;
	for (size_t i = 0; i < ELEMENTSOF(string_fields); i++)
		names[n++] = string_fields[i].name;
	for (size_t i = 0; i < ELEMENTSOF(bool_fields); i++)
		names[n++] = bool_fields[i].name;
	for (size_t i = 0; i < ELEMENTSOF(sysctl_fields); i++)
		names[n++] = sysctl_fields[i];
	const char *near = ctune_suggest(key, names, n, NULL);
	if (near)
		return ctune_error_set(err, -EINVAL, "unknown option '%s' (did you mean '%s'?)", key, near);
	char tun[300];
	if (ctune_tunable_suggest(key, tun, sizeof(tun)))
		return ctune_error_set(err, -EINVAL, "unknown tunable '%s' (did you mean '%s'?)", key, tun);
	return ctune_error_set(err, -EINVAL,
			       "unknown tunable '%s' (nor is it an option; `ctune tunables` lists the tunables)", key);
}

static int apply_field(ctune_request *req, const char *key, json_t *v, ctune_error *err)
{
	if (strncmp(key, "_ansible_", 9) == 0) {
		/* Ansible adds keys with new releases: ignore the ones we do not use. */
		req->origin = CTUNE_ORIGIN_ANSIBLE;
		if (strcmp(key, "_ansible_check_mode") == 0 || strcmp(key, "_ansible_diff") == 0)
			return json_mode(req, key, v, err);
		/* The same binary serves as ctune_facts: the args file names the
		 * module (argv[0] is AnsiballZ_*, no use). */
		if (strcmp(key, "_ansible_module_name") == 0 && json_is_string(v)) {
			const char *name = json_string_value(v), *dot = strrchr(name, '.');
			req->facts_only = strcmp(dot ? dot + 1 : name, "ctune_facts") == 0;
		}
		return 0;
	}
	if (strcmp(key, "check_mode") == 0 || strcmp(key, "diff") == 0)
		return json_mode(req, key, v, err);
	if (strcmp(key, "top") == 0) {
		if (json_is_integer(v)) {
			json_int_t n = json_integer_value(v);
			if (n < 0 || n > CTUNE_TOP_LIMIT_MAX)
				return ctune_error_set(err, -EINVAL, "top: %lld is not a number of groups from 0 (off) to %u",
						       (long long)n, CTUNE_TOP_LIMIT_MAX);
			req->top = (unsigned)n;
			req->top_given = true;
			return 0;
		}
		if (!json_is_string(v))
			return ctune_error_set(err, -EINVAL, "top: expected a number of groups from 0 (off) to %u",
					       CTUNE_TOP_LIMIT_MAX);
		const char *s = NULL;
		int r = json_to_string(v, key, &s, err);
		return r < 0 ? r : set_top(req, s, err);
	}
	if (strcmp(key, "ensure_module") == 0) {
		bool b;
		int r = json_to_bool(v, key, &b, err);
		if (r == 0)
			req->plan.ensure_module = b;
		return r;
	}
	if (strcmp(key, "samples") == 0 && json_is_integer(v)) {
		char text[32];
		snprintf(text, sizeof(text), "%lld", (long long)json_integer_value(v));
		return set_samples(req, text, err);
	}
	for (size_t i = 0; i < ELEMENTSOF(bool_fields); i++)
		if (strcmp(key, bool_fields[i].name) == 0)
			return json_to_bool(v, key, (bool *)((char *)req + bool_fields[i].offset), err);
	for (size_t i = 0; i < ELEMENTSOF(sysctl_fields); i++)
		if (strcmp(key, sysctl_fields[i]) == 0)
			return 0; /* sysctl_form(), once every key is read */
	const ctune_tunable *t = ctune_tunable_resolve(key);
	if (t)
		return json_tunable(req, t, v, err);
	for (size_t i = 0; i < ELEMENTSOF(string_fields); i++) {
		if (strcmp(key, string_fields[i].name) != 0)
			continue;
		const char *s = NULL;
		int r = json_to_string(v, key, &s, err);
		return r < 0 ? r : string_fields[i].set(req, s, err);
	}
	return unknown_key(key, err);
}

/* ---- ansible.posix.sysctl's form ---- */

/* One of the two spellings of an option of ansible.posix.sysctl (name or
 * key, value or val): NULL when neither is there, refused when both are. */
static int sysctl_field(json_t *doc, const char *a, const char *b, json_t **out, ctune_error *err)
{
	json_t *va = json_object_get(doc, a), *vb = json_object_get(doc, b);
	if (va && vb)
		return ctune_error_set(err, -EINVAL, "%s and %s are the same option: give one", a, b);
	*out = va ? va : vb;
	return 0;
}

/* name/value with sysctl_file, reload, sysctl_set, ignoreerrors, as
 * ansible.posix.sysctl takes them (docs/migration.md): one key, in any
 * spelling ctune_tunable_resolve knows.  reload (default true: the module
 * runs `sysctl -p` after writing the file) and sysctl_set (`sysctl -w`)
 * both make the value live; with both false only the file changes.
 * ignoreerrors is accepted either way: ctune persists a key the running
 * kernel lacks with a warning (as `sysctl -e`), and refuses a name that is
 * no conntrack tunable before anything changes. */
static int sysctl_form(ctune_request *req, json_t *doc, ctune_error *err)
{
	json_t *name = NULL, *value = NULL;
	int r = sysctl_field(doc, "name", "key", &name, err);
	if (r == 0)
		r = sysctl_field(doc, "value", "val", &value, err);
	if (r < 0)
		return r;
	json_t *file = json_object_get(doc, "sysctl_file"), *reload = json_object_get(doc, "reload"),
	       *set = json_object_get(doc, "sysctl_set"), *ignore = json_object_get(doc, "ignoreerrors");
	const char *given = name ? (json_object_get(doc, "name") ? "name" : "key")
			   : value ? (json_object_get(doc, "value") ? "value" : "val")
			   : file ? "sysctl_file" : reload ? "reload" : set ? "sysctl_set" : ignore ? "ignoreerrors" : NULL;
	if (!given)
		return 0;
	if (!name)
		return ctune_error_set(err, -EINVAL,
				       "%s is an option of the name/value form (ansible.posix.sysctl's): name is "
				       "missing",
				       given);
	if (req->nwant > 0)
		return ctune_error_set(err, -EINVAL,
				       "name/value (ansible.posix.sysctl's form, one key) cannot be mixed with tunables "
				       "given by name (%s): use one form",
				       req->want[0].t->name);
	const char *key = NULL;
	r = json_to_string(name, "name", &key, err);
	if (r < 0)
		return r;
	const ctune_tunable *t = ctune_tunable_resolve(key);
	if (!t) {
		char near[300];
		if (ctune_tunable_suggest(key, near, sizeof(near)))
			return ctune_error_set(err, -EINVAL, "name: unknown tunable '%s' (did you mean '%s'?)", key,
					       near);
		return ctune_error_set(err, -EINVAL,
				       "name: '%s' is not a conntrack tunable (ctune sets net.netfilter.nf_conntrack_* "
				       "and its legacy and short spellings: `ctune tunables` lists them)",
				       key);
	}
	if (file && json_object_get(doc, "file"))
		return ctune_error_set(err, -EINVAL, "sysctl_file and file are the same option: give one");
	if (file) {
		const char *f = NULL;
		r = json_to_string(file, "sysctl_file", &f, err);
		if (r == 0 && (r = set_file(req, f, err)) < 0 && err && strncmp(err->msg, "file:", 5) == 0) {
			char why[sizeof(err->msg)];
			snprintf(why, sizeof(why), "%s", err->msg + 5);
			snprintf(err->msg, sizeof(err->msg), "sysctl_file:%.1000s", why);
		}
		if (r < 0)
			return r;
	}
	bool b_reload = true, b_set = false, b_ignore = false;
	if ((reload && (r = json_to_bool(reload, "reload", &b_reload, err)) < 0) ||
	    (set && (r = json_to_bool(set, "sysctl_set", &b_set, err)) < 0) ||
	    (ignore && (r = json_to_bool(ignore, "ignoreerrors", &b_ignore, err)) < 0))
		return r;
	if ((reload || set) && json_object_get(doc, "live"))
		return ctune_error_set(err, -EINVAL, "live and %s both say whether to set the live value: give one",
				       reload ? "reload" : "sysctl_set");
	if (reload || set)
		req->plan.live = b_reload || b_set;
	/* ansible.posix.sysctl ignores value with state absent; so does ctune. */
	if (req->plan.state == CTUNE_STATE_ABSENT || !value || json_is_null(value))
		return want_text(req, t, NULL, err);
	return json_tunable(req, t, value, err);
}

int ctune_request_from_json(const char *text, size_t len, ctune_request *req, ctune_error *err)
{
	request_init(req, CTUNE_ORIGIN_JSON);
	json_error_t jerr;
	_cleanup_json_ json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc && json_error_code(&jerr) == json_error_out_of_memory)
		return ctune_error_set(err, -ENOMEM, "out of memory reading the request");
	if (!doc && json_error_code(&jerr) == json_error_null_character)
		return ctune_error_set(err, -EINVAL,
				       "request holds a NUL character in a string (line %d, column %d): \\u0000 is not "
				       "allowed in any option",
				       jerr.line, jerr.column);
	if (!doc)
		return ctune_error_set(err, -EINVAL, "request is not valid JSON: %s (line %d, column %d)", jerr.text,
				       jerr.line, jerr.column);
	if (!json_is_object(doc))
		return ctune_error_set(err, -EINVAL, "request must be a JSON object");

	const char *key;
	json_t *v;
	json_object_foreach(doc, key, v)
	{
		int r = apply_field(req, key, v, err);
		if (r < 0)
			return r;
	}
	int r = sysctl_form(req, doc, err);
	if (r < 0)
		return r;
	return finish(req, err);
}
