// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * TLS secrets, taken where OpenSSL has them: a uprobe in the internal
 * function that ends each handshake, which reads them from the SSL object,
 * or, where the probe could not establish that, on the entry of the key-log
 * function, nss_keylog_int() or ssl_log_secret(), which runs once per secret
 * (five per TLS 1.3 handshake). Both are found per library file by
 * loader/tls_probe.c (bpf/tls.h). Nothing runs per record.
 *
 * A second uprobe, on the dynamic loader's _dl_debug_state(), which runs
 * whenever a process has mapped or unmapped libraries, tells user space to
 * look for libssl files it has not hooked yet. That needs the loader hooked
 * first: an exec under another root than ours (a container's, with a loader
 * of its own) is reported too.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "tls.h"
#include "owners.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#ifndef PT_REGS_PARM6 /* libbpf before 1.2 */
#if defined(__TARGET_ARCH_x86)
#define PT_REGS_PARM6(x) ((x)->r9)
#elif defined(__TARGET_ARCH_arm64)
#define PT_REGS_PARM6(x) (((const struct user_pt_regs *)(x))->regs[5])
#endif
#endif

/*
 * A handshake's event is ~1.1 KiB: a quarter of the ring, when the reader is
 * woken, is 230 handshakes, more than a busy capture makes between the reads
 * that its packets bring about.
 */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1024 * 1024);
} tls_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_TLS_LIBS);
	__type(key, __u32); /* the uprobe's cookie */
	__type(value, struct tls_lib_cfg);
} tls_libs SEC(".maps");

/*
 * Recent secrets, so that the second report of one (the other end of a local
 * connection, microseconds later) costs no event: a direct-mapped table, one
 * array slot per hash, shared by the CPUs. An LRU hash's bucket lock, node
 * allocation and list rotation took half of this program's time. A secret
 * whose slot was taken in between, or two CPUs racing for one slot, lets a
 * repeat through to user space, which dedupes every secret anyway; a slot
 * torn by that race mixes words of two keys of one connection or of none, so
 * it never matches a secret not reported before.
 */
#define TLS_SEEN_SLOTS 4096

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TLS_SEEN_SLOTS);
	__type(key, __u32);
	__type(value, struct tls_seen_key);
} tls_seen SEC(".maps");

/*
 * Secrets the ring had no room for, or whose memory could not be read here (a
 * uprobe cannot fault pages in): gone for good, so counted for the summary.
 */
__u64 secrets_lost = 0;

/* Whether @key was reported lately; if not, it is from now on. */
static __always_inline bool seen_before(const struct tls_seen_key *key)
{
	const __u64 *k = (const __u64 *)key;
	/* Random bytes both: the client random's and the secret's first eight. */
	__u32 slot = (__u32)(k[0] ^ k[4]) & (TLS_SEEN_SLOTS - 1);
	__u64 *seen = bpf_map_lookup_elem(&tls_seen, &slot);

	if (!seen)
		return false;
	if (seen[0] == k[0] && seen[1] == k[1] && seen[2] == k[2] && seen[3] == k[3] &&
	    seen[4] == k[4])
		return true;
	for (int i = 0; i < 5; i++)
		seen[i] = k[i];
	return false;
}

static __always_inline void fill_task(struct tls_event *ev, __u32 type)
{
	__u64 id = bpf_get_current_pid_tgid();

	ev->ts_mono = bpf_ktime_get_ns();
	ev->type = type;
	ev->pid = id >> 32;
	ev->tid = (__u32)id;
}

/*
 * An event about the current task that user space must act on at once: the
 * reader is woken now, even behind quiet secrets it has not read yet.
 */
static __always_inline void report_now(__u32 type)
{
	struct tls_event *ev = bpf_ringbuf_reserve(&tls_events, sizeof(*ev), 0);

	if (!ev)
		return;
	fill_task(ev, type);
	ev->secret_len = 0;
	ev->lib = 0;
	bpf_ringbuf_submit(ev, BPF_RB_FORCE_WAKEUP);
}

