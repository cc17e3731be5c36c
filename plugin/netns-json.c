/* netns-json.c - see netns-json.h.  One object per namespace, in the order
 * netns-list.c sorted them (largest count first):
 *   {"inode", "name", "count", "max", "usage_percent", "source", "drop",
 *    "early_drop", "insert_failed", "pid",
 *    "comm", "cgroup", "current", "error"}
 * with null for what is unknown, and "error" only when the count is. */
#include "netns-json.h"

#include <stdio.h>
#include <string.h>

#include "json-util.h"
#include "netns-list.h"

static json_t *netns_to_json(const ctune_netns *ns)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	json_object_set_new(o, "inode", json_integer((json_int_t)ns->ino));
	ctune_json_set(o, "name", ns->name[0] ? ctune_json_text(ns->name) : NULL);
	ctune_json_set(o, "count", ns->have_count ? json_integer((json_int_t)ns->count) : NULL);
	ctune_json_set(o, "max", ns->have_max ? json_integer((json_int_t)ns->max) : NULL);
	ctune_json_set(o, "usage_percent",
		       ns->have_count && ns->have_max && ns->max > 0
			       ? json_real((double)(long long)(10000.0 * (double)ns->count / (double)ns->max + 0.5) /
					   100.0)
			       : NULL);
	ctune_json_set(o, "source", ns->source ? json_string(ns->source) : NULL);
	ctune_json_set(o, "drop", ns->have_drops ? json_integer((json_int_t)ns->drop) : NULL);
	ctune_json_set(o, "early_drop", ns->have_drops ? json_integer((json_int_t)ns->early_drop) : NULL);
	ctune_json_set(o, "insert_failed", ns->have_drops ? json_integer((json_int_t)ns->insert_failed) : NULL);
	ctune_json_set(o, "pid", ns->pid > 0 ? json_integer(ns->pid) : NULL);
	ctune_json_set(o, "comm", ns->comm[0] ? ctune_json_text(ns->comm) : NULL);
	ctune_json_set(o, "cgroup", ns->cgroup[0] ? ctune_json_text(ns->cgroup) : NULL);
	json_object_set_new(o, "current", json_boolean(ns->current));
	if (!ns->have_count)
		json_object_set_new(o, "error", ctune_json_text(ns->error[0] ? ns->error : "count unknown"));
	return o;
}

static void warn(json_t *facts, const char *text)
{
	json_t *w = json_object_get(facts, "warnings");
	if (json_is_array(w))
		json_array_append_new(w, ctune_json_text(text));
}

int ctune_netns_facts(json_t *facts, const ctune_root *r, ctune_error *err)
{
	ctune_netns_list l;
	int k = ctune_netns_list_gather(r, &l, err);
	if (k < 0) {
		ctune_netns_list_free(&l);
		return k;
	}
	json_t *a = json_array();
	for (size_t i = 0; a && i < l.n; i++) {
		json_t *o = netns_to_json(&l.items[i]);
		if (!o || json_array_append_new(a, o) < 0) {
			json_decref(a);
			a = NULL;
		}
	}
	if (!a || json_object_set_new(facts, "netns", a) < 0) {
		ctune_netns_list_free(&l);
		return ctune_error_set(err, -ENOMEM, "netns: out of memory");
	}
	char text[320];
	if (l.hidden) {
		snprintf(text, sizeof(text),
			 "netns: %zu of %zu processes could not be looked at (refused, as another user's process is "
			 "without CAP_SYS_PTRACE): namespaces held only by them are missing",
			 l.hidden, l.processes);
		warn(facts, text);
	}
	if (l.setns_refused)
		warn(facts, "netns: entering a network namespace was refused (it needs CAP_SYS_ADMIN): counts were "
			    "read through /proc/PID/net/stat where a process holds the namespace");
	ctune_netns_list_free(&l);
	return 0;
}
