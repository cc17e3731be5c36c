/* request.c - see request.h.  Both faces (argv and JSON) fill the same
 * struct through the same setters, so an option means one thing whichever
 * way it arrives. */
#include "request.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <strings.h>

#include "json-util.h"

static void request_init(ctune_request *req, ctune_origin origin)
{
	memset(req, 0, sizeof(*req));
	req->verb = CTUNE_VERB_FACTS;
	req->origin = origin;
	req->format = CTUNE_FORMAT_JSON;
	req->scheme = CTUNE_SCHEME_NONE;
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
	if (strcmp(v, "json") == 0) {
		req->format = CTUNE_FORMAT_JSON;
		return 0;
	}
	return ctune_error_set(err, -EINVAL, "format: '%s' is not supported (json)", v);
}

static int set_verb(ctune_request *req, const char *v, ctune_error *err)
{
	if (strcmp(v, "facts") == 0) {
		req->verb = CTUNE_VERB_FACTS;
		return 0;
	}
	return ctune_error_set(err, -EINVAL, "verb: '%s' is not one of: facts", v);
}

/* ---- command line ---- */

static int need_arg(int argc, char **argv, int i, ctune_error *err)
{
	if (i + 1 >= argc)
		return ctune_error_set(err, -EINVAL, "option %s needs a value", argv[i]);
	return 0;
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
		const char *a = argv[i];
		const char *val = NULL;
		char name[64];
		/* --opt=value and --opt value */
		const char *eq = strchr(a, '=');
		if (strncmp(a, "--", 2) == 0 && eq && (size_t)(eq - a) < sizeof(name)) {
			memcpy(name, a, (size_t)(eq - a));
			name[eq - a] = '\0';
			val = eq + 1;
		} else {
			snprintf(name, sizeof(name), "%s", a);
		}

		if (strcmp(name, "--table") == 0 && !val) {
			req->table = true;
			continue;
		}
		if (strcmp(name, "--root") == 0 || strcmp(name, "--scheme") == 0 || strcmp(name, "--format") == 0) {
			if (!val) {
				if ((r = need_arg(argc, argv, i, err)) < 0)
					return r;
				val = argv[++i];
			}
			if (strcmp(name, "--root") == 0)
				r = set_root(req, val, err);
			else if (strcmp(name, "--scheme") == 0)
				r = set_scheme(req, val, err);
			else
				r = set_format(req, val, err);
			if (r < 0)
				return r;
			continue;
		}
		return ctune_error_set(err, -EINVAL, "unknown option '%s' (see ctune --help)", a);
	}
	return 0;
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

typedef int (*string_setter)(ctune_request *, const char *, ctune_error *);

static const struct {
	const char *name;
	string_setter set;
} string_fields[] = {
	{ "verb", set_verb },
	{ "root", set_root },
	{ "scheme", set_scheme },
};

static int apply_field(ctune_request *req, const char *key, json_t *v, ctune_error *err)
{
	if (strncmp(key, "_ansible_", 9) == 0) {
		/* Ansible adds keys with new releases: ignore the ones we do not use. */
		req->origin = CTUNE_ORIGIN_ANSIBLE;
		if (strcmp(key, "_ansible_check_mode") == 0)
			return json_to_bool(v, key, &req->check_mode, err);
		if (strcmp(key, "_ansible_diff") == 0)
			return json_to_bool(v, key, &req->diff, err);
		return 0;
	}
	if (strcmp(key, "table") == 0)
		return json_to_bool(v, key, &req->table, err);
	for (size_t i = 0; i < sizeof(string_fields) / sizeof(string_fields[0]); i++) {
		if (strcmp(key, string_fields[i].name) != 0)
			continue;
		const char *s = NULL;
		int r = json_to_string(v, key, &s, err);
		return r < 0 ? r : string_fields[i].set(req, s, err);
	}
	return ctune_error_set(err, -EINVAL, "unknown option '%s'", key);
}

int ctune_request_from_json(const char *text, size_t len, ctune_request *req, ctune_error *err)
{
	request_init(req, CTUNE_ORIGIN_JSON);
	json_error_t jerr;
	_cleanup_json_ json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
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
	return 0;
}
