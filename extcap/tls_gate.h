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
 *
 * The gate also checks that each TLS 1.3 connection's secrets are really
 * its own (tls13_keys.h): from the server's segment that starts with the
 * ServerHello it keeps the cipher suite and the header and first 16 bytes of
 * the first encrypted record after it, and holds them against the
 * connection's SERVER_HANDSHAKE_TRAFFIC_SECRET, whichever comes first. A
 * secret that does not decrypt its connection's EncryptedExtensions goes to
 * the misfit callback, whose library must not be trusted further. A record
 * that does not start in the ServerHello's segment leaves the handshake
 * unverified. This runs for every ClientHello that may wait, held or not.
 */
#ifndef ECAP_TLS_GATE_H
#define ECAP_TLS_GATE_H

#include <stdbool.h>
#include <stdint.h>

#include "tls13_keys.h"
#include "tls_source.h"

#define TLS_GATE_MAX_FLOWS 65536
#define TLS_GATE_RANDOMS   65536
/* ClientHellos whose ServerHello is still to come, for the secret check; the oldest go first. */
#define TLS_GATE_CHECKS	   16384

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
	/* TLS 1.3 handshakes whose server handshake secret was held against their traffic */
	uint64_t handshakes_verified; /* ... and decrypted it */
	uint64_t handshakes_failed;   /* ... and did not: the library was misread */
	/* ... or could not be: ServerHello cut short, no encrypted record in its segment */
	uint64_t handshakes_unverified;
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

enum tls_server_hello {
	SH_NONE,  /* the payload does not start with a ServerHello */
	SH_TLS12, /* TLS 1.2 or older: nothing to check */
	SH_TLS13,
	SH_RETRY, /* a HelloRetryRequest: the real ServerHello is still to come */
	SH_CUT,	  /* a ServerHello that does not end in this segment */
};

/* What the gate reads from one packet. */
struct tls_gate_pkt {
	struct tls_flow_key key;
	bool from_lo; /* sent by the key's _lo end */
	bool has_payload;
	bool client_hello;
	uint8_t client_random[TLS_RANDOM_SIZE]; /* when client_hello */
	enum tls_server_hello server_hello;
	uint16_t cipher_suite; /* SH_TLS13 */
	bool has_record;       /* SH_TLS13, and the first encrypted record starts in the segment */
	uint8_t record[TLS13_PEEK_LEN];
};

/* Called with the library index (struct tls_secret's lib) of a secret that did not fit. */
typedef void (*tls_gate_misfit_fn)(void *ctx, uint32_t lib);

/* NULL on allocation failure. @max_wait_ns 0 means never hold. */
struct tls_gate *tls_gate_new(uint64_t max_wait_ns);

/* NULL is fine. */
void tls_gate_free(struct tls_gate *g);

/* Whom to tell about a secret that did not decrypt its connection; none by default. */
void tls_gate_on_misfit(struct tls_gate *g, tls_gate_misfit_fn fn, void *ctx);

/*
 * @may_wait false: a ClientHello in this packet starts no wait, because its
 * secrets will not come (another user's connection in a capture by a user
 * other than root); packets of connections already waiting are held all the same.
 */
enum gate_verdict tls_gate_check(struct tls_gate *g, const uint8_t *data, uint32_t cap_len,
				 uint16_t linktype, uint64_t ts_ns, uint64_t now_ns, bool may_wait);

/*
 * Records that @secret is in the file now; a SERVER_HANDSHAKE_TRAFFIC_SECRET
 * is also checked against its connection's traffic, now or when it comes.
 */
void tls_gate_secret(struct tls_gate *g, const struct tls_secret *secret);

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
 * IPv4/IPv6) down to TCP, and a ClientHello or a ServerHello (with the
 * encrypted record after it) at the start of its payload.
 * Returns 0 for a TCP packet that can start or continue a connection, -1
 * otherwise. Never reads past @cap_len. Exposed for the unit tests.
 */
int tls_gate_parse(const uint8_t *data, uint32_t cap_len, uint16_t linktype,
		   struct tls_gate_pkt *pkt);

#endif
