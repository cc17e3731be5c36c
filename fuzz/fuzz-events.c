/* fuzz-events.c - libFuzzer target for the kernel-log event parser
 * (events.h: ctune_events_feed / ctune_events_finish).
 *
 * Input: the text of a log (kmsg records, dmesg, syslog, RFC 3339 lines),
 * fed line by line the way ctune_events_scan feeds a file, each line in an
 * exact-size copy so a read past its end is caught.  The boot time is a
 * realistic wall-clock value, as the clocks give it.  Checked: the counts
 * agree with each other (count is the sum of the kinds, netns events are
 * table-full events, every event and unrecognized line is a line).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "fuzz.h"

/* 2025-11-25 08:30:00 UTC minus a day of uptime, in microseconds. */
#define BOOT_WALL_USEC 1763973000000000LL

static void feed_all(ctune_events *ev, const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	while (p < end) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		char *line = malloc(n ? n : 1);
		if (!line)
			return;
		memcpy(line, p, n);
		ctune_events_feed(ev, line, n);
		free(line);
		if (!nl)
			break;
		p = nl + 1;
	}
	ctune_events_finish(ev);
}

static void check(const ctune_events *ev)
{
	CHECK(ev->count == ev->kind[CTUNE_EVENT_TABLE_FULL] + ev->kind[CTUNE_EVENT_LIMIT_EXCEEDED]);
	CHECK(ev->in_netns <= ev->kind[CTUNE_EVENT_TABLE_FULL]);
	CHECK(ev->count + ev->unrecognized <= ev->lines);
	CHECK(ev->state.pending == 0);
	if (ev->count) {
		CHECK(memchr(ev->first.text, '\0', sizeof(ev->first.text)) != NULL);
		CHECK(memchr(ev->last.text, '\0', sizeof(ev->last.text)) != NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ctune_events ev;
	ctune_events_init(&ev, BOOT_WALL_USEC);
	feed_all(&ev, data, size);
	check(&ev);

	/* Unknown boot time: nothing is converted. */
	ctune_events_init(&ev, -1);
	feed_all(&ev, data, size);
	check(&ev);
	if (ev.count) {
		CHECK(ev.first.boot_usec >= -1);
	}
	return 0;
}
