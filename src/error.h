/* error.h - the one error convention of libctune.
 *
 * Every fallible function returns 0 (or a non-negative count) on success and
 * -errno on failure.  Where the caller needs words for a person, the function
 * also takes a `ctune_error *` (which may be NULL) and fills it once, at the
 * place where the context (path, key, value) is known.  Callers above only
 * pass the code up: `r = f(..., err); if (r < 0) return r;`.
 */
#ifndef CTUNE_ERROR_H
#define CTUNE_ERROR_H

#include <stddef.h>

typedef struct ctune_error {
	int code;       /* -errno of the first failure, 0 when none */
	char msg[1024]; /* one sentence for a person */
} ctune_error;

/* Record the first failure in err (later calls keep the first message) and
 * return code, which must be negative.  err may be NULL. */
int ctune_error_set(ctune_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Clear err for reuse. */
void ctune_error_clear(ctune_error *err);

#endif
