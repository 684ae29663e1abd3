#!/usr/bin/env python3
"""The TLS key log lines in a pcapng file's Decryption Secrets Blocks.

  pcapng_secrets.py [list] FILE   one line per secret: the number of packets
                                  (EPBs) before its DSB, a tab, the key log line
  pcapng_secrets.py lines FILE    the key log lines alone (compare with a
                                  --keylog-file)
  pcapng_secrets.py check FILE    every TLS session in FILE against the DSBs

No Wireshark tool lists DSB contents. `check` reads FILE once with tshark,
without a key log and without -2, exactly as a user would, and fails (exit 1,
one line per problem) unless:
  - every DSB holds TLS key log lines (0x544c534b), none empty, none repeated,
    each well formed (label, 32-byte client random, secret);
  - every session that began with a ClientHello in FILE has all its secrets:
    CLIENT_RANDOM for TLS 1.2, the five TLS 1.3 secrets for TLS 1.3;
  - every secret is in a DSB before the first packet that needs it:
      CLIENT_RANDOM                    the first ChangeCipherSpec, either side
      SERVER_HANDSHAKE_TRAFFIC_SECRET  the server's first encrypted record
      CLIENT_HANDSHAKE_TRAFFIC_SECRET  the client's first encrypted record
      SERVER_TRAFFIC_SECRET_0          the server's first record after its
                                       Finished, or after the client's
      CLIENT_TRAFFIC_SECRET_0          the client's first record after its
                                       Finished
    (a frame number is the number of EPBs up to and including that packet).
Its last line is a summary:
  handshakes=N with_secrets=N tls12=N tls13=N dsbs=N lines=N other_randoms=N
where other_randoms counts client randoms of sessions not in FILE (other TLS
processes on the machine).
"""
import re
import struct
import subprocess
import sys
from collections import defaultdict

SHB, EPB, SPB, PB, DSB = 0x0A0D0D0A, 6, 3, 2, 0x0000000A
TLS_KEY_LOG = 0x544C534B

TLS13_LABELS = (
    "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
    "SERVER_HANDSHAKE_TRAFFIC_SECRET",
    "CLIENT_TRAFFIC_SECRET_0",
    "SERVER_TRAFFIC_SECRET_0",
    "EXPORTER_SECRET",
)
LINE = re.compile(r"^([A-Z_0-9]+) ([0-9a-f]{64}) ([0-9a-f]{64,128})$")

# TLS content and handshake types.
CCS, ALERT, HANDSHAKE, APPDATA = 20, 21, 22, 23
CLIENT_HELLO, SERVER_HELLO, NEW_SESSION_TICKET, FINISHED = 1, 2, 4, 20


def blocks(data):
    off = 0
    while off + 12 <= len(data):
        btype, blen = struct.unpack_from("<II", data, off)
        if blen < 12 or blen % 4 or off + blen > len(data):
            raise SystemExit(f"truncated or bad block at offset {off}")
        yield btype, data[off + 8 : off + blen - 4]
        off += blen
    if off != len(data):
        raise SystemExit(f"{len(data) - off} trailing bytes after the last block")


def secrets(path):
    """Yields (packets before, DSB index, line) for every line of every DSB.
    Raises SystemExit on a DSB that is not a well-formed TLS key log."""
    data = open(path, "rb").read()
    if data[:4] != struct.pack("<I", SHB) or data[8:12] != b"\x4d\x3c\x2b\x1a":
        raise SystemExit("not a little-endian pcapng file")
    packets = dsbs = 0
    for btype, body in blocks(data):
        if btype in (EPB, SPB, PB):
            packets += 1
        elif btype == DSB:
            dsbs += 1
            stype, slen = struct.unpack_from("<II", body)
            if stype != TLS_KEY_LOG:
                raise SystemExit(f"DSB {dsbs}: secrets type {stype:#x}, not TLS key log")
            if 8 + slen > len(body):
                raise SystemExit(f"DSB {dsbs}: secrets length {slen} beyond the block")
            text = body[8 : 8 + slen].decode("ascii", "replace")
            lines = text.split("\n")
            if lines and lines[-1] == "":
                lines.pop()
            if not lines:
                raise SystemExit(f"DSB {dsbs}: no secrets")
            for line in lines:
                yield packets, dsbs, line.rstrip("\r")


def list_secrets(path):
    for packets, _, line in secrets(path):
        print(f"{packets}\t{line}")


def print_lines(path):
    for _, _, line in secrets(path):
        print(line)


def ints(field):
    return [int(v, 0) for v in field.split(",") if v]


