/* error.c - see error.h: the first failure wins and keeps its words. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int ctune_error_set(ctune_error *err, int code, const char *fmt, ...)
{
	if (!err || err->code != 0)
		return code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	err->code = code;
	return code;
}

void ctune_error_clear(ctune_error *err)
{
	if (!err)
		return;
	err->code = 0;
	err->msg[0] = '\0';
}
