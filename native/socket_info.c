/* What the kernel knows about a connected socket: its pre-NAT destination and its peer. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "weir_native.h"

/* From <linux/netfilter_ipv4.h> and <linux/netfilter_ipv6/ip6_tables.h>, whose
 * kernel headers clash with glibc's <netinet/in.h>. */
#define SO_ORIGINAL_DST 80
#define IP6T_SO_ORIGINAL_DST 80

/* originalDst(fd) -> { address, port, family } | null. The destination before
 * a netfilter REDIRECT/DNAT, from conntrack. ENOENT: no conntrack entry;
 * ENOPROTOOPT: conntrack not loaded. A v4-mapped IPv6 socket carries IPv4
 * traffic, so IPv4 conntrack holds its entry. */
napi_value original_dst(napi_env env, napi_callback_info info) {
  napi_value argv[1], result;
  int32_t fd;
  struct sockaddr_storage local, dst;
  socklen_t len = sizeof local;
  char text[INET6_ADDRSTRLEN];
  if (!js_args(env, info, "i", argv, &fd)) return NULL;
  if (getsockname(fd, (struct sockaddr *)&local, &len) != 0) return throw_errno(env, errno, "getsockname", NULL);
  if (local.ss_family != AF_INET && local.ss_family != AF_INET6)
    return throw_errno(env, EAFNOSUPPORT, "getsockopt", NULL);
  int v4 = local.ss_family == AF_INET || IN6_IS_ADDR_V4MAPPED(&((struct sockaddr_in6 *)&local)->sin6_addr);
  len = sizeof dst;
  memset(&dst, 0, sizeof dst);
  int r = v4 ? getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &dst, &len)
             : getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, &dst, &len);
  if (r != 0 && errno != ENOENT && errno != ENOPROTOOPT) return throw_errno(env, errno, "getsockopt", NULL);
  if (r != 0) return napi_get_null(env, &result) == napi_ok ? result : NULL;
  struct sockaddr_in *sin = (struct sockaddr_in *)&dst;
  struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&dst;
  int is4 = dst.ss_family == AF_INET;
  inet_ntop(dst.ss_family, is4 ? (void *)&sin->sin_addr : (void *)&sin6->sin6_addr, text, sizeof text);
  if (napi_create_object(env, &result) != napi_ok || !js_set(env, result, "address", js_string(env, text)) ||
      !js_set(env, result, "port", js_number(env, ntohs(is4 ? sin->sin_port : sin6->sin6_port))) ||
      !js_set(env, result, "family", js_number(env, is4 ? 4 : 6)))
    return NULL;
  return result;
}

/* peerCredentials(fd) -> { pid, uid, gid } of the peer at connect(2) time (SO_PEERCRED, unix(7)). */
napi_value peer_credentials(napi_env env, napi_callback_info info) {
  napi_value argv[1], result;
  int32_t fd;
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (!js_args(env, info, "i", argv, &fd)) return NULL;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
    return throw_errno(env, errno, "getsockopt", NULL);
  if (napi_create_object(env, &result) != napi_ok || !js_set(env, result, "pid", js_number(env, cred.pid)) ||
      !js_set(env, result, "uid", js_number(env, cred.uid)) || !js_set(env, result, "gid", js_number(env, cred.gid)))
    return NULL;
  return result;
}
