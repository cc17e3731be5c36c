/* prometheus.c - see prometheus.h. */
#include "prometheus.h"

#include <errno.h>

int ctune_prometheus_print(FILE *out, json_t *facts)
{
	if (!json_is_object(facts))
		return -EINVAL;
	fputs("# HELP ctune_conntrack_info ctune's view of the conntrack table.\n"
	      "# TYPE ctune_conntrack_info gauge\n",
	      out);
	return fflush(out) == EOF || ferror(out) ? -EIO : 0;
}
