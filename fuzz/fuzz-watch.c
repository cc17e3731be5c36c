/* fuzz-watch.c - libFuzzer target for the text issue 16 added: `ctune
 * watch`'s interval and sample-count parsers (watch-sample.h) and the
 * cgroup line picker of --netns (netns-list.h), which reads
 * /proc/PID/cgroup, text any container runtime names.
 *
 * Input: the first byte picks the output size for the cgroup picker (1..256),
 * the rest is one C string (cut at the first NUL).  Checked beyond "does not
 * crash":
 *   - an accepted interval is within CTUNE_WATCH_INTERVAL_MIN_MS..MAX_MS,
 *     and a refused one says so in err starting with "interval: ";
 *   - an accepted sample count is 1..CTUNE_WATCH_SAMPLES_MAX;
 *   - the cgroup path is NUL-terminated within the size, holds no newline,
 *     and is a prefix of the text after "0::" or after the second colon.
 * Any failed check aborts, which libFuzzer reports as a crash.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netns-list.h"
#include "watch-sample.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t outsize = (size_t)data[0] + 1;
	if (outsize > 256)
		outsize = 256;
	char *text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';

	ctune_error err = { 0 };
	unsigned long long ms = 0;
	int k = ctune_watch_parse_interval(text, &ms, &err);
	CHECK(k == 0 || k == -EINVAL || k == -ERANGE);
	if (k == 0)
		CHECK(ms >= CTUNE_WATCH_INTERVAL_MIN_MS && ms <= CTUNE_WATCH_INTERVAL_MAX_MS);
	else
		CHECK(err.code == k && strncmp(err.msg, "interval: ", 10) == 0);

	unsigned long long n = 0;
	k = ctune_watch_parse_samples(text, "count", &n, NULL);
	CHECK(k == 0 || k == -EINVAL || k == -ERANGE);
	if (k == 0)
		CHECK(n >= 1 && n <= CTUNE_WATCH_SAMPLES_MAX);

	char out[256];
	memset(out, 'x', sizeof(out));
	ctune_netns_cgroup_path(text, out, outsize);
	size_t len = strnlen(out, outsize);
	CHECK(len < outsize);
	CHECK(!memchr(out, '\n', len));
	if (len > 0) {
		const char *v2 = NULL;
		for (const char *p = text; p;) {
			if (strncmp(p, "0::", 3) == 0) {
				v2 = p + 3;
				break;
			}
			p = strchr(p, '\n');
			p = p ? p + 1 : NULL;
		}
		const char *c1 = strchr(text, ':');
		const char *from = v2 ? v2 : c1 ? strchr(c1 + 1, ':') + 1 : NULL;
		CHECK(from && strncmp(from, out, len) == 0);
	}
	free(text);
	return 0;
}
