/* report-read.c - the engines' outputs -> one small record per host.
 *
 * Every input is read as a stream of top-level JSON values (one document,
 * or JSON lines, or Salt's non-static output: one object per minion).  A
 * top-level object is never parsed whole: a small scanner walks its
 * members, keeping (in a buffer capped at CTUNE_REPORT_DOC_MAX) only the
 * raw text of the members the report needs and skipping the rest without
 * storing it.  jansson then parses each kept member alone, the numbers are
 * copied out into a ctune_report_host, and the tree is freed.  So a 100 MB
 * string or a Salt output of 10,000 minions costs a buffer's worth of
 * memory, and 10,000-deep nesting is a counter, not a recursion.
 *
 * The first member decides what the object is:
 *   - a key of a host document (ctune's facts, an Ansible result, a fact
 *     cache file: "conntrack", "ansible_facts", "scheme", "ansible_*", ...):
 *     the object is one host's document;
 *   - any other key whose value is a host-like object or a string: the
 *     object maps host names to host documents (Salt's --out=json --static
 *     of ctune.facts or of grains, one object keyed by minion id); a string
 *     value is Salt's word that the minion failed.
 * Inside a host document the facts are ansible_facts.conntrack (ansible
 * --tree), conntrack (the jsonfile cache, grains), ansible_conntrack (older
 * caches) or the document itself (ctune facts).
 */
#include "report.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "json-util.h"

#define READ_CHUNK 65536
#define KEY_RAW_MAX 1024 /* raw bytes of a member's key kept (quotes and escapes included) */

/* ---- the byte source ---- */

typedef struct src {
	int fd;                   /* -1: memory */
	const unsigned char *buf; /* the memory, or the read buffer */
	unsigned char *own;
	size_t pos, len;
	int err; /* a read error, -errno */
} src;

/* More bytes: > 0, 0 at the end, < 0 on a read error (kept in s->err). */
static ssize_t src_fill(src *s)
{
	if (s->pos < s->len)
		return (ssize_t)(s->len - s->pos);
	if (s->fd < 0 || s->err)
		return s->err;
	for (;;) {
		ssize_t k = read(s->fd, s->own, READ_CHUNK);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return s->err = -errno;
		s->pos = 0;
		s->len = (size_t)k;
		return k;
	}
}

static int src_peek(src *s)
{
	return src_fill(s) > 0 ? s->buf[s->pos] : -1;
}

static void skip_ws(src *s)
{
	while (src_fill(s) > 0) {
		unsigned char c = s->buf[s->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			return;
		s->pos++;
	}
}

/* ---- the capture buffer ---- */

typedef struct cap {
	char *p;
	size_t n, size, limit;
	bool over; /* more than limit bytes: not kept */
	bool deep; /* nested deeper than CTUNE_REPORT_DEPTH_MAX */
} cap;

static int cap_put(cap *c, const unsigned char *b, size_t n)
{
	if (!c || c->over || n == 0)
		return 0;
	if (c->n + n > c->limit) {
		c->over = true;
		return 0;
	}
	if (c->n + n > c->size) {
		size_t size = c->size ? c->size : 4096;
		while (size < c->n + n)
			size *= 2;
		char *p = realloc(c->p, size);
		if (!p)
			return -ENOMEM;
		c->p = p;
		c->size = size;
	}
	memcpy(c->p + c->n, b, n);
	c->n += n;
	return 0;
}

/* Scan one JSON value at the current position, appending its raw text to c
 * (NULL: skip it).  Structure only: strings (with escapes), brackets and
 * scalars; jansson checks the rest of what is kept.  Returns 0, -EPIPE when
 * the input ends inside the value, -EBADMSG when no value starts here, a
 * read error, or -ENOMEM. */
static int scan_value(src *s, cap *c)
{
	int first = src_peek(s);
	if (first < 0)
		return s->err ? s->err : -EPIPE;
	if (first == ',' || first == ':' || first == '}' || first == ']')
		return -EBADMSG;
	bool scalar = first != '"' && first != '{' && first != '[';
	bool in_str = false, esc = false, started = false;
	size_t depth = 0;
	for (;;) {
		ssize_t avail = src_fill(s);
		if (avail < 0)
			return (int)avail;
		if (avail == 0)
			return scalar && started ? 0 : -EPIPE;
		const unsigned char *b = s->buf + s->pos;
		size_t n = (size_t)avail, i = 0;
		bool done = false;
		if (scalar) {
			/* true, 12.5e3, or garbage jansson will name: up to a delimiter. */
			while (i < n && !strchr(",}]: \t\n\r\"{[", b[i]))
				i++;
			started |= i > 0;
			done = i < n;
			if (done && !started)
				return -EBADMSG;
		} else
			while (i < n) {
				if (in_str) {
					if (esc) {
						esc = false;
						i++;
						continue;
					}
					/* The hot loop: the bytes of a string. */
					while (i < n && b[i] != '"' && b[i] != '\\')
						i++;
					if (i == n)
						break;
					if (b[i++] == '\\') {
						esc = true;
						continue;
					}
					in_str = false;
					if (depth == 0) {
						done = true;
						break;
					}
					continue;
				}
				unsigned char x = b[i++];
				if (x == ' ' || x == '\n' || (x >= '0' && x <= '9') || x == ',' || x == ':')
					continue; /* most bytes outside strings: indentation, numbers */
				if (x == '"')
					in_str = true;
				else if (x == '{' || x == '[') {
					if (++depth > CTUNE_REPORT_DEPTH_MAX && c)
						c->deep = true;
				} else if (x == '}' || x == ']') {
					if (depth == 0)
						return -EBADMSG;
					if (--depth == 0) {
						done = true;
						break;
					}
				}
			}
		int r = cap_put(c, b, i);
		if (r < 0)
			return r;
		s->pos += i;
		if (done)
			return 0;
	}
}

/* ---- what one host document yields ---- */

typedef struct reader {
	const ctune_report_sink *sink;
	uint32_t input;
	const char *hint; /* the host's name when a document names none (the file's) */
	int64_t mtime;
	unsigned docs;    /* top-level documents read from this input */
	int stop;         /* a sink's failure: stop */
} reader;

static void say(char *why, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
}

static int emit_error(reader *rd, const char *host, const char *reason)
{
	int r = rd->sink->error(rd->sink->ud, rd->input, host, reason);
	if (r < 0)
		rd->stop = r;
	return r;
}

/* A non-negative integer at o[key] (or null / missing: UNKNOWN).  0, or -EINVAL
 * with why[] naming path.key. */
static int get_int(json_t *o, const char *path, const char *key, int64_t *out, char *why, size_t size)
{
	json_t *v = o ? json_object_get(o, key) : NULL;
	*out = CTUNE_REPORT_UNKNOWN;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		say(why, size, "%s%s: expected a non-negative integer or null", path, key);
		return -EINVAL;
	}
	*out = json_integer_value(v);
	return 0;
}

