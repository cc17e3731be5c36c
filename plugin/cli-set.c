/* cli-set.c - see cli-set.h.  Works from the response object, like
 * human.c from the facts object, so the summary says exactly what the JSON
 * says. */
#include "cli-set.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diff.h"
#include "human.h"
#include "json-util.h"

bool ctune_color_auto(int fd)
{
	const char *term = getenv("TERM"), *no = getenv("NO_COLOR");
	return isatty(fd) && term && *term && strcmp(term, "dumb") != 0 && !(no && *no);
}

static void text(FILE *out, const char *s)
{
	if (s)
		ctune_human_escape(out, s, strlen(s));
}

/* "262144", or "unset" for null. */
static const char *value(json_t *v, char *buf, size_t size)
{
	if (!json_is_integer(v))
		return "unset";
	snprintf(buf, size, "%lld", (long long)json_integer_value(v));
	return buf;
}

static void tunable_line(FILE *out, const char *name, json_t *j, int pad, bool absent, bool check, bool color)
{
	bool lc = json_is_true(json_object_get(j, "live_changed"));
	bool pc = json_is_true(json_object_get(j, "persist_changed"));
	const char *file = json_string_value(json_object_get(j, "file"));
	char a[32], b[32];
	fprintf(out, "  %s%-*s%s  ", color && (lc || pc) ? "\033[1m" : "", pad, name, color && (lc || pc) ? "\033[0m" : "");
	if (absent) {
		if (pc) {
			fprintf(out, "%s from ", check ? "would be removed" : "removed");
			text(out, file);
			fprintf(out, " (was %s)\n", value(json_object_get(j, "persisted_before"), a, sizeof(a)));
		} else {
			fputs("not in ", out);
			text(out, file ? file : "the file");
			fputs(" (unchanged)\n", out);
		}
		return;
	}
	const char *want = value(json_object_get(j, "desired"), b, sizeof(b));
	if (!lc && !pc) {
		fprintf(out, "%s (unchanged)\n", want);
		return;
	}
	const char *old = value(json_object_get(j, lc ? "live_before" : "persisted_before"), a, sizeof(a));
	if (!lc && strcmp(old, want) == 0) { /* the same value, its lines cleaned up */
		fprintf(out, "%s  (%s in ", want, check ? "would be rewritten" : "rewritten");
		text(out, file);
		fputs(")\n", out);
		return;
	}
	fprintf(out, "%s -> %s%s%s  (", old, color ? "\033[32m" : "", want, color ? "\033[0m" : "");
	if (lc)
		fputs("live", out);
	if (lc && pc)
		fputs(", ", out);
	if (pc) {
		fputs("persisted in ", out);
		text(out, file);
	}
	fputs(")\n", out);
}

static void diffs(FILE *out, json_t *d, bool color)
{
	if (json_is_object(d)) {
		const char *name = json_string_value(json_object_get(d, "after_header"));
		fputc('\n', out);
		ctune_unified_diff(out, name ? name : "file", json_string_value(json_object_get(d, "before")),
				   json_string_value(json_object_get(d, "after")), color);
		return;
	}
	size_t i;
	json_t *x;
	json_array_foreach(d, i, x)
		diffs(out, x, color);
}

int ctune_set_human_print(FILE *out, json_t *r, bool color)
{
	if (!json_is_object(r))
		return -EINVAL;
	bool check = json_is_true(json_object_get(r, "check_mode"));
	bool changed = json_is_true(json_object_get(r, "changed"));
	bool absent = strcmp(json_string_value(json_object_get(r, "state")) ?: "", "absent") == 0;
	json_t *tun = json_object_get(r, "tunables");

	if (check)
		fputs(changed ? "Check mode: these changes would be made (nothing was written)\n"
			      : "Check mode: nothing would change\n",
		      out);
	else
		fputs(changed ? "Changed:\n" : "Nothing changed:\n", out);
	int pad = 0;
	const char *name;
	json_t *j;
	json_object_foreach(tun, name, j)
		if ((int)strlen(name) > pad)
			pad = (int)strlen(name);
	size_t moved = 0;
	json_object_foreach(tun, name, j) {
		tunable_line(out, name, j, pad, absent, check, color);
		moved += json_is_true(json_object_get(j, "live_changed")) ||
			 json_is_true(json_object_get(j, "persist_changed"));
	}
	/* Changed, and no value moved: the file was cleaned up; msg says how. */
	if (changed && !moved) {
		fputs("  ", out);
		text(out, json_string_value(json_object_get(r, "msg")));
		fputc('\n', out);
	}

	json_t *ml = json_object_get(r, "module_load");
	if (json_is_true(json_object_get(ml, "changed"))) {
		fprintf(out, "  module %s %s to ", json_string_value(json_object_get(ml, "module")) ?: "",
			check ? "would be added" : "added");
		text(out, json_string_value(json_object_get(ml, "file")));
		fputs(" (loaded early at boot)\n", out);
	}
	const char *backup = json_string_value(json_object_get(r, "backup_file"));
	if (backup) {
		fputs("  backup: ", out);
		text(out, backup);
		fputc('\n', out);
	}
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(r, "stale_keys"), i, s) {
		fputs("  stale key ", out);
		text(out, json_string_value(json_object_get(s, "key")));
		fputs(json_is_true(json_object_get(s, "migrated")) ? " (migrated)\n" : " (left as it is: --migrate rewrites it)\n", out);
	}
	json_array_foreach(json_object_get(r, "warnings"), i, s) {
		fprintf(out, "%swarning:%s ", color ? "\033[33m" : "", color ? "\033[0m" : "");
		text(out, json_string_value(s));
		fputc('\n', out);
	}
	json_t *d = json_object_get(r, "diff");
	if (d)
		diffs(out, d, color);
	if (fflush(out) == EOF || ferror(out))
		return errno > 0 ? -errno : -EIO;
	return 0;
}
