/* fuzz-facts.c - libFuzzer target for the facts of an image (src/facts.c,
 * src/advise.c, src/stat.c, src/boot.c through plugin/response.c): every
 * number an image under --root can hold, and the JSON it turns into.
 *
 * Input: sections "@@ NAME\n" followed by the file's bytes up to the next
 * "\n@@ " (or the end); "@@ -NAME\n" removes the file.  NAME is one of the
 * files below (count, max, meminfo, stat, slabinfo, slab_size, uptime,
 * sysctl.conf, ...); unknown names are ignored.  Every run starts from a
 * sane modern image (the defaults below), so one section changes one thing.
 *
 * Checked beyond "does not crash": gathering succeeds (missing or broken
 * pieces are warnings), and the facts object keeps the promises of
 * schemas/facts.json that a C walk can check: every integer is >= 0 (the
 * boot replay's values, text from a file, excepted; a line number >= 1),
 * every real is finite and >= 0, every string valid UTF-8 (jansson refuses
 * others).  With CTUNE_FUZZ_OUTPUTS set, each object is also written there
 * as one file, for fuzz/schemas.sh to validate against the schema itself.
 *
 * The image is one scratch directory, /tmp/ctune-fuzz-facts.XXXXXX, removed
 * at exit by the replay programs; libFuzzer ends with _Exit(), so a fuzzing
 * run leaves it behind (rm -rf /tmp/ctune-fuzz-facts.*).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "facts.h"
#include "response.h"
#include "fuzz.h"
#include "fuzz-output.h"

#define NF "proc/sys/net/netfilter/nf_conntrack_"

static const struct {
	const char *name, *path, *text;
} files[] = {
	{ "osrelease", "proc/sys/kernel/osrelease", "6.1.0-28-amd64\n" },
	{ "arch", "proc/sys/kernel/arch", "x86_64\n" },
	{ "count", NF "count", "1234\n" },
	{ "max", NF "max", "262144\n" },
	{ "alias", "proc/sys/net/nf_conntrack_max", "262144\n" },
	{ "buckets", NF "buckets", "65536\n" },
	{ "expect_max", NF "expect_max", "1024\n" },
	{ "tcp_timeout_established", NF "tcp_timeout_established", "432000\n" },
	{ "udp_timeout", NF "udp_timeout", "30\n" },
	{ "acct", NF "acct", "0\n" },
	{ "frag6_high_thresh", NF "frag6_high_thresh", "4194304\n" },
	{ "meminfo", "proc/meminfo", "MemTotal:        4002524 kB\nMemFree:          123456 kB\n" },
	{ "modules", "proc/modules", "nf_conntrack 172032 1 - Live 0x0000000000000000\n" },
	{ "stat", "proc/net/stat/nf_conntrack",
	  "entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop "
	  "icmp_error  expect_new expect_create expect_delete search_restart\n"
	  "000004d2  00000000 00000000 00000000 00000010 00000000 00000000 00000000 00000000 00000000 00000000 "
	  "00000000 00000000  00000000 00000000 00000000 00000000\n" },
	{ "table", "proc/net/nf_conntrack",
	  "ipv4     2 tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 "
	  "dst=10.0.0.1 sport=2 dport=1 [ASSURED] mark=0 zone=0 use=2\n" },
	{ "slabinfo", "proc/slabinfo",
	  "slabinfo - version: 2.1\nnf_conntrack         500    512    320   25    2 : tunables 0 0 0\n" },
	{ "slab_size", "sys/kernel/slab/nf_conntrack/slab_size", "320\n" },
	{ "objs_per_slab", "sys/kernel/slab/nf_conntrack/objs_per_slab", "25\n" },
	{ "order", "sys/kernel/slab/nf_conntrack/order", "1\n" },
	{ "total_objects", "sys/kernel/slab/nf_conntrack/total_objects", "512 N0=512\n" },
	{ "uptime", "proc/uptime", "12345.67 23456.78\n" },
	{ "sysctl.conf", "etc/sysctl.conf", "net.netfilter.nf_conntrack_max = 262144\n" },
	{ "sysctl.d", "etc/sysctl.d/50-fuzz.conf", "net.netfilter.nf_conntrack_udp_timeout = 30\n" },
};

static char root_dir[64];

static void put(const char *rel, const char *text, size_t len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", root_dir, rel);
	for (char *s = path + strlen(root_dir) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(path, 0755);
		*s = '/';
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	CHECK(fd >= 0);
	CHECK(write(fd, text, len) == (ssize_t)len);
	close(fd);
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	remove(path);
	return 0;
}

static void remove_root(void)
{
	nftw(root_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void reset(void)
{
	if (!root_dir[0]) {
		snprintf(root_dir, sizeof(root_dir), "/tmp/ctune-fuzz-facts.XXXXXX");
		CHECK(mkdtemp(root_dir) != NULL);
		atexit(remove_root);
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		put(files[i].path, files[i].text, strlen(files[i].text));
}

static void apply(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	while (p < end) {
		if (end - p < 3 || memcmp(p, "@@ ", 3) != 0) {
			const char *next = memmem(p, (size_t)(end - p), "\n@@ ", 4);
			p = next ? next + 1 : end;
			continue;
		}
		p += 3;
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return;
		bool remove = *p == '-';
		const char *name = remove ? p + 1 : p;
		size_t nlen = (size_t)(nl - name);
		const char *body = nl + 1, *next = memmem(body, (size_t)(end - body), "\n@@ ", 4);
		size_t blen = next ? (size_t)(next + 1 - body) : (size_t)(end - body);
		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			if (strlen(files[i].name) != nlen || memcmp(files[i].name, name, nlen) != 0)
				continue;
			if (remove) {
				char path[512];
				snprintf(path, sizeof(path), "%s/%s", root_dir, files[i].path);
				unlink(path);
			} else {
				put(files[i].path, body, blen);
			}
		}
		p = body + blen;
	}
}

/* Under effective_at_boot.tunables.*: value is the file's text as a number
 * (any integer), line >= 1. */