static int get_bool(json_t *o, const char *path, const char *key, bool *out, char *why, size_t size)
{
	json_t *v = o ? json_object_get(o, key) : NULL;
	*out = false;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v)) {
		say(why, size, "%s%s: expected true, false or null", path, key);
		return -EINVAL;
	}
	*out = json_is_true(v);
	return 0;
}

/* A short string at o[key] into dst ("" when missing or null). */
static int get_str(json_t *o, const char *path, const char *key, char *dst, size_t dsize, char *why, size_t size)
{
	json_t *v = o ? json_object_get(o, key) : NULL;
	dst[0] = '\0';
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		say(why, size, "%s%s: expected a string or null", path, key);
		return -EINVAL;
	}
	if (json_string_length(v) >= dsize) {
		say(why, size, "%s%s: longer than %zu bytes", path, key, dsize - 1);
		return -EINVAL;
	}
	/* Only what a host can be trusted to say: printable ASCII. */
	const char *t = json_string_value(v);
	size_t i = 0;
	for (; t[i]; i++)
		dst[i] = t[i] > 0x20 && t[i] < 0x7f ? t[i] : '?';
	dst[i] = '\0';
	return 0;
}

static bool get_obj(json_t *o, const char *path, const char *key, json_t **out, char *why, size_t size)
{
	json_t *v = o ? json_object_get(o, key) : NULL;
	*out = NULL;
	if (!v || json_is_null(v))
		return true;
	if (!json_is_object(v)) {
		say(why, size, "%s%s: expected an object or null", path, key);
		return false;
	}
	*out = v;
	return true;
}

#define TRY(call)                    \
	do {                         \
		if ((call) < 0)      \
			return -EINVAL; \
	} while (0)
#define TRY_OBJ(call)                \
	do {                         \
		if (!(call))         \
			return -EINVAL; \
	} while (0)

static int read_boot(json_t *f, ctune_report_host *h, char *why, size_t size)
{
	json_t *eab, *tun;
	TRY_OBJ(get_obj(f, "", "effective_at_boot", &eab, why, size));
	if (!eab)
		return 0;
	TRY(get_str(eab, "effective_at_boot.", "init", h->init, sizeof(h->init), why, size));
	TRY_OBJ(get_obj(eab, "effective_at_boot.", "tunables", &tun, why, size));
	const char *name;
	json_t *t;
	json_object_foreach(tun, name, t) {
		if (!json_is_object(t)) {
			say(why, size, "effective_at_boot.tunables.%.40s: expected an object", name);
			return -EINVAL;
		}
		json_t *live = json_object_get(t, "live"), *matches = json_object_get(t, "matches_live"),
		       *applies = json_object_get(t, "applies");
		if ((live && !json_is_null(live) && !json_is_integer(live)) ||
		    (matches && !json_is_null(matches) && !json_is_boolean(matches)) ||
		    (applies && !json_is_null(applies) && !json_is_boolean(applies))) {
			say(why, size, "effective_at_boot.tunables.%.40s: live, matches_live or applies of the wrong type",
			    name);
			return -EINVAL;
		}
		/* A live value the next boot will not keep: the files set another
		 * value, or the line will not apply (the module loads too late). */
		bool has_live = live && json_is_integer(live);
		if (has_live && (json_is_false(matches) || json_is_false(applies))) {
			if (!h->boot_drift)
				snprintf(h->boot_key, sizeof(h->boot_key), "%.47s", name);
			if (h->boot_drift < UINT16_MAX)
				h->boot_drift++;
		}
	}
	if (h->boot_drift)
		h->drift |= CTUNE_DRIFT_BOOT;
	/* Lines of the boot's files naming the other scheme's keys: the count
	 * is enough (the list, file by file, stays in the host's facts). */
	int64_t other;
	TRY(get_int(eab, "effective_at_boot.", "other_scheme_keys_total", &other, why, size));
	if (other != CTUNE_REPORT_UNKNOWN && other > 0)
		h->drift |= CTUNE_DRIFT_OTHER_SCHEME;
	return 0;
}

