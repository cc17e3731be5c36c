/* fuzz-output.h - the JSON a target produced, kept for fuzz/schemas.sh:
 * with CTUNE_FUZZ_OUTPUTS set, each document goes to its own file there,
 * named KIND.N.json (KIND: the schema to validate it against, "facts" or
 * "response").  Without it, nothing is written. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void ctune_fuzz_output(const char *kind, json_t *doc)
{
	static unsigned long n;
	const char *dir = getenv("CTUNE_FUZZ_OUTPUTS");
	if (!dir || !*dir)
		return;
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s.%ld.%lu.json", dir, kind, (long)getpid(), n++);
	CHECK(json_dump_file(doc, path, JSON_COMPACT) == 0);
}
