// Network interface queries through socket ioctls (SIOCGIFINDEX, SIOCGIFNAME, SIOCGIFFLAGS,
// SIOCGIFMTU, SIOCGIFCONF) and glibc's if_nametoindex/if_indextoname/if_nameindex, for the
// loopback interface: python's socket.if_nametoindex uses them.
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
    unsigned idx = if_nametoindex("lo");
    char name[IF_NAMESIZE] = "";
    printf("if_nametoindex(lo) > 0: %d, back: %s\n", idx > 0, if_indextoname(idx, name) ? name : "(failed)");
    struct if_nameindex *all = if_nameindex();
    int found = 0;
    for (struct if_nameindex *p = all; p && p->if_index; p++) found |= strcmp(p->if_name, "lo") == 0;
    printf("if_nameindex lists lo: %d\n", found);
    if_freenameindex(all);

    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq r;
    memset(&r, 0, sizeof r);
    strcpy(r.ifr_name, "lo");
    int rc = ioctl(s, SIOCGIFINDEX, &r);
    printf("SIOCGIFINDEX: %d, same index %d\n", rc, (unsigned)r.ifr_ifindex == idx);
    memset(r.ifr_name, 0, sizeof r.ifr_name);
    rc = ioctl(s, SIOCGIFNAME, &r);
    printf("SIOCGIFNAME: %d %s\n", rc, r.ifr_name);
    rc = ioctl(s, SIOCGIFFLAGS, &r);
    printf("SIOCGIFFLAGS: %d, loopback %d\n", rc, (r.ifr_flags & IFF_LOOPBACK) != 0);
    rc = ioctl(s, SIOCGIFMTU, &r);
    printf("SIOCGIFMTU: %d, mtu > 0 %d\n", rc, r.ifr_mtu > 0);
    struct ifreq reqs[32];
    struct ifconf conf = {.ifc_len = sizeof reqs, .ifc_req = reqs};
    rc = ioctl(s, SIOCGIFCONF, &conf);
    found = 0;
    for (int i = 0; rc == 0 && i < conf.ifc_len / (int)sizeof(struct ifreq); i++) found |= strcmp(reqs[i].ifr_name, "lo") == 0;
    printf("SIOCGIFCONF: %d, lists lo %d\n", rc, found);
    strcpy(r.ifr_name, "no-such-if0");
    printf("unknown interface: %d\n", ioctl(s, SIOCGIFINDEX, &r));
    close(s);
    return 0;
}
