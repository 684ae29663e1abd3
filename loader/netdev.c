// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The network interfaces of this network namespace.
 *
 * if_nameindex() and the SIOCGIF* ioctls ask the kernel through sockets of the
 * calling process, so they see the namespace we run in even where /sys was
 * mounted by another one (unshare -n without a fresh sysfs). /sys is read only
 * for the optional ifalias, and only when its ifindex matches.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include "log.h"
#include "netdev.h"

#ifndef ARPHRD_IP6GRE
#define ARPHRD_IP6GRE 823
#endif

struct hwtype {
	unsigned short arphrd;
	const char *name;
};

/* What a person calls the device types TC is commonly attached to. */
/* clang-format off */
static const struct hwtype hwtypes[] = {
	{ ARPHRD_ETHER, "Ethernet" },
	{ ARPHRD_LOOPBACK, "Loopback" },
	{ ARPHRD_NONE, "IP, no link layer" },
	{ ARPHRD_RAWIP, "raw IP" },
	{ ARPHRD_PPP, "PPP" },
	{ ARPHRD_TUNNEL, "IPIP tunnel" },
	{ ARPHRD_TUNNEL6, "IPv6 tunnel" },
	{ ARPHRD_SIT, "SIT tunnel" },
	{ ARPHRD_IPGRE, "GRE tunnel" },
	{ ARPHRD_IP6GRE, "IPv6 GRE tunnel" },
	{ ARPHRD_INFINIBAND, "InfiniBand" },
	{ ARPHRD_CAN, "CAN" },
	{ ARPHRD_IEEE80211_RADIOTAP, "802.11 monitor" },
};
/* clang-format on */

static const char *hwtype_name(unsigned short arphrd, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(hwtypes) / sizeof(hwtypes[0]); i++) {
		if (hwtypes[i].arphrd == arphrd)
			return hwtypes[i].name;
	}
	snprintf(buf, len, "ARPHRD %u", arphrd);
	return buf;
}

/* TC hands Ethernet and loopback packets over with their Ethernet header, others from L3 on. */
static uint16_t hwtype_linktype(unsigned short arphrd)
{
	if (arphrd == ARPHRD_ETHER || arphrd == ARPHRD_LOOPBACK)
		return LINKTYPE_ETHERNET;
	return LINKTYPE_RAW;
}

/* Reads one line of a small sysfs file without its newline. Returns its length or -errno. */
static int read_sysfs(const char *name, const char *attr, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", name, attr);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return (int)strlen(buf);
}

/* The interface alias (ip link set NAME alias ...), if /sys shows this namespace's @ifindex. */
static void read_alias(const char *name, int ifindex, char *alias, size_t len)
{
	char idx[16];
	char *p;

	alias[0] = '\0';
	if (read_sysfs(name, "ifindex", idx, sizeof(idx)) <= 0 || atoi(idx) != ifindex)
		return;
	if (read_sysfs(name, "ifalias", alias, len) <= 0)
		return;
	for (p = alias; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	}
}

/* Cuts @s to fit @len bytes without splitting a UTF-8 sequence. */
static void fit_utf8(char *s, size_t len)
{
	size_t n = strlen(s);

	if (n < len)
		return;
	n = len - 1;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	s[n] = '\0';
}

/* "eth0 (Ethernet, up)", or "ALIAS (eth0, Ethernet, up)" with the alias cut to fit. */
static void describe(struct netdev *dev, unsigned short arphrd)
{
	char alias[256], suffix[64], typebuf[16];
	const char *type = hwtype_name(arphrd, typebuf, sizeof(typebuf));
	const char *state = dev->up ? "up" : "down";
	size_t room;

	read_alias(dev->name, dev->ifindex, alias, sizeof(alias));
	if (!alias[0]) {
		snprintf(dev->description, sizeof(dev->description), "%s (%s, %s)", dev->name, type,
			 state);
		return;
	}
	snprintf(suffix, sizeof(suffix), " (%s, %s, %s)", dev->name, type, state);
	room = sizeof(dev->description) - strlen(suffix);
	fit_utf8(alias, room);
	snprintf(dev->description, sizeof(dev->description), "%.*s%s", (int)room, alias, suffix);
}