/*
 * A user other than root may capture (file capabilities) but takes only the
 * secrets of their own processes: set at load to their uid, (__u32)-1 for root.
 */
const volatile __u32 only_uid = (__u32)-1;

/*
 * Whether the current process is only_uid's, by ptrace's rule: real, effective
 * and saved uid alike, so that a set-user-ID program's secrets stay its own.
 */
static __always_inline bool current_visible(void)
{
	struct task_struct *task;

	if (only_uid == (__u32)-1)
		return true;
	task = (struct task_struct *)bpf_get_current_task();
	return BPF_CORE_READ(task, real_cred, uid.val) == only_uid &&
	       BPF_CORE_READ(task, real_cred, euid.val) == only_uid &&
	       BPF_CORE_READ(task, real_cred, suid.val) == only_uid;
}

/* The owner filter applies to secrets too: they belong to the process that made them. */
static __always_inline bool current_allowed(void)
{
	struct sock_owner me = {};

	if (!owner_filter_set())
		return true;
	me.pid = bpf_get_current_pid_tgid() >> 32;
	me.uid = (__u32)bpf_get_current_uid_gid();
	me.cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(me.comm, sizeof(me.comm));
	return owner_allowed(&me);
}

/*
 * The label is a string constant in the library, on a page the process may
 * not have touched yet (a fresh private copy): reading it must be able to
 * fault it in, so the program may sleep (bpf_copy_from_user). That read
 * checks its destination, the ring's vmalloc'ed pages, under a global lock
 * (hardened usercopy), so the non-faulting read goes first: it rarely fails.
 */
static __always_inline long read_user(void *dst, __u32 len, const void *src)
{
	if (!bpf_probe_read_user(dst, len, src))
		return 0;
	return bpf_copy_from_user(dst, len, src);
}

/* The label's whole buffer; what follows the string's end is cleared. */
static __always_inline int copy_label(char *dst, const char *label)
{
	bool ended = false;

	if (read_user(dst, TLS_MAX_LABEL_SIZE, label))
		return -1;
	for (int i = 0; i < TLS_MAX_LABEL_SIZE; i++) {
		if (ended)
			dst[i] = 0;
		else
			ended = !dst[i];
	}
	return dst[0] ? 0 : -1;
}

/* Where the hooked function's arguments are; false for a line that is no secret's. */
static __always_inline bool secret_args(struct pt_regs *ctx, const struct tls_lib_cfg *cfg,
					const char **label, const __u8 **random,
					const __u8 **secret, __u64 *len)
{
	__u64 arg1 = PT_REGS_PARM1(ctx), arg2 = PT_REGS_PARM2(ctx), arg3 = PT_REGS_PARM3(ctx);
	__u64 arg4 = PT_REGS_PARM4(ctx), arg5 = PT_REGS_PARM5(ctx), arg6 = PT_REGS_PARM6(ctx);

	/* Loaded here, not in the branches: the verifier refuses a load through a
	 * context pointer the compiler picked by condition. */
	barrier_var(arg4);
	barrier_var(arg6);
	if (cfg->hook == TLS_HOOK_KEYLOG_LINE) {
		*label = (const char *)arg1;
		*random = (const __u8 *)arg3;
		*secret = (const __u8 *)arg5;
		*len = arg6;
		/* Its "RSA" lines carry 8 bytes here: the CLIENT_RANDOM line has that secret. */
		return arg4 == TLS_RANDOM_SIZE;
	}
	*label = (const char *)arg2;
	/* A pointer that cannot be read leaves NULL, and the secret counts as lost. */
	if (cfg->client_random_via != TLS_RANDOM_INLINE &&
	    read_user(&arg1, sizeof(arg1), (const void *)(arg1 + cfg->client_random_via)))
		arg1 = 0;
	*random = arg1 ? (const __u8 *)arg1 + cfg->client_random_offset : NULL;
	*secret = (const __u8 *)arg3;
	*len = arg4;
	return true;
}

