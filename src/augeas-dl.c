/* augeas-dl.c - libaugeas on first use, or linked in (see augeas-dl.h for
 * why). */
#define CTUNE_AUGEAS_REAL_NAMES
#include "augeas-dl.h"

#ifdef CTUNE_AUGEAS_STATIC

/* The static build: libaugeas is part of the executable. */
ctune_augeas_api ctune_augeas = {
#define CTUNE_AUGEAS_LINKED(name) .name = aug_##name,
	CTUNE_AUGEAS_FUNCS(CTUNE_AUGEAS_LINKED)
#undef CTUNE_AUGEAS_LINKED
};

int ctune_augeas_load(ctune_error *err)
{
	return 0;
}

#else

#include <dlfcn.h>
#include <errno.h>

#ifndef CTUNE_AUGEAS_SONAME
#define CTUNE_AUGEAS_SONAME "libaugeas.so.0"
#endif

ctune_augeas_api ctune_augeas;

int ctune_augeas_load(ctune_error *err)
{
	static void *lib;
	if (lib)
		return 0;
	/* RTLD_NOW: a missing symbol fails here, not halfway through an edit. */
	void *h = dlopen(CTUNE_AUGEAS_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return ctune_error_set(err, -ENOENT,
				       "persisting needs Augeas, but %s cannot be loaded (%s); install libaugeas0 "
				       "or use persist: false",
				       CTUNE_AUGEAS_SONAME, dlerror());
	ctune_augeas_api api;
#define CTUNE_AUGEAS_LOOKUP(name)                                                                  \
	api.name = (__typeof__(api.name))dlsym(h, "aug_" #name);                                     \
	if (!api.name) {                                                                           \
		dlclose(h);                                                                        \
		return ctune_error_set(err, -ENOENT, "%s has no aug_%s: that Augeas is too old", \
				       CTUNE_AUGEAS_SONAME, #name);                                \
	}
	CTUNE_AUGEAS_FUNCS(CTUNE_AUGEAS_LOOKUP)
#undef CTUNE_AUGEAS_LOOKUP
	ctune_augeas = api;
	lib = h;
	return 0;
}

#endif