static int ioctl_ifreq(int sock, unsigned long req, const char *name, struct ifreq *ifr)
{
	memset(ifr, 0, sizeof(*ifr));
	memcpy(ifr->ifr_name, name, strlen(name) + 1);
	if (ioctl(sock, req, ifr) < 0)
		return errno == ENXIO ? -ENODEV : -errno;
	return 0;
}

static int lookup(int sock, const char *name, struct netdev *dev)
{
	struct ifreq ifr;
	unsigned short arphrd;
	int err;

	if (!name || !name[0] || strlen(name) >= sizeof(dev->name) || strchr(name, '/'))
		return -ENODEV;
	memset(dev, 0, sizeof(*dev));
	memcpy(dev->name, name, strlen(name) + 1);

	err = ioctl_ifreq(sock, SIOCGIFINDEX, name, &ifr);
	if (err)
		return err;
	dev->ifindex = ifr.ifr_ifindex;

	err = ioctl_ifreq(sock, SIOCGIFFLAGS, name, &ifr);
	if (err)
		return err;
	dev->up = ifr.ifr_flags & IFF_UP;
	dev->loopback = ifr.ifr_flags & IFF_LOOPBACK;

	err = ioctl_ifreq(sock, SIOCGIFHWADDR, name, &ifr);
	if (err)
		return err;
	arphrd = ifr.ifr_hwaddr.sa_family;
	dev->linktype = hwtype_linktype(arphrd);

	describe(dev, arphrd);
	return 0;
}

/* Any socket reaches the SIOCGIF* ioctls; an AF_UNIX one exists even without IP. */
static int ioctl_socket(void)
{
	int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	return sock < 0 ? -errno : sock;
}

int netdev_lookup(const char *name, struct netdev *dev)
{
	int sock = ioctl_socket();
	int err;

	if (sock < 0)
		return sock;
	err = lookup(sock, name, dev);
	close(sock);
	return err;
}

static int cmp_ifindex(const void *a, const void *b)
{
	const struct netdev *x = a, *y = b;

	return (x->ifindex > y->ifindex) - (x->ifindex < y->ifindex);
}

int netdev_list(struct netdev **devs)
{
	struct if_nameindex *names, *ni;
	struct netdev *list = NULL;
	int sock, n = 0, err = 0;
	size_t count = 0;

	*devs = NULL;
	names = if_nameindex();
	if (!names)
		return -errno;
	sock = ioctl_socket();
	if (sock < 0) {
		err = sock;
		goto cleanup;
	}
	for (ni = names; ni->if_index; ni++)
		count++;
	list = calloc(count ? count : 1, sizeof(*list));
	if (!list) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (ni = names; ni->if_index; ni++) {
		int e = lookup(sock, ni->if_name, &list[n]);

		if (e == -ENODEV)
			continue; /* gone since if_nameindex() */
		if (e) {
			err = e;
			goto cleanup;
		}
		n++;
	}
	qsort(list, n, sizeof(*list), cmp_ifindex);
	*devs = list;
	list = NULL;
cleanup:
	free(list);
	if (sock >= 0)
		close(sock);
	if_freenameindex(names);
	return err ? err : n;
}

static int select_named(char **names, struct netdev **out)
{
	struct netdev *devs;
	int n = 0;

	while (names[n])
		n++;
	devs = calloc(n ? n : 1, sizeof(*devs));
	if (!devs)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		if (netdev_lookup(names[i], &devs[i])) {
			log_error("no interface named '%s' in this network namespace; 'ip link' "
				  "lists them", names[i]);
			free(devs);
			return -ENODEV;
		}
		for (int j = 0; j < i; j++) {
			if (devs[j].ifindex == devs[i].ifindex) {
				log_error("interface '%s' is given twice; name it once", names[i]);
				free(devs);
				return -EINVAL;
			}
		}
	}
	*out = devs;
	return n;
}

static int select_up(struct netdev **out)
{
	struct netdev *devs;
	int n = netdev_list(&devs), up = 0;

	if (n < 0) {
		log_error("failed to list network interfaces: %s", strerror(-n));
		return n;
	}
	for (int i = 0; i < n; i++) {
		if (devs[i].up)
			devs[up++] = devs[i];
	}
	if (!up) {
		log_error("no network interface is up; bring one up or name one with -i");
		free(devs);
		return -ENODEV;
	}
	*out = devs;
	return up;
}

int netdev_select(char **names, struct netdev **devs)
{
	*devs = NULL;
	return names ? select_named(names, devs) : select_up(devs);
}
