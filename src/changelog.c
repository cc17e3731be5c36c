/* changelog.c - see changelog.h.  syslog(3) of glibc and of musl (the
 * static build) both send to /dev/log and drop the line when nothing
 * listens there. */
#include "changelog.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>

/* Text from a file (a commented-out line) with control characters as '?':
 * one record stays one line. */
static void clean(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

static void value(char *buf, size_t size, bool present, long long v)
{
	if (present)
		snprintf(buf, size, "%lld", v);
	else
		snprintf(buf, size, "unset");
}

size_t ctune_changelog_lines(const ctune_plan *p, const ctune_plan_opts *o,
			     void (*emit)(const char *line, void *ctx), void *ctx)
{
	char line[1024], a[32];
	size_t n = 0;
	for (size_t i = 0; i < p->n; i++) {
		const ctune_plan_item *it = &p->items[i];
		const ctune_plan_key *k = &it->keys[0];
		if (!it->live_changed && !it->persist_changed)
			continue;
		const char *file = it->file ? it->file : p->file;
		if (o->state == CTUNE_STATE_ABSENT) {
			value(a, sizeof(a), k->persisted_before_present, k->persisted_before);
			snprintf(line, sizeof(line), "%s (%s): removed from %s (was %s)", it->t->name, k->key, file, a);
		} else {
			if (it->live_changed)
				value(a, sizeof(a), k->live_present, k->live_before);
			else
				value(a, sizeof(a), k->persisted_before_present, k->persisted_before);
			snprintf(line, sizeof(line), "%s (%s): %s -> %lld, %s%s%s", it->t->name, k->key, a, it->desired,
				 it->live_changed ? "live" : "", it->live_changed && it->persist_changed ? " and " : "",
				 it->persist_changed ? "persisted in " : "");
			if (it->persist_changed)
				snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s", file);
		}
		clean(line);
		emit(line, ctx);
		n++;
	}
	if (p->module_load.checked && p->module_load.changed) {
		snprintf(line, sizeof(line), "module %s listed in %s to load early at boot", p->module_load.module,
			 p->module_load.file);
		clean(line);
		emit(line, ctx);
		n++;
	}
	for (size_t i = 0; i < p->nfixed && i < sizeof(p->fixed) / sizeof(p->fixed[0]); i++) {
		snprintf(line, sizeof(line), "commented out an overriding line: %s", p->fixed[i]);
		clean(line);
		emit(line, ctx);
		n++;
	}
	return n;
}

static void to_syslog(const char *line, void *ctx)
{
	(void)ctx;
	syslog(LOG_NOTICE, "%s", line);
}

void ctune_changelog_syslog(const ctune_plan *p, const ctune_plan_opts *o)
{
	openlog("ctune", LOG_PID, LOG_USER);
	ctune_changelog_lines(p, o, to_syslog, NULL);
	closelog();
}
