#!/usr/bin/python3
"""top-check.py - exact top-talker counts and their check (tests/top.test.sh).

  top-check.py counts TABLE_TEXT > COUNTS.json
      Exact group counts of a conntrack table's text, independent of ctune:
      `conntrack -L` output, or /proc/net/nf_conntrack (modern) or
      /proc/net/ip_conntrack (legacy) lines.  Addresses go through Python's
      ipaddress (compressed form), groups are named as docs/facts.md says.

  top-check.py check FACTS.json COUNTS.json [--complete]
      Checks table.top of ctune's facts against the counts, dimension by
      dimension, with the guarantees docs/facts.md states: every listed group
      has count - error <= true <= count; every group not listed has
      true <= unlisted_max; error <= 2 * total / capacity; an exact
      dimension has error 0 and count == true; a dimension lists
      min(limit, distinct groups) groups; where the true ranking has a gap
      wider than the largest error, the listed order follows it.
      --complete: the limit covers every group, and every dimension must be
      exact and list exactly the true counts.
Prints one line per failed check and "ok N" / "FAIL N"; exit 0 when all hold.
"""
import collections
import ipaddress
import json
import sys

NAMES = {6: 'tcp', 17: 'udp', 136: 'udplite', 1: 'icmp', 58: 'icmpv6', 132: 'sctp', 33: 'dccp', 47: 'gre'}
PORTS = (6, 17, 33, 132, 136)
DIMS = ('by_src', 'by_dst', 'by_dport', 'by_zone', 'by_mark')


def counts(path):
    c = {d: collections.Counter() for d in DIMS}
    for line in open(path):
        t = line.split()
        if not t:
            continue
        l4 = int(t[3]) if t[0] in ('ipv4', 'ipv6') and t[3].isdigit() else int(t[1])
        i = next(j for j, x in enumerate(t) if x.startswith('src='))
        kv = {}
        for x in t[i + 2:]:
            if '=' in x:
                k, v = x.split('=', 1)
                kv.setdefault(k, v)
        name = NAMES.get(l4)
        if name is None:
            port = 'proto-%d' % l4
        elif l4 in PORTS:
            port = '%s/%d' % (name, int(kv['dport']))
        elif l4 in (1, 58):
            port = '%s/type=%d' % (name, int(kv['type']))
        else:
            port = name
        zone = kv.get('zone', kv.get('zone-orig', kv.get('zone-reply', '0')))
        c['by_src'][str(ipaddress.ip_address(t[i][4:]))] += 1
        c['by_dst'][str(ipaddress.ip_address(t[i + 1][4:]))] += 1
        c['by_dport'][port] += 1
        c['by_zone'][str(int(zone))] += 1
        c['by_mark'][str(int(kv.get('mark', '0')))] += 1
    json.dump({d: dict(v) for d, v in c.items()}, sys.stdout)


def check(facts_path, counts_path, complete):
    facts = json.load(open(facts_path))
    truth = json.load(open(counts_path))
    top = facts['table']['top']
    total = facts['table']['total']
    bad = []
    checks = 0
    for d in DIMS:
        dim, cnt = top[d], truth[d]
        groups = dim['groups']
        listed = {g['key'] for g in groups}
        checks += 1
        if len(listed) != len(groups):
            bad.append('%s: a key listed twice' % d)
        want = min(top['limit'], len(cnt))
        if len(groups) != want:
            bad.append('%s: %d groups listed, want %d' % (d, len(groups), want))
        maxerr = max([g['error'] for g in groups] + [0])
        for g in groups:
            t = cnt.get(g['key'], 0)
            checks += 1
            if not g['count'] - g['error'] <= t <= g['count']:
                bad.append('%s %s: count %d error %d, true %d' % (d, g['key'], g['count'], g['error'], t))
            if g['error'] > 2 * total / top['capacity']:
                bad.append('%s %s: error %d above 2N/K' % (d, g['key'], g['error']))
            if dim['exact'] and (g['error'] or g['count'] != t):
                bad.append('%s %s: exact, but count %d error %d, true %d' % (d, g['key'], g['count'], g['error'], t))
        for k, t in cnt.items():
            if k not in listed:
                checks += 1
                if t > dim['unlisted_max']:
                    bad.append('%s %s: not listed with %d > unlisted_max %d' % (d, k, t, dim['unlisted_max']))
        ranked = sorted(cnt.values(), reverse=True)
        order = sorted(cnt.items(), key=lambda kv: -kv[1])
        for i, g in enumerate(groups):
            nxt = ranked[i + 1] if i + 1 < len(ranked) else -1
            prev = ranked[i - 1] if i > 0 else None
            if ranked[i] - nxt > 2 * maxerr and (prev is None or prev - ranked[i] > 2 * maxerr):
                checks += 1
                if g['key'] != order[i][0]:
                    bad.append('%s: rank %d is %s, the true rank %d is %s (%d)' % (d, i, g['key'], i, order[i][0],
                                                                                 order[i][1]))
        if complete:
            checks += 1
            if not dim['exact'] or {g['key']: g['count'] for g in groups} != cnt:
                bad.append('%s: not the exact and complete counts' % d)
    for b in bad[:20]:
        print(b)
    print('%s %d' % ('FAIL' if bad else 'ok', len(bad) if bad else checks))
    return 1 if bad else 0


if __name__ == '__main__':
    if len(sys.argv) == 3 and sys.argv[1] == 'counts':
        counts(sys.argv[2])
    elif len(sys.argv) in (4, 5) and sys.argv[1] == 'check':
        sys.exit(check(sys.argv[2], sys.argv[3], len(sys.argv) == 5 and sys.argv[4] == '--complete'))
    else:
        sys.exit(__doc__)
