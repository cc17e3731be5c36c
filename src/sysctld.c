/* sysctld.c - see sysctld.h. */
#include "sysctld.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "scheme.h"
#include "sysctlkey.h"

const char *const ctune_sysctl_dirs[] = {
	"/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d", "/lib/sysctl.d",
};
const size_t ctune_sysctl_ndirs = ELEMENTSOF(ctune_sysctl_dirs);

static int cmp_names(const void *a, const void *b)
{
	const char *x = strrchr(*(const char *const *)a, '/') + 1;
	const char *y = strrchr(*(const char *const *)b, '/') + 1;
	return strcmp(x, y);
}

bool ctune_sysctld_same_file(const ctune_root *r, const char *a, const char *b)
{
	struct stat sa, sb;
	if (ctune_root_stat(r, a, true, &sa) < 0 || ctune_root_stat(r, b, true, &sb) < 0) {
		/* One is missing: Debian's 99-sysctl.conf -> ../sysctl.conf before
		 * /etc/sysctl.conf exists still names it.  Compare where the
		 * links lead inside the root. */
		char ra[4096], rb[4096];
		ctune_error ignored = { 0 };
		if (ctune_root_resolve(r, a, true, ra, sizeof(ra), &ignored) < 0 ||
		    ctune_root_resolve(r, b, true, rb, sizeof(rb), &ignored) < 0)
			return strcmp(a, b) == 0;
		return strcmp(ra, rb) == 0;
	}
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

void ctune_sysctld_done(ctune_sysctld *l)
{
	free(l->files);
	free(l->via_link);
	memset(l, 0, sizeof(*l));
}

int ctune_sysctld_push(ctune_sysctld *l, const char *file, bool via_link)
{
	if (strlen(file) >= sizeof(l->files[0])) {
		/* Not listed, but not silently: the caller says so (plan.c). */
		if (l->nskipped++ == 0)
			snprintf(l->skipped, sizeof(l->skipped), "%s", file);
		return 0;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		char(*files)[256] = realloc(l->files, cap * sizeof(*files));
		if (!files)
			return -ENOMEM;
		l->files = files;
		bool *links = realloc(l->via_link, cap * sizeof(*links));
		if (!links)
			return -ENOMEM;
		l->via_link = links;
		l->cap = cap;
	}
	snprintf(l->files[l->n], sizeof(l->files[0]), "%s", file);
	l->via_link[l->n++] = via_link;
	return 0;
}

static void free_names(char ***v)
{
	for (char **p = *v; p && *p; p++)
		free(*p);
	free(*v);
}

int ctune_sysctld_list(const ctune_root *r, ctune_sysctld *l, ctune_error *err)
{
	/* Collect candidates: earlier directories mask later ones by name. */
	__attribute__((cleanup(free_names))) char **order = NULL;
	size_t n = 0;
	ctune_sysctld_done(l);

	for (size_t d = 0; d < ctune_sysctl_ndirs; d++) {
		_cleanup_closedir_ DIR *dir = NULL;
		int e = ctune_root_opendir(r, ctune_sysctl_dirs[d], &dir);
		if (e == -ENOENT || e == -ENOTDIR || e == CTUNE_ENOTREG)
			continue; /* no such directory: the boot tools skip it too */
		if (e < 0)
			return ctune_error_set(err, e, "cannot list %s: %s", ctune_sysctl_dirs[d], ctune_root_strerror(e));
		struct dirent *de;
		for (errno = 0; (de = readdir(dir)); errno = 0) {
			size_t len = strlen(de->d_name);
			if (len < 6 || strcmp(de->d_name + len - 5, ".conf") != 0 || de->d_name[0] == '.')
				continue;
			bool masked = false;
			for (size_t i = 0; i < n && !masked; i++)
				masked = strcmp(strrchr(order[i], '/') + 1, de->d_name) == 0;
			if (masked)
				continue;
			char **grown = realloc(order, (n + 2) * sizeof(*order));
			if (!grown)
				return ctune_error_set(err, -ENOMEM, "out of memory");
			order = grown;
			order[n + 1] = NULL;
			if (asprintf(&order[n], "%s/%s", ctune_sysctl_dirs[d], de->d_name) < 0) {
				order[n] = NULL;
				return ctune_error_set(err, -ENOMEM, "out of memory");
			}
			n++;
		}
		if (errno)
			return ctune_error_set(err, -errno, "cannot list %s: %s", ctune_sysctl_dirs[d], strerror(errno));
	}
	if (n)
		qsort(order, n, sizeof(order[0]), cmp_names);

	bool conf_seen = false;
	for (size_t i = 0; i < n; i++) {
		bool link = ctune_sysctld_same_file(r, order[i], "/etc/sysctl.conf");
		conf_seen |= link;
		if (ctune_sysctld_push(l, order[i], link) < 0)
			return ctune_error_set(err, -ENOMEM, "out of memory");
	}
	if (!conf_seen && ctune_root_exists(r, "/etc/sysctl.conf") && ctune_sysctld_push(l, "/etc/sysctl.conf", false) < 0)
		return ctune_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

void ctune_sysctl_text_foreach(const char *text, ctune_sysctl_fn fn, void *data)
{
	unsigned lineno = 0;
	const char *p = text;
	while (*p) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		lineno++;
		const char *s = p, *e = p + len;
		while (s < e && is_space(*s))
			s++;
		const char *eq = memchr(s, '=', (size_t)(e - s));
		if (s < e && *s != '#' && *s != ';' && eq) {
			const char *ke = eq;
			while (ke > s && is_space(ke[-1]))
				ke--;
			char raw[256], norm[256], value[128];
			size_t kl = (size_t)(ke - s);
			if (kl > 0 && kl < sizeof(raw)) {
				memcpy(raw, s, kl);
				raw[kl] = '\0';
				const char *vs = eq + 1, *ve = e;
				while (vs < ve && is_space(*vs))
					vs++;
				while (ve > vs && is_space(ve[-1]))
					ve--;
				size_t vl = (size_t)(ve - vs);
				if (vl >= sizeof(value))
					vl = sizeof(value) - 1;
				memcpy(value, vs, vl);
				value[vl] = '\0';
				/* The key systemd-sysctl applies: "net/netfilter.x"
				 * names no file and never equals a ctune key. */
				if (ctune_sysctl_key_canon(raw, norm, sizeof(norm), NULL) >= 0)
					fn(norm, value, lineno, raw[0] == '-', data);
			}
		}
		if (!end)
			break;
		p = end + 1;
	}
}

int ctune_sysctl_text_exclusion(const char *text, const char *key, unsigned *line)
{
	char want[256], got[256], raw[256];
	ctune_sysctl_key_slash(key, want, sizeof(want));
	int found = 0;
	unsigned no = 0;
	for (const char *p = text; *p;) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		no++;
		const char *s = p, *e = p + len;
		while (s < e && is_space(*s))
			s++;
		while (e > s && is_space(e[-1]))
			e--;
		if (s < e && *s == '-' && !memchr(s, '=', (size_t)(e - s))) {
			s++;
			while (s < e && is_space(*s))
				s++;
			size_t n = (size_t)(e - s);
			if (n > 0 && n < sizeof(raw)) {
				memcpy(raw, s, n);
				raw[n] = '\0';
				if (ctune_sysctl_key_systemd(raw, got, sizeof(got)) >= 0 && strcmp(got, want) == 0) {
					*line = no;
					found = 1;
				}
			}
		}
		if (!end)
			break;
		p = end + 1;
	}
	return found;
}

