/* test-events.c - "table full" events from recorded kernel logs.
 *
 * Fixture roots under tests/data/events/, one per log format:
 *   kmsg-modern/dev/kmsg            /dev/kmsg records of a current kernel (a
 *                                   regular file here): doubled prefix, netns
 *                                   form, rate-limit lines, continuation
 *                                   lines, a user-facility fake, a cut-off
 *                                   event, garbage and binary lines
 *   syslog-legacy/var/log/messages  CentOS 5 syslog: ip_conntrack, trailing
 *                                   period, "maximum limit", printk
 *                                   suppression, a non-kernel program
 *   syslog-modern/var/log/kern.log  Debian kern.log with boot stamps
 *   dmesg/var/log/dmesg             saved dmesg output
 *   rfc3339/var/log/syslog          rsyslog high-precision timestamps
 *   auto-messages, auto-order, empty   which source AUTO picks
 * The expected numbers below were counted by hand from those files.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "events.h"
#include "root.h"
#include "testlib.h"

#define BOOT 1764028800000000LL /* 2025-11-25T00:00:00Z in microseconds */

static ctune_root fixture(const char *name)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/data/events/%s", CTUNE_TEST_DIR, name);
	ctune_root r;
	ctune_error err = { 0 };
	ck_assert_msg(ctune_root_init(&r, dir, &err) == 0, "%s", err.msg);
	return r;
}

static void scan(const char *root, ctune_events_source src, const char *path, ctune_events *ev)
{
	ctune_root r = fixture(root);
	ctune_events_options o = { src, path, BOOT };
	ctune_error err = { 0 };
	int k = ctune_events_scan(&r, &o, ev, &err);
	ck_assert_msg(k == 0, "scan %s: %d %s", root, k, err.msg);
}

#define EQ(a, b) ck_assert_msg((long long)(a) == (long long)(b), "%s: got %lld, want %lld", #a, (long long)(a), (long long)(b))

START_TEST(test_kmsg_modern)
{
	ctune_events ev;
	scan("kmsg-modern", CTUNE_EVENTS_KMSG, NULL, &ev);
	ck_assert_str_eq(ev.source, "kmsg");
	ck_assert_str_eq(ev.path, "/dev/kmsg");
	EQ(ev.count, 6);
	EQ(ev.kind[CTUNE_EVENT_TABLE_FULL], 6);
	EQ(ev.kind[CTUNE_EVENT_LIMIT_EXCEEDED], 0);
	EQ(ev.in_netns, 2);
	EQ(ev.last_netns, 4026532385ULL);
	/* 1234 follows an event, 5 precedes one; 17 sits between other lines. */
	EQ(ev.suppressed, 1239);
	EQ(ev.suppressed_other, 17);
	EQ(ev.first.boot_usec, 1500000000LL);
	EQ(ev.first.wall_usec, BOOT + 1500000000LL);
	EQ(ev.last.boot_usec, 2200000001LL);
	EQ(ev.last.wall_usec, BOOT + 2200000001LL);
	ck_assert_str_eq(ev.first.text, "");
	EQ(ev.lines, 19);       /* 21 lines less 2 continuation lines */
	EQ(ev.unrecognized, 3); /* "4,14,", "garbage line here", the binary line */
	EQ(ev.lost, 0);
}
END_TEST

START_TEST(test_syslog_legacy)
{
	ctune_events ev;
	scan("syslog-legacy", CTUNE_EVENTS_FILE, "/var/log/messages", &ev);
	ck_assert_str_eq(ev.source, "file");
	ck_assert_str_eq(ev.path, "/var/log/messages");
	EQ(ev.count, 4);
	EQ(ev.kind[CTUNE_EVENT_TABLE_FULL], 3);
	EQ(ev.kind[CTUNE_EVENT_LIMIT_EXCEEDED], 1);
	EQ(ev.limit, 65536);
	EQ(ev.in_netns, 0);
	EQ(ev.suppressed, 312);
	EQ(ev.suppressed_other, 40);
	ck_assert_str_eq(ev.first.text, "Nov 25 08:30:00");
	ck_assert_str_eq(ev.last.text, "Nov 25 08:31:10");
	/* A syslog timestamp has no year or zone: no wall-clock value. */
	EQ(ev.first.wall_usec, -1);
	EQ(ev.first.boot_usec, -1);
	EQ(ev.lines, 11);
	EQ(ev.unrecognized, 0);
}
END_TEST

