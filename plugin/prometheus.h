/* prometheus.h - the facts object in the Prometheus text exposition format
 * (version 0.0.4), for node_exporter's textfile collector:
 *   ctune facts --format prometheus > /var/lib/prometheus/node-exporter/ctune.prom.$$
 *   && mv ... ctune.prom
 *
 * Every metric is named ctune_*: node_exporter's own conntrack collector
 * already exports node_nf_conntrack_entries, node_nf_conntrack_entries_limit
 * and node_nf_conntrack_stat_*, and a textfile metric of the same name
 * would collide with them.  The metric names are listed in docs/ctune.1. */
#ifndef CTUNE_PROMETHEUS_H
#define CTUNE_PROMETHEUS_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

/* Write the metrics of facts (the object of docs/facts.md) to out, the
 * statistics per CPU too when per_cpu.  Returns 0, -EINVAL when facts is
 * not an object, or -EIO when out cannot take the text. */
int ctune_prometheus_print(FILE *out, json_t *facts, bool per_cpu);

#endif
