/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The network interfaces a capture can attach to. */
#ifndef ECAP_NETDEV_H
#define ECAP_NETDEV_H

#include <stdbool.h>
#include <stdint.h>

/* pcap link types (LINKTYPE_*) of the devices TC can see. */
#define LINKTYPE_ETHERNET 1
#define LINKTYPE_RAW	  101

struct netdev {
	char name[16];	      /* IFNAMSIZ */
	char description[96]; /* for the pcapng if_description and the extcap dialog */
	int ifindex;
	uint16_t linktype; /* as TC sees the packets: with or without an L2 header */
	bool up;
	bool loopback;
};

/*
 * Fills @dev for the interface called @name. Returns 0, or -ENODEV when there is
 * no such interface.
 */
int netdev_lookup(const char *name, struct netdev *dev);

/*
 * Every network interface of this network namespace, sorted by ifindex, in a
 * malloc'ed array the caller frees. Returns the count, or a negative errno.
 */
int netdev_list(struct netdev **devs);

/*
 * The interfaces to capture: those named in the NULL-terminated @names, or,
 * when @names is NULL, every interface that is up. Returns their count with
 * the malloc'ed array in @devs, or a negative errno after one line on stderr
 * that names the culprit.
 */
int netdev_select(char **names, struct netdev **devs);

#endif
