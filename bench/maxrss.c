/* maxrss.c - run a command and report its peak resident set size.
 *
 *   maxrss OUT_FILE COMMAND [ARG...]
 *
 * Writes "<peak RSS in KiB> <exit status>" to OUT_FILE once COMMAND ends.
 * Why not getrusage from the Python driver: the kernel keeps the RSS high
 * mark across exec(), so a child forked from a 10 MiB Python process starts
 * at 10 MiB whatever it runs.  Forked from this small program the floor is
 * well under 1 MiB, so the figure is the command's own.
 */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: maxrss OUT_FILE COMMAND [ARG...]\n");
		return 2;
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("maxrss: fork");
		return 1;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		perror("maxrss: exec");
		_exit(127);
	}
	int status;
	struct rusage ru;
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("maxrss: wait4");
		return 1;
	}
	FILE *f = fopen(argv[1], "w");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	fprintf(f, "%ld %d\n", ru.ru_maxrss, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return fclose(f) == 0 ? 0 : 1;
}
