/* fuzz-report.c - libFuzzer target for `ctune report`'s input readers
 * (plugin/report-read.c: the streaming scanner, the choice between one
 * host's document and Salt's map of hosts, the facts' extraction), then
 * the fleet (plugin/report.c) and every face over what was read.
 *
 * Input: the bytes of one input file, any bytes (read from an exact-size
 * copy, so a read past the end is caught).  Checked beyond "does not
 * crash": every host handed to the sink has a non-empty, NUL-terminated
 * name of at most 255 bytes, numbers that are UNKNOWN or not negative, a
 * usage that is unknown (< 0) or from 0, and a known scheme; every error
 * has a reason; the JSON face is one JSON document jansson reads back with
 * the same host count; the HTML face carries exactly one <script> element
 * (its own), so no host-controlled string opened another.
 */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "fuzz.h"

static int check_host(void *ud, const ctune_report_host *h)
{
	CHECK(memchr(h->name, '\0', sizeof(h->name)) != NULL && h->name[0]);
	const int64_t v[] = { h->count, h->max, h->buckets, h->drop, h->early_drop, h->insert_failed,
			      h->tcp_established, h->recommended_max, h->recommended_memory };
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		CHECK(v[i] == CTUNE_REPORT_UNKNOWN || v[i] >= 0);
	CHECK(h->usage < 0 ? h->usage == -1 : h->usage >= 0);
	CHECK(h->scheme > CTUNE_REPORT_SCHEME_UNKNOWN && h->scheme < CTUNE_REPORT_SCHEME_COUNT);
	CHECK(memchr(h->era, '\0', sizeof(h->era)) && memchr(h->kernel, '\0', sizeof(h->kernel)));
	ctune_report_sink s = ctune_report_sink_of(ud);
	return s.host(s.ud, h);
}

static int check_error(void *ud, uint32_t input, const char *host, const char *reason)
{
	CHECK(reason && reason[0]);
	ctune_report_sink s = ctune_report_sink_of(ud);
	return s.error(s.ud, input, host, reason);
}

static size_t count(const char *hay, size_t n, const char *needle)
{
	size_t k = 0, m = strlen(needle);
	for (const char *p = hay; (p = memmem(p, n - (size_t)(p - hay), needle, m)); p += m)
		k++;
	return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	static const char *const inputs[] = { "fuzz" };
	ctune_report_opts opts = { .top = 5, .max_age = 60, .now = 1700000000, .width = 80 };
	ctune_report r;
	ctune_report_init(&r, &opts, inputs, 1);
	ctune_report_sink sink = { .host = check_host, .error = check_error, .ud = &r };
	int e = ctune_report_read_mem(copy, size, "fuzz-host", 1699990000, 0, &sink);
	free(copy);
	CHECK(e == 0 || e == -ENOMEM);
	if (e == 0 && ctune_report_finish(&r) == 0) {
		CHECK(r.nranked <= 5 && r.nranked <= r.nhosts);
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		if (f) {
			CHECK(ctune_report_print_json(f, &r) == 0);
			fclose(f);
			json_error_t je;
			json_t *doc = json_loadb(text, len, 0, &je);
			if (!doc)
				fprintf(stderr, "%s\n%.*s\n", je.text, (int)(len < 4000 ? len : 4000), text);
			CHECK(doc != NULL);
			CHECK(json_array_size(json_object_get(doc, "hosts")) == r.nhosts);
			json_decref(doc);
			free(text);
		}
		text = NULL;
		f = open_memstream(&text, &len);
		if (f) {
			CHECK(ctune_report_print_html(f, &r) == 0);
			fclose(f);
			CHECK(count(text, len, "<script") == 1);
			free(text);
		}
		f = fopen("/dev/null", "w");
		if (f) {
			CHECK(ctune_report_print_human(f, &r) == 0);
			CHECK(ctune_report_print_prometheus(f, &r) == 0);
			fclose(f);
		}
	}
	ctune_report_free(&r);
	return 0;
}
