/* fuzz-duration.c - libFuzzer target for the duration parser (duration.h).
 *
 * Input: any bytes, taken as one C string (cut at the first NUL).  Checked
 * beyond "does not crash":
 *   - a value parsed without units is also parsed the same with units;
 *   - every accepted value is 0..CTUNE_DURATION_MAX;
 *   - ctune_duration_format() of it parses back to the same number;
 *   - ctune_duration_parse_tunable() agrees with the plain parser and the
 *     tunable's range for every tunable in the table.
 * Any failed check aborts, which libFuzzer reports as a crash.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "scheme.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	ctune_error err = { 0 };
	long long plain = -1, units = -1;
	int rp = ctune_duration_parse(text, 0, &plain, &err);
	CHECK(rp <= 0);
	CHECK(rp == 0 || (err.code == rp && err.msg[0]));
	ctune_error_clear(&err);
	int ru = ctune_duration_parse(text, CTUNE_DURATION_UNITS, &units, &err);
	CHECK(ru <= 0);
	CHECK(ru == 0 || (err.code == ru && err.msg[0]));
	if (rp == 0) {
		CHECK(plain >= 0 && plain <= CTUNE_DURATION_MAX);
		CHECK(ru == 0 && units == plain);
	}
	if (ru == 0) {
		CHECK(units >= 0 && units <= CTUNE_DURATION_MAX);
		char buf[32];
		int n = ctune_duration_format(units, buf, sizeof(buf));
		CHECK(n > 0 && (size_t)n == strlen(buf));
		long long back = -1;
		CHECK(ctune_duration_parse(buf, CTUNE_DURATION_UNITS, &back, NULL) == 0 && back == units);
	}

	size_t nt = 0;
	const ctune_tunable *t = ctune_tunables(&nt);
	for (size_t i = 0; i < nt; i++) {
		long long v = -1;
		ctune_error_clear(&err);
		int rt = ctune_duration_parse_tunable(&t[i], text, &v, &err);
		long long base = t[i].kind == CTUNE_KIND_TIMEOUT ? units : plain;
		int rb = t[i].kind == CTUNE_KIND_TIMEOUT ? ru : rp;
		if (rt == 0)
			CHECK(rb == 0 && v == base && v >= t[i].min && v <= t[i].max);
		else
			CHECK(err.msg[0] && (rb < 0 || base < t[i].min || base > t[i].max));
	}

	/* Format any number (negative too) and read the non-negative ones back. */
	if (size >= sizeof(long long)) {
		long long x;
		memcpy(&x, data, sizeof(x));
		char buf[32];
		int n = ctune_duration_format(x, buf, sizeof(buf));
		CHECK(n > 0 && (size_t)n == strlen(buf));
		long long back = -1;
		if (x >= 0 && x <= CTUNE_DURATION_MAX)
			CHECK(ctune_duration_parse(buf, CTUNE_DURATION_UNITS, &back, NULL) == 0 && back == x);
		CHECK(ctune_duration_format(x, buf, 1) == -ENOBUFS);
	}
	free(text);
	return 0;
}
