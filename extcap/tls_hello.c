// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The TLS hello parser (see tls_hello.h): pure functions, each bounded by the
 * length it is given, because their input is whatever the network sent.
 * pkt_tuple.c reads the link, IP and TCP headers; this file reads the TLS
 * records at the start of the TCP payload.
 */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "pkt_tuple.h"
#include "tls_hello.h"

#define TLS_CT_CCS	    0x14
#define TLS_CT_HANDSHAKE    0x16
#define TLS_CT_APP_DATA	    0x17
#define TLS_HS_CLIENT_HELLO 1
#define TLS_HS_SERVER_HELLO 2
#define TLS_EXT_VERSIONS    0x002b
#define TLS_VERSION_13	    0x0304
#define SESSION_ID_MAX	    32
#define TLS_RECORD_HLEN	    5
#define TLS_HS_HLEN	    4
#define TLS_RANDOM_OFF	    (TLS_RECORD_HLEN + TLS_HS_HLEN + 2)
#define TLS_MAX_PLAINTEXT   16384
/* legacy_version, random, session id length: what every ClientHello has. */
#define TLS_CLIENT_HELLO_MIN (2 + TLS_RANDOM_SIZE + 1)

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_be24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

/*
 * Whether @p (@len bytes of TCP payload) starts with a TLS handshake record
 * whose first message is a ClientHello; if so, copies its random.
 */
static bool parse_client_hello(const uint8_t *p, uint32_t len, uint8_t random[TLS_RANDOM_SIZE])
{
	uint32_t rec_len;

	if (len < TLS_RANDOM_OFF + TLS_RANDOM_SIZE)
		return false;
	if (p[0] != TLS_CT_HANDSHAKE || p[1] != 3 || p[2] > 4)
		return false;
	rec_len = get_be16(p + 3);
	if (rec_len < TLS_HS_HLEN + 2 + TLS_RANDOM_SIZE || rec_len > TLS_MAX_PLAINTEXT)
		return false;
	if (p[5] != TLS_HS_CLIENT_HELLO || get_be24(p + 6) < TLS_CLIENT_HELLO_MIN)
		return false;
	/* legacy_version: 0x0300 (SSL 3) to 0x0303 (also what TLS 1.3 sends) */
	if (p[9] != 3 || p[10] > 4)
		return false;
	memcpy(random, p + TLS_RANDOM_OFF, TLS_RANDOM_SIZE);
	return true;
}

/* HelloRetryRequest's ServerHello.random: SHA-256("HelloRetryRequest"), RFC 8446 4.1.3. */
static const uint8_t hello_retry_random[TLS_RANDOM_SIZE] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* The supported_versions extension's version in @p..@end (the extensions block), or 0. */
static uint16_t selected_version(const uint8_t *p, const uint8_t *end)
{
	while (end - p >= 4) {
		uint16_t type = get_be16(p), len = get_be16(p + 2);

		p += 4;
		if (len > end - p)
			return 0;
		if (type == TLS_EXT_VERSIONS)
			return len == 2 ? get_be16(p) : 0;
		p += len;
	}
	return 0;
}

/*
 * The ServerHello body @p..@end (complete): legacy_version, random,
 * legacy_session_id, cipher_suite, legacy_compression_method, extensions.
 */
static enum tls_server_hello parse_server_hello_body(const uint8_t *p, const uint8_t *end,
						     struct tls_hello_pkt *pkt)
{
	const uint8_t *random = p + 2;
	uint32_t sid_len, ext_len;

	if (end - p < 2 + TLS_RANDOM_SIZE + 1)
		return SH_NONE;
	sid_len = p[2 + TLS_RANDOM_SIZE];
	p += 2 + TLS_RANDOM_SIZE + 1;
	if (sid_len > SESSION_ID_MAX || end - p < sid_len + 3)
		return SH_NONE;
	p += sid_len;
	pkt->cipher_suite = get_be16(p);
	p += 3;
	if (end - p < 2)
		return SH_TLS12; /* no extensions: no supported_versions */
	ext_len = get_be16(p);
	p += 2;
	if (ext_len > end - p)
		return SH_NONE;
	if (selected_version(p, p + ext_len) != TLS_VERSION_13)
		return SH_TLS12;
	return memcmp(random, hello_retry_random, TLS_RANDOM_SIZE) ? SH_TLS13 : SH_RETRY;
}

