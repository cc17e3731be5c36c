/* watch.c - `ctune watch`: count, max and the statistics every interval,
 * one line per sample: a line for people on a terminal, a JSON object per
 * line (schemas/watch.json) otherwise.
 *
 * The loop: take a sample (watch-sample.h, never a table walk), print its
 * line whole with one write(2), then wait for the next deadline.  Deadlines
 * are absolute on CLOCK_MONOTONIC (start + k x interval), so a slow sample
 * or a busy machine does not make the samples drift; a sample that overran
 * its slot is followed at once by the next.
 *
 * Stopping: SIGINT, SIGTERM and SIGHUP are blocked for the whole run and
 * waited for with sigtimedwait() as the wait between samples, so a signal
 * can only be taken between two lines: the last line is always whole, and
 * the exit status is 0.  A signal that arrives during a sample stays
 * pending and ends the next wait at once.  A reader that goes away (EPIPE;
 * main ignores SIGPIPE) also ends the run with status 0, silently: `ctune
 * watch | head -5` is a normal way to use it.  A sample that fails after
 * the first line ends the run with status 1: in JSON a last line
 * {"failed": true, "msg": ...}, on a terminal the message on stderr.
 *
 * Cost: a sample through netlink is four small request/answer pairs on one
 * socket opened at the start; through /proc, two /proc/sys reads and the
 * per-CPU file.  bench/run case 9: about 83 us of CPU (utime + stime) per
 * sample on a 250,000-entry table, the same as on an empty one: 0.008% of
 * one core at the default 1 s interval.
 */
#include "watch.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "duration.h"
#include "json-util.h"
#include "root.h"
#include "watch-sample.h"

/* The counters whose rates the human line shows when they move. */
static const char *const shown_counters[] = { "early_drop", "insert_failed", "invalid" };

struct run {
	const ctune_request *req;
	bool human;
	ctune_watch *w;
	ctune_watch_sample prev;
	bool have_prev;
	struct timespec start;
	unsigned long long n;
	ctune_watch_trend trend;
};

/* What one sample says, beside its own figures. */
struct derived {
	bool have_interval;
	double interval, change_per_s;
	bool have_slope;
	double slope;
	ctune_watch_state state;
	double to_full;
	bool have_new;
	double new_per_s;
	bool have_drop;
	double drop_per_s;
};

static double rate_of(const struct run *run, const ctune_watch_sample *s, const char *col, double dt, bool *ok)
{
	uint64_t d;
	*ok = run->have_prev && run->prev.have_stats && s->have_stats && dt > 0 &&
	      ctune_watch_counter_delta(&run->prev.stats, &s->stats, col, &d);
	return *ok ? (double)d / dt : 0;
}

static struct derived derive(struct run *run, const ctune_watch_sample *s)
{
	struct derived d = { 0 };
	double t = ctune_watch_seconds(&run->start, &s->mono);
	ctune_watch_trend_add(&run->trend, t, (double)s->count);
	d.have_slope = ctune_watch_trend_slope(&run->trend, &d.slope);
	d.state = ctune_watch_outlook(d.have_slope, d.slope, s->count, s->have_max, s->max, &d.to_full);
	if (run->have_prev) {
		d.interval = ctune_watch_seconds(&run->prev.mono, &s->mono);
		d.have_interval = d.interval > 0;
		if (d.have_interval)
			d.change_per_s = ((double)s->count - (double)run->prev.count) / d.interval;
	}
	d.drop_per_s = rate_of(run, s, "drop", d.interval, &d.have_drop);
	/* Current kernels no longer count insertions (`insert` stays 0 while
	 * the table fills): a zero since boot on a table holding entries is
	 * "not counted", not "no new entries". */
	int ic = s->have_stats ? ctune_stats_col(&s->stats, "insert") : -1;
	if (ic >= 0 && (s->stats.total[ic] > 0 || s->count == 0))
		d.new_per_s = rate_of(run, s, "insert", d.interval, &d.have_new);
	return d;
}

/* v rounded to 1/scale (no libm: ctune links none).  Values too large for
 * a long long are returned as they are. */
static double round_to(double v, double scale)
{
	double x = v * scale;
	if (!(x > -9e18 && x < 9e18))
		return v;
	return (double)(long long)(x < 0 ? x - 0.5 : x + 0.5) / scale;
}

/* 3 decimals are plenty for rates, and keep the line short. */
static json_t *real3(double v)
{
	return json_real(round_to(v, 1000.0));
}

