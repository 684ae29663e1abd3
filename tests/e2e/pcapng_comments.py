#!/usr/bin/env python3
"""Writes a small pcapng file whose packets carry the comments given, to try
the ecap Wireshark plugin on without a live capture.

  pcapng_comments.py OUT SPEC...

One Ethernet interface; one UDP packet (198.18.0.1 -> 198.18.0.2, port 9)
per SPEC, frame N for the Nth SPEC. A SPEC is a JSON list of comments, each a
string (written as UTF-8); [] means no comment. With --random N SEED, N more
packets follow, each with one comment made from a random mix of valid
ecap/1 pieces and noise (still valid UTF-8, as pcapng requires).
"""
import json
import random
import struct
import sys

SHB, IDB, EPB = 0x0A0D0D0A, 1, 6
OPT_END, OPT_COMMENT = 0, 1
LINKTYPE_ETHERNET = 1


def pad4(b):
    return b + b"\0" * (-len(b) % 4)


def options(opts):
    out = b""
    for code, value in opts:
        if len(value) > 65535:
            raise SystemExit("an option holds at most 65535 bytes")
        out += struct.pack("<HH", code, len(value)) + pad4(value)
    return out + struct.pack("<HH", OPT_END, 0)


def block(btype, body):
    total = 12 + len(body)
    return struct.pack("<II", btype, total) + body + struct.pack("<I", total)


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def udp_packet(n):
    payload = f"ecap plugin test packet {n}".encode()
    udp = struct.pack("!HHHH", 40000 + n, 9, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), n, 0, 64, 17, 0,
                     bytes([198, 18, 0, 1]), bytes([198, 18, 0, 2]))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    eth = bytes.fromhex("020000000002" "020000000001" "0800")
    return eth + ip + udp


PIECES = ['ecap/1', 'ecap/2', 'ecap/', ' ', '  ', 'pid=', 'tid=', 'uid=', 'comm=', 'exe=',
          'cgroup=', 'container=', 'x=', '4242', '0', '01', '4294967296', '"', '\\', '\\"',
          '\\\\', '\\x', '\\xff', '\\x00', '\\q', 'caf\u00e9', '\u202e', '\t', '=', 'a' * 70]


def random_comment(rng):
    return "".join(rng.choice(PIECES) for _ in range(rng.randrange(1, 16)))


def main(argv):
    out, specs, n_random, seed = argv[1], argv[2:], 0, 0
    if "--random" in specs:
        i = specs.index("--random")
        n_random, seed = int(specs[i + 1]), int(specs[i + 2])
        specs = specs[:i] + specs[i + 3:]
    comments = [json.loads(s) for s in specs]
    rng = random.Random(seed)
    comments += [[random_comment(rng)] for _ in range(n_random)]

    data = block(SHB, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + options([]))
    data += block(IDB, struct.pack("<HHI", LINKTYPE_ETHERNET, 0, 65535) +
                  options([(9, bytes([9]))]))  # if_tsresol: ns
    ts = 1_700_000_000 * 10**9
    for n, cs in enumerate(comments, 1):
        pkt = udp_packet(n)
        t = ts + n * 1000
        body = struct.pack("<IIIII", 0, t >> 32, t & 0xFFFFFFFF, len(pkt), len(pkt))
        body += pad4(pkt) + options([(OPT_COMMENT, c.encode()) for c in cs])
        data += block(EPB, body)
    with open(out, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main(sys.argv)
