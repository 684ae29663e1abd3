/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What one captured packet says about a TLS handshake: the TCP connection it
 * belongs to, and a ClientHello or ServerHello at the start of its payload.
 *
 * The gate (tls_gate.h) makes a connection wait on its ClientHello's random;
 * the secret check (tls_check.h) needs the ServerHello's version and cipher
 * suite, and the first encrypted record after it. Both see a packet only
 * through tls_hello_read(), which is kept apart so that its bounds can be
 * tested at every cut of a capture.
 *
 * Not read, so the packet passes as if it were no TLS: non-first IP
 * fragments (no ports), TCP over ESP, hellos that do not start a segment's
 * payload or whose random is cut off by the snap length, and QUIC.
 */
#ifndef ECAP_TLS_HELLO_H
#define ECAP_TLS_HELLO_H

#include <stdbool.h>
#include <stdint.h>

#include "pkt_tuple.h"
#include "tls13_keys.h"
#include "tls_source.h"

/* A TCP connection, the same for both directions. */
struct tls_flow_key {
	uint8_t family; /* 4 or 6 */
	uint8_t pad[3];
	uint16_t port_lo; /* the smaller endpoint (address, then port) first */
	uint16_t port_hi;
	uint8_t addr_lo[16]; /* IPv4 in the first 4 bytes, the rest 0 */
	uint8_t addr_hi[16];
};

enum tls_server_hello {
	SH_NONE,  /* the payload does not start with a ServerHello */
	SH_TLS12, /* TLS 1.2 or older: nothing to check */
	SH_TLS13,
	SH_RETRY, /* a HelloRetryRequest: the real ServerHello is still to come */
	SH_CUT,	  /* a ServerHello that does not end in this segment */
};

/* What the gate and the check read from one packet. */
struct tls_hello_pkt {
	struct tls_flow_key key;
	bool from_lo; /* sent by the key's _lo end */
	bool has_payload;
	bool client_hello;
	uint8_t client_random[TLS_RANDOM_SIZE]; /* when client_hello */
	enum tls_server_hello server_hello;
	uint16_t cipher_suite; /* SH_TLS13 */
	bool has_record;       /* SH_TLS13, and the first encrypted record starts in the segment */
	uint8_t record[TLS13_PEEK_LEN]; /* when has_record */
};

/*
 * Reads a ClientHello or a ServerHello (with the encrypted record after it) at
 * the start of the payload of a packet whose headers pkt_tuple_parse() read
 * into @t (NULL: it could not). Returns 0 for a TCP packet that can start or
 * continue a connection, -1 otherwise. Never reads past the captured payload.
 */
int tls_hello_read(const uint8_t *data, const struct pkt_tuple *t, struct tls_hello_pkt *pkt);

/*
 * The same from the raw bytes: parses a packet of @linktype (1 Ethernet,
 * with up to two VLAN tags; 101 raw IPv4/IPv6) down to TCP, then reads it as
 * tls_hello_read() does, with the same result. Never reads past @cap_len.
 */
int tls_hello_parse(const uint8_t *data, uint32_t cap_len, uint16_t linktype,
		    struct tls_hello_pkt *pkt);

#endif
