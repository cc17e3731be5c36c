/* cleanup.h - scope-bound cleanup for early returns.
 *
 * ctune follows systemd's convention: a variable declared with one of these
 * attributes is released when it goes out of scope, so every early
 * `return r;` is leak-free without a goto ladder.  Only the few kinds that
 * ctune really uses are defined here.
 */
#ifndef CTUNE_CLEANUP_H
#define CTUNE_CLEANUP_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <errno.h>
#include <dirent.h>

static inline void ctune_freep(void *p) { free(*(void **)p); }
static inline void ctune_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
static inline void ctune_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}
static inline void ctune_closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

/* Remove a temporary file on scope exit unless the pointer was cleared. */
static inline void ctune_unlinkp(char **path)
{
	if (*path) {
		int saved = errno;
		unlink(*path);
		errno = saved;
	}
}

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(ctune_freep)
#define _cleanup_close_ _cleanup_(ctune_closep)
#define _cleanup_fclose_ _cleanup_(ctune_fclosep)
#define _cleanup_closedir_ _cleanup_(ctune_closedirp)

/* Hand ownership out of a cleanup-scoped variable. */
#define TAKE_PTR(p) ({ __typeof__(p) _t = (p); (p) = NULL; _t; })
#define TAKE_FD(fd) ({ int _t = (fd); (fd) = -1; _t; })

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

#endif