static void check_numbers(json_t *v, const char *key, int depth, bool boot)
{
	if (json_is_integer(v)) {
		if (boot && strcmp(key, "value") == 0)
			return;
		CHECK(json_integer_value(v) >= (boot && strcmp(key, "line") == 0 ? 1 : 0));
	} else if (json_is_real(v)) {
		CHECK(isfinite(json_real_value(v)) && json_real_value(v) >= 0);
	} else if (json_is_object(v)) {
		const char *k;
		json_t *c;
		json_object_foreach(v, k, c)
			check_numbers(c, k, depth + 1, boot || (depth == 0 && strcmp(k, "effective_at_boot") == 0));
	} else if (json_is_array(v)) {
		size_t i;
		json_t *c;
		json_array_foreach(v, i, c)
			check_numbers(c, key, depth + 1, boot);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	reset();
	apply(data, size);

	ctune_root root;
	ctune_error err = { 0 };
	CHECK(ctune_root_init(&root, root_dir, &err) == 0);
	ctune_facts_opts opts = { .scheme = CTUNE_SCHEME_NONE, .source = CTUNE_SOURCE_PROC, .table = true,
				  .advice = true, .boot = true };
	ctune_facts f;
	int r = ctune_facts_gather(&root, &opts, &f, &err);
	if (r < 0) {
		/* Only a table walk that was asked for may fail (facts.h). */
		CHECK(err.msg[0]);
		return 0;
	}
	json_t *o = ctune_facts_to_json(&f, &root);
	ctune_facts_free(&f);
	CHECK(o != NULL);
	check_numbers(o, "", 0, false);
	ctune_fuzz_output("facts", o);
	json_decref(o);
	return 0;
}
