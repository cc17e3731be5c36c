/* bootmodel.c - see bootmodel.h.  The file lists follow systemd 252's
 * conf_files_list_strv() (hidden entries skipped, the first directory
 * holding a name wins, names sorted), procps 4.0.2's PreloadSystem() (the
 * same, hidden *.conf included, then /etc/sysctl.conf when it is a regular
 * file) and the RHEL 6 init scripts' shell glob over /etc/sysctl.d/\*. */
#include "bootmodel.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

/* A directory under the root, opened through root.c (which resolves the
 * path inside the root); NULL when it is missing or not a directory. */
static DIR *open_dir(const ctune_root *r, const char *abs)
{
	DIR *d = NULL;
	return ctune_root_opendir(r, abs, &d) < 0 ? NULL : d;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool file_mentions(const ctune_root *r, const char *abs, const char *word)
{
	_cleanup_free_ char *text = NULL;
	if (ctune_root_read_all(r, abs, 4u << 20, &text, NULL) < 0)
		return false;
	return strstr(text, word) != NULL;
}

ctune_boot_model ctune_boot_model_detect(const ctune_root *r, char *reason, size_t size)
{
	const char *sd = ctune_root_exists(r, "/lib/systemd/systemd-sysctl")	   ? "/lib/systemd/systemd-sysctl"
			 : ctune_root_exists(r, "/usr/lib/systemd/systemd-sysctl") ? "/usr/lib/systemd/systemd-sysctl"
										   : NULL;
	bool procps_script = ctune_root_exists(r, "/etc/init.d/procps");
	char init[4096] = "";
	ctune_error ignored = { 0 };
	bool init_is_systemd = ctune_root_resolve(r, "/sbin/init", false, init, sizeof(init), &ignored) == 0 &&
			       strstr(init, "systemd") != NULL;
	if (sd && (init_is_systemd || !procps_script || !ctune_root_exists(r, "/sbin/init"))) {
		snprintf(reason, size, "%s is on the image", sd);
		return CTUNE_BOOT_SYSTEMD;
	}
	if (ctune_root_exists(r, "/etc/rc.d/rc.sysinit")) {
		const char *fn = ctune_root_exists(r, "/etc/rc.d/init.d/functions") ? "/etc/rc.d/init.d/functions"
											 : "/etc/init.d/functions";
		if (file_mentions(r, fn, "apply_sysctl") || file_mentions(r, "/etc/rc.d/rc.sysinit", "apply_sysctl")) {
			snprintf(reason, size, "/etc/rc.d/rc.sysinit and apply_sysctl in %s (RHEL 6)", fn);
			return CTUNE_BOOT_RHEL6;
		}
		snprintf(reason, size, "/etc/rc.d/rc.sysinit without apply_sysctl (RHEL 5): sysctl -e -p /etc/sysctl.conf");
		return CTUNE_BOOT_RHEL5;
	}
	static const char *const procps_signs[] = { "/etc/init.d/procps", "/etc/init.d/sysctl", "/etc/alpine-release" };
	for (size_t i = 0; i < ELEMENTSOF(procps_signs); i++)
		if (ctune_root_exists(r, procps_signs[i])) {
			snprintf(reason, size, "%s is on the image (sysvinit or OpenRC): sysctl --system", procps_signs[i]);
			return CTUNE_BOOT_PROCPS;
		}
	snprintf(reason, size, "no systemd-sysctl, rc.sysinit or sysctl init script on the image: sysctl --system "
			       "assumed");
	return CTUNE_BOOT_PROCPS;
}

const char *ctune_boot_model_name(ctune_boot_model m)
{
	switch (m) {
	case CTUNE_BOOT_SYSTEMD:
		return "systemd-sysctl";
	case CTUNE_BOOT_PROCPS:
		return "procps-sysctl-system";
	case CTUNE_BOOT_RHEL6:
		return "rhel6-apply-sysctl";
	default:
		return "rhel5-rc-sysinit";
	}
}

static int add(ctune_sysctld *l, const char *dir, const char *name, ctune_error *err)
{
	char path[600];
	snprintf(path, sizeof(path), "%s%s%s", dir, *name ? "/" : "", name);
	if (ctune_sysctld_push(l, path, false) < 0)
		return ctune_error_set(err, -ENOMEM, "out of memory");
	return 0;
}

static int cmp_base(const void *a, const void *b)
{
	return strcmp(strrchr((const char *)a, '/') + 1, strrchr((const char *)b, '/') + 1);
}

/* *.conf of every sysctl.d directory, the first directory holding a name
 * winning, sorted by name. */
static int list_dirs(const ctune_root *r, bool hidden, ctune_sysctld *l, ctune_error *err)
{
	for (size_t d = 0; d < ctune_sysctl_ndirs; d++) {
		_cleanup_closedir_ DIR *dir = open_dir(r, ctune_sysctl_dirs[d]);
		if (!dir)
			continue;
		size_t before = l->n;
		struct dirent *de;
		while ((de = readdir(dir))) {
			const char *n = de->d_name;
			if (!strcmp(n, ".") || !strcmp(n, "..") || !ends_with(n, ".conf") || (!hidden && n[0] == '.'))
				continue;
			bool seen = false;
			for (size_t i = 0; i < before && !seen; i++)
				seen = strcmp(strrchr(l->files[i], '/') + 1, n) == 0;
			if (seen)
				continue;
			int rr = add(l, ctune_sysctl_dirs[d], n, err);
			if (rr < 0)
				return rr;
		}
	}
	if (l->n > 1) /* files is NULL while the list is empty */
		qsort(l->files, l->n, sizeof(l->files[0]), cmp_base);
	return 0;
}

static bool is_regular(const ctune_root *r, const char *abs)
{
	/* stat through the resolver: nothing is opened (a FIFO stays shut) */
	struct stat st;
	return ctune_root_stat(r, abs, true, &st) == 0 && S_ISREG(st.st_mode);
}

int ctune_boot_model_files(const ctune_root *r, ctune_boot_model m, ctune_sysctld *l, ctune_error *err)
{
	ctune_sysctld_done(l);
	int rr = 0;
	switch (m) {
	case CTUNE_BOOT_SYSTEMD:
		return list_dirs(r, false, l, err);
	case CTUNE_BOOT_PROCPS:
		rr = list_dirs(r, true, l, err);
		if (rr == 0 && is_regular(r, "/etc/sysctl.conf"))
			rr = add(l, "/etc/sysctl.conf", "", err);
		return rr;
	case CTUNE_BOOT_RHEL6: {
		if (is_regular(r, "/etc/sysctl.conf"))
			rr = add(l, "/etc/sysctl.conf", "", err);
		if (rr < 0)
			return rr;
		_cleanup_closedir_ DIR *dir = open_dir(r, "/etc/sysctl.d");
		if (!dir)
			return 0;
		size_t first = l->n;
		struct dirent *de;
		static const char *const ignored[] = { "~", ".rpmnew", ".rpmorig", ".rpmsave" };
		while ((de = readdir(dir))) {
			bool skip = de->d_name[0] == '.';
			for (size_t i = 0; i < ELEMENTSOF(ignored) && !skip; i++)
				skip = ends_with(de->d_name, ignored[i]);
			char f[300];
			snprintf(f, sizeof(f), "/etc/sysctl.d/%s", de->d_name);
			if (skip || !is_regular(r, f)) /* `test -f` */
				continue;
			if ((rr = add(l, "/etc/sysctl.d", de->d_name, err)) < 0)
				return rr;
		}
		if (l->n - first > 1)
			qsort(l->files[first], l->n - first, sizeof(l->files[0]), cmp_base);
		return 0;
	}
	default:
		if (is_regular(r, "/etc/sysctl.conf"))
			rr = add(l, "/etc/sysctl.conf", "", err);
		return rr;
	}
}
