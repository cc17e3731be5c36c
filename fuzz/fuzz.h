/* fuzz.h - what every target shares: CHECK, an invariant whose failure
 * aborts (libFuzzer reports it as a crash, check as an error), and the
 * entry point's prototype.  No include guard on purpose:
 * tests/test-regress-fuzz.c includes several targets into one file, each
 * with LLVMFuzzerTestOneInput renamed, and each needs its prototype. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef CHECK
#define CHECK(c)                                                                                     \
	do {                                                                                         \
		if (!(c)) {                                                                          \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);       \
			abort();                                                                     \
		}                                                                                    \
	} while (0)
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
