/* guard.h - the values set refuses because they would make the host worse
 * at once, unless the request says force: true (--force).
 *
 * Why this file exists: in an incident a tired operator types `set
 * max=60000` on a table holding 61234 entries, or tcp_timeout_established=1s,
 * and both went through without a word.  The guards run after the live
 * values were read and before anything is written, so check mode reports
 * the same refusal; the message says what would happen and how to go on.
 *
 * The guards (state present only; removing a key changes nothing live):
 *   max below the count the table holds now: refused when the value goes
 *     live (the kernel would drop every new connection until enough
 *     entries expire); with live: false only a warning, since it applies at
 *     the next boot, to an empty table.
 *   max below the highest use known (advise.h's peak: the conntrack slab's
 *     allocated objects) or, when the statistics show the table full since
 *     boot (advise.h, Drops), below the current max: a warning, since the
 *     peak is a hint and the full table may date from before a raise.
 *   a timeout lowered below the floor of the traffic it keeps alive
 *     (refused live or persisted: a persisted value applies at boot):
 *       tcp_timeout_established < 7200 s: TCP keepalive probes start after
 *         two hours idle (tcp_keepalive_time's default; RFC 1122 4.2.3.6:
 *         "MUST default to no less than two hours"), so a connection kept
 *         alive that way (SSH, database pools, long polls) loses its entry
 *         before its first probe and is cut;
 *       udp_timeout_stream < 120 s: a UDP flow with traffic both ways (VPN,
 *         VoIP, QUIC, games) is kept by packets at the intervals NAT
 *         devices must honour (RFC 4787 REQ-5: a UDP mapping timer MUST NOT
 *         expire in less than two minutes), so applications refresh at up to
 *         two minutes.
 *     Raising a timeout that is already below its floor is not refused (it
 *     makes things better), nor is any value at or above the floor.
 *   Not guarded, on purpose: the closing TCP states (fin_wait, close_wait,
 *   last_ack, time_wait, close) and the handshake states (syn_sent,
 *   syn_recv) hold no established connection; tcp_timeout_unacknowledged
 *   and max_retrans have no standard floor; udp_timeout, icmp_timeout and
 *   generic_timeout cover flows that are one-shot or untracked by design;
 *   buckets resizes the hash, never cutting an entry.
 *
 * Under a root prefix every live figure (count, slab, statistics) is that
 * root's /proc, as everywhere else.
 */
#ifndef CTUNE_GUARD_H
#define CTUNE_GUARD_H

#include "error.h"
#include "plan.h"
#include "root.h"
#include "scheme.h"

/* The floor of a guarded timeout of tunable name, or -1 when it has none. */
long long ctune_guard_timeout_floor(const char *name);

/* Check the wanted values of p (items with their live values read, scheme
 * s) against the guards.  Returns 0, with warnings added to p (forced
 * refusals among them); or -EPERM with err saying which value, what it
 * would do and how to go past it. */
int ctune_guard_check(const ctune_root *r, ctune_scheme s, const ctune_plan_opts *o, ctune_plan *p,
		      ctune_error *err);

#endif
