/* fuzz-request.c - libFuzzer target for the request parser
 * (plugin/request.c: ctune_request_from_json), the edge every byte from
 * Ansible, Salt or a pipe crosses first.
 *
 * Input: the request text, any bytes (parsed from an exact-size copy, so a
 * read past the end is caught).  Checked beyond "does not crash": a failure
 * comes with a message; a success hands plan.c a request it can trust: at
 * most CTUNE_PLAN_MAX_ITEMS tunables, none twice, every value given is
 * within its tunable's range, verb set has tunables and facts none, and the
 * file option is one ctune_plan_check_file accepts; a request that asked
 * for check mode in any spelling is in check mode.  The error response of a
 * refused request goes to CTUNE_FUZZ_OUTPUTS (fuzz-output.h) for
 * fuzz/schemas.sh to validate against schemas/response.json.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "request.h"
#include "response.h"
#include "fuzz.h"
#include "fuzz-output.h"

static ctune_request req; /* 20 KiB: not on the stack */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1);
	if (!text)
		return 0;
	memcpy(text, data, size);

	ctune_error err = { 0 };
	int r = ctune_request_from_json(text, size, &req, &err);
	free(text);
	if (r < 0) {
		CHECK(err.code == r && err.msg[0]);
		/* The one object the caller gets: valid JSON whatever the bytes. */
		json_t *o = ctune_error_response(err.msg);
		CHECK(o != NULL && json_is_string(json_object_get(o, "msg")));
		ctune_fuzz_output("response", o);
		json_decref(o);
		return 0;
	}
	/* Check mode in any spelling cannot be switched off by another. */
	if (req.check_on_key)
		CHECK(req.check_mode && req.plan.check_mode);
	CHECK(r == 0);
	CHECK(req.nwant <= CTUNE_PLAN_MAX_ITEMS);
	CHECK(memchr(req.root, '\0', sizeof(req.root)) != NULL);
	CHECK(memchr(req.plan.file, '\0', sizeof(req.plan.file)) != NULL);
	CHECK(ctune_plan_check_file(req.plan.file, NULL) == 0);
	if (req.verb == CTUNE_VERB_SET)
		CHECK(req.nwant > 0);
	else
		CHECK(req.nwant == 0);
	for (size_t i = 0; i < req.nwant; i++) {
		const ctune_tunable *t = req.want[i].t;
		CHECK(t != NULL);
		for (size_t j = 0; j < i; j++)
			CHECK(req.want[j].t != t);
		if (req.plan.state == CTUNE_STATE_PRESENT)
			CHECK(req.want_has_value[i]);
		if (req.want_has_value[i])
			CHECK(req.want[i].value >= t->min && req.want[i].value <= t->max);
	}
	return 0;
}
