/* test-regress-table.c - table text the fuzzer (fuzz/fuzz-table.c) found
 * to break the conntrack table parser, each pinned with what it must give.
 * The input files are in fuzz/regressions/table/ as well. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"
#include "testlib.h"

/* A short line without "use=N": the word-at-a-time check for "use=" read
 * 4 bytes ending 2 bytes before the buffer (heap-buffer-overflow, ASan),
 * found in the AVX-512 parser while it was being written, as
 * crash-a89a1796...: 0x0b 0xd1 and 113 '6', no newline.  It is one
 * malformed line; nothing is read outside the buffer (an exact-size heap
 * copy, so ASan and valgrind see any stray read). */
START_TEST(test_digits_without_use)
{
	size_t n = 115;
	char *buf = malloc(n);
	ck_assert_ptr_nonnull(buf);
	buf[0] = 0x0b;
	buf[1] = (char)0xd1;
	memset(buf + 2, '6', n - 2);
	ctune_table_summary s;
	ctune_table_summary_init(&s);
	ctune_table_parse(buf, n, &s);
	ck_assert_uint_eq(s.total, 0);
	ck_assert_uint_eq(s.malformed, 1);

	/* The same at every short length, digits only or "use=" glued on. */
	for (size_t len = 1; len <= 16; len++) {
		char *b = malloc(len);
		memset(b, '7', len);
		ctune_table_summary_init(&s);
		ctune_table_parse(b, len, &s);
		ck_assert_uint_eq(s.malformed, 1);
		if (len >= 4) {
			memcpy(b, "use=", 4);
			ctune_table_summary_init(&s);
			ctune_table_parse(b, len, &s);
			ck_assert_uint_eq(s.total + s.malformed, 1);
		}
		free(b);
	}
	free(buf);
}
END_TEST

/* An IPv6 address of the kernel's full width (39 bytes) that is not hex
 * ("fd00:...:0000:=10.1.0.2"): the top talkers' fast hex path shifted the
 * -1 of a non-hex digit left (UBSan: left shift of negative value), as
 * crash-21b905ea....  Such an address falls to inet_pton, which refuses
 * it: the line is malformed with top talkers on, a plain line without. */
START_TEST(test_top_v6_not_hex)
{
	static const char *const lines[] = {
		"ipv6     10 tcp      6 3602 ESTABLISHED src=fd00:0000:0000:0000:0000:0000:0000:0009 "
		"dst=fd00:0000:0000:0000:0000:0000:=10.1.0.2 sport=1 dport=2 mark=0 zone=0 use=2",
		"ipv6     10 tcp      6 3602 ESTABLISHED src=g000:0000:0000:0000:0000:0000:0000:0009 "
		"dst=fd00::1 sport=1 dport=2 mark=0 zone=0 use=2",
		"ipv6     10 tcp      6 3602 ESTABLISHED src=fd00:0000:0000:0000:0000:0000:00g0:0009 "
		"dst=fd00::1 sport=1 dport=2 mark=0 zone=0 use=2",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		ctune_table_summary s;
		ctune_table_summary_init(&s);
		ctune_table_parse(lines[i], strlen(lines[i]), &s);
		ck_assert_uint_eq(s.total, 1);
		ctune_table_summary_init(&s);
		s.top = ctune_table_top_new(3);
		ck_assert_ptr_nonnull(s.top);
		ctune_table_parse(lines[i], strlen(lines[i]), &s);
		ck_assert_uint_eq(s.total, 0);
		ck_assert_uint_eq(s.malformed, 1);
		ctune_table_top_free(s.top);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("regress-table");
	TCase *tc = tcase_create("fuzz");
	tcase_add_test(tc, test_digits_without_use);
	tcase_add_test(tc, test_top_v6_not_hex);
	suite_add_tcase(s, tc);
	return tl_run(s);
}