START_TEST(test_syslog_modern)
{
	ctune_events ev;
	scan("syslog-modern", CTUNE_EVENTS_FILE, "/var/log/kern.log", &ev);
	EQ(ev.count, 3);
	EQ(ev.in_netns, 1);
	EQ(ev.last_netns, 4026532384ULL);
	EQ(ev.suppressed, 812);
	EQ(ev.suppressed_other, 0);
	ck_assert_str_eq(ev.first.text, "Nov 25 08:30:00");
	ck_assert_str_eq(ev.last.text, "Nov 25 08:30:09");
	/* The boot stamp is kept but not converted: the file may span boots. */
	EQ(ev.first.boot_usec, 1234567123456LL);
	EQ(ev.last.boot_usec, 1234576500000LL);
	EQ(ev.first.wall_usec, -1);
	EQ(ev.lines, 6);
	EQ(ev.unrecognized, 0);
}
END_TEST

START_TEST(test_dmesg)
{
	ctune_events ev;
	scan("dmesg", CTUNE_EVENTS_FILE, "/var/log/dmesg", &ev);
	EQ(ev.count, 3);
	EQ(ev.suppressed, 97);
	EQ(ev.first.boot_usec, 8012345678LL);
	EQ(ev.first.wall_usec, BOOT + 8012345678LL);
	EQ(ev.last.boot_usec, 8017000002LL);
	EQ(ev.last.wall_usec, BOOT + 8017000002LL);
	EQ(ev.lines, 7);
	EQ(ev.unrecognized, 1); /* "[bogus] line" */
}
END_TEST

START_TEST(test_rfc3339)
{
	ctune_events ev;
	scan("rfc3339", CTUNE_EVENTS_FILE, "/var/log/syslog", &ev);
	EQ(ev.count, 2);
	EQ(ev.in_netns, 2);
	EQ(ev.suppressed, 44);
	ck_assert_str_eq(ev.first.text, "2025-11-25T08:30:00.123456+01:00");
	ck_assert_str_eq(ev.last.text, "2025-11-25T08:30:05.5Z");
	EQ(ev.first.wall_usec, 1764055800123456LL); /* 07:30:00.123456 UTC */
	EQ(ev.last.wall_usec, 1764059405500000LL);
	EQ(ev.first.boot_usec, -1);
}
END_TEST

START_TEST(test_auto_sources)
{
	ctune_events ev;
	/* No /dev/kmsg: the first log file that exists. */
	scan("auto-messages", CTUNE_EVENTS_AUTO, NULL, &ev);
	ck_assert_str_eq(ev.path, "/var/log/messages");
	EQ(ev.count, 1);
	scan("auto-order", CTUNE_EVENTS_AUTO, NULL, &ev);
	ck_assert_str_eq(ev.path, "/var/log/kern.log");
	EQ(ev.count, 1);
	/* /dev/kmsg wins over the files when it is there. */
	scan("kmsg-modern", CTUNE_EVENTS_AUTO, NULL, &ev);
	ck_assert_str_eq(ev.source, "kmsg");

	/* Nothing at all: -ENOENT with every path named. */
	ctune_root r = fixture("empty");
	ctune_error err = { 0 };
	ck_assert_int_eq(ctune_events_scan(&r, NULL, &ev, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "/dev/kmsg"));
	ck_assert_ptr_nonnull(strstr(err.msg, "/var/log/messages"));
	EQ(ev.count, 0);

	/* KMSG and FILE do not fall back. */
	ctune_error_clear(&err);
	ctune_events_options o = { CTUNE_EVENTS_KMSG, NULL, BOOT };
	r = fixture("auto-messages");
	ck_assert_int_eq(ctune_events_scan(&r, &o, &ev, &err), -ENOENT);
	ctune_error_clear(&err);
	o = (ctune_events_options){ CTUNE_EVENTS_FILE, "/var/log/kern.log", BOOT };
	ck_assert_int_eq(ctune_events_scan(&r, &o, &ev, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "/var/log/kern.log"));
	ctune_error_clear(&err);
	o = (ctune_events_options){ CTUNE_EVENTS_FILE, "relative.log", BOOT };
	ck_assert_int_eq(ctune_events_scan(&r, &o, &ev, &err), -EINVAL);
}
END_TEST

