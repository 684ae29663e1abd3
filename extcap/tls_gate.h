/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The TLS gate: decides whether the packet at the head of the reorder heap
 * may be written now, so that every TLS secret lands in the file before the
 * first packet that needs it and one pass of a reader decrypts everything.
 *
 * A TCP packet whose payload starts with a ClientHello makes its connection
 * (the 5-tuple, either direction) wait for that hello's client_random. The
 * ClientHello itself is plaintext and passes; the connection's later packets,
 * both directions, are held until its secrets are complete: CLIENT_RANDOM
 * (TLS 1.2), or CLIENT_TRAFFIC_SECRET_0 and SERVER_TRAFFIC_SECRET_0 (TLS 1.3,
 * whose handshake secrets come first), or until max_wait_ns after the
 * ClientHello's timestamp has passed on the caller's clock; then the packets
 * go out undecryptable rather than late, and never get dropped.
 *
 * How the capture loop uses it:
 * - for every new secret line: tls_gate_secret();
 * - for the packet at the head: tls_gate_check(); on GATE_HOLD it writes no
 *   packet (later ones wait too, the file stays in time order) and asks again
 *   after the next secret, or at tls_gate_deadline().
 *
 * @now_ns and deadlines are on the clock of the packets' ts_ns (the wall
 * clock, CLOCK_REALTIME ns). Checking a held packet again is harmless:
 * registration is idempotent and a held packet is counted once.
 *
 * Memory is bounded: at most TLS_GATE_MAX_FLOWS waiting connections (beyond
 * that, new ones pass without waiting, counted in flows_overflow) and the
 * secrets' labels of the last TLS_GATE_RANDOMS client randoms (secrets can
 * arrive before their ClientHello leaves the reorder window; then the
 * connection does not wait at all).
 *
 * Not handled, and passed at once: non-first IP fragments (no ports), TCP
 * over ESP, ClientHellos that do not start a segment's payload or whose
 * random is cut off by the snap length, and QUIC.
 */
#ifndef ECAP_TLS_GATE_H
#define ECAP_TLS_GATE_H

#include <stdbool.h>
#include <stdint.h>

#include "tls_source.h"

#define TLS_GATE_MAX_FLOWS 65536
#define TLS_GATE_RANDOMS   65536

enum gate_verdict {
	GATE_PASS,
	GATE_HOLD,
};

struct tls_gate;

struct tls_gate_stats {
	uint64_t packets_held;	  /* distinct packets held at least once */
	uint64_t flows_waited;	  /* connections that started waiting for secrets */
	uint64_t flows_completed; /* ... and got them */
	uint64_t flows_timed_out; /* ... and gave up: secrets late or missing */
	uint64_t flows_replaced;  /* ... and got a new ClientHello with another random first */
	uint64_t flows_ready;	  /* ClientHellos whose secrets were all there already */
	uint64_t flows_overflow;  /* ClientHellos not waited for: too many waiting */
	uint64_t flows_waiting;	  /* waiting now */
};

/* A TCP connection, the same for both directions. */
struct tls_flow_key {
	uint8_t family; /* 4 or 6 */
	uint8_t pad[3];
	uint16_t port_lo; /* the smaller endpoint (address, then port) first */
	uint16_t port_hi;
	uint8_t addr_lo[16]; /* IPv4 in the first 4 bytes, the rest 0 */
	uint8_t addr_hi[16];
};

/* What the gate reads from one packet. */
struct tls_gate_pkt {
	struct tls_flow_key key;
	bool client_hello;
	uint8_t client_random[TLS_RANDOM_SIZE]; /* when client_hello */
};

/* NULL on allocation failure. @max_wait_ns 0 means never hold. */
struct tls_gate *tls_gate_new(uint64_t max_wait_ns);

/* NULL is fine. */
void tls_gate_free(struct tls_gate *g);

/*
 * @may_wait false: a ClientHello in this packet starts no wait, because its
 * secrets will not come (another user's connection in a capture by a user
 * other than root); packets of connections already waiting are held all the same.
 */
enum gate_verdict tls_gate_check(struct tls_gate *g, const uint8_t *data, uint32_t cap_len,
				 uint16_t linktype, uint64_t ts_ns, uint64_t now_ns, bool may_wait);

/* Records that the secret @label of @client_random is in the file now. */
void tls_gate_secret(struct tls_gate *g, const uint8_t client_random[TLS_RANDOM_SIZE],
		     const char *label);

/*
 * The earliest time at which a waiting connection times out, UINT64_MAX if
 * none waits. tls_gate_check() and tls_gate_expire() drop the connections
 * whose time has come, so after either ran at now_ns this is later than
 * now_ns.
 */
uint64_t tls_gate_deadline(const struct tls_gate *g);

/* Stops the wait of every connection whose deadline is at or before @now_ns. */
void tls_gate_expire(struct tls_gate *g, uint64_t now_ns);

void tls_gate_get_stats(const struct tls_gate *g, struct tls_gate_stats *st);

/*
 * Parses a packet of @linktype (1 Ethernet, with up to two VLAN tags; 101 raw
 * IPv4/IPv6) down to TCP, and a ClientHello at the start of its payload.
 * Returns 0 for a TCP packet that can start or continue a connection, -1
 * otherwise. Never reads past @cap_len. Exposed for the unit tests.
 */
int tls_gate_parse(const uint8_t *data, uint32_t cap_len, uint16_t linktype,
		   struct tls_gate_pkt *pkt);

#endif
