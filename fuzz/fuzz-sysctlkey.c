/* fuzz-sysctlkey.c - libFuzzer target for how a sysctl line's key and
 * value are read (sysctlkey.h): systemd's and procps' key normal forms, the
 * spelling both apply, glob matching, and the kernel's value parsing.
 *
 * Input: one byte picks a tunable, the rest is "key\nvalue".  Checked
 * beyond "does not crash": results are terminated and as long as said;
 * normal forms have no doubled '/' and no leading '/' (but "/" itself); a
 * canonical key has no glob characters and, when it is a plain dotted key,
 * is its own canonical form; a
 * value the kernel takes is within the tunable's kernel range, and a plain
 * decimal timeout is taken as itself.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sysctlkey.h"
#include "fuzz.h"

static void check_form(int r, const char *out, size_t size)
{
	if (r < 0)
		return;
	CHECK((size_t)r < size && strlen(out) == (size_t)r);
	CHECK(strstr(out, "//") == NULL);
	CHECK(out[0] != '/' || strcmp(out, "/") == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t n;
	const ctune_tunable *tab = ctune_tunables(&n);
	const ctune_tunable *t = &tab[data[0] % n];
	char *text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	char *nl = strchr(text, '\n');
	const char *value = nl ? nl + 1 : "";
	if (nl)
		*nl = '\0';
	const char *key = text;

	char a[256], b[256], c[256];
	check_form(ctune_sysctl_key_systemd(key, a, sizeof(a)), a, sizeof(a));
	check_form(ctune_sysctl_key_procps(key, b, sizeof(b)), b, sizeof(b));
	bool differs = false;
	int r = ctune_sysctl_key_canon(key, c, sizeof(c), &differs);
	if (r >= 0) {
		CHECK(strlen(c) == (size_t)r && !ctune_sysctl_key_is_glob(c));
		/* Plain dotted keys (what a tunable's key is) are their own form. */
		char again[256];
		if (!strchr(c, '/') && !strstr(c, "..") && c[0] != '.' && c[0] != '-' && c[r - 1] != '.')
			CHECK(ctune_sysctl_key_canon(c, again, sizeof(again), NULL) == r && strcmp(again, c) == 0);
		char slash[256];
		ctune_sysctl_key_slash(c, slash, sizeof(slash));
		CHECK(!ctune_sysctl_glob_match("*", slash) || strchr(slash, '/') == NULL);
	}

	long long v = 0;
	const char *why = NULL;
	unsigned hz = data[0] & 1 ? 250 : 1000;
	if (ctune_sysctl_kernel_value(t, value, hz, &v, &why) == 0) {
		CHECK(!(t->flags & CTUNE_TF_READONLY));
		CHECK(v >= INT_MIN && v <= INT_MAX);
		if (t->kind == CTUNE_KIND_TIMEOUT)
			CHECK(v >= -(long long)(INT_MAX / hz) && v <= INT_MAX / hz);
		if (t->flags & CTUNE_TF_BOOL)
			CHECK(v >= t->min && v <= t->max);
	} else {
		CHECK(why != NULL && why[0]);
	}
	/* A plain decimal timeout in range is taken as itself. */
	size_t len = strlen(value);
	if (t->kind == CTUNE_KIND_TIMEOUT && len > 0 && len < 7 && strspn(value, "0123456789") == len &&
	    (len == 1 || value[0] != '0')) {
		CHECK(ctune_sysctl_kernel_value(t, value, hz, &v, &why) == 0 && v == atoll(value));
	}
	free(text);
	return 0;
}
