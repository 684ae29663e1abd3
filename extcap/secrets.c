// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * NSS key log lines from struct tls_secret, deduplicated with bounded memory.
 *
 * A secret is named by its connection's client random, its label and its
 * first 16 bytes: the output of a key schedule, which never repeats by chance
 * and which no peer can make repeat another connection's without knowing that
 * connection's secret. 56 bytes per remembered secret instead of the ~150 of
 * the line, and no digest per secret (SHA-256 of the line was a third of the
 * capture's CPU under new TLS connections). The keys live in a fifo_map,
 * which answers "seen?".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "fifo_map.h"
#include "hex.h"
#include "secrets.h"
#include "tls_hash.h"

#define KEY_SECRET_BYTES 16

struct secret_key {
	uint8_t client_random[TLS_RANDOM_SIZE];
	uint8_t secret[KEY_SECRET_BYTES]; /* zero-padded if shorter */
	uint32_t label_hash;
	uint32_t secret_len;
};

struct secrets {
	int keylog_fd;	      /* -1 for none */
	struct fifo_map seen; /* the last SECRETS_REMEMBERED struct secret_key */
	struct secrets_stats stats;
};

/*
 * A handshake's secrets arrive together: the connection picks the index line
 * (eight entries of eight bytes) and the label the entry in it, so that they
 * cost one cache miss, not one each. The random is a peer's choice, hence
 * the seeded hash.
 */
static guint key_hash(gconstpointer p)
{
	const struct secret_key *k = p;

	return (tls_random_hash(k->client_random) & ~7u) | (k->label_hash & 7u);
}

static gboolean key_equal(gconstpointer a, gconstpointer b)
{
	return !memcmp(a, b, sizeof(struct secret_key));
}

/* FNV-1a: labels are short, and a key differs in its random bytes anyway. */
static uint32_t label_hash(const char *label)
{
	uint32_t h = 2166136261u;

	for (; *label; label++)
		h = (h ^ (uint8_t)*label) * 16777619u;
	return h;
}

static void make_key(const struct tls_secret *sec, struct secret_key *k)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->client_random, sec->client_random, TLS_RANDOM_SIZE);
	memcpy(k->secret, sec->secret,
	       sec->secret_len < KEY_SECRET_BYTES ? sec->secret_len : KEY_SECRET_BYTES);
	k->label_hash = label_hash(sec->label);
	k->secret_len = sec->secret_len;
}

int secrets_open(struct secrets **out, const char *keylog_path)
{
	struct secrets *s;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->keylog_fd = -1;
	if (fifo_map_init(&s->seen, SECRETS_REMEMBERED, sizeof(struct secret_key),
			  sizeof(struct secret_key), key_hash, key_equal, NULL)) {
		free(s);
		return -ENOMEM;
	}

	if (keylog_path) {
		s->keylog_fd = open(keylog_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (s->keylog_fd < 0) {
			int err = -errno;

			secrets_close(s);
			return err;
		}
	}
	*out = s;
	return 0;
}

void secrets_close(struct secrets *s)
{
	if (!s)
		return;
	if (s->keylog_fd >= 0)
		close(s->keylog_fd);
	fifo_map_destroy(&s->seen);
	free(s);
}

/* Word by word: it runs over every secret and random that comes in. */
static bool all_zero(const uint8_t *p, size_t len)
{
	uint64_t acc = 0, w;
	size_t i = 0;

	for (; i + sizeof(w) <= len; i += sizeof(w)) {
		memcpy(&w, p + i, sizeof(w));
		acc |= w;
	}
	for (; i < len; i++)
		acc |= p[i];
	return !acc;
}

/* NSS key log labels are upper-case words: anything else is a bad read. */
static bool label_valid(const char *label)
{
	size_t len = strnlen(label, TLS_MAX_LABEL_SIZE);

	if (len == 0 || len == TLS_MAX_LABEL_SIZE)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = label[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

/*
 * The labels of the NSS key log format, as Wireshark reads them. OpenSSL 3
 * also logs each TLS 1.3 key update through the function the uprobe per
 * secret is on, as CLIENT_TRAFFIC_SECRET_N or SERVER_TRAFFIC_SECRET_N (a
 * literal N): no reader takes those lines, Wireshark derives the updated
 * keys itself from the _0 secrets.
 */
static bool label_read_by_wireshark(const char *label)
{
	static const char *const labels[] = {
		"CLIENT_RANDOM",
		"CLIENT_EARLY_TRAFFIC_SECRET",
		"EARLY_EXPORTER_SECRET",
		"CLIENT_HANDSHAKE_TRAFFIC_SECRET",
		"SERVER_HANDSHAKE_TRAFFIC_SECRET",
		"CLIENT_TRAFFIC_SECRET_0",
		"SERVER_TRAFFIC_SECRET_0",
		"EXPORTER_SECRET",
	};

	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		if (!strcmp(label, labels[i]))
			return true;
	}
	return false;
}

static bool secret_valid(const struct tls_secret *sec)
{
	if (!label_valid(sec->label))
		return false;
	if (sec->secret_len == 0 || sec->secret_len > TLS_MAX_SECRET_SIZE)
		return false;
	/*
	 * An all-zero value is what a uprobe reads from a buffer not yet filled
	 * in; written out, it would make Wireshark fail on that session silently.
	 */
	return !all_zero(sec->secret, sec->secret_len) &&
	       !all_zero(sec->client_random, TLS_RANDOM_SIZE);
}

/* Returns the line's length (without the NUL), or -ENOSPC. */
static int format_line(const struct tls_secret *sec, char *line, size_t size)
{
	size_t label_len = strlen(sec->label);
	size_t len = label_len + 1 + 2 * TLS_RANDOM_SIZE + 1 + 2 * sec->secret_len + 1;
	char *p = line;

	if (size < len + 1)
		return -ENOSPC;
	memcpy(p, sec->label, label_len);
	p += label_len;
	*p++ = ' ';
	p = hex_put(p, sec->client_random, TLS_RANDOM_SIZE);
	*p++ = ' ';
	p = hex_put(p, sec->secret, sec->secret_len);
	*p++ = '\n';
	*p = '\0';
	return (int)len;
}

/*
 * One write(2) per line: with O_APPEND a regular file takes it whole, so a
 * reader tailing the file never sees half a line.
 */
static void keylog_write(struct secrets *s, const char *line, size_t len)
{
	ssize_t n;

	if (s->keylog_fd < 0)
		return;
	do {
		n = write(s->keylog_fd, line, len);
	} while (n < 0 && errno == EINTR);
	if (n == (ssize_t)len)
		return;
	s->stats.keylog_errors++;
	if (!s->stats.keylog_errno)
		s->stats.keylog_errno = n < 0 ? errno : ENOSPC;
}

int secrets_add(struct secrets *s, const struct tls_secret *sec, char *line, size_t size)
{
	struct secret_key key;
	int len;

	if (size)
		line[0] = '\0';
	if (!secret_valid(sec)) {
		s->stats.invalid++;
		return -EINVAL;
	}
	if (!label_read_by_wireshark(sec->label))
		return 0;
	len = format_line(sec, line, size);
	if (len < 0)
		return len;

	make_key(sec, &key);
	if (fifo_map_lookup(&s->seen, &key)) {
		s->stats.repeated++;
		return 0;
	}
	fifo_map_add(&s->seen, &key);
	s->stats.added++;
	keylog_write(s, line, len);
	return 1;
}

void secrets_get_stats(const struct secrets *s, struct secrets_stats *st)
{
	*st = s->stats;
}
