#!/usr/bin/env python3
"""Prints the Interface Statistics Blocks of a pcapng file, one line each:

  IFACE_ID if_recv=N if_drop=N filter_accept=N os_drop=N usr_deliv=N [comment=TEXT]

(options that are absent are left out; the comment, holding spaces, comes last). No Wireshark tool shows these counts.
"""
import struct
import sys

ISB = 5
COMMENT = 1
OPTIONS = {4: "if_recv", 5: "if_drop", 6: "filter_accept", 7: "os_drop", 8: "usr_deliv"}


def blocks(data):
    off = 0
    while off + 12 <= len(data):
        btype, blen = struct.unpack_from("<II", data, off)
        if blen < 12 or off + blen > len(data):
            raise SystemExit(f"truncated or bad block at offset {off}")
        yield btype, data[off + 8 : off + blen - 4]
        off += blen


def options(body):
    off = 0
    while off + 4 <= len(body):
        code, length = struct.unpack_from("<HH", body, off)
        if code == 0:
            return
        yield code, body[off + 4 : off + 4 + length]
        off += 4 + (length + 3) // 4 * 4


def main(path):
    data = open(path, "rb").read()
    for btype, body in blocks(data):
        if btype != ISB:
            continue
        iface = struct.unpack_from("<I", body)[0]
        fields = [
            f"{OPTIONS[code]}={struct.unpack('<Q', value)[0]}"
            for code, value in options(body[12:])
            if code in OPTIONS
        ]
        fields += [
            "comment=" + value.decode("utf-8", "replace")
            for code, value in options(body[12:])
            if code == COMMENT
        ]
        print(iface, " ".join(fields))


if __name__ == "__main__":
    main(sys.argv[1])
