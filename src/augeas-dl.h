/* augeas-dl.h - libaugeas, loaded at run time, only by the requests that
 * persist something (persist.c, bootfiles.c).
 *
 * Linking libaugeas into the executable makes every process start map it
 * and, through it, libxml2, ICU, libselinux and libstdc++: a few
 * milliseconds that `ctune facts`, run on every host on every play, would pay
 * for an editor it never uses (bench/ case 3).  So the executable does not
 * link it; ctune_augeas_load() dlopen()s it on first use and the aug_*
 * names below resolve to its functions.  The types and constants are
 * augeas.h's own, so a call reads exactly as the documented API.
 *
 * The static build (CTUNE_AUGEAS_STATIC, cmake/Static.cmake) links
 * libaugeas in instead, and the same table points at its functions: one
 * code path, the same call sites, no dlopen().
 *
 * Include this instead of <augeas.h>, and call ctune_augeas_load() before
 * the first aug_init(). */
#ifndef CTUNE_AUGEAS_DL_H
#define CTUNE_AUGEAS_DL_H

#include <augeas.h>

#include "error.h"

/* Every libaugeas function ctune calls. */
#define CTUNE_AUGEAS_FUNCS(X)                                                                      \
	X(init) X(close) X(error) X(error_message) X(error_minor_message) X(error_details)         \
	X(escape_name) X(get) X(set) X(insert) X(label) X(match) X(mv) X(rename) X(rm)            \
	X(text_store) X(text_retrieve)

typedef struct ctune_augeas_api {
#define CTUNE_AUGEAS_MEMBER(name) __typeof__(aug_##name) *name;
	CTUNE_AUGEAS_FUNCS(CTUNE_AUGEAS_MEMBER)
#undef CTUNE_AUGEAS_MEMBER
} ctune_augeas_api;

extern ctune_augeas_api ctune_augeas;

/* Load libaugeas (CTUNE_AUGEAS_SONAME) and every function above, once per
 * process; later calls return at once.  Fails with a sentence naming the
 * library and what the dynamic linker said, before anything was changed.
 * In the static build the table is filled already and this returns 0. */
int ctune_augeas_load(ctune_error *err);

/* augeas-dl.c names libaugeas's own functions. */
#ifndef CTUNE_AUGEAS_REAL_NAMES

#define aug_init (ctune_augeas.init)
#define aug_close (ctune_augeas.close)
#define aug_error (ctune_augeas.error)
#define aug_error_message (ctune_augeas.error_message)
#define aug_error_minor_message (ctune_augeas.error_minor_message)
#define aug_error_details (ctune_augeas.error_details)
#define aug_escape_name (ctune_augeas.escape_name)
#define aug_get (ctune_augeas.get)
#define aug_set (ctune_augeas.set)
#define aug_insert (ctune_augeas.insert)
#define aug_label (ctune_augeas.label)
#define aug_match (ctune_augeas.match)
#define aug_mv (ctune_augeas.mv)
#define aug_rename (ctune_augeas.rename)
#define aug_rm (ctune_augeas.rm)
#define aug_text_store (ctune_augeas.text_store)
#define aug_text_retrieve (ctune_augeas.text_retrieve)
#endif

#endif
