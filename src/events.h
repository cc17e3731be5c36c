/* events.h - "table full" events in the kernel log.
 *
 * Why this file exists: the first sign of a conntrack table that is too
 * small is the kernel dropping packets and saying so.  This module finds
 * those lines, counts them and reports when the first and the last were
 * seen, so `ctune facts` can show the symptom beside the drop, early_drop
 * and insert_failed counters (stat.h / netlink.h) that measure it.
 *
 * Lines recognised (any of them with or without the trailing period, with
 * the prefix once or twice, as kernels have printed them):
 *   nf_conntrack: table full, dropping packet                 (2.6.20 ... 5.x)
 *   nf_conntrack: nf_conntrack: table full, dropping packet   (pr_fmt doubled it)
 *   nf_conntrack: table full in netns 4026532384, dropping packet  (current)
 *   ip_conntrack: table full, dropping packet.                (2.6.18, CentOS 5)
 *   ip_conntrack: maximum limit of 65536 entries exceeded     (2.6.18)
 * A line counts once "table full" (or "maximum limit of " and a digit) is
 * complete after the prefix; a line cut off before that is not an event.
 * "nf_conntrack: expectation table full" is a different table and is not
 * counted.
 *
 * Rate limiting: the kernel prints these lines through net_ratelimit(), so
 * in a storm most are suppressed and it later says
 *   net_ratelimit: 1234 callbacks suppressed     (current kernels)
 *   printk: 1234 messages suppressed.            (2.6.18)
 * That counter is shared by every net_ratelimit() caller in the kernel, so
 * a suppression line cannot name its source.  ctune's rule: a suppression
 * line whose neighbour (the kernel line just before or just after it) is a
 * conntrack event counts in `suppressed`; any other in `suppressed_other`.
 * In a table-full storm the kernel writes exactly that pattern (event,
 * "N callbacks suppressed", event ...), so `count + suppressed` estimates how
 * many packets were reported dropped, and `suppressed_other` shows how much
 * could not be attributed.
 *
 * Sources and formats.  The caller picks a source (ctune_events_options):
 * /dev/kmsg, read without consuming it (each open of /dev/kmsg has its own
 * read position, so other readers lose nothing), or a log file; AUTO tries
 * /dev/kmsg, then /var/log/kern.log, /var/log/messages, /var/log/syslog.
 * Every path is under the root prefix, so tests use a fixture tree where
 * dev/kmsg is a regular file.  Each line is recognised on its own, so one
 * file may mix formats:
 *   kmsg record   "4,1234,5678901234,-;nf_conntrack: table full, ..."
 *                 (prio,seq,usec,flags;message; continuation lines that
 *                 start with a space are ignored; only facility 0, the
 *                 kernel, counts: userspace may write to /dev/kmsg too)
 *   dmesg         "[ 5678.901234] nf_conntrack: table full, ..."
 *   syslog        "Nov 25 08:30:00 host kernel: [5678.901234] nf_conntrack: ..."
 *   RFC 3339      "2025-11-25T08:30:00.123456+01:00 host kernel: nf_conntrack: ..."
 * syslog-format lines count only with the tag "kernel" (a program could log
 * the same words).  Anything else (garbage, binary, a cut-off header) counts
 * in `unrecognized` and is otherwise ignored; parsing never reads past a
 * line and never allocates per line.
 *
 * Time.  kmsg and dmesg stamps are microseconds since boot; they become
 * wall-clock time with the boot time (CLOCK_REALTIME - CLOCK_BOOTTIME, as
 * dmesg -T does; after a suspend the kernel's stamps lag, so such times can
 * be early by the time spent suspended).  A syslog line keeps its own text
 * timestamp (which has no year and no zone, so no wall-clock value); an
 * RFC 3339 line gives its wall-clock time exactly.  A boot-relative stamp
 * inside a syslog line is reported as boot_usec but not converted: the file
 * may hold earlier boots.
 *
 * Error convention (error.h): 0 or -errno; err gets one sentence.
 */
#ifndef CTUNE_EVENTS_H
#define CTUNE_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "root.h"

typedef enum ctune_event_kind {
	CTUNE_EVENT_TABLE_FULL,     /* "table full, dropping packet" in every variant */
	CTUNE_EVENT_LIMIT_EXCEEDED, /* "ip_conntrack: maximum limit of N entries exceeded" */
	CTUNE_EVENT_KIND_COUNT
} ctune_event_kind;