static int read_advice(json_t *f, ctune_report_host *h, char *why, size_t size)
{
	json_t *a, *d;
	TRY_OBJ(get_obj(f, "", "advice", &a, why, size));
	if (!a)
		return 0;
	const char *p = "advice.";
	TRY(get_str(a, p, "era", h->era, sizeof(h->era), why, size));
	TRY(get_int(a, p, "recommended_max", &h->recommended_max, why, size));
	TRY(get_int(a, p, "recommended_buckets", &h->recommended_buckets, why, size));
	TRY(get_int(a, p, "recommended_memory_bytes", &h->recommended_memory, why, size));
	TRY(get_int(a, p, "memory_total_bytes", &h->memory_total, why, size));
	TRY(get_int(a, p, "default_max", &h->default_max, why, size));
	TRY(get_int(a, p, "default_buckets", &h->default_buckets, why, size));
	TRY(get_bool(a, p, "change_max", &h->change_max, why, size));
	TRY(get_bool(a, p, "change_buckets", &h->change_buckets, why, size));
	TRY(get_bool(a, p, "capped_by_memory", &h->capped_by_memory, why, size));
	TRY(get_bool(a, p, "table_full_seen", &h->table_full_seen, why, size));
	/* The drops since boot, when the facts carry them (else stats.total). */
	TRY_OBJ(get_obj(a, p, "drops", &d, why, size));
	if (d) {
		p = "advice.drops.";
		TRY(get_int(d, p, "drop", &h->drop, why, size));
		TRY(get_int(d, p, "early_drop", &h->early_drop, why, size));
		TRY(get_int(d, p, "insert_failed", &h->insert_failed, why, size));
		TRY(get_int(d, p, "boot_time", &h->boot_time, why, size));
	}
	return 0;
}

static int read_stats(json_t *f, ctune_report_host *h, char *why, size_t size)
{
	json_t *st, *tot;
	TRY_OBJ(get_obj(f, "", "stats", &st, why, size));
	TRY_OBJ(get_obj(st, "stats.", "total", &tot, why, size));
	int64_t v;
	TRY(get_int(tot, "stats.total.", "drop", &v, why, size));
	if (h->drop == CTUNE_REPORT_UNKNOWN)
		h->drop = v;
	TRY(get_int(tot, "stats.total.", "early_drop", &v, why, size));
	if (h->early_drop == CTUNE_REPORT_UNKNOWN)
		h->early_drop = v;
	TRY(get_int(tot, "stats.total.", "insert_failed", &v, why, size));
	if (h->insert_failed == CTUNE_REPORT_UNKNOWN)
		h->insert_failed = v;
	return 0;
}

/* Keys of the other naming scheme the facts' warnings name (the files still
 * carry them; `ctune set --migrate` rewrites them): for facts older than
 * effective_at_boot.other_scheme_keys_total, which says it for every file
 * the boot reads (read_boot). */
static int read_warnings(json_t *f, ctune_report_host *h, char *why, size_t size)
{
	json_t *w = json_object_get(f, "warnings");
	if (!w || json_is_null(w))
		return 0;
	if (!json_is_array(w)) {
		say(why, size, "warnings: expected an array");
		return -EINVAL;
	}
	const char *other = h->scheme == CTUNE_REPORT_SCHEME_MODERN   ? "ip_conntrack_"
			    : h->scheme == CTUNE_REPORT_SCHEME_LEGACY ? "net.netfilter.nf_conntrack_"
								      : NULL;
	size_t i;
	json_t *s;
	json_array_foreach(w, i, s) {
		if (!json_is_string(s)) {
			say(why, size, "warnings[%zu]: expected a string", i);
			return -EINVAL;
		}
		if (other && strstr(json_string_value(s), other))
			h->drift |= CTUNE_DRIFT_OTHER_SCHEME;
	}
	return 0;
}