def tls_frames(path):
    """One pass of tshark over FILE, nothing but the file: per TLS frame,
    (frame, stream, source port, content types, opaque types, handshake types,
    randoms, supported_version, destination)."""
    fields = [
        "frame.number",
        "tcp.stream",
        "tcp.srcport",
        "tls.record.content_type",
        "tls.record.opaque_type",
        "tls.handshake.type",
        "tls.handshake.random",
        "tls.handshake.extensions.supported_version",
        "ip.dst",
        "ipv6.dst",
        "tcp.dstport",
    ]
    cmd = ["tshark", "-r", path, "-Y", "tls", "-T", "fields", "-E", "separator=\t",
           "-E", "occurrence=a", "-E", "aggregator=,"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    for row in out.splitlines():
        col = row.split("\t") + [""] * len(fields)
        dst = f"{col[8]}:{col[10]}" if col[8] else f"[{col[9]}]:{col[10]}"
        yield (int(col[0]), int(col[1]), int(col[2]), ints(col[3]), ints(col[4]),
               ints(col[5]), [r for r in col[6].split(",") if r], ints(col[7]), dst)


class Session:
    def __init__(self):
        self.client_port = None
        self.server = None
        self.random = None
        self.version = 0x0303
        self.need = {}  # label -> first frame that needs it
        self.server_finished = False
        self.client_finished = False

    def needs(self, label, frame):
        self.need.setdefault(label, frame)


def sessions(path):
    by_stream = defaultdict(Session)
    for frame, stream, sport, ctypes, otypes, htypes, randoms, versions, dst in tls_frames(path):
        s = by_stream[stream]
        if CLIENT_HELLO in htypes and s.random is None:
            s.client_port = sport
            s.random = randoms[0]
            s.server = dst
        if s.client_port is None:
            continue  # began before the capture
        client = sport == s.client_port
        if SERVER_HELLO in htypes and 0x0304 in versions and not client:
            s.version = 0x0304
        if s.version == 0x0303:
            if CCS in ctypes:
                s.needs("CLIENT_RANDOM", frame)
            continue
        # TLS 1.3: encrypted records have the opaque type application data;
        # tshark adds the inner content types of those it could decrypt.
        if APPDATA not in otypes:
            continue
        decrypted_appdata = APPDATA in ctypes
        if client:
            # The first encrypted flight ends with the client's Finished; all
            # that follows uses the application secret.
            if s.client_finished:
                s.needs("CLIENT_TRAFFIC_SECRET_0", frame)
            else:
                s.needs("CLIENT_HANDSHAKE_TRAFFIC_SECRET", frame)
                if decrypted_appdata:
                    s.needs("CLIENT_TRAFFIC_SECRET_0", frame)
                s.client_finished = True
        else:
            # After the server's Finished, or once the client's Finished is
            # out, the server writes with its application secret.
            if s.server_finished or s.client_finished:
                s.needs("SERVER_TRAFFIC_SECRET_0", frame)
            else:
                s.needs("SERVER_HANDSHAKE_TRAFFIC_SECRET", frame)
                if FINISHED in htypes:
                    s.server_finished = True
                    if NEW_SESSION_TICKET in htypes or decrypted_appdata:
                        s.needs("SERVER_TRAFFIC_SECRET_0", frame)
    return {k: v for k, v in by_stream.items() if v.random is not None}


def check(path):
    problems = []
    first = {}  # (label, random) -> packets before its DSB
    seen = set()
    dsbs = nlines = 0
    for packets, dsb, line in secrets(path):
        dsbs = dsb
        nlines += 1
        m = LINE.match(line)
        if not m:
            problems.append(f"DSB {dsb}: malformed key log line {line!r}")
            continue
        if line in seen:
            problems.append(f"DSB {dsb}: repeated secret {line[:60]}...")
        seen.add(line)
        key = (m.group(1), m.group(2))
        if key in first:
            problems.append(f"DSB {dsb}: second, different {key[0]} for {key[1][:16]}...")
        first.setdefault(key, packets)
    randoms = {r for _, r in first}

    found = sessions(path)
    tls12 = tls13 = complete = 0
    for stream, s in sorted(found.items()):
        labels = ("CLIENT_RANDOM",) if s.version == 0x0303 else TLS13_LABELS
        if s.version == 0x0303:
            tls12 += 1
        else:
            tls13 += 1
        missing = [lab for lab in labels if (lab, s.random) not in first]
        if missing:
            problems.append(f"TLS 1.{s.version - 0x0301} session to {s.server} from port "
                            f"{s.client_port} (random {s.random[:16]}...): no {', '.join(missing)}")
            continue
        complete += 1
        for lab, frame in s.need.items():
            before = first[(lab, s.random)]
            if before >= frame:
                problems.append(f"session to {s.server} from port {s.client_port}: {lab} "
                                f"after {before} packets, frame {frame} needs it")
    for p in problems:
        print(p)
    own = {s.random for s in found.values()}
    print(f"handshakes={len(found)} with_secrets={complete} tls12={tls12} tls13={tls13} "
          f"dsbs={dsbs} lines={nlines} other_randoms={len(randoms - own)}")
    return 1 if problems else 0


def main(argv):
    if len(argv) == 2:
        argv = [argv[0], "list", argv[1]]
    if len(argv) != 3 or argv[1] not in ("list", "lines", "check"):
        raise SystemExit(__doc__)
    cmd, path = argv[1], argv[2]
    if cmd == "list":
        list_secrets(path)
    elif cmd == "lines":
        print_lines(path)
    else:
        return check(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