static __always_inline int lose_secret(void)
{
	__sync_fetch_and_add(&secrets_lost, 1);
	return 0;
}

/*
 * The secret and its connection are read first, onto the stack: the second
 * report of a secret (the other end of a local connection) then costs one
 * lookup, no ring reservation.
 */
SEC("uprobe.s")
int ecap_log_secret(struct pt_regs *ctx)
{
	__u32 lib = bpf_get_attach_cookie(ctx);
	__u8 secret_copy[TLS_MAX_SECRET_SIZE] = {}; /* no stack bytes into the ring */
	const __u8 *random, *secret;
	struct tls_seen_key key;
	struct tls_lib_cfg *cfg;
	struct tls_event *ev;
	const char *label;
	__u64 len;

	cfg = bpf_map_lookup_elem(&tls_libs, &lib);
	if (!cfg || !secret_args(ctx, cfg, &label, &random, &secret, &len) ||
	    len < TLS_SEEN_SECRET_BYTES || len > TLS_MAX_SECRET_SIZE || !current_visible() ||
	    !current_allowed())
		return 0;
	if (read_user(secret_copy, len, secret) ||
	    read_user(key.client_random, TLS_RANDOM_SIZE, random))
		return lose_secret();
	__builtin_memcpy(key.secret, secret_copy, TLS_SEEN_SECRET_BYTES);
	if (seen_before(&key))
		return 0;

	ev = bpf_ringbuf_reserve(&tls_events, sizeof(*ev), 0);
	if (!ev)
		return lose_secret();
	if (copy_label(ev->label, label)) {
		bpf_ringbuf_discard(ev, 0);
		return lose_secret();
	}
	fill_task(ev, TLS_EVENT_SECRET);
	ev->secret_len = len;
	ev->lib = lib;
	ev->pad = 0;
	__builtin_memcpy(ev->client_random, key.client_random, TLS_RANDOM_SIZE);
	__builtin_memcpy(ev->secret, secret_copy, TLS_MAX_SECRET_SIZE);
	/* Packets wait for secrets anyway: no wakeup per secret, the reader polls. */
	bpf_ringbuf_submit(ev, quiet_unless_filling(&tls_events, sizeof(*ev)));
	return 0;
}

/* The struct a place of the SSL object is in: the object, or what the pointer at @via points to. */
static __always_inline __u64 place_base(__u64 ssl, __u32 via)
{
	__u64 base = ssl;

	if (via != TLS_RANDOM_INLINE && read_user(&base, sizeof(base), (const void *)(ssl + via)))
		return 0;
	return base;
}

/* A TLS 1.2 (or older) handshake: its one secret, the session's master key. */
static __always_inline int report_master_key(const struct tls_lib_cfg *cfg, __u32 lib, __u64 ssl,
					     struct tls_seen_key *key)
{
	__u64 session = place_base(ssl, cfg->session_via);
	__u8 master[TLS_MASTER_KEY_SIZE];
	struct tls_event *ev;

	if (!session || read_user(master, sizeof(master),
				  (const void *)(session + cfg->master_key_offset)))
		return lose_secret();
	__builtin_memcpy(key->secret, master, TLS_SEEN_SECRET_BYTES);
	if (seen_before(key))
		return 0;
	ev = bpf_ringbuf_reserve(&tls_events, sizeof(*ev), 0);
	if (!ev)
		return lose_secret();
	fill_task(ev, TLS_EVENT_SECRET);
	ev->secret_len = sizeof(master);
	ev->lib = lib;
	ev->pad = 0;
	__builtin_memset(ev->label, 0, sizeof(ev->label));
	__builtin_memcpy(ev->label, "CLIENT_RANDOM", sizeof("CLIENT_RANDOM"));
	__builtin_memcpy(ev->client_random, key->client_random, TLS_RANDOM_SIZE);
	__builtin_memset(ev->secret, 0, sizeof(ev->secret));
	__builtin_memcpy(ev->secret, master, sizeof(master));
	bpf_ringbuf_submit(ev, quiet_unless_filling(&tls_events, sizeof(*ev)));
	return 0;
}

