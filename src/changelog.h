/* changelog.h - a record on the host of what `set` changed: one syslog
 * line (ident "ctune", LOG_USER, LOG_NOTICE; the journal keeps it as
 * SYSLOG_IDENTIFIER=ctune) per applied change, as Ansible's own modules log
 * their invocations.  Only for the running system: a run under --root
 * works on an image or a fixture, not on this host, and logs nothing. */
#ifndef CTUNE_CHANGELOG_H
#define CTUNE_CHANGELOG_H

#include <stddef.h>

#include "plan.h"

/* The lines for an applied plan (not check mode), written one by one into
 * emit(line, ctx): the tunables that changed ("max
 * (net.netfilter.nf_conntrack_max): 262144 -> 1210856, live and persisted
 * in /etc/sysctl.conf"), the module listed for the boot, the lines
 * commented out in other files.  Returns how many. */
size_t ctune_changelog_lines(const ctune_plan *p, const ctune_plan_opts *o,
			     void (*emit)(const char *line, void *ctx), void *ctx);

/* Send those lines to syslog.  Never fails: a host without a syslog
 * socket loses them, as with logger(1). */
void ctune_changelog_syslog(const ctune_plan *p, const ctune_plan_opts *o);

#endif
