/* fuzz-argv.c - libFuzzer target for the command-line face of the request
 * parser (plugin/request.c: ctune_request_from_argv).
 *
 * Input: arguments separated by NUL bytes (at most 64), each handed over as
 * its own exact-size string after argv[0] = "ctune".  The checks are those
 * of fuzz-request.c: whatever the words, a success is a request plan.c can
 * trust, a failure has a message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "request.h"
#include "fuzz.h"

#define MAX_ARGS 64
static ctune_request req;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 2] = { NULL };
	int argc = 0;
	argv[argc++] = strdup("ctune");
	const uint8_t *p = data, *end = data + size;
	while (argc < MAX_ARGS + 1 && p <= end) {
		const uint8_t *z = memchr(p, '\0', (size_t)(end - p));
		size_t n = (size_t)((z ? z : end) - p);
		char *a = malloc(n + 1);
		if (!a)
			break;
		memcpy(a, p, n);
		a[n] = '\0';
		argv[argc++] = a;
		if (!z)
			break;
		p = z + 1;
	}

	ctune_error err = { 0 };
	int r = ctune_request_from_argv(argc, argv, &req, &err);
	if (r < 0) {
		CHECK(err.code == r && err.msg[0]);
	} else {
		CHECK(r == 0 && req.nwant <= CTUNE_PLAN_MAX_ITEMS);
		CHECK(ctune_plan_check_file(req.plan.file, NULL) == 0);
		for (size_t i = 0; i < req.nwant; i++) {
			const ctune_tunable *t = req.want[i].t;
			for (size_t j = 0; j < i; j++)
				CHECK(req.want[j].t != t);
			if (req.want_has_value[i])
				CHECK(req.want[i].value >= t->min && req.want[i].value <= t->max);
			else
				CHECK(req.plan.state == CTUNE_STATE_ABSENT);
		}
	}
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	return 0;
}
