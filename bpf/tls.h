/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The ABI between tls.bpf.c and loader/tls_source.c. */
#ifndef ECAP_TLS_H
#define ECAP_TLS_H

#define TLS_RANDOM_SIZE	    32
#define TLS_MAX_SECRET_SIZE 64 /* EVP_MAX_MD_SIZE */
#define TLS_MAX_LABEL_SIZE  48
/* Distinct libssl files one capture hooks. */
#define MAX_TLS_LIBS	    256

/*
 * Which of OpenSSL's two key-log functions carries the uprobe, and so where
 * its arguments are, where secrets are taken one by one. Both see every
 * secret; loader/tls_probe.c prefers the second where it is a function of
 * its own. It prefers to either one uprobe per handshake, in
 * tls_finish_handshake(), which reads them all from the SSL object.
 */
enum tls_hook {
	/* ssl_log_secret(ssl, label, secret, secret_len) */
	TLS_HOOK_LOG_SECRET = 1,
	/* nss_keylog_int(label, ssl, client_random, random_len, secret, secret_len) */
	TLS_HOOK_KEYLOG_LINE = 2,
};

#define TLS_RANDOM_INLINE 0xffffffffu

/*
 * Per hooked libssl file, indexed by the uprobe's BPF cookie. The client
 * random, which only ssl_log_secret's uprobe looks for, is at
 * client_random_offset of the SSL object, or of what the pointer at
 * client_random_via in it points to (1.1.1's s3).
 */
struct tls_lib_cfg {
	__u32 hook; /* enum tls_hook */
	__u32 client_random_via;
	__u32 client_random_offset;
	/* ecap_handshake_done() only: where in the SSL object... */
	__u32 version_offset; /* ...the negotiated version is, */
	__u32 block_offset;   /* ...TLS 1.3's stored secrets are (one block), */
	__u32 block_len;
	__u32 session_via;	 /* ...and the pointer to the session, whose TLS 1.2 */
	__u32 master_key_offset; /* master key is at this offset */
};

/* Bytes of the SSL object that hold TLS 1.3's stored secrets, at most. */
#define TLS_MAX_BLOCK_SIZE 1024
#define TLS_MASTER_KEY_SIZE 48
#define TLS1_2_VERSION	    0x0303
#define TLS1_3_VERSION	    0x0304

enum tls_event_type {
	TLS_EVENT_SECRET = 1, /* a secret, as a key-log line has it */
	TLS_EVENT_LOADED = 2, /* a process (re)mapped libraries: look for new libssl files */
	TLS_EVENT_EXEC = 3,   /* a process exec'd under another root: is its loader new? */
	TLS_EVENT_TLS13_BLOCK = 4, /* struct tls_block_event: a TLS 1.3 handshake's stored secrets */
};

struct tls_event {
	__u64 ts_mono;
	__u32 type; /* enum tls_event_type */
	__u32 pid;
	__u32 tid;
	__u32 secret_len;
	__u32 lib; /* the hooked library's index (the uprobe's cookie), for TLS_EVENT_SECRET */
	__u32 pad;
	char label[TLS_MAX_LABEL_SIZE];
	__u8 client_random[TLS_RANDOM_SIZE];
	__u8 secret[TLS_MAX_SECRET_SIZE];
};

/*
 * A TLS 1.3 handshake's secrets as the library stores them, from which user
 * space derives the five it logs. The head is struct tls_event's.
 */
struct tls_block_event {
	__u64 ts_mono;
	__u32 type; /* TLS_EVENT_TLS13_BLOCK */
	__u32 pid;
	__u32 tid;
	__u32 block_len;
	__u32 lib;
	__u32 pad;
	__u8 client_random[TLS_RANDOM_SIZE];
	__u8 block[TLS_MAX_BLOCK_SIZE];
};

/*
 * A secret reported once: client and server on one machine both make it.
 * Its connection and its first bytes name it (the label adds nothing: two
 * secrets of one connection never share their first 64 bits). Compared as
 * five 64-bit words.
 */
#define TLS_SEEN_SECRET_BYTES 8
struct tls_seen_key {
	__u8 client_random[TLS_RANDOM_SIZE];
	__u8 secret[TLS_SEEN_SECRET_BYTES];
} __attribute__((aligned(8)));

#endif
