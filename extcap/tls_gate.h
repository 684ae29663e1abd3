/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The TLS gate: decides whether the packet at the head of the time-ordered
 * packet queue may be written now, so that every TLS secret lands in the file
 * before the first packet that needs it and one pass of a reader decrypts
 * everything.
 *
 * A TCP packet whose payload starts with a ClientHello makes its connection
 * (the 5-tuple, either direction) wait for that hello's client_random. The
 * ClientHello itself is plaintext and passes; the connection's later packets,
 * both directions, are held until its secrets are complete: CLIENT_RANDOM
 * (TLS 1.2), or CLIENT_TRAFFIC_SECRET_0 and SERVER_TRAFFIC_SECRET_0 (TLS 1.3,
 * whose handshake secrets come first), or until max_wait_ns after the
 * ClientHello's timestamp has passed on the caller's clock; then the packets
 * go out undecryptable rather than late, and never get dropped. A
 * ClientHello whose process is known to have no library we hook waits
 * TLS_GATE_PEER_WAIT_NS at most for its first secret: only the other end can
 * hand over its secrets, and only if it is a process on this machine (in
 * another network namespace), which does so within milliseconds. Secrets that
 * never come (no end hooked) then hold the output that long, not max_wait_ns.
 * Once one has come, the rest follow: the wait is max_wait_ns again, since
 * the other end's second flight may be a busy machine's wake-up away.
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
 * arrive before their ClientHello leaves the packets' ordering; then the
 * connection does not wait at all).
 *
 * What the gate reads of a packet, and what it passes unread, is in
 * tls_hello.h. It also hands every packet and secret to the check that each
 * TLS 1.3 connection's secrets are really its own (tls_check.h), whose counts
 * it reports with its own.
 */
#ifndef ECAP_TLS_GATE_H
#define ECAP_TLS_GATE_H

#include <stdbool.h>
#include <stdint.h>

#include "tls_check.h"
#include "tls_source.h"

#define TLS_GATE_MAX_FLOWS 65536
#define TLS_GATE_RANDOMS   65536
#define TLS_GATE_PEER_WAIT_NS (250 * 1000000ULL)

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
	uint64_t handshakes_skipped; /* over tls_check.h's TLS_CHECKS_PER_SECOND */
};

/* NULL on allocation failure. @max_wait_ns 0 means never hold. */
struct tls_gate *tls_gate_new(uint64_t max_wait_ns);

/* NULL is fine. */
void tls_gate_free(struct tls_gate *g);

/* Whom to tell about a secret that did not decrypt its connection; none by default. */
void tls_gate_on_misfit(struct tls_gate *g, tls_check_misfit_fn fn, void *ctx);

/* Whether process @pid can hand over the secrets of its own handshakes. */
typedef bool (*tls_gate_may_report_fn)(void *ctx, uint32_t pid);

/* Whom to ask about a ClientHello's process; without, every one may. */
void tls_gate_on_hello(struct tls_gate *g, tls_gate_may_report_fn fn, void *ctx);

/*
 * The packet @data (@cap_len bytes) whose headers pkt_tuple_parse() read into
 * @t (NULL: it could not), of process @pid (0: not known).
 * @may_wait false: a ClientHello in this packet starts no wait, because its
 * secrets will not come (another user's connection in a capture by a user
 * other than root); packets of connections already waiting are held all the same.
 */
enum gate_verdict tls_gate_check(struct tls_gate *g, const uint8_t *data, uint32_t cap_len,
				 const struct pkt_tuple *t, uint64_t ts_ns, uint64_t now_ns,
				 bool may_wait, uint32_t pid);

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

#endif
