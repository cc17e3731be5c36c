#!/usr/bin/env python3
"""make-netlink-seeds.py - write the seed corpora of fuzz-netlink and fuzz-nl:
ctnetlink datagrams as the kernel sends them (a table dump batch, per-CPU
statistics, the global count, the closing NLMSG_DONE and an error), built
here from the uapi layouts so the seeds need no kernel.  fuzz-nl (the
netlink layer alone) gets the same plus datagrams for the layer's own paths:
every attribute type of its policy, deep nests, an unpadded last message,
an ack, NLM_F_DUMP_INTR, a single reply.  Run: fuzz/make-netlink-seeds.py"""
import os, struct

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "corpus", "netlink")
os.makedirs(out, exist_ok=True)
NESTED = 0x8000

def align(b):
    return b + b"\0" * (-len(b) % 4)

def attr(t, payload):
    return align(struct.pack("=HH", 4 + len(payload), t) + payload)

def nest(t, *attrs):
    return attr(t | NESTED, b"".join(attrs))

def msg(mtype, payload, flags=2, seq=0):
    return struct.pack("=IHHII", 16 + len(payload), mtype, flags, seq, 0) + align(payload)

def nfgen(family, res_id=0):
    return struct.pack("=BBH", family, 0, res_id)  # res_id big-endian on the wire
CT_NEW = (1 << 8) | 0
CT_STATS_CPU = (1 << 8) | 4
CT_STATS = (1 << 8) | 5
EXP_STATS_CPU = (2 << 8) | 3
NLMSG_ERROR, NLMSG_DONE = 2, 3

def entry(family, l4, status, timeout=None, tcp_state=None):
    a = nest(1, nest(2, attr(1, bytes([l4]))))          # CTA_TUPLE_ORIG > PROTO > NUM
    a += nest(2, nest(2, attr(1, bytes([l4]))))         # CTA_TUPLE_REPLY
    a += attr(3, struct.pack(">I", status))             # CTA_STATUS
    if timeout is not None:
        a += attr(7, struct.pack(">I", timeout))        # CTA_TIMEOUT
    if tcp_state is not None:
        a += nest(4, nest(1, attr(1, bytes([tcp_state]))))  # PROTOINFO > TCP > STATE
    return msg(CT_NEW, nfgen(family) + a)

def tuple_full(t, family, l4, src, dst, proto_attrs, zone=None):
    ip = attr(1 if family == 2 else 3, src) + attr(2 if family == 2 else 4, dst)  # CTA_IP_V4/V6_SRC, _DST
    a = nest(1, ip) + nest(2, attr(1, bytes([l4])) + proto_attrs)              # CTA_TUPLE_IP, _PROTO
    if zone is not None:
        a += attr(3, struct.pack(">H", zone))                                  # CTA_TUPLE_ZONE
    return nest(t, a)

# entries with everything the top talkers read: addresses, ports or ICMP
# type, CTA_MARK (8), CTA_ZONE (18) or a tuple's zone
def entry_full(family, l4, src, dst, proto_attrs, mark=None, zone=None, tuple_zone=None):
    a = tuple_full(1, family, l4, src, dst, proto_attrs, tuple_zone)
    a += tuple_full(2, family, l4, dst, src, proto_attrs)
    a += attr(3, struct.pack(">I", 6))
    a += attr(7, struct.pack(">I", 300))
    if mark is not None:
        a += attr(8, struct.pack(">I", mark))
    if zone is not None:
        a += attr(18, struct.pack(">H", zone))
    return msg(CT_NEW, nfgen(family) + a)

V4A, V4B = bytes([10, 0, 0, 1]), bytes([203, 0, 113, 9])
V6A, V6B = bytes([0xfd, 0] + [0] * 13 + [1]), bytes([0x20, 1, 0xd, 0xb8] + [0] * 11 + [2])
PORTS = attr(2, struct.pack(">H", 40000)) + attr(3, struct.pack(">H", 443))

