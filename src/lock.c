/* lock.c - see lock.h. */
#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"

int ctune_lock_acquire(const ctune_root *r, unsigned timeout_ms, ctune_error *err)
{
	/* The root directory itself: it exists before any run and no run
	 * creates or replaces it, so every run locks the same object. */
	const char *dir = "/";
	_cleanup_close_ int fd = ctune_root_open(r, dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return ctune_error_set(err, fd, "cannot open %s%s for locking: %s", r->dir, dir, strerror(-fd));

	unsigned waited = 0;
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return TAKE_FD(fd);
		if (errno != EWOULDBLOCK && errno != EINTR)
			return ctune_error_set(err, -errno, "cannot lock %s%s: %s", r->dir, dir, strerror(errno));
		if (waited >= timeout_ms)
			return ctune_error_set(err, -EWOULDBLOCK,
					       "another ctune run holds the lock on %s%s (waited %u ms)", r->dir, dir,
					       waited);
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		waited += 20;
	}
}
