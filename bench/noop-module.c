/* noop-module.c - an Ansible binary module that does nothing: the
 * controller's own floor for one task (fork the worker, template the
 * module, copy it to the host's temporary directory, run it, read one JSON
 * object back).  It opens the arguments file it is given, as every binary
 * module must, and answers {"changed": false}.
 *
 * Bench case 5 compares one ctune task (a compiled module doing real work)
 * with one task of this module: what ctune adds above it is its own cost.
 */
#include <stdio.h>

int main(int argc, char **argv)
{
	FILE *f = argc == 2 ? fopen(argv[1], "r") : NULL;
	if (!f) {
		fputs("{\"failed\": true, \"msg\": \"noop-module: no arguments file\"}\n", stdout);
		return 1;
	}
	fclose(f);
	fputs("{\"changed\": false, \"failed\": false, \"msg\": \"nothing to do\"}\n", stdout);
	return 0;
}
