/* cli-help.c - see cli-help.h. */
#include "cli-help.h"

#include <string.h>

#include "json-util.h"
#include "suggest.h"

#define MAX_VERBS 16

/* Notes for one verb's help beyond its synopsis and description: what the
 * options do.  A verb without an entry gets the synopsis and description. */
static const struct {
	const char *verb;
	const char *text;
} notes[] = {
	{ "facts",
	  "Options:\n"
	  "  --root DIR          read proc/, sys/ and etc/ under DIR instead of /\n"
	  "  --table             add the summary of the connection table (reads it whole)\n"
	  "  --source S          auto, proc (/proc/net files) or netlink\n"
	  "  --log-events        add the kernel log's \"table full\" lines (--no-log-events: not)\n"
	  "  --no-advice         leave out the sizing advice\n"
	  "  --no-boot           leave out what the next boot applies (effective_at_boot)\n"
	  "  --scheme S          auto, legacy (ip_conntrack) or modern (nf_conntrack)\n"
	  "  --format F          json (default off a terminal), human (default on one),\n"
	  "                      prometheus (node_exporter's textfile collector)\n"
	  "  --lock-timeout T    wait up to T (30s) for another run to repair its journal\n"
	  "  -h, --help          this help\n" },
	{ "set",
	  "NAME is a canonical name (`ctune tunables` lists them) or any sysctl spelling\n"
	  "of it, in either naming scheme: net.netfilter.nf_conntrack_max,\n"
	  "net.nf_conntrack_max, nf_conntrack_max, net.ipv4.netfilter.ip_conntrack_max,\n"
	  "ip_conntrack_max, net/netfilter/nf_conntrack_max, /proc/sys/net/netfilter/...\n"
	  "\n"
	  "Options:\n"
	  "  --check, --dry-run  say what would change, change nothing\n"
	  "  --diff              show the changes to every file (a unified diff on a\n"
	  "                      terminal, before/after texts in JSON)\n"
	  "  --file F            the sysctl file: /etc/sysctl.conf (default) or\n"
	  "                      /etc/sysctl.d/NAME.conf\n"
	  "  --backup            copy the file before changing it\n"
	  "  --no-live           change only the file\n"
	  "  --no-persist        change only the live value\n"
	  "  --absent            remove the keys from the file (--state absent)\n"
	  "  --state S           present (default) or absent\n"
	  "  --migrate           rewrite keys of the other naming scheme found in the file\n"
	  "  --override O        warn (default) or fix: comment out a later file's line\n"
	  "                      that would override the value at boot\n"
	  "  --ensure-module B   yes/no: list the module in --modules-load-file so the\n"
	  "                      keys exist when the boot applies them (default: auto)\n"
	  "  --modules-load-file F  /etc/modules-load.d/NAME.conf (default ctune.conf)\n"
	  "  --modprobe-file F   /etc/modprobe.d/NAME.conf for buckets (default ctune.conf)\n"
	  "  --lock-timeout T    wait up to T (default 30s) for another run's lock\n"
	  "  --root DIR          work on the tree under DIR (nothing is logged to syslog)\n"
	  "  --scheme S          auto, legacy or modern\n"
	  "  --format F          human (default on a terminal) or json (default elsewhere)\n"
	  "  --color W           auto (default), always or never: colour of the human\n"
	  "                      output (auto: a terminal, TERM not dumb, NO_COLOR unset)\n"
	  "  -h, --help          this help\n"
	  "\n"
	  "Each applied change is logged to syslog (LOG_USER, notice) as one line.\n" },
	{ "tunables",
	  "Prints one JSON object: for each tunable its kind, unit, range, the sysctl\n"
	  "keys of both naming schemes, their aliases and a summary.\n"
	  "\n"
	  "Options:\n"
	  "  -h, --help          this help\n" },
};

/* The verbs of the usage text, in order: the word after "ctune " at the
 * start of a synopsis line ("Usage: ctune facts", "       ctune set"),
 * when it is a lower-case word (not ARGS_FILE, --help or <). */
static size_t verbs(const char *usage, char words[][32], size_t max)
{
	size_t n = 0;
	for (const char *l = usage; l && *l && n < max; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		const char *p = l;
		if (strncmp(p, "Usage:", 6) == 0)
			p += 6;
		p += strspn(p, " ");
		if (strncmp(p, "ctune ", 6) != 0)
			continue;
		p += 6;
		size_t w = strspn(p, "abcdefghijklmnopqrstuvwxyz-");
		if (w == 0 || w >= sizeof(words[0]) || p[0] == '-' || (p[w] != ' ' && p[w] != '\n'))
			continue;
		bool dup = false;
		for (size_t i = 0; i < n; i++)
			dup |= strlen(words[i]) == w && strncmp(words[i], p, w) == 0;
		if (!dup) {
			memcpy(words[n], p, w);
			words[n++][w] = '\0';
		}
	}
	return n;
}

bool ctune_cli_is_verb(const char *usage, const char *word)
{
	char w[MAX_VERBS][32];
	size_t n = verbs(usage, w, MAX_VERBS);
	for (size_t i = 0; i < n; i++)
		if (strcmp(w[i], word) == 0)
			return true;
	return false;
}

const char *ctune_cli_suggest_verb(const char *usage, const char *word, char *buf, size_t size)
{
	char w[MAX_VERBS][32];
	const char *list[MAX_VERBS + 1];
	size_t n = verbs(usage, w, MAX_VERBS);
	for (size_t i = 0; i < n; i++)
		list[i] = w[i];
	list[n] = "help";
	const char *best = ctune_suggest(word, list, n + 1, NULL);
	if (!best || (size_t)snprintf(buf, size, "%s", best) >= size)
		return NULL;
	return buf;
}

const char *ctune_cli_verbs(const char *usage, char *buf, size_t size)
{
	char w[MAX_VERBS][32];
	size_t n = verbs(usage, w, MAX_VERBS), len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? ", " : "", w[i]);
	return buf;
}

void ctune_cli_verb_help(FILE *out, const char *usage, const char *verb)
{
	size_t vl = strlen(verb);
	/* The synopsis: the verb's "ctune VERB" line and the lines that carry
	 * on its options ("       [--root DIR] ..."). */
	bool in = false, first = true;
	for (const char *l = usage; l && *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);
		const char *p = l + (strncmp(l, "Usage:", 6) == 0 ? 6 : 0);
		p += strspn(p, " ");
		if (strncmp(p, "ctune ", 6) == 0)
			in = strncmp(p + 6, verb, vl) == 0 && (p[6 + vl] == ' ' || p[6 + vl] == '\n');
		else if (in && *p != '[')
			in = false;
		if (in) {
			fprintf(out, "%s%.*s\n", first ? "Usage: " : "       ", (int)(n - (size_t)(p - l)), p);
			first = false;
		}
		l = e ? e + 1 : NULL;
	}
	/* The description: "  VERB   text" and its indented continuation. */
	in = false;
	for (const char *l = usage; l && *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) : strlen(l);
		if (strncmp(l, "  ", 2) == 0 && l[2] != ' ') {
			bool was = in;
			in = strncmp(l + 2, verb, vl) == 0 && l[2 + vl] == ' ';
			if (in && !was)
				fputc('\n', out);
		} else if (n == 0 || l[0] != ' ') {
			in = false;
		}
		if (in)
			fprintf(out, "%.*s\n", (int)n, l);
		l = e ? e + 1 : NULL;
	}
	for (size_t i = 0; i < ELEMENTSOF(notes); i++)
		if (strcmp(notes[i].verb, verb) == 0)
			fprintf(out, "\n%s", notes[i].text);
}