/* The facts object f -> h.  0, or -EINVAL with why[]. */
static int read_facts(json_t *f, ctune_report_host *h, char *why, size_t size)
{
	json_t *sv = json_object_get(f, "scheme");
	if (!json_is_string(sv)) {
		say(why, size, sv ? "scheme: expected a string" : "no scheme: not ctune facts");
		return -EINVAL;
	}
	const char *scheme = json_string_value(sv);
	h->scheme = CTUNE_REPORT_SCHEME_UNKNOWN;
	for (int i = 1; i < CTUNE_REPORT_SCHEME_COUNT; i++)
		if (strcmp(scheme, ctune_report_scheme_names[i]) == 0)
			h->scheme = (uint8_t)i;
	if (h->scheme == CTUNE_REPORT_SCHEME_UNKNOWN) {
		say(why, size, "scheme: not one of legacy, modern, none");
		return -EINVAL;
	}
	TRY(get_str(f, "", "kernel_release", h->kernel, sizeof(h->kernel), why, size));
	TRY(get_int(f, "", "count", &h->count, why, size));
	TRY(get_int(f, "", "max", &h->max, why, size));
	TRY(get_int(f, "", "buckets", &h->buckets, why, size));
	json_t *u = json_object_get(f, "usage_percent");
	if (u && !json_is_null(u) && (!json_is_number(u) || !(json_number_value(u) >= 0) ||
				      json_number_value(u) > 1e6)) {
		say(why, size, "usage_percent: expected a number from 0 or null");
		return -EINVAL;
	}
	/* From the numbers when both are there: one rule for every host. */
	if (h->count != CTUNE_REPORT_UNKNOWN && h->max != CTUNE_REPORT_UNKNOWN && h->max > 0)
		h->usage = 100.0 * (double)h->count / (double)h->max;
	else
		h->usage = u && json_is_number(u) ? json_number_value(u) : -1;
	json_t *to;
	TRY_OBJ(get_obj(f, "", "timeouts", &to, why, size));
	TRY(get_int(to, "timeouts.", "tcp_timeout_established", &h->tcp_established, why, size));
	TRY(read_advice(f, h, why, size));
	TRY(read_stats(f, h, why, size));
	TRY(read_boot(f, h, why, size));
	TRY(read_warnings(f, h, why, size));

	if (h->tcp_established == 432000)
		h->drift |= CTUNE_DRIFT_TIMEOUT;
	if (h->capped_by_memory && h->max != CTUNE_REPORT_UNKNOWN && h->recommended_max != CTUNE_REPORT_UNKNOWN &&
	    h->max > h->recommended_max)
		h->drift |= CTUNE_DRIFT_MEMORY;
	/* max per bucket against the kernel's own ratio for this era and memory. */
	if (h->max > 0 && h->buckets > 0 && h->default_max > 0 && h->default_buckets > 0 &&
	    h->max != CTUNE_REPORT_UNKNOWN && h->buckets != CTUNE_REPORT_UNKNOWN) {
		double mine = (double)h->max / (double)h->buckets;
		double kernel = (double)h->default_max / (double)h->default_buckets;
		if (mine > 2 * kernel || mine < kernel / 2)
			h->drift |= CTUNE_DRIFT_BUCKETS;
	}
	return 0;
}

/* Unwrap a host's document to its facts: ansible_facts.conntrack (ansible
 * --tree), conntrack (jsonfile cache, grains), ansible_conntrack, or the
 * document itself.  NULL with why[] when it holds none. */
static json_t *facts_of(json_t *doc, char *why, size_t size)
{
	if (!json_is_object(doc)) {
		say(why, size, "expected an object of facts");
		return NULL;
	}
	json_t *af = json_object_get(doc, "ansible_facts");
	json_t *in = json_is_object(af) ? af : doc;
	static const char *const keys[] = { "conntrack", "ansible_conntrack" };
	for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
		json_t *f = json_object_get(in, keys[i]);
		if (json_is_object(f))
			return f;
	}
	if (json_object_get(doc, "scheme"))
		return doc;
	/* An engine's failure for this host. */
	if (json_is_true(json_object_get(doc, "failed")) || json_is_true(json_object_get(doc, "unreachable"))) {
		json_t *msg = json_object_get(doc, "msg");
		say(why, size, "%s: %.150s", json_is_true(json_object_get(doc, "unreachable")) ? "unreachable" : "failed",
		    json_is_string(msg) ? json_string_value(msg) : "(no message)");
		return NULL;
	}
	say(why, size, "no ctune facts (no conntrack, ansible_facts.conntrack or scheme)");
	return NULL;
}

static void host_init(ctune_report_host *h, const char *name, int64_t mtime, uint32_t input)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->name, sizeof(h->name), "%s", name);
	h->time = mtime;
	h->input = input;
	h->usage = -1;
	int64_t *unknown[] = { &h->count,         &h->max,          &h->buckets,         &h->drop,
			       &h->early_drop,    &h->insert_failed, &h->boot_time,      &h->tcp_established,
			       &h->recommended_max, &h->recommended_buckets, &h->recommended_memory,
			       &h->memory_total,  &h->default_max,  &h->default_buckets, &h->seconds_to_full };
	for (size_t i = 0; i < ELEMENTSOF(unknown); i++)
		*unknown[i] = CTUNE_REPORT_UNKNOWN;
}

/* One host's document (or Salt's string for it) -> the sink. */
static void emit_host(reader *rd, const char *name, json_t *doc)
{
	char why[CTUNE_REPORT_REASON_MAX];
	if (json_is_string(doc)) {
		/* Salt: "Minion did not return. [No response]", an ERROR: line. */
		say(why, sizeof(why), "%.190s",
		    json_string_length(doc) ? json_string_value(doc) : "the engine returned an empty string");
		emit_error(rd, name, why);
		return;
	}
	ctune_report_host h;
	host_init(&h, name, rd->mtime, rd->input);
	json_t *f = facts_of(doc, why, sizeof(why));
	if (!f || read_facts(f, &h, why, sizeof(why)) < 0) {
		emit_error(rd, name, why);
		return;
	}
	int r = rd->sink->host(rd->sink->ud, &h);
	if (r < 0)
		rd->stop = r;
}

/* What of a host document is kept: a tree of the keys the report reads.
 * A key with a sub-filter whose value is an object is walked by the
 * scanner, keeping only those sub-keys; a leaf's value is kept whole (and
 * parsed by jansson).  Everything else is skipped unread: a 16 KiB facts
 * file costs jansson a few hundred bytes. */
