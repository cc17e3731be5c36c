/* json-util.c - see json-util.h. */
#include "json-util.h"

#include <stdlib.h>
#include <string.h>

json_t *ctune_json_text(const char *s)
{
	json_t *j = json_string(s);
	if (j)
		return j;
	size_t n = strlen(s);
	_cleanup_free_ char *copy = malloc(n + 1);
	if (!copy)
		return NULL;
	for (size_t i = 0; i <= n; i++)
		copy[i] = (unsigned char)s[i] < 0x80 ? s[i] : '?';
	return json_string(copy);
}
