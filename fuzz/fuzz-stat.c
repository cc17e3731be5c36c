/* fuzz-stat.c - libFuzzer target for the per-CPU statistics parser
 * (stat.h: ctune_stats_parse), the text of /proc/net/stat/nf_conntrack.
 *
 * Checked beyond "does not crash": on failure the struct holds nothing (no
 * rows, no buffer) and the message is set; on success the columns fit the
 * limits, every name is a terminated string found again by
 * ctune_stats_col(), and each column's total is the saturating sum of its
 * rows (entries: the first row's value), as stat.h promises.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stat.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so a read one past the end is caught. */
	char *text = malloc(size ? size : 1);
	if (!text)
		return 0;
	memcpy(text, data, size);

	ctune_stats st;
	ctune_error err = { 0 };
	int r = ctune_stats_parse(text, size, &st, &err);
	if (r < 0) {
		CHECK(st.per_cpu == NULL && st.ncpus == 0 && st.ncols == 0);
		CHECK(err.code == r && err.msg[0]);
	} else {
		CHECK(r == 0);
		CHECK(st.ncols <= CTUNE_STAT_MAX_COLS && st.ncpus <= CTUNE_STAT_MAX_CPUS);
		CHECK(st.per_cpu != NULL);
		int entries = -1;
		for (size_t c = 0; c < st.ncols; c++) {
			size_t n = strnlen(st.names[c], CTUNE_STAT_NAME_MAX);
			CHECK(n > 0 && n < CTUNE_STAT_NAME_MAX);
			int found = ctune_stats_col(&st, st.names[c]);
			CHECK(found >= 0 && (size_t)found <= c);
			if (strcmp(st.names[c], "entries") == 0 && entries < 0)
				entries = (int)c;
		}
		for (size_t c = 0; c < st.ncols; c++) {
			uint64_t s = 0;
			for (size_t cpu = 0; cpu < st.ncpus; cpu++) {
				uint64_t v = ctune_stats_cpu(&st, cpu, c);
				s = s + v < s ? UINT64_MAX : s + v;
			}
			if ((int)c == entries)
				s = st.ncpus ? ctune_stats_cpu(&st, 0, c) : 0;
			CHECK(st.total[c] == s);
		}
	}
	ctune_stats_free(&st);
	ctune_stats_free(&st);
	free(text);
	return 0;
}