typedef struct filter {
	const char *key;
	const struct filter *sub; /* NULL: a leaf */
} filter;

#define LEAF(k) { k, NULL }
static const filter f_timeouts[] = { LEAF("tcp_timeout_established"), { NULL, NULL } };
static const filter f_total[] = { LEAF("drop"), LEAF("early_drop"), LEAF("insert_failed"), { NULL, NULL } };
static const filter f_stats[] = { { "total", f_total }, { NULL, NULL } };
static const filter f_advice[] = {
	LEAF("era"),          LEAF("recommended_max"),  LEAF("recommended_buckets"), LEAF("recommended_memory_bytes"),
	LEAF("memory_total_bytes"), LEAF("default_max"), LEAF("default_buckets"),   LEAF("change_max"),
	LEAF("change_buckets"), LEAF("capped_by_memory"), LEAF("table_full_seen"), LEAF("drops"),
	{ NULL, NULL },
};
static const filter f_boot_tunable[] = { LEAF("live"), LEAF("matches_live"), LEAF("applies"), { NULL, NULL } };
static const filter f_boot_tunables[] = { { "*", f_boot_tunable }, { NULL, NULL } };
static const filter f_boot[] = { LEAF("init"), { "tunables", f_boot_tunables }, LEAF("other_scheme_keys_total"),
				 { NULL, NULL } };
extern const filter f_host[];
static const filter f_ansible_facts[] = { { "conntrack", f_host }, { "ansible_conntrack", f_host }, { NULL, NULL } };
/* A host's document: ctune's facts, or an engine's wrapper around them. */
const filter f_host[] = {
	LEAF("scheme"),      LEAF("kernel_release"), LEAF("count"),     LEAF("max"),
	LEAF("usage_percent"), LEAF("buckets"),      { "timeouts", f_timeouts }, { "stats", f_stats },
	{ "advice", f_advice }, { "effective_at_boot", f_boot }, LEAF("warnings"), { "ansible_facts", f_ansible_facts },
	{ "conntrack", f_host }, { "ansible_conntrack", f_host }, LEAF("failed"), LEAF("msg"),
	LEAF("unreachable"), LEAF("host"), LEAF("inventory_hostname"), { NULL, NULL },
};

static const filter *filter_find(const filter *f, const char *key)
{
	for (; f && f->key; f++)
		if (strcmp(f->key, key) == 0 || (f->key[0] == '*' && !f->key[1]))
			return f;
	return NULL;
}

/* Keys that say "this object is one host's document" when they come first. */
static const char *const doc_keys[] = {
	"ctune_version", "root",     "source", "source_reason", "scheme_detected_from", "module", "alias",
	"table_file",    "settings", "tunables", "table",       "events",               "changed", "invocation",
	"deprecations",  "stdout",   "stderr", "rc",            "skipped",
};

static bool is_doc_key(const char *key)
{
	if (filter_find(f_host, key) || strncmp(key, "ansible_", 8) == 0 || strncmp(key, "_ansible_", 9) == 0)
		return true;
	for (size_t i = 0; i < ELEMENTSOF(doc_keys); i++)
		if (strcmp(key, doc_keys[i]) == 0)
			return true;
	return false;
}

/* A member key's raw text -> the key (jansson decodes the escapes), or
 * NULL for a bad string or one longer than KEY_RAW_MAX. */
static json_t *decode_key(const cap *k)
{
	if (k->over || k->n < 2)
		return NULL;
	/* Printable ASCII without escapes, as nearly every key is: as it is. */
	bool plain = true;
	for (size_t i = 1; i < k->n - 1 && plain; i++)
		plain = (unsigned char)k->p[i] >= 0x20 && (unsigned char)k->p[i] < 0x7f && k->p[i] != '\\';
	if (plain)
		return json_stringn_nocheck(k->p + 1, k->n - 2);
	return json_loadb(k->p, k->n, JSON_DECODE_ANY, NULL);
}

static void name_of(char *dst, size_t size, const char *s)
{
	/* Bytes as they are (faces escape); a NUL inside ends the name. */
	snprintf(dst, size, "%s", s);
}

/* One document's reading: its buffers, its budget and its first problem. */
typedef struct walk {
	cap key, val;
	size_t kept; /* bytes of values kept for jansson */
	bool deep, over;
	char bad[CTUNE_REPORT_REASON_MAX]; /* the first bad value, with its key */
} walk;

static void walk_free(walk *w)
{
	free(w->key.p);
	free(w->val.p);
}

/* Read the key of a member and its ':'.  Returns the decoded key (NULL
 * when it cannot be decoded: *skip set), or a stream error in *r. */
static json_t *read_key(src *s, walk *w, int *r)
{
	skip_ws(s);
	if (src_peek(s) != '"') {
		*r = src_peek(s) < 0 ? -EPIPE : -EBADMSG;
		return NULL;
	}
	w->key.n = 0;
	w->key.over = w->key.deep = false;
	w->key.limit = KEY_RAW_MAX;
	if ((*r = scan_value(s, &w->key)) < 0)
		return NULL;
	skip_ws(s);
	if (src_peek(s) != ':') {
		*r = src_peek(s) < 0 ? -EPIPE : -EBADMSG;
		return NULL;
	}
	s->pos++;
	skip_ws(s);
	return decode_key(&w->key);
}

