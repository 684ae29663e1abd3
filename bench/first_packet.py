#!/usr/bin/env python3
"""Times a capture's start: runs COMMAND (which writes FILE), polls FILE every
0.2 ms and prints, in milliseconds from just before the fork and exec of
COMMAND,

  HEADER_MS FIRST_PACKET_MS

HEADER_MS: the file holds its header (pcap: the 24-byte file header; pcapng:
a Section Header Block and an Interface Description Block); FIRST_PACKET_MS:
the file holds a whole first packet record (pcap record, or pcapng Enhanced
Packet Block), i.e. a reader of the file can see a packet. Then COMMAND gets
SIGTERM and is waited for. "- -" and exit 1 if no packet came within the
time-out.

  first_packet.py FILE TIMEOUT_S COMMAND...
"""
import os
import signal
import struct
import subprocess
import sys
import time

PCAPNG_SHB = 0x0A0D0D0A
PCAPNG_IDB = 1
PCAPNG_EPB = 6


def state(data):
    """(header complete, first packet complete) for the bytes written so far."""
    if len(data) < 4:
        return False, False
    if struct.unpack_from("<I", data)[0] != PCAPNG_SHB:
        # pcap: 24-byte header, then 16-byte record headers with the captured length.
        if len(data) < 24:
            return False, False
        if len(data) < 40:
            return True, False
        caplen = struct.unpack_from("<I", data, 32)[0]
        return True, len(data) >= 40 + caplen
    off, header = 0, False
    while off + 12 <= len(data):
        btype, blen = struct.unpack_from("<II", data, off)
        if blen < 12 or off + blen > len(data):
            break
        if btype == PCAPNG_IDB:
            header = True
        if btype == PCAPNG_EPB:
            return header, True
        off += blen
    return header, False


def main():
    path, timeout = sys.argv[1], float(sys.argv[2])
    command = sys.argv[3:]
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    t0 = time.monotonic()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    header_ms = first_ms = None
    fd = None
    while time.monotonic() - t0 < timeout and proc.poll() is None:
        if fd is None:
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                time.sleep(0.0002)
                continue
        # The start of the file is enough: reread it from offset 0 each time.
        data = os.pread(fd, 1 << 20, 0)
        now = (time.monotonic() - t0) * 1000
        header, packet = state(data)
        if header and header_ms is None:
            header_ms = now
        if packet:
            first_ms = now
            if header_ms is None:
                header_ms = now
            break
        time.sleep(0.0002)
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if fd is not None:
        os.close(fd)
    if first_ms is None:
        print("- -")
        sys.exit(1)
    print(f"{header_ms:.1f} {first_ms:.1f}")


if __name__ == "__main__":
    main()
