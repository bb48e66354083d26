// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: the tap side of virtio-net: the -n argument, opening the tap
 * with the virtio-net header, and the offloads the driver's features
 * allow.
 *
 * The tap carries the same 12-byte header as the rings (IFF_VNET_HDR,
 * TUNSETVNETHDRSZ), so a transmitted frame goes from its chain to the
 * tap with one writev, and a received one, without mergeable buffers,
 * into its chain with one readv (with them, as Linux's driver always
 * takes, it is read into hvx-run and copied into as many chains as it
 * needs: virtio_net.c).  What the tap may hand
 * over (partial checksums, TSO frames) is what the driver accepted: its
 * GUEST_* features become TUNSETOFFLOAD flags.  The other direction
 * needs no flag: the tap takes partial checksums and GSO frames from
 * any writer.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/if_tun.h>

#include "hvx-run.h"
#include "virtio_net.h"

/* Locally administered, unicast: what a guest gets without mac= */
static const uint8_t default_mac[VNET_MAC_LEN] = {
	0x02, 0x68, 0x76, 0x78, 0x00, 0x01
};

static int parse_mac(const char *s, uint8_t *mac)
{
	unsigned int i, b;
	int used;

	for (i = 0; i < VNET_MAC_LEN; i++) {
		if (!isxdigit((unsigned char)s[0]) ||
		    !isxdigit((unsigned char)s[1]) ||
		    sscanf(s, "%2x%n", &b, &used) != 1 || used != 2)
			return -1;
		mac[i] = b;
		s += 2;
		if (*s != (i == VNET_MAC_LEN - 1 ? 0 : ':'))
			return -1;
		s++;
	}
	return 0;
}

/**
 * vnet_parse() - read -n's argument, tap=NAME[,mac=XX:XX:XX:XX:XX:XX]
 * @arg: the argument
 * @spec: filled in; the MAC is 02:68:76:78:00:01 unless mac= is given
 * @err: the message when it is bad
 * @errlen: its size
 *
 * Return: 0, or -1 with @err set.
 */
int vnet_parse(const char *arg, struct vnet_spec *spec, char *err,
	       size_t errlen)
{
	char buf[128], *item, *save = NULL;
	bool tap = false;
	size_t len;

	memset(spec, 0, sizeof(*spec));
	memcpy(spec->mac, default_mac, VNET_MAC_LEN);
	if (strlen(arg) >= sizeof(buf))
		return errf(err, errlen, "network '%s': too long", arg);
	strcpy(buf, arg);
	for (item = strtok_r(buf, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		if (!strncmp(item, "tap=", 4)) {
			len = strlen(item + 4);
			if (!len || len >= VNET_IFNAME_MAX ||
			    strchr(item + 4, '/'))
				return errf(err, errlen,
					    "network '%s': bad tap name", arg);
			/* the kernel would name it: a tap no one can find */
			if (strchr(item + 4, '%'))
				return errf(err, errlen,
					    "network '%s': a name template; name the tap itself",
					    arg);
			memcpy(spec->ifname, item + 4, len + 1);
			tap = true;
		} else if (!strncmp(item, "mac=", 4)) {
			if (parse_mac(item + 4, spec->mac))
				return errf(err, errlen,
					    "network '%s': bad MAC address",
					    arg);
			if (spec->mac[0] & 1)
				return errf(err, errlen,
					    "network '%s': a multicast MAC address",
					    arg);
			/* Linux takes it, then cannot bring the link up */
			if (!memcmp(spec->mac, "\0\0\0\0\0\0", VNET_MAC_LEN))
				return errf(err, errlen,
					    "network '%s': the all-zero MAC address",
					    arg);
		} else {
			return errf(err, errlen,
				    "network '%s': unknown '%s' (tap=NAME[,mac=MAC])",
				    arg, item);
		}
	}
	if (!tap)
		return errf(err, errlen, "network '%s': no tap=NAME", arg);
	return 0;
}

/**
 * vnet_tap_open() - attach to tap device @ifname (created if absent),
 * with the virtio-net header and non-blocking reads
 * @ifname: its name
 *
 * Return: the file descriptor, or -1 after a message.
 */
int vnet_tap_open(const char *ifname)
{
	unsigned int features = 0;
	int hdr = VNET_HDR_LEN;
	struct ifreq ifr;
	int fd;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		msg("tap %s: /dev/net/tun: %s", ifname, strerror(errno));
		return -1;
	}
	if (ioctl(fd, TUNGETFEATURES, &features) ||
	    !(features & IFF_VNET_HDR)) {
		msg("tap %s: the tun driver has no virtio-net header", ifname);
		goto fail;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		msg("tap %s: %s", ifname, strerror(errno));
		goto fail;
	}
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr)) {
		msg("tap %s: header size: %s", ifname, strerror(errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/**
 * vnet_tap_offload() - what the tap may hand to hvx-run (TUNSETOFFLOAD)
 * @fd: the tap
 * @tun_flags: TUN_F_* flags
 *
 * Return: 0, or -1 with errno.
 */
int vnet_tap_offload(int fd, unsigned int tun_flags)
{
	return ioctl(fd, TUNSETOFFLOAD, tun_flags) ? -1 : 0;
}

/**
 * vnet_tun_offloads() - the TUNSETOFFLOAD flags for the driver's features
 * @features: the features it accepted
 *
 * Segmentation offloads need the checksum offload, in the tap as in the
 * specification.
 *
 * Return: TUN_F_* flags.
 */
unsigned int vnet_tun_offloads(uint64_t features)
{
	unsigned int f = 0;

	if (!(features & (1ULL << VIRTIO_NET_F_GUEST_CSUM)))
		return 0;
	f |= TUN_F_CSUM;
	if (features & (1ULL << VIRTIO_NET_F_GUEST_TSO4))
		f |= TUN_F_TSO4;
	if (features & (1ULL << VIRTIO_NET_F_GUEST_TSO6))
		f |= TUN_F_TSO6;
	if ((f & (TUN_F_TSO4 | TUN_F_TSO6)) &&
	    (features & (1ULL << VIRTIO_NET_F_GUEST_ECN)))
		f |= TUN_F_TSO_ECN;
	return f;
}