static json_t *sample_json(const struct run *run, const ctune_watch_sample *s, const struct derived *d)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	struct tm tm;
	char when[64];
	time_t sec = s->wall.tv_sec;
	gmtime_r(&sec, &tm);
	size_t k = strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + k, sizeof(when) - k, ".%03ldZ", s->wall.tv_nsec / 1000000L);
	json_object_set_new(o, "time", json_string(when));
	json_object_set_new(o, "sample", json_integer((json_int_t)run->n));
	json_object_set_new(o, "elapsed_s", real3(ctune_watch_seconds(&run->start, &s->mono)));
	json_object_set_new(o, "source", json_string(ctune_watch_source(run->w)));
	json_object_set_new(o, "count", json_integer((json_int_t)s->count));
	ctune_json_set(o, "max", s->have_max ? json_integer((json_int_t)s->max) : NULL);
	ctune_json_set(o, "usage_percent",
		       s->have_max && s->max > 0 ? json_real(round_to(100.0 * (double)s->count / (double)s->max, 100.0))
						 : NULL);
	ctune_json_set(o, "interval_s", d->have_interval ? real3(d->interval) : NULL);
	ctune_json_set(o, "change_per_s", d->have_interval ? real3(d->change_per_s) : NULL);
	ctune_json_set(o, "trend_per_s", d->have_slope ? real3(d->slope) : NULL);
	json_object_set_new(o, "state", json_string(ctune_watch_state_name(d->state)));
	ctune_json_set(o, "seconds_to_full",
		       d->state == CTUNE_WATCH_GROWING && s->have_max ? real3(d->to_full) : NULL);
	ctune_json_set(o, "new_per_s", d->have_new ? real3(d->new_per_s) : NULL);
	ctune_json_set(o, "drop_per_s", d->have_drop ? real3(d->drop_per_s) : NULL);
	json_t *totals = json_object(), *rates = json_object();
	for (size_t c = 0; s->have_stats && c < s->stats.ncols; c++) {
		const char *name = s->stats.names[c];
		if (strcmp(name, "entries") == 0)
			continue;
		json_object_set_new(totals, name, json_integer((json_int_t)s->stats.total[c]));
		bool ok;
		double r = rate_of(run, s, name, d->interval, &ok);
		if (ok)
			json_object_set_new(rates, name, real3(r));
	}
	ctune_json_set(o, "totals", s->have_stats ? totals : NULL);
	if (!s->have_stats)
		json_decref(totals);
	json_object_set_new(o, "rates", rates);
	return o;
}

/* "310", "2.5", "0": a rate for people. */
static void rate_text(double r, char *buf, size_t size)
{
	double a = r < 0 ? -r : r;
	snprintf(buf, size, a >= 100 || a == round_to(a, 1.0) ? "%.0f" : "%.1f", r);
}

static void human_line(const struct run *run, const ctune_watch_sample *s, const struct derived *d, char *buf,
		       size_t size)
{
	struct tm tm;
	time_t sec = s->wall.tv_sec;
	localtime_r(&sec, &tm);
	size_t n = strftime(buf, size, "%H:%M:%S", &tm);
#define ADD(...) (n += (size_t)snprintf(buf + n, n < size ? size - n : 0, __VA_ARGS__), n = n < size ? n : size)
	if (s->have_max && s->max > 0)
		ADD("  %5.1f%%  %llu/%llu", 100.0 * (double)s->count / (double)s->max, (unsigned long long)s->count,
		    (unsigned long long)s->max);
	else
		ADD("  usage ?  %llu/?", (unsigned long long)s->count);
	char r[32];
	if (d->have_interval) {
		rate_text(d->change_per_s, r, sizeof(r));
		ADD("  %s%s/s", d->change_per_s > 0 ? "+" : "", r);
	}
	if (d->have_new) {
		rate_text(d->new_per_s, r, sizeof(r));
		ADD("  new %s/s", r);
	}
	if (d->have_drop) {
		rate_text(d->drop_per_s, r, sizeof(r));
		ADD("  drops %s/s", r);
	}
	for (size_t i = 0; i < ELEMENTSOF(shown_counters); i++) {
		bool ok;
		double v = rate_of(run, s, shown_counters[i], d->interval, &ok);
		if (ok && v > 0) {
			rate_text(v, r, sizeof(r));
			ADD("  %s %s/s", shown_counters[i], r);
		}
	}
	char t[40];
	switch (d->state) {
	case CTUNE_WATCH_GROWING:
		rate_text(d->slope, r, sizeof(r));
		/* whole seconds, rounded up: "full in 0s" only when it is */
		if (s->have_max && d->to_full < 1e9 &&
		    ctune_duration_format((long long)d->to_full + (d->to_full > (double)(long long)d->to_full), t,
					  sizeof(t)) > 0)
			ADD("  full in %s at +%s/s", t, r);
		else
			ADD("  growing at +%s/s", r);
		break;
	case CTUNE_WATCH_SHRINKING:
		rate_text(d->slope, r, sizeof(r));
		ADD("  shrinking at %s/s", r);
		break;
	case CTUNE_WATCH_STABLE:
		ADD("  stable");
		break;
	case CTUNE_WATCH_FULL:
		ADD("  FULL: new connections are dropped");
		break;
	case CTUNE_WATCH_UNKNOWN:
		break;
	}
	ADD("\n");
#undef ADD
	if (n >= size - 1)
		buf[size - 2] = '\n';
}

/* Print one line whole.  Returns 0, 1 when the reader went away (stop,
 * status 0), or -errno. */
static int emit(const char *text, size_t len)
{
	int k = ctune_write_all(STDOUT_FILENO, text, len);
	if (k == -EPIPE)
		return 1;
	return k;
}

