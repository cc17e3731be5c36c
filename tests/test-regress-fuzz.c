/* test-regress-fuzz.c - replays every seed and regression input of the
 * libFuzzer targets of libctune (fuzz/corpus/<target>/ and
 * fuzz/regressions/<target>/) through the same harnesses, with their
 * checks, in the ordinary build.
 *
 * Why: the fuzz targets only run in a clang build (fuzz/README.md), but a
 * crash the fuzzer once found must stay fixed in every build - gcc, the
 * ASan/UBSan build (CTUNE_SANITIZE) and under valgrind.  The harness files
 * are included here with their entry points renamed; a failed check aborts
 * the forked test case, which check reports with the target's message.
 * The request and argv targets need plugin/ and jansson, which the unit
 * tests do not link: fuzz/CMakeLists.txt replays those (fuzz-replay-*).
 */
#include <check.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testlib.h"

#define CTUNE_FUZZ_NO_WRAP 1

#define LLVMFuzzerTestOneInput fuzz_duration_one
#include "../fuzz/fuzz-duration.c"
#undef LLVMFuzzerTestOneInput

#define LLVMFuzzerTestOneInput fuzz_table_one
#include "../fuzz/fuzz-table.c"
#undef LLVMFuzzerTestOneInput

#define LLVMFuzzerTestOneInput fuzz_stat_one
#include "../fuzz/fuzz-stat.c"
#undef LLVMFuzzerTestOneInput

#define LLVMFuzzerTestOneInput fuzz_events_one
#include "../fuzz/fuzz-events.c"
#undef LLVMFuzzerTestOneInput

#define LLVMFuzzerTestOneInput fuzz_sysctlkey_one
#include "../fuzz/fuzz-sysctlkey.c"
#undef LLVMFuzzerTestOneInput

/* Includes src/netlink.c itself (its parsers are static). */
#define sum netlink_sum
#define LLVMFuzzerTestOneInput fuzz_netlink_one
#include "../fuzz/fuzz-netlink.c"
#undef LLVMFuzzerTestOneInput
#undef sum

/* The netlink layer alone (src/nl.h). */
#define LLVMFuzzerTestOneInput fuzz_nl_one
#include "../fuzz/fuzz-nl.c"
#undef LLVMFuzzerTestOneInput

typedef int (*harness)(const uint8_t *, size_t);

/* Run h over every regular file in fuzz/<kind>/<target>; returns how many. */
static int replay_dir(const char *kind, const char *target, harness h)
{
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s/../fuzz/%s/%s", CTUNE_TEST_DIR, kind, target);
	struct dirent **list;
	int n = scandir(dir, &list, NULL, alphasort);
	if (n < 0)
		return 0; /* no regressions yet */
	int done = 0;
	for (int i = 0; i < n; i++) {
		char path[2048];
		snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
		struct stat st;
		if (list[i]->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			FILE *f = fopen(path, "rb");
			ck_assert_msg(f != NULL, "cannot open %s", path);
			/* An exact-size buffer, as libFuzzer gives, so over-reads show. */
			uint8_t *buf = malloc(st.st_size ? (size_t)st.st_size : 1);
			ck_assert_ptr_nonnull(buf);
			ck_assert_uint_eq(fread(buf, 1, (size_t)st.st_size, f), (size_t)st.st_size);
			fclose(f);
			fprintf(stderr, "replay %s\n", path);
			h(buf, (size_t)st.st_size);
			free(buf);
			done++;
		}
		free(list[i]);
	}
	free(list);
	return done;
}

static void replay(const char *target, harness h)
{
	int seeds = replay_dir("corpus", target, h);
	replay_dir("regressions", target, h);
	ck_assert_msg(seeds > 0, "no seed corpus for %s", target);
}

START_TEST(test_duration)
{
	replay("duration", fuzz_duration_one);
}
END_TEST

START_TEST(test_table)
{
	replay("table", fuzz_table_one);
}
END_TEST

START_TEST(test_stat)
{
	replay("stat", fuzz_stat_one);
}
END_TEST

START_TEST(test_events)
{
	replay("events", fuzz_events_one);
}
END_TEST

START_TEST(test_sysctlkey)
{
	replay("sysctlkey", fuzz_sysctlkey_one);
}
END_TEST

START_TEST(test_netlink)
{
	replay("netlink", fuzz_netlink_one);
}
END_TEST

START_TEST(test_nl)
{
	replay("nl", fuzz_nl_one);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("regress-fuzz");
	TCase *tc = tcase_create("replay");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_duration);
	tcase_add_test(tc, test_table);
	tcase_add_test(tc, test_stat);
	tcase_add_test(tc, test_events);
	tcase_add_test(tc, test_netlink);
	tcase_add_test(tc, test_nl);
	tcase_add_test(tc, test_sysctlkey);
	suite_add_tcase(s, tc);
	return tl_run(s);
}