/*
 * After the ServerHello record at @off: at most one ChangeCipherSpec (the
 * middlebox compatibility mode), then the first encrypted record, whose
 * header and first block are copied when all in @len.
 */
static void find_first_record(const uint8_t *p, uint32_t len, uint32_t off,
			      struct tls_hello_pkt *pkt)
{
	if (len - off >= TLS_RECORD_HLEN && p[off] == TLS_CT_CCS)
		off += TLS_RECORD_HLEN + get_be16(p + off + 3);
	if (off > len || len - off < TLS13_PEEK_LEN || p[off] != TLS_CT_APP_DATA)
		return;
	memcpy(pkt->record, p + off, TLS13_PEEK_LEN);
	pkt->has_record = true;
}

/* Whether @p (@len bytes of TCP payload) starts with a ServerHello, and which. */
static enum tls_server_hello parse_server_hello(const uint8_t *p, uint32_t len,
						struct tls_hello_pkt *pkt)
{
	uint32_t rec_len, hs_len;
	enum tls_server_hello sh;

	if (len < TLS_RECORD_HLEN + TLS_HS_HLEN)
		return SH_NONE;
	if (p[0] != TLS_CT_HANDSHAKE || p[1] != 3 || p[2] > 4 || p[5] != TLS_HS_SERVER_HELLO)
		return SH_NONE;
	rec_len = get_be16(p + 3);
	hs_len = get_be24(p + 6);
	if (rec_len > TLS_MAX_PLAINTEXT || TLS_HS_HLEN + hs_len > rec_len)
		return SH_NONE;
	if (TLS_RECORD_HLEN + rec_len > len)
		return SH_CUT;
	sh = parse_server_hello_body(p + TLS_RECORD_HLEN + TLS_HS_HLEN,
				     p + TLS_RECORD_HLEN + TLS_HS_HLEN + hs_len, pkt);
	if (sh == SH_TLS13)
		find_first_record(p, len, TLS_RECORD_HLEN + rec_len, pkt);
	return sh;
}

/* The same key for both directions: the smaller (address, port) goes first. */
static bool make_key(const struct pkt_tuple *t, struct tls_flow_key *key)
{
	int cmp = memcmp(t->saddr, t->daddr, sizeof(t->saddr));

	if (!cmp)
		cmp = (int)t->sport - (int)t->dport;
	memset(key, 0, sizeof(*key));
	key->family = t->family == AF_INET6 ? 6 : 4;
	if (cmp <= 0) {
		memcpy(key->addr_lo, t->saddr, 16);
		memcpy(key->addr_hi, t->daddr, 16);
		key->port_lo = t->sport;
		key->port_hi = t->dport;
	} else {
		memcpy(key->addr_lo, t->daddr, 16);
		memcpy(key->addr_hi, t->saddr, 16);
		key->port_lo = t->dport;
		key->port_hi = t->sport;
	}
	return cmp <= 0;
}

/* Only TCP carries the TLS we gate. */
int tls_hello_read(const uint8_t *data, const struct pkt_tuple *t, struct tls_hello_pkt *pkt)
{
	/* Not the random and the record: they are read only where a hello says so. */
	pkt->from_lo = pkt->has_payload = pkt->client_hello = pkt->has_record = false;
	pkt->server_hello = SH_NONE;
	pkt->cipher_suite = 0;
	if (!t || t->protocol != IPPROTO_TCP)
		return -1;
	pkt->from_lo = make_key(t, &pkt->key);
	pkt->has_payload = t->payload_len > 0;
	pkt->client_hello =
	    parse_client_hello(data + t->payload_off, t->payload_len, pkt->client_random);
	if (!pkt->client_hello)
		pkt->server_hello = parse_server_hello(data + t->payload_off, t->payload_len, pkt);
	return 0;
}

int tls_hello_parse(const uint8_t *data, uint32_t cap_len, uint16_t linktype,
		    struct tls_hello_pkt *pkt)
{
	struct pkt_tuple t;

	return tls_hello_read(data, pkt_tuple_parse(data, cap_len, linktype, &t) ? NULL : &t, pkt);
}
