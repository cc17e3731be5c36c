/* test-regress-events.c - kernel-log inputs the fuzzer (fuzz/fuzz-events.c)
 * found to break the event parser, each pinned with what it must give.
 * The input files are in fuzz/regressions/events/ as well. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "events.h"
#include "testlib.h"

#define BOOT 1763973000000000LL /* a realistic boot time, microseconds since the epoch */

static void feed(ctune_events *ev, const char *line)
{
	ctune_events_feed(ev, line, strlen(line));
}

/* A kmsg record whose boot stamp is near INT64_MAX: adding the boot time
 * overflowed a signed 64-bit integer (undefined behaviour; UBSan aborts).
 * Found as "e\n6,1,09223302736854778070,-;e".  The event still counts;
 * its wall-clock time cannot be known. */
START_TEST(test_kmsg_stamp_overflow)
{
	ctune_events ev;
	ctune_events_init(&ev, BOOT);
	feed(&ev, "e");
	feed(&ev, "6,1,09223302736854778070,-;e");
	ctune_events_finish(&ev);
	ck_assert_uint_eq(ev.lines, 2);
	ck_assert_uint_eq(ev.count, 0);

	ctune_events_init(&ev, BOOT);
	feed(&ev, "4,7,9223372036854775807,-;nf_conntrack: table full, dropping packet");
	feed(&ev, "4,8,9223372036854775000,-;nf_conntrack: table full, dropping packet");
	ctune_events_finish(&ev);
	ck_assert_uint_eq(ev.count, 2);
	ck_assert_int_eq(ev.first.boot_usec, INT64_MAX);
	ck_assert_int_eq(ev.first.wall_usec, -1);
	ck_assert_int_eq(ev.last.wall_usec, -1);

	/* The largest stamp that still converts does. */
	ctune_events_init(&ev, BOOT);
	char line[128];
	snprintf(line, sizeof(line), "4,9,%lld,-;nf_conntrack: table full, dropping packet", (long long)(INT64_MAX - BOOT));
	feed(&ev, line);
	ck_assert_uint_eq(ev.count, 1);
	ck_assert_int_eq(ev.first.wall_usec, INT64_MAX);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("regress-events");
	TCase *tc = tcase_create("fuzz");
	tcase_add_test(tc, test_kmsg_stamp_overflow);
	suite_add_tcase(s, tc);
	return tl_run(s);
}
