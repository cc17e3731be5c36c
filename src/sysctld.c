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

static const char *const dirs[] = {
	"/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d", "/lib/sysctl.d",
};

static int cmp_names(const void *a, const void *b)
{
	const char *x = strrchr(*(const char *const *)a, '/') + 1;
	const char *y = strrchr(*(const char *const *)b, '/') + 1;
	return strcmp(x, y);
}

static int cmp_files(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

bool ctune_sysctld_same_file(const ctune_root *r, const char *a, const char *b)
{
	struct stat sa, sb;
	if (ctune_root_stat(r, a, true, &sa) < 0 || ctune_root_stat(r, b, true, &sb) < 0)
		return strcmp(a, b) == 0;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int ctune_sysctld_list(const ctune_root *r, ctune_sysctld *l, ctune_error *err)
{
	/* Collect candidates: earlier directories mask later ones by name. */
	static char names[CTUNE_SYSCTLD_MAX_FILES][256];
	const char *order[CTUNE_SYSCTLD_MAX_FILES];
	size_t n = 0;
	memset(l, 0, sizeof(*l));

	for (size_t d = 0; d < ELEMENTSOF(dirs); d++) {
		_cleanup_closedir_ DIR *dir = NULL;
		if (ctune_root_opendir(r, dirs[d], &dir) < 0)
			continue;
		struct dirent *de;
		while ((de = readdir(dir))) {
			size_t len = strlen(de->d_name);
			if (len < 6 || strcmp(de->d_name + len - 5, ".conf") != 0 || de->d_name[0] == '.')
				continue;
			bool masked = false;
			for (size_t i = 0; i < n && !masked; i++)
				masked = strcmp(strrchr(order[i], '/') + 1, de->d_name) == 0;
			if (masked)
				continue;
			if (n >= CTUNE_SYSCTLD_MAX_FILES - 1)
				return ctune_error_set(err, -E2BIG, "more than %d sysctl configuration files",
						       CTUNE_SYSCTLD_MAX_FILES - 1);
			if ((size_t)snprintf(names[n], sizeof(names[n]), "%s/%s", dirs[d], de->d_name) >=
			    sizeof(names[n])) {
				/* Not listed, but not silently: the caller says so (plan.c). */
				if (l->nskipped++ == 0)
					snprintf(l->skipped, sizeof(l->skipped), "%s/%s", dirs[d], de->d_name);
				continue;
			}
			order[n] = names[n];
			n++;
		}
	}
	qsort(order, n, sizeof(order[0]), cmp_names);

	bool conf_seen = false;
	for (size_t i = 0; i < n; i++) {
		snprintf(l->files[l->n], sizeof(l->files[0]), "%s", order[i]);
		if (ctune_sysctld_same_file(r, order[i], "/etc/sysctl.conf")) {
			l->via_link[l->n] = true;
			conf_seen = true;
		}
		l->n++;
	}
	if (!conf_seen && ctune_root_exists(r, "/etc/sysctl.conf"))
		snprintf(l->files[l->n++], sizeof(l->files[0]), "/etc/sysctl.conf");
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
				if (ctune_key_normalize(raw, norm, sizeof(norm)) >= 0)
					fn(norm, value, lineno, raw[0] == '-', data);
			}
		}
		if (!end)
			break;
		p = end + 1;
	}
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

int ctune_sysctld_list_boot(const ctune_root *r, ctune_sysctld *l, bool *systemd, ctune_error *err)
{
	*systemd = ctune_root_exists(r, "/lib/systemd/systemd-sysctl") ||
		   ctune_root_exists(r, "/usr/lib/systemd/systemd-sysctl");
	if (*systemd) {
		int rr = ctune_sysctld_list(r, l, err);
		if (rr < 0)
			return rr;
		/* procps appends an unlinked /etc/sysctl.conf; systemd-sysctl does not. */
		if (l->n > 0 && !l->via_link[l->n - 1] && strcmp(l->files[l->n - 1], "/etc/sysctl.conf") == 0)
			l->n--;
		return 0;
	}
	memset(l, 0, sizeof(*l));
	if (ctune_root_exists(r, "/etc/sysctl.conf"))
		snprintf(l->files[l->n++], sizeof(l->files[0]), "/etc/sysctl.conf");
	_cleanup_closedir_ DIR *dir = NULL;
	if (ctune_root_opendir(r, "/etc/sysctl.d", &dir) < 0)
		return 0;
	size_t first = l->n;
	struct dirent *de;
	while ((de = readdir(dir)) && l->n < CTUNE_SYSCTLD_MAX_FILES) {
		size_t len = strlen(de->d_name);
		if (len < 6 || de->d_name[0] == '.' || strcmp(de->d_name + len - 5, ".conf") != 0)
			continue;
		char f[300];
		snprintf(f, sizeof(f), "/etc/sysctl.d/%s", de->d_name);
		if (strlen(f) >= sizeof(l->files[0]) || ctune_sysctld_same_file(r, f, "/etc/sysctl.conf"))
			continue;
		snprintf(l->files[l->n++], sizeof(l->files[0]), "%s", f);
	}
	qsort(l->files[first], l->n - first, sizeof(l->files[0]), cmp_files);
	return 0;
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