struct lookup {
	const char *key;
	ctune_sysctl_assign *out;
	int found;
};

static void lookup_one(const char *key, const char *value, unsigned line, bool ignore_failure, void *data)
{
	struct lookup *l = data;
	if (strcmp(key, l->key) != 0)
		return;
	snprintf(l->out->value, sizeof(l->out->value), "%s", value);
	l->out->line = line;
	l->out->ignore_failure = ignore_failure;
	l->found = 1;
}

int ctune_sysctl_text_lookup(const char *text, const char *key, ctune_sysctl_assign *out)
{
	struct lookup l = { key, out, 0 };
	ctune_sysctl_text_foreach(text, lookup_one, &l);
	return l.found;
}

int ctune_sysctld_lookup(const ctune_root *r, const ctune_sysctld *l, size_t from, const char *key,
			 ctune_sysctl_assign *out, ctune_error *err)
{
	char norm[256];
	if (ctune_key_normalize(key, norm, sizeof(norm)) < 0)
		return ctune_error_set(err, -ENAMETOOLONG, "key %s is too long", key);
	int found = 0;
	for (size_t i = from; i < l->n; i++) {
		_cleanup_free_ char *text = NULL;
		int rr = ctune_root_read_all(r, l->files[i], 16u << 20, &text, NULL);
		if (rr == -ENOENT)
			continue; /* a dangling link is skipped, as systemd-sysctl does */
		if (rr < 0)
			return ctune_error_set(err, rr, "cannot read %s: %s", l->files[i], ctune_root_strerror(rr));
		ctune_sysctl_assign a;
		if (ctune_sysctl_text_lookup(text, norm, &a)) {
			*out = a;
			snprintf(out->file, sizeof(out->file), "%s", l->files[i]);
			found = 1;
		}
	}
	return found;
}

size_t ctune_sysctld_after(const ctune_root *r, const ctune_sysctld *l, const char *file)
{
	for (size_t i = 0; i < l->n; i++)
		if (ctune_sysctld_same_file(r, l->files[i], file))
			return i + 1;
	/* Not listed yet: /etc/sysctl.conf comes last, a sysctl.d file by name. */
	const char *slash = strrchr(file, '/');
	const char *name = slash ? slash + 1 : file;
	if (strcmp(file, "/etc/sysctl.conf") == 0)
		return l->n;
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->files[i], "/etc/sysctl.conf") == 0)
			return i;
		if (strcmp(strrchr(l->files[i], '/') + 1, name) > 0)
			return i;
	}
	return l->n;
}
