/* watch.h - the `ctune watch` verb: a line per sample until stopped. */
#ifndef CTUNE_PLUGIN_WATCH_H
#define CTUNE_PLUGIN_WATCH_H

#include <stdbool.h>

#include "error.h"
#include "request.h"

/* Run the watch verb of req.  Returns the exit status (0: stopped by
 * --count, SIGINT, SIGTERM, SIGHUP or a reader that went away), or -errno
 * with err set when it failed before its first line, for the caller to
 * answer with its one JSON error object; *wrong then says whether the
 * request was at fault (a root that is no directory, source netlink with a
 * root prefix) rather than the machine (no conntrack, no CAP_NET_ADMIN for
 * a netlink source asked for). */
int ctune_watch_main(const ctune_request *req, ctune_error *err, bool *wrong);

#endif