/* After a member: ',' (1: more) or '}' (0: the end), else a stream error. */
static int member_end(src *s)
{
	skip_ws(s);
	int c = src_peek(s);
	if (c == ',' || c == '}') {
		s->pos++;
		return c == ',';
	}
	return c < 0 ? -EPIPE : -EBADMSG;
}

/* The common leaves without jansson's lexer (a quarter million of them in
 * 10,000 hosts): true, false, null, a plain integer, an ASCII string
 * without escapes.  NULL: anything else, for jansson to read or refuse. */
static json_t *fast_scalar(const char *p, size_t n)
{
	if (n == 4 && memcmp(p, "true", 4) == 0)
		return json_true();
	if (n == 5 && memcmp(p, "false", 5) == 0)
		return json_false();
	if (n == 4 && memcmp(p, "null", 4) == 0)
		return json_null();
	if (n >= 2 && p[0] == '"' && p[n - 1] == '"') {
		for (size_t i = 1; i < n - 1; i++)
			if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] >= 0x7f || p[i] == '\\' || p[i] == '"')
				return NULL;
		return json_stringn(p + 1, n - 2);
	}
	size_t i = p[0] == '-' ? 1 : 0;
	/* A plain decimal (usage_percent): digits, one dot, digits. */
	const char *dot = memchr(p, '.', n);
	if (dot && n < 24 && dot > p + i && dot < p + n - 1 && (p[i] != '0' || dot == p + i + 1)) {
		for (size_t k = i; k < n; k++)
			if ((p[k] < '0' || p[k] > '9') && p + k != dot)
				return NULL;
		char buf[24];
		memcpy(buf, p, n);
		buf[n] = '\0';
		return json_real(strtod(buf, NULL));
	}
	if (n - i < 1 || n - i > 18 || (p[i] == '0' && n - i > 1))
		return NULL;
	json_int_t v = 0;
	for (; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return NULL;
		v = v * 10 + (p[i] - '0');
	}
	return json_integer(p[0] == '-' ? -v : v);
}

/* A leaf's value, kept and parsed; NULL (with w->bad, over or deep set)
 * when it is not JSON jansson reads.  Stream errors in *r. */
static json_t *read_leaf(src *s, walk *w, const char *key, int *r)
{
	w->val.n = 0;
	w->val.over = w->val.deep = false;
	w->val.limit = CTUNE_REPORT_DOC_MAX - (w->kept < CTUNE_REPORT_DOC_MAX ? w->kept : CTUNE_REPORT_DOC_MAX);
	if ((*r = scan_value(s, &w->val)) < 0)
		return NULL;
	w->kept += w->val.n;
	w->deep |= w->val.deep;
	w->over |= w->val.over;
	if (w->val.over || w->val.deep)
		return NULL;
	json_t *v = fast_scalar(w->val.p, w->val.n);
	if (v)
		return v;
	json_error_t je = { .text = "" };
	v = json_loadb(w->val.p, w->val.n, JSON_DECODE_ANY, &je);
	if (!v && !w->bad[0])
		say(w->bad, sizeof(w->bad), "%.40s: not valid JSON: %.140s", key, je.text);
	return v;
}

/* The members of the object at the current position ('{' consumed) that f
 * names, into out.  Returns 0 or a stream error. */
static int read_filtered(src *s, walk *w, const filter *f, json_t *out, unsigned depth)
{
	skip_ws(s);
	if (src_peek(s) == '}') {
		s->pos++;
		return 0;
	}
	for (;;) {
		int r = 0;
		_cleanup_json_ json_t *kj = read_key(s, w, &r);
		if (r < 0)
			return r;
		const char *k = json_string_value(kj);
		const filter *m = k ? filter_find(f, k) : NULL;
		if (!m)
			r = scan_value(s, NULL);
		else if (m->sub && src_peek(s) == '{' && depth < 8) {
			s->pos++;
			json_t *o = json_object();
			if (!o)
				return -ENOMEM;
			r = read_filtered(s, w, m->sub, o, depth + 1);
			json_object_set_new(out, k, o);
		} else {
			json_t *v = read_leaf(s, w, k, &r);
			if (v)
				json_object_set_new(out, k, v);
		}
		if (r < 0)
			return r;
		if ((r = member_end(s)) <= 0)
			return r;
	}
}

/* The reason a document could not be kept whole, or NULL. */
static const char *walk_problem(const walk *w)
{
	if (w->deep)
		return "nested deeper than 2048 levels";
	if (w->over)
		return "larger than 1048576 bytes of facts";
	return w->bad[0] ? w->bad : NULL;
}

enum mode { MODE_DOC, MODE_MAP };

/* Where a structure error leaves the stream: the rest of the input cannot
 * be trusted, so reading it stops. */
static int stream_error(reader *rd, const char *host, int r)
{
	char why[CTUNE_REPORT_REASON_MAX];
	if (r == -EPIPE)
		say(why, sizeof(why), "truncated: the input ends inside a JSON value");
	else if (r == -EBADMSG)
		say(why, sizeof(why), "not valid JSON: a malformed object or value");
	else if (r == -ENOMEM)
		return rd->stop = r;
	else
		say(why, sizeof(why), "cannot read: %s", strerror(-r));
	emit_error(rd, host, why);
	return r;
}