ASSURED, SEEN_REPLY, OFFLOAD = 4, 2, 1 << 14
seeds = {
    "dump-batch": entry(2, 6, ASSURED | SEEN_REPLY, 431999, 3) + entry(2, 17, 0, 29) +
                  entry(10, 6, SEEN_REPLY, 120, 7) + entry(2, 1, 0, 30) + entry(2, 6, OFFLOAD | SEEN_REPLY, None, 3) +
                  msg(NLMSG_DONE, struct.pack("=i", 0)),
    "dump-one-tcp": entry(2, 6, ASSURED | SEEN_REPLY, 432000, 3),
    "dump-malformed": msg(CT_NEW, nfgen(2) + attr(3, struct.pack(">I", 0))) + msg(CT_NEW, b"\x02"),
    "stats-cpu": b"".join(msg(CT_STATS_CPU, struct.pack("=BBH", 0, 0, cpu << 8) +
                              b"".join(attr(t, struct.pack(">I", t * 10 + cpu)) for t in range(1, 16)))
                          for cpu in range(2)),
    "stats-exp": msg(EXP_STATS_CPU, struct.pack("=BBH", 0, 0, 0) +
                     b"".join(attr(t, struct.pack(">I", t)) for t in range(1, 4))),
    "stats-global": msg(CT_STATS, nfgen(0) + attr(1, struct.pack(">I", 12)) + attr(2, struct.pack(">I", 262144))),
    "dump-top": entry_full(2, 6, V4A, V4B, PORTS, mark=16, zone=7) +
                entry_full(10, 58, V6A, V6B, attr(7, struct.pack(">H", 9)) + attr(8, b"\x80") + attr(9, b"\0"),
                           mark=0xffffffff, tuple_zone=3) +
                entry_full(2, 47, V4B, V4A, PORTS) + entry_full(2, 17, V4A, V4A, attr(2, struct.pack(">H", 5))) +
                msg(NLMSG_DONE, struct.pack("=i", 0)),
    "done-error": msg(NLMSG_DONE, struct.pack("=i", -4)),
    "error-ack": msg(NLMSG_ERROR, struct.pack("=i", -1) + msg(CT_STATS, nfgen(0))),
}
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
print(f"{len(seeds)} seeds in {out}")

# fuzz-nl: the layer alone.  Its policy (fuzz-nl.c) reads types 1, 2, 4 as
# nests, 3, 7, 12 as u32, 5, 10 as u8, 6, 11 as u16, 8, 13 as u64 and 9, 14
# as strings, after a 4-byte extra header.
NLMSG_NOOP, NLM_F_MULTI, NLM_F_DUMP_INTR = 1, 2, 0x10
def deep(n):
    a = attr(3, struct.pack(">I", 7))
    for _ in range(n):
        a = nest(1, a)
    return a
typed = (attr(3, struct.pack(">I", 1)) + attr(5, b"\x01") + attr(6, struct.pack("=H", 2)) +
         attr(8, struct.pack("=Q", 3)) + attr(9, b"tcp\0") + attr(14, b"no-nul") + attr(13, b"\0" * 4))
nl_out = os.path.join(here, "corpus", "nl")
os.makedirs(nl_out, exist_ok=True)
nl_seeds = dict(seeds)
nl_seeds.update({
    "typed": msg(16, nfgen(2) + typed, flags=NLM_F_MULTI, seq=1) + msg(NLMSG_DONE, struct.pack("=i", 0)),
    "deep-nest": msg(16, nfgen(2) + deep(10), flags=NLM_F_MULTI),
    "unpadded-last": msg(16, nfgen(2) + struct.pack("=HH", 5, 5) + b"\x07", flags=NLM_F_MULTI)[:-3],
    "truncated-last": msg(16, nfgen(2) + typed, flags=NLM_F_MULTI)[:-6],
    "ack": msg(NLMSG_ERROR, struct.pack("=i", 0) + msg(16, nfgen(0))),
    "dump-intr": msg(16, nfgen(2) + typed, flags=NLM_F_MULTI | NLM_F_DUMP_INTR),
    "single-reply": msg(16, nfgen(0) + attr(7, struct.pack(">I", 5)), flags=0),
    "noop-then-data": msg(NLMSG_NOOP, b"") + msg(16, nfgen(10) + nest(2, attr(12, b"\0\0\0\1")), flags=NLM_F_MULTI),
    "trailing-bytes": msg(16, nfgen(2) + typed, flags=NLM_F_MULTI) + b"\x10\0\0",
})
for name, data in nl_seeds.items():
    with open(os.path.join(nl_out, name), "wb") as f:
        f.write(data)
print(f"{len(nl_seeds)} seeds in {nl_out}")