/* Lines fed one by one: the exact forms, and the near misses. */
START_TEST(test_feed_forms)
{
	static const struct {
		const char *line;
		int events;
	} cases[] = {
		{ "[1.0] nf_conntrack: table full, dropping packet", 1 },
		{ "[1.0] nf_conntrack: nf_conntrack: table full, dropping packet", 1 },
		{ "[1.0] nf_conntrack: table full in netns 4026532384, dropping packet", 1 },
		{ "[1.0] ip_conntrack: table full, dropping packet.", 1 },
		{ "[1.0] ip_conntrack: maximum limit of 65536 entries exceeded", 1 },
		{ "[1.0] nf_conntrack: table full", 1 },            /* cut after the words: still the event */
		{ "[1.0] nf_conntrack: table ful", 0 },             /* cut before: not */
		{ "[1.0] nf_conntrack: maximum limit of ", 0 },     /* no number */
		{ "[1.0] nf_conntrack: expectation table full", 0 }, /* another table */
		{ "[1.0] xx_conntrack: table full, dropping packet", 0 },
		{ "[1.0] conntrack: table full, dropping packet", 0 },
		{ "[1.0] nf_conntrack: default automatic helper assignment has been turned off", 0 },
		{ "[  12.5] [T1234] nf_conntrack: table full, dropping packet", 1 }, /* caller id */
		{ "[1.0] nf_conntrack: table full, dropping packet\r", 1 },
		{ "4,1,2,-;nf_conntrack: table full, dropping packet", 1 },
		{ "4,1,2,-,caller=T12;nf_conntrack: table full, dropping packet", 1 },
		{ "12,1,2,-;nf_conntrack: table full, dropping packet", 0 }, /* user facility */
		{ "Nov 25 08:30:00 h kernel: nf_conntrack: table full, dropping packet", 1 },
		{ "Nov 25 08:30:00 h kernel[0]: nf_conntrack: table full, dropping packet", 1 },
		{ "Nov 25 08:30:00 h kernelx: nf_conntrack: table full, dropping packet", 0 },
		{ "Nov 25 08:30:00 h cron: nf_conntrack: table full, dropping packet", 0 },
		{ "Nov 25 08:30:00", 0 },
		{ "Xyz 25 08:30:00 h kernel: nf_conntrack: table full, dropping packet", 0 },
		{ "nf_conntrack: table full, dropping packet", 0 }, /* no header at all */
		{ "", 0 },
		{ "[", 0 },
		{ "[99999999999999999999.1] nf_conntrack: table full", 0 },
		{ "4", 0 },
		{ "4,", 0 },
		{ "4,1,2", 0 },
		{ "2025-13-01T00:00:00Z h kernel: nf_conntrack: table full", 0 },
		{ "2025-11-25T08:30:00+0100 h kernel: nf_conntrack: table full", 1 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ctune_events ev;
		ctune_events_init(&ev, -1);
		ctune_events_feed(&ev, cases[i].line, strlen(cases[i].line));
		ctune_events_finish(&ev);
		ck_assert_msg((int)ev.count == cases[i].events, "\"%s\": %llu events, want %d", cases[i].line,
			      (unsigned long long)ev.count, cases[i].events);
	}
}
END_TEST

START_TEST(test_feed_times_and_suppression)
{
	ctune_events ev;
	ctune_events_init(&ev, 1000000);
	const char *lines[] = {
		"4,1,2500000,-;net_ratelimit: 9 callbacks suppressed", /* nothing before: waits for the next */
		"4,2,3000000,-;nf_conntrack: table full, dropping packet",
		"4,3,3000001,-;net_ratelimit: 10 callbacks suppressed",
		"6,4,3000002,-;eth0: link up",
		"4,5,4000000,-;net_ratelimit: 100 callbacks suppressed", /* the last line: settled at finish */
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		ctune_events_feed(&ev, lines[i], strlen(lines[i]));
	EQ(ev.suppressed, 19);
	EQ(ev.suppressed_other, 0);
	ctune_events_finish(&ev);
	EQ(ev.suppressed_other, 100);
	EQ(ev.first.wall_usec, 4000000);
	EQ(ev.first.boot_usec, 3000000);

	/* A '\n' inside ends the record (kmsg continuation lines follow). */
	const char rec[] = "4,6,5000000,-;nf_conntrack: table full, dropping packet\n SUBSYSTEM=net\n";
	ctune_events_feed(&ev, rec, sizeof(rec) - 1);
	EQ(ev.count, 2);
	EQ(ev.last.boot_usec, 5000000);

	/* Unknown boot time: no wall-clock value. */
	ctune_events_init(&ev, -1);
	ctune_events_feed(&ev, "[ 5.000001] nf_conntrack: table full", 36);
	EQ(ev.first.boot_usec, 5000001);
	EQ(ev.first.wall_usec, -1);

	/* Huge numbers saturate instead of overflowing. */
	ctune_events_init(&ev, -1);
	const char *big = "4,1,2,-;net_ratelimit: 99999999999999999999999 callbacks suppressed";
	ctune_events_feed(&ev, big, strlen(big));
	ctune_events_finish(&ev);
	EQ(ev.suppressed_other, (long long)UINT64_MAX);
}
END_TEST

/* Lines longer than the read buffer, no final newline, binary bytes. */
START_TEST(test_garbage_file)
{
	const char *dir = tl_mkroot();
	size_t big = 200 * 1024;
	char *content = malloc(big + 512);
	ck_assert_ptr_nonnull(content);
	memset(content, 'x', big);
	/* The long line carries the words; it must not count. */
	memcpy(content + 1000, "[1.0] nf_conntrack: table full", 30);
	strcpy(content + big,
	       "\n[ 2.000000] nf_conntrack: table full, dropping packet\n"
	       "\x01\x02\x03\n"
	       "[ 3.000000] nf_conntrack: table full, dropping packet");
	tl_write(dir, "var/log/kern.log", content);
	free(content);

	ctune_root r;
	ck_assert_int_eq(ctune_root_init(&r, dir, NULL), 0);
	ctune_events ev;
	ctune_error err = { 0 };
	ck_assert_msg(ctune_events_scan(&r, NULL, &ev, &err) == 0, "%s", err.msg);
	EQ(ev.count, 2);
	EQ(ev.lines, 4);
	EQ(ev.unrecognized, 2);
	EQ(ev.last.boot_usec, 3000000);
	tl_rmrf(dir);
}
END_TEST

/* Kernels before 3.5 (CentOS 5 and 6) have a /dev/kmsg (1,11) that only
 * takes writes: its read() is EINVAL, which scan_kmsg_device turns into
 * -EOPNOTSUPP so that AUTO goes on to the log files.  A current kernel's
 * 1,11 reads fine, and the root resolver opens no other device as
 * /dev/kmsg, so that read cannot be staged here.  What can: a device node
 * that is not the kmsg device in its place (10,237, loop-control, whose
 * read() is EINVAL too) is passed over - AUTO reads the log file, KMSG
 * alone is an error that names /dev/kmsg. */
START_TEST(test_kmsg_write_only)
{
	if (geteuid() != 0)
		return; /* mknod needs CAP_MKNOD */
	const char *dir = tl_mkroot();
	tl_write(dir, "var/log/messages", "Nov 25 08:30:00 h kernel: ip_conntrack: table full, dropping packet.\n");
	char dev[4096];
	snprintf(dev, sizeof(dev), "%s/dev", dir);
	ck_assert_int_eq(mkdir(dev, 0755), 0);
	snprintf(dev, sizeof(dev), "%s/dev/kmsg", dir);
	if (mknod(dev, S_IFCHR | 0600, makedev(10, 237)) < 0) {
		tl_rmrf(dir); /* no device nodes here (nodev, a container) */
		return;
	}

	ctune_root r;
	ck_assert_int_eq(ctune_root_init(&r, dir, NULL), 0);
	ctune_events ev;
	ctune_error err = { 0 };
	ctune_events_options o = { CTUNE_EVENTS_AUTO, NULL, BOOT };
	int k = ctune_events_scan(&r, &o, &ev, &err);
	ck_assert_msg(k == 0, "%d %s", k, err.msg);
	ck_assert_str_eq(ev.source, "file");
	ck_assert_str_eq(ev.path, "/var/log/messages");
	EQ(ev.count, 1);

	ctune_error_clear(&err);
	o.source = CTUNE_EVENTS_KMSG;
	k = ctune_events_scan(&r, &o, &ev, &err);
	ck_assert_msg(k == -ENXIO || k == -EOPNOTSUPP, "%d %s", k, err.msg);
	ck_assert_ptr_nonnull(strstr(err.msg, "/dev/kmsg"));
	tl_rmrf(dir);
}
END_TEST

/* The real /dev/kmsg: read without consuming.  As root this works; with
 * kernel.dmesg_restrict and no privilege the answer is -EPERM, in words. */
START_TEST(test_real_kmsg)
{
	ctune_root r;
	ck_assert_int_eq(ctune_root_init(&r, NULL, NULL), 0);
	ctune_events_options o = { CTUNE_EVENTS_KMSG, NULL, CTUNE_EVENTS_BOOT_AUTO };
	ctune_events ev1, ev2;
	ctune_error err = { 0 };
	int k = ctune_events_scan(&r, &o, &ev1, &err);
	if (k == -EPERM || k == -EACCES) {
		ck_assert_ptr_nonnull(strstr(err.msg, "dmesg_restrict"));
		return;
	}
	ck_assert_msg(k == 0, "%s", err.msg);
	ck_assert_str_eq(ev1.source, "kmsg");
	ck_assert_uint_gt(ev1.lines, 0);
	/* Reading did not consume: a second reader sees at least as much. */
	ck_assert_int_eq(ctune_events_scan(&r, &o, &ev2, &err), 0);
	ck_assert_uint_ge(ev2.lines + ev2.lost, ev1.lines);
	ck_assert_int_gt(ctune_events_boot_wall_usec(), 1000000000000000LL);
}
END_TEST

START_TEST(test_kind_names)
{
	ck_assert_str_eq(ctune_event_kind_name(CTUNE_EVENT_TABLE_FULL), "table_full");
	ck_assert_str_eq(ctune_event_kind_name(CTUNE_EVENT_LIMIT_EXCEEDED), "limit_exceeded");
	ck_assert_ptr_null(ctune_event_kind_name(CTUNE_EVENT_KIND_COUNT));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("events");
	TCase *tc = tcase_create("logs");
	tcase_add_test(tc, test_kmsg_modern);
	tcase_add_test(tc, test_syslog_legacy);
	tcase_add_test(tc, test_syslog_modern);
	tcase_add_test(tc, test_dmesg);
	tcase_add_test(tc, test_rfc3339);
	tcase_add_test(tc, test_auto_sources);
	tcase_add_test(tc, test_feed_forms);
	tcase_add_test(tc, test_feed_times_and_suppression);
	tcase_add_test(tc, test_garbage_file);
	tcase_add_test(tc, test_kmsg_write_only);
	tcase_add_test(tc, test_real_kmsg);
	tcase_add_test(tc, test_kind_names);
	suite_add_tcase(s, tc);
	return tl_run(s);
}