/* The default name of the document read now. */
static void doc_name(reader *rd, char *dst, size_t size)
{
	if (rd->docs <= 1)
		name_of(dst, size, rd->hint);
	else
		snprintf(dst, size, "%.200s#%u", rd->hint, rd->docs);
}

/* One host of a map (Salt): the member's value at the current position. */
static int read_map_host(reader *rd, src *s, walk *w, const char *k)
{
	rd->docs++;
	char name[CTUNE_REPORT_NAME_MAX + 1];
	bool long_name = strlen(k) > CTUNE_REPORT_NAME_MAX;
	if (long_name)
		snprintf(name, sizeof(name), "%.200s...", k);
	else
		name_of(name, sizeof(name), k);
	w->kept = 0;
	w->deep = w->over = false;
	w->bad[0] = '\0';
	int r = 0;
	_cleanup_json_ json_t *doc = NULL;
	if (src_peek(s) == '{') {
		s->pos++;
		if (!(doc = json_object()))
			return -ENOMEM;
		r = read_filtered(s, w, f_host, doc, 0);
	} else
		doc = read_leaf(s, w, k, &r); /* Salt's string for a failed minion */
	if (r < 0)
		return r;
	const char *problem = walk_problem(w);
	if (long_name)
		emit_error(rd, name, "a host name longer than 255 bytes");
	else if (problem)
		emit_error(rd, name, problem);
	else
		emit_host(rd, name, doc);
	return 0;
}

/* One top-level object, the '{' next.  Its first member decides whether
 * it is one host's document or a map of hosts (the file's header). */
static int read_object(reader *rd, src *s)
{
	s->pos++; /* '{' */
	walk w = { .key = { .limit = KEY_RAW_MAX } };
	_cleanup_json_ json_t *doc = json_object();
	if (!doc)
		return rd->stop = -ENOMEM;
	char name[CTUNE_REPORT_NAME_MAX + 1];
	enum mode mode = MODE_DOC;
	bool first = true;
	int r = 0;
	skip_ws(s);
	if (src_peek(s) == '}') {
		s->pos++;
		rd->docs++;
		doc_name(rd, name, sizeof(name));
		emit_error(rd, name, "an empty object: no facts");
		walk_free(&w);
		return rd->stop;
	}
	for (;;) {
		_cleanup_json_ json_t *kj = read_key(s, &w, &r);
		if (r < 0)
			break;
		const char *k = json_string_value(kj);
		bool nameless = k && (!k[0] || strlen(k) != json_string_length(kj));
		/* A first member named like no key of a host document, holding an
		 * object or a string: a map of hosts (Salt's --static output). */
		int c = src_peek(s);
		if (first && k && !is_doc_key(k) && (c == '{' || c == '"'))
			mode = MODE_MAP;
		first = false;
		if (!k) {
			/* Not a key jansson decodes (bad UTF-8, a lone surrogate) or too
			 * long: that member is skipped, the others still count. */
			if ((r = scan_value(s, NULL)) < 0)
				break;
			emit_error(rd, w.key.over ? "(a key longer than 1 KiB)" : "(a key that is not valid UTF-8)",
				   "a member whose name cannot be read: skipped");
		} else if (mode == MODE_MAP && nameless) {
			/* "" or "a\u0000b": no name to report it under. */
			if ((r = scan_value(s, NULL)) < 0)
				break;
			rd->docs++;
			emit_error(rd, "(an empty name)", "a host name that is empty or holds a NUL byte: skipped");
		} else if (mode == MODE_MAP) {
			if ((r = read_map_host(rd, s, &w, k)) < 0)
				break;
		} else {
			const filter *m = filter_find(f_host, k);
			if (!m)
				r = scan_value(s, NULL);
			else if (m->sub && c == '{') {
				s->pos++;
				json_t *o = json_object();
				if (!o) {
					r = -ENOMEM;
					break;
				}
				r = read_filtered(s, &w, m->sub, o, 1);
				json_object_set_new(doc, k, o);
			} else {
				json_t *v = read_leaf(s, &w, k, &r);
				if (v)
					json_object_set_new(doc, k, v);
			}
			if (r < 0)
				break;
		}
		if (rd->stop)
			break;
		if ((r = member_end(s)) <= 0)
			break;
	}
	if (rd->stop) {
		walk_free(&w);
		return rd->stop;
	}
	if (mode == MODE_DOC) {
		rd->docs++;
		json_t *hn = json_object_get(doc, "host");
		if (!json_is_string(hn))
			hn = json_object_get(doc, "inventory_hostname");
		if (json_is_string(hn) && json_string_length(hn) > 0 && json_string_length(hn) <= CTUNE_REPORT_NAME_MAX &&
		    strlen(json_string_value(hn)) == json_string_length(hn))
			name_of(name, sizeof(name), json_string_value(hn));
		else
			doc_name(rd, name, sizeof(name));
		const char *problem = walk_problem(&w);
		if (r < 0)
			stream_error(rd, name, r);
		else if (problem)
			emit_error(rd, name, problem);
		else
			emit_host(rd, name, doc);
	} else if (r < 0) {
		doc_name(rd, name, sizeof(name));
		stream_error(rd, name, r);
	}
	walk_free(&w);
	return rd->stop ? rd->stop : r;
}

