/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The ABI between packets.bpf.c and loader/packets.c: what the TC classifier
 * reports for each packet and how user space configures it.
 */
#ifndef ECAP_PACKETS_H
#define ECAP_PACKETS_H

/* tcpdump's largest snapshot length. */
#define MAX_SNAPLEN	 262144
/* Interfaces one capture can attach to. */
#define MAX_IFACES	 256
/* Longest capture filter, in classic BPF instructions, evaluated in the kernel. */
#define MAX_FILTER_INSNS 512
/* Classic BPF scratch memory words (BPF_MEMWORDS). */
#define FILTER_MEMWORDS	 16

/* Same bits as the pcapng epb_flags direction field. */
enum pkt_dir {
	PKT_DIR_INBOUND = 1,
	PKT_DIR_OUTBOUND = 2,
};

/* One ring record: this header, then cap_len bytes of packet data, padded to 8. */
struct pkt_event {
	__u64 ts_mono;	  /* bpf_ktime_get_ns(), CLOCK_MONOTONIC */
	__u64 sock_cookie; /* owning socket where the kernel knows it, else 0 */
	__u32 ifindex;
	__u32 len;	  /* length on the wire (skb->len) */
	__u32 cap_len;	  /* bytes of packet data that follow */
	__u16 vlan_tci;	  /* hardware-accelerated VLAN tag, when vlan_proto != 0 */
	__u16 vlan_proto; /* network byte order */
	__u8 dir;	  /* enum pkt_dir */
	__u8 pad[7];
};

static inline __u64 ring_record_size(__u64 cap_len)
{
	return (sizeof(struct pkt_event) + cap_len + 7) & ~7ULL;
}

/*
 * A packet ring, in a CPU's entry of the mmapable rings map: this head, then
 * ring_size bytes of records, then room for a whole record past the end, so
 * that no record wraps. Positions count bytes from the start and only grow;
 * a record is at (position & (ring_size - 1)). The writer's counter and the
 * reader's have a cache line each: the writer reads the reader's once per
 * packet, and the reader writes it once per read.
 */
struct ring_head {
	__u64 produced; /* written by the TC program, once a record is complete */
	__u64 pad0[7];
	__u64 consumed; /* written by user space: it is done with what is before */
	__u64 wake_at;	/* written by user space: wake it when produced passes this */
	__u64 pad1[6];
};

/*
 * A CPU whose ring is bigger than this has a second, small one, which takes
 * its packets while it has room; the big one takes them while the reader
 * lags. The small ring's lines are still cached when the TC program writes
 * them again and when the reader reads them: under keep-alive HTTPS the
 * program took ~307 ns a packet where the 4 MiB ring alone took ~360
 * (bpf_stats, its own ~120 included; lower in 9 of 10 alternating rounds),
 * and ecap-tls 2.5% less CPU. A lone ring of 1 MiB took ~312 ns where one
 * of 512 KiB took ~290 and one of 4 MiB ~335.
 */
#define SMALL_RING_SIZE (512 << 10)
/* Bigger packets go to the big ring: the small one has room past its end for this much. */
#define SMALL_RING_SNAPLEN 65536

/* struct sock_filter, the format pcap_compile() produces. */
struct cbpf_insn {
	__u16 code;
	__u8 jt;
	__u8 jf;
	__u32 k;
};

/* An attached interface's capture filter, for the interpreter in cbpf.bpf.h. */
struct iface_cfg {
	__u32 filter_len; /* 0: accept every packet */
	__u32 pad;
	struct cbpf_insn filter[MAX_FILTER_INSNS];
};

/*
 * Per interface and CPU, by slot: all that a filtered packet needs, with its
 * counters, on one cache line; the filter's instructions (struct iface_cfg)
 * are read only when there is one. Counters are summed by user space for the
 * Interface Statistics Block. Without a filter only lost counts: user space
 * counts the packets it reads.
 */
struct iface_state {
	__u32 filtered; /* nonzero: the interface's iface_cfg decides */
	__u32 raw;	/* packets start at the IP header (LINKTYPE_RAW) */
	__u64 seen;	/* packets that reached the hook */
	__u64 accepted; /* packets that passed the capture and owner filters */
	__u64 lost;	/* accepted packets the ring buffer had no room for */
};

#endif