#define CTUNE_EVENT_TIME_TEXT 40

typedef struct ctune_event_time {
	int64_t boot_usec; /* microseconds since boot as stamped, -1 when the line has none */
	int64_t wall_usec; /* microseconds since the epoch (UTC), -1 when it cannot be known */
	char text[CTUNE_EVENT_TIME_TEXT]; /* a syslog line's own timestamp ("Nov 25 08:30:00"), else "" */
} ctune_event_time;

typedef struct ctune_events {
	uint64_t count;                        /* event lines, all kinds */
	uint64_t kind[CTUNE_EVENT_KIND_COUNT]; /* event lines by kind */
	uint64_t in_netns;                     /* "table full in netns N" lines */
	uint64_t last_netns;                   /* N of the last of those, 0 when none */
	uint64_t limit;                        /* N of the last "maximum limit of N entries", 0 when none */
	uint64_t suppressed;                   /* suppressed callbacks next to an event line */
	uint64_t suppressed_other;             /* suppressed callbacks not next to one */
	ctune_event_time first, last;          /* first and last event line (valid when count > 0) */
	uint64_t lines;                        /* lines or records read */
	uint64_t unrecognized;                 /* lines in no known format */
	uint64_t lost;                         /* kmsg records overwritten before they were read */
	char source[8];                        /* "kmsg" or "file" */
	char path[256];                        /* what was read, as the running system names it */

	/* Parser state: private to events.c. */
	struct {
		int64_t boot_wall_usec;
		int prev;              /* class of the previous kernel line */
		uint64_t pending;      /* suppressed count waiting for its next line */
	} state;
} ctune_events;

/* Start an empty result.  boot_wall_usec is the wall-clock time of boot in
 * microseconds since the epoch (what converts boot-relative stamps), or -1
 * when unknown. */
void ctune_events_init(ctune_events *ev, int64_t boot_wall_usec);

/* Feed one line or kmsg record, without its '\n' (a '\n' inside ends the
 * line there).  Any bytes are safe. */
void ctune_events_feed(ctune_events *ev, const char *line, size_t len);

/* Settle the state that waits for a next line (a suppression line at the
 * very end).  Call once after the last feed; ctune_events_scan does. */
void ctune_events_finish(ctune_events *ev);

/* The wall-clock time of boot of the running system, in microseconds since
 * the epoch: CLOCK_REALTIME - CLOCK_BOOTTIME.  -errno on failure. */
int64_t ctune_events_boot_wall_usec(void);

typedef enum ctune_events_source {
	CTUNE_EVENTS_AUTO, /* /dev/kmsg, else the first of kern.log, messages, syslog in /var/log */
	CTUNE_EVENTS_KMSG, /* /dev/kmsg only */
	CTUNE_EVENTS_FILE, /* the file named by path only */
} ctune_events_source;

/* Derive the boot time: on the real root from the clocks; under a root
 * prefix from its /proc/uptime and the current time, else unknown. */
#define CTUNE_EVENTS_BOOT_AUTO INT64_MIN

typedef struct ctune_events_options {
	ctune_events_source source;
	const char *path;       /* CTUNE_EVENTS_FILE: absolute, as the system names it ("/var/log/kern.log") */
	int64_t boot_wall_usec; /* CTUNE_EVENTS_BOOT_AUTO, -1 (unknown) or a value */
} ctune_events_options;

/* Scan the chosen source under the root into ev (initialised here).
 * /dev/kmsg as a character device is read record by record with
 * O_NONBLOCK until EAGAIN (EPIPE, records overwritten meanwhile, is counted
 * in `lost` and reading goes on); as a regular file (a fixture) it is read
 * line by line like any file.  Files are streamed through a fixed buffer.
 * Returns 0; -ENOENT when no source exists (err says what was tried);
 * -EACCES/-EPERM when the source exists but may not be read (dmesg_restrict
 * for /dev/kmsg); or another -errno.  opts may be NULL (AUTO, boot AUTO). */
int ctune_events_scan(const ctune_root *r, const ctune_events_options *opts, ctune_events *ev,
		      ctune_error *err);

/* "table_full", "limit_exceeded"; NULL outside the enum. */
const char *ctune_event_kind_name(ctune_event_kind k);

#endif
