/* facts-floor.c - the least a program can do to report what `ctune facts`
 * reports by default, as the floor of bench case 3.
 *
 *   facts-floor BYTES FILE...
 *
 * Starts like ctune (dynamically linked to libc alone: ctune has its own
 * netlink layer and links jansson statically),
 * reads every given /proc/sys file the way ctune's reader does (one
 * directory open, then openat + read + fstat + close per file) and the
 * statistics file, and writes BYTES bytes to stdout, as many as ctune's
 * answer.  No JSON library, no detection, no netlink, no boot replay or
 * advice: whatever ctune takes beyond this is its own overhead, and this
 * program against `sysctl -n count max` is the best ratio any program
 * reading the same files can reach on this machine. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: facts-floor BYTES FILE...\n");
		return 2;
	}
	long bytes = strtol(argv[1], NULL, 10);
	char buf[64], *out = calloc(1, bytes > 0 ? (size_t)bytes : 1);
	if (!out)
		return 1;
	int dirfd = -1;
	char dir[512] = "";
	long long sum = 0;
	for (int i = 2; i < argc; i++) {
		const char *slash = strrchr(argv[i], '/');
		if (!slash || (size_t)(slash - argv[i]) >= sizeof(dir))
			return 2;
		if (strncmp(dir, argv[i], (size_t)(slash - argv[i])) != 0 || dir[slash - argv[i]] != '\0') {
			if (dirfd >= 0)
				close(dirfd);
			memcpy(dir, argv[i], (size_t)(slash - argv[i]));
			dir[slash - argv[i]] = '\0';
			dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		}
		int fd = openat(dirfd, slash + 1, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		struct stat st;
		fstat(fd, &st);
		close(fd);
		buf[n > 0 ? n : 0] = '\0';
		sum += strtoll(buf, NULL, 10);
	}
	int fd = open("/proc/net/stat/nf_conntrack", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		char st[8192];
		while (read(fd, st, sizeof(st)) > 0)
			;
		close(fd);
	}
	memset(out, ' ', (size_t)bytes);
	snprintf(out, (size_t)bytes, "{\"sum\": %lld}", sum);
	out[strlen(out)] = ' ';
	if (bytes > 0)
		out[bytes - 1] = '\n';
	fwrite(out, 1, (size_t)bytes, stdout);
	return 0;
}