/* Every top-level value of one stream. */
static int read_stream(reader *rd, src *s)
{
	for (;;) {
		skip_ws(s);
		int c = src_peek(s);
		if (c < 0)
			break;
		char name[CTUNE_REPORT_NAME_MAX + 1];
		if (c != '{') {
			rd->docs++;
			doc_name(rd, name, sizeof(name));
			int r = scan_value(s, NULL);
			if (r < 0) {
				stream_error(rd, name, r == -EBADMSG ? -EBADMSG : r);
				break;
			}
			emit_error(rd, name, "a JSON value that is not an object: no facts");
			if (rd->stop)
				return rd->stop;
			continue;
		}
		int r = read_object(rd, s);
		if (rd->stop)
			return rd->stop;
		if (r < 0)
			break; /* reported; the rest of the stream cannot be trusted */
	}
	if (s->err) {
		char why[CTUNE_REPORT_REASON_MAX];
		say(why, sizeof(why), "cannot read: %s", strerror(-s->err));
		emit_error(rd, rd->hint, why);
	} else if (rd->docs == 0)
		emit_error(rd, rd->hint, "empty: no JSON document");
	return rd->stop;
}

int ctune_report_read_mem(const char *data, size_t len, const char *name, int64_t mtime, uint32_t input,
			  const ctune_report_sink *sink)
{
	reader rd = { .sink = sink, .input = input, .hint = name ? name : "-", .mtime = mtime };
	src s = { .fd = -1, .buf = (const unsigned char *)data, .len = len };
	return read_stream(&rd, &s);
}

static int read_fd(int fd, const char *name, int64_t mtime, uint32_t input, const ctune_report_sink *sink)
{
	_cleanup_free_ unsigned char *buf = malloc(READ_CHUNK);
	if (!buf)
		return -ENOMEM;
	reader rd = { .sink = sink, .input = input, .hint = name, .mtime = mtime };
	src s = { .fd = fd, .buf = buf, .own = buf };
	return read_stream(&rd, &s);
}

/* A host's name from a file's: "web1.json" and "web1" are host web1. */
static void host_of_file(char *dst, size_t size, const char *file)
{
	size_t n = strlen(file);
	if (n > 5 && strcmp(file + n - 5, ".json") == 0)
		n -= 5;
	snprintf(dst, size, "%.*s", (int)(n < size ? n : size - 1), file);
}

static int input_error(const ctune_report_sink *sink, uint32_t input, const char *host, const char *what, int err)
{
	char why[CTUNE_REPORT_REASON_MAX];
	snprintf(why, sizeof(why), "%s: %s", what, strerror(err));
	return sink->error(sink->ud, input, host, why);
}

/* A regular file at dirfd/name (never a device or a FIFO that would hang). */
static int read_file_at(int dirfd, const char *name, const char *host, bool fifo_ok, uint32_t input,
			const ctune_report_sink *sink)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return input_error(sink, input, host, "cannot open", errno);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return input_error(sink, input, host, "cannot stat", errno);
	if (!S_ISREG(st.st_mode) && !(fifo_ok && S_ISFIFO(st.st_mode)))
		return sink->error(sink->ud, input, host, "not a regular file");
	if (S_ISFIFO(st.st_mode)) { /* a regular file reads the same either way */
		int fl = fcntl(fd, F_GETFL);
		if (fl >= 0)
			fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	}
	return read_fd(fd, host, S_ISREG(st.st_mode) ? (int64_t)st.st_mtime : CTUNE_REPORT_UNKNOWN, input, sink);
}

/* Every regular, not hidden, file of a directory, one host each (the
 * jsonfile cache, --tree, a directory of facts files), in the directory's
 * own order: no list of names is kept, so 10,000 files cost what 1,000 do. */
static int read_dir(int dfd, uint32_t input, const ctune_report_sink *sink)
{
	DIR *d = fdopendir(dfd);
	if (!d) {
		int e = errno;
		close(dfd);
		return input_error(sink, input, NULL, "cannot read the directory", e);
	}
	_cleanup_closedir_ DIR *dir = d;
	struct dirent *de;
	int r = 0;
	while (r >= 0 && (de = readdir(dir))) {
		if (de->d_name[0] == '.' || de->d_type == DT_DIR)
			continue; /* hidden, or a subdirectory: --tree and caches are flat */
		char host[CTUNE_REPORT_NAME_MAX + 1];
		host_of_file(host, sizeof(host), de->d_name);
		if (de->d_type == DT_UNKNOWN) {
			struct stat st;
			if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
				continue;
		}
		r = read_file_at(dirfd(dir), de->d_name, host, false, input, sink);
	}
	return r < 0 ? r : 0;
}

int ctune_report_read_path(const char *path, uint32_t input, const ctune_report_sink *sink)
{
	if (strcmp(path, "-") == 0)
		return read_fd(STDIN_FILENO, "-", CTUNE_REPORT_UNKNOWN, input, sink);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return input_error(sink, input, NULL, "cannot open", errno);
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return input_error(sink, input, NULL, "cannot stat", e);
	}
	if (S_ISDIR(st.st_mode))
		return read_dir(fd, input, sink);
	close(fd);
	const char *base = strrchr(path, '/');
	base = base && base[1] ? base + 1 : path;
	char host[CTUNE_REPORT_NAME_MAX + 1];
	host_of_file(host, sizeof(host), base);
	return read_file_at(AT_FDCWD, path, host, true, input, sink);
}