/*
 * A TLS 1.3 handshake: the block of the SSL object that holds what its
 * secrets derive from, as it is; user space derives them.
 */
static __always_inline int report_tls13_block(const struct tls_lib_cfg *cfg, __u32 lib,
					      __u64 ssl, struct tls_seen_key *key)
{
	const void *block = (const void *)(ssl + cfg->block_offset);
	__u32 len = cfg->block_len;
	struct tls_block_event *ev;

	if (len < TLS_SEEN_SECRET_BYTES || len > TLS_MAX_BLOCK_SIZE)
		return 0;
	/* Its first slot is a secret or a transcript hash: this connection's alone. */
	if (read_user(key->secret, TLS_SEEN_SECRET_BYTES, block))
		return lose_secret();
	if (seen_before(key))
		return 0;
	ev = bpf_ringbuf_reserve(&tls_events, sizeof(*ev), 0);
	if (!ev)
		return lose_secret();
	if (read_user(ev->block, len, block)) {
		bpf_ringbuf_discard(ev, 0);
		return lose_secret();
	}
	fill_task((struct tls_event *)ev, TLS_EVENT_TLS13_BLOCK);
	ev->block_len = len;
	ev->lib = lib;
	ev->pad = 0;
	__builtin_memcpy(ev->client_random, key->client_random, TLS_RANDOM_SIZE);
	bpf_ringbuf_submit(ev, quiet_unless_filling(&tls_events, sizeof(*ev)));
	return 0;
}

/*
 * In tls_finish_handshake(), on a call it makes once per handshake with the
 * SSL object as its first argument (loader/tls_probe.h): every secret of the
 * handshake is in the object by then. One trap per handshake and side, where
 * the key-log function takes five for TLS 1.3; on a virtual machine each
 * costs microseconds.
 */
SEC("uprobe.s")
int ecap_handshake_done(struct pt_regs *ctx)
{
	__u32 lib = bpf_get_attach_cookie(ctx);
	__u64 ssl = PT_REGS_PARM1(ctx), base;
	struct tls_seen_key key;
	struct tls_lib_cfg *cfg;
	__u32 version;

	cfg = bpf_map_lookup_elem(&tls_libs, &lib);
	if (!cfg || !current_visible() || !current_allowed())
		return 0;
	base = place_base(ssl, cfg->client_random_via);
	if (read_user(&version, sizeof(version), (const void *)(ssl + cfg->version_offset)) ||
	    !base ||
	    read_user(key.client_random, TLS_RANDOM_SIZE,
		      (const void *)(base + cfg->client_random_offset)))
		return lose_secret();
	if (version == TLS1_3_VERSION)
		return report_tls13_block(cfg, lib, ssl, &key);
	/* SSL 3.0 to TLS 1.2 all make a master key; DTLS numbers its versions otherwise. */
	if (version >= 0x0300 && version <= TLS1_2_VERSION)
		return report_master_key(cfg, lib, ssl, &key);
	return 0;
}

SEC("uprobe")
int ecap_dl_debug_state(struct pt_regs *ctx)
{
	/* Another user's libraries are none of ours: we could not read their maps anyway. */
	if (!current_visible())
		return 0;
	/* A new library must be hooked before its first handshake. */
	report_now(TLS_EVENT_LOADED);
	return 0;
}

/* Our root directory, set at load: its inode and device, as the kernel numbers them. */
const volatile __u64 our_root_ino = 0;
const volatile __u32 our_root_dev = 0;

SEC("tp_btf/sched_process_exec")
int BPF_PROG(ecap_tls_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct dentry *root = BPF_CORE_READ(p, fs, root.dentry);

	if ((BPF_CORE_READ(root, d_inode, i_ino) == our_root_ino &&
	     BPF_CORE_READ(root, d_sb, s_dev) == our_root_dev) ||
	    !current_visible())
		return 0;
	/* Its loader maps libssl within a millisecond. */
	report_now(TLS_EVENT_EXEC);
	return 0;
}
