#!/usr/bin/env python3
"""Bounded test traffic for the end-to-end tests.

  traffic.py tcp-server ADDR PORT READY_FILE    echo one TCP connection, then exit
  traffic.py tcp-prefork-server ADDR PORT READY_FILE WORKER_PID_FILE
                                                listen, then fork a worker that
                                                echoes one connection (as nginx's)
  traffic.py tcp-client ADDR PORT SIZE...       send each SIZE bytes, wait for the echo
  traffic.py udp-server ADDR PORT READY_FILE N  echo N datagrams, then exit
  traffic.py udp-client ADDR PORT SIZE...       send each datagram, wait for the echo
  traffic.py udp-connected-client ADDR PORT SIZE...
                                                the same from a connected socket
  traffic.py udp-send ADDR PORT TEXT            one datagram, no answer expected
  traffic.py udp-burst ADDR PORT SIZE N [GAP]   N datagrams of SIZE bytes, back to back
                                                or GAP seconds apart, each starting
                                                with its number (32 bits, from 0)
  traffic.py tls-hello ADDR PORT                a TLS ClientHello no library made, to
                                                an echo server: no secrets ever come
  traffic.py tls-echo-server ADDR PORT READY_FILE
                                                tcp-server, for tls-hello
  traffic.py tun-reflect TUN READY_FILE         attach to tun device TUN and send
                                                every IPv4 packet back, addresses
                                                and ports swapped, until it is idle
                                                for IDLE seconds (a peer without L2)

Every call gives up after TIMEOUT seconds, so no test can hang on it.
"""
import fcntl
import os
import select
import socket
import struct
import sys
import time

TIMEOUT = 20
IDLE = 2


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def payload(size):
    return bytes((i * 7 + size) & 0xFF for i in range(size))


def recv_exactly(sock, size):
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise RuntimeError(f"connection closed after {len(data)} of {size} bytes")
        data += chunk
    return data


def listener(addr, port):
    srv = socket.socket(family(addr), socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.settimeout(TIMEOUT)
    srv.bind((addr, int(port)))
    srv.listen(1)
    return srv


def echo_one(srv):
    conn, _ = srv.accept()
    with conn:
        conn.settimeout(TIMEOUT)
        while True:
            data = conn.recv(65536)
            if not data:
                return
            conn.sendall(data)


def tcp_server(addr, port, ready):
    with listener(addr, port) as srv:
        open(ready, "w").close()
        echo_one(srv)


def tcp_prefork_server(addr, port, ready, worker_pid_file):
    with listener(addr, port) as srv:
        worker = os.fork()
        if worker == 0:
            try:
                echo_one(srv)
                time.sleep(1)  # a worker outlives its connection
            finally:
                os._exit(0)
        with open(worker_pid_file, "w") as f:
            f.write(f"{worker}\n")
        open(ready, "w").close()
        _, status = os.waitpid(worker, 0)
        if status:
            sys.exit(f"the worker failed: status {status}")


def tcp_client(addr, port, *sizes):
    with socket.create_connection((addr, int(port)), timeout=TIMEOUT) as sock:
        for size in map(int, sizes):
            sock.sendall(payload(size))
            if recv_exactly(sock, size) != payload(size):
                raise RuntimeError(f"echo of {size} bytes differs")


def udp_server(addr, port, ready, count):
    with socket.socket(family(addr), socket.SOCK_DGRAM) as sock:
        sock.settimeout(TIMEOUT)
        sock.bind((addr, int(port)))
        open(ready, "w").close()
        for _ in range(int(count)):
            data, peer = sock.recvfrom(65536)
            sock.sendto(data, peer)


def udp_client(addr, port, *sizes):
    with socket.socket(family(addr), socket.SOCK_DGRAM) as sock:
        sock.settimeout(TIMEOUT)
        for size in map(int, sizes):
            sock.sendto(payload(size), (addr, int(port)))
            data, _ = sock.recvfrom(65536)
            if data != payload(size):
                raise RuntimeError(f"echo of {size}-byte datagram differs")


def udp_connected_client(addr, port, *sizes):
    with socket.socket(family(addr), socket.SOCK_DGRAM) as sock:
        sock.settimeout(TIMEOUT)
        sock.connect((addr, int(port)))
        for size in map(int, sizes):
            sock.send(payload(size))
            if sock.recv(65536) != payload(size):
                raise RuntimeError(f"echo of {size}-byte datagram differs")


def udp_send(addr, port, text):
    with socket.socket(family(addr), socket.SOCK_DGRAM) as sock:
        sock.sendto(text.encode(), (addr, int(port)))


TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def swap_addresses(pkt):
    """The IPv4 packet back to its sender. Swapping keeps every checksum valid."""
    ihl = (pkt[0] & 0x0F) * 4
    first_fragment = struct.unpack("!H", pkt[6:8])[0] & 0x1FFF == 0
    out = bytearray(pkt)
    out[12:16], out[16:20] = pkt[16:20], pkt[12:16]
    if first_fragment and pkt[9] in (socket.IPPROTO_UDP, socket.IPPROTO_TCP):
        out[ihl : ihl + 2], out[ihl + 2 : ihl + 4] = pkt[ihl + 2 : ihl + 4], pkt[ihl : ihl + 2]
    return bytes(out)


def tun_reflect(name, ready):
    with open("/dev/net/tun", "r+b", buffering=0) as tun:
        fcntl.ioctl(tun, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
        open(ready, "w").close()
        # The first packet may take a while; after it, a pause means the test is done.
        wait = TIMEOUT
        while select.select([tun], [], [], wait)[0]:
            pkt = tun.read(65536)
            if pkt and pkt[0] >> 4 == 4:
                tun.write(swap_addresses(pkt))
            wait = IDLE


def udp_burst(addr, port, size, count, gap="0"):
    data = payload(int(size))
    with socket.socket(family(addr), socket.SOCK_DGRAM) as sock:
        for n in range(int(count)):
            sock.sendto(struct.pack("!I", n) + data[4:], (addr, int(port)))
            if float(gap):
                time.sleep(float(gap))


def client_hello():
    """A TLS 1.2 record holding a ClientHello: one suite, no extensions."""
    body = b"\x03\x03" + bytes(range(1, 33)) + b"\x00" + b"\x00\x02\x13\x01" + b"\x01\x00"
    body += b"\x00\x00"
    handshake = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x01" + len(handshake).to_bytes(2, "big") + handshake


def map_libssl():
    """Maps libssl, as a TLS client or server does: ecap-tls holds a
    handshake for its whole --tls-wait only where a process that takes part
    could hand over its secrets."""
    import ssl  # noqa: F401


def tls_echo_server(addr, port, ready):
    map_libssl()
    tcp_server(addr, port, ready)


def tls_hello(addr, port):
    map_libssl()
    hello = client_hello()
    with socket.create_connection((addr, int(port)), timeout=TIMEOUT) as sock:
        sock.sendall(hello)
        recv_exactly(sock, len(hello))


COMMANDS = {
    "tcp-server": tcp_server,
    "tcp-prefork-server": tcp_prefork_server,
    "tcp-client": tcp_client,
    "udp-server": udp_server,
    "udp-client": udp_client,
    "udp-connected-client": udp_connected_client,
    "udp-send": udp_send,
    "udp-burst": udp_burst,
    "tls-hello": tls_hello,
    "tls-echo-server": tls_echo_server,
    "tun-reflect": tun_reflect,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](*sys.argv[2:])