static int emit_sample(struct run *run, const ctune_watch_sample *s)
{
	struct derived d = derive(run, s);
	if (run->human) {
		char line[512];
		human_line(run, s, &d, line, sizeof(line));
		return emit(line, strlen(line));
	}
	json_t *o = sample_json(run, s, &d);
	char *text = o ? json_dumps(o, JSON_PRESERVE_ORDER | JSON_COMPACT | JSON_REAL_PRECISION(12)) : NULL;
	json_decref(o);
	if (!text)
		return -ENOMEM;
	size_t len = strlen(text);
	char *line = realloc(text, len + 2);
	if (!line) {
		free(text);
		return -ENOMEM;
	}
	line[len] = '\n';
	line[len + 1] = '\0';
	int k = emit(line, len + 1);
	free(line);
	return k;
}

/* A failure after lines were printed: the stream's own last word. */
static int fail_late(const struct run *run, const char *msg)
{
	if (run->human) {
		fprintf(stderr, "ctune: watch stopped: %s\n", msg);
		return 1;
	}
	json_t *o = json_pack("{s:b, s:s}", "failed", 1, "msg", msg);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (text) {
		emit(text, strlen(text));
		emit("\n", 1);
		free(text);
	}
	fprintf(stderr, "ctune: watch stopped: %s\n", msg);
	return 1;
}

static void add_ms(struct timespec *t, unsigned long long ms)
{
	t->tv_sec += (time_t)(ms / 1000);
	t->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

/* Wait until the deadline or a stop signal.  Returns true to go on. */
static bool wait_until(const struct timespec *deadline, const sigset_t *stop)
{
	for (;;) {
		struct timespec now, left;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left.tv_sec = deadline->tv_sec - now.tv_sec;
		left.tv_nsec = deadline->tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0) {
			left.tv_sec--;
			left.tv_nsec += 1000000000L;
		}
		if (left.tv_sec < 0)
			left.tv_sec = left.tv_nsec = 0;
		int sig = sigtimedwait(stop, NULL, &left);
		if (sig > 0)
			return false;
		if (errno == EAGAIN)
			return true; /* the deadline came */
		if (errno != EINTR)
			return true; /* a wait that cannot be had: sample on */
	}
}

int ctune_watch_main(const ctune_request *req, ctune_error *err, bool *wrong)
{
	ctune_root root;
	*wrong = true;
	int k = ctune_root_init(&root, req->root, err);
	if (k < 0) {
		*wrong = k != -ENOMEM && k != -EIO;
		return k;
	}
	struct run run = { .req = req };
	ctune_format format = req->format;
	if (format == CTUNE_FORMAT_AUTO)
		format = isatty(STDOUT_FILENO) ? CTUNE_FORMAT_HUMAN : CTUNE_FORMAT_JSON;
	run.human = format == CTUNE_FORMAT_HUMAN;
	unsigned long long interval = req->interval_ms ? req->interval_ms : CTUNE_WATCH_INTERVAL_DEFAULT_MS;

	sigset_t stop, old;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	sigprocmask(SIG_BLOCK, &stop, &old);

	k = ctune_watch_open(&root, req->source, &run.w, err);
	if (k < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		*wrong = k == -EINVAL;
		return k;
	}
	*wrong = false;
	int status = 0;
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	run.start = deadline;
	if (run.human) {
		char head[256], every[40];
		if (interval % 1000 == 0)
			ctune_duration_format((long long)(interval / 1000), every, sizeof(every));
		else
			snprintf(every, sizeof(every), "%llums", interval);
		snprintf(head, sizeof(head), "ctune watch: every %s through %s%s%s; time, usage, count/max, "
			 "change, drops, outlook (Ctrl-C stops)\n",
			 every, ctune_watch_source(run.w), root.len ? " under the root prefix" : "", "");
		k = emit(head, strlen(head));
		if (k != 0) {
			status = k > 0 ? 0 : 1;
			goto out;
		}
	}
	for (;;) {
		ctune_watch_sample s;
		ctune_error e = { 0 };
		k = ctune_watch_take(run.w, &s, &e);
		if (k < 0) {
			if (run.n == 0) {
				ctune_error_set(err, k, "%s", e.msg);
				status = k;
			} else {
				status = fail_late(&run, e.msg);
			}
			break;
		}
		run.n++;
		k = emit_sample(&run, &s);
		if (run.have_prev)
			ctune_watch_sample_free(&run.prev);
		run.prev = s;
		run.have_prev = true;
		if (k != 0) {
			status = k > 0 ? 0 : 1; /* a reader gone: fine; else the write failed */
			if (k < 0)
				fprintf(stderr, "ctune: watch stopped: cannot write: %s\n", strerror(-k));
			break;
		}
		if (req->samples && run.n >= req->samples)
			break;
		add_ms(&deadline, interval);
		if (!wait_until(&deadline, &stop))
			break;
	}
out:
	if (run.have_prev)
		ctune_watch_sample_free(&run.prev);
	ctune_watch_close(run.w);
	/* The stop signals stay blocked: the process is about to exit, and a
	 * second Ctrl-C pending now must not kill it on the way out. */
	return status;
}
