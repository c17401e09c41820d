/* Listening sockets made without libuv: the supervisor binds them, workers serve them. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "weir_native.h"

/* Bits of listenTcp's flags argument, as in src/process/native.ts. */
#define FLAG_IPV6_ONLY 1
#define FLAG_REUSE_PORT 2
#define FLAG_FREEBIND 4

/* Parses a numeric IPv4/IPv6 address (inet_pton(3)), IPv6 with an optional
 * "%zone" (interface name or index) for link-local addresses. */
static int parse_ip(char *host, int port, struct sockaddr_storage *ss, socklen_t *len) {
  struct sockaddr_in *sin = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
  memset(ss, 0, sizeof *ss);
  if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    *len = sizeof *sin;
    return 1;
  }
  char *zone = strchr(host, '%');
  if (zone != NULL) *zone++ = '\0';
  if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1) return 0;
  if (zone != NULL) {
    char *end;
    unsigned long index = strtoul(zone, &end, 10);
    sin6->sin6_scope_id = (*zone != '\0' && *end == '\0') ? (uint32_t)index : if_nametoindex(zone);
    if (sin6->sin6_scope_id == 0) return 0;
  }
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(port);
  *len = sizeof *sin6;
  return 1;
}

/* listenTcp(host, port, backlog, flags) -> fd */
napi_value listen_tcp(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t in[3];
  char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2], where[sizeof host + 8];
  struct sockaddr_storage ss;
  socklen_t sslen;
  if (!js_args(env, info, "siii", argv, in) || !js_string_arg(env, argv[0], host, sizeof host, "inet_pton"))
    return NULL;
  int32_t port = in[0], backlog = in[1], flags = in[2];
  snprintf(where, sizeof where, "%s:%d", host, port);
  if (port < 0 || port > 65535 || !parse_ip(host, port, &ss, &sslen))
    return throw_errno(env, EINVAL, "inet_pton", where);
  /* SOCK_CLOEXEC (socket(2)): set atomically, so a child spawned by another
   * thread between socket() and fcntl() cannot inherit the listener. Workers get
   * it only through an explicit stdio slot, where libuv dup2()s it. */
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket", where);
  int one = 1, v6only = (flags & FLAG_IPV6_ONLY) ? 1 : 0;
  const char *failed = NULL;
  /* SO_REUSEADDR (socket(7)): rebinding while old connections sit in TIME_WAIT. */
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) failed = "setsockopt";
  else if (ss.ss_family == AF_INET6 &&
           setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only) != 0) failed = "setsockopt";
  else if ((flags & FLAG_REUSE_PORT) && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
    failed = "setsockopt";
  /* IP_FREEBIND (ip(7)) binds an address not (yet) configured here; Linux
   * honours this SOL_IP option on IPv6 sockets as well. */
  else if ((flags & FLAG_FREEBIND) && setsockopt(fd, SOL_IP, IP_FREEBIND, &one, sizeof one) != 0)
    failed = "setsockopt";
  else if (bind(fd, (struct sockaddr *)&ss, sslen) != 0) failed = "bind";
  else if (listen(fd, backlog) != 0) failed = "listen";
  if (failed == NULL) return js_number(env, fd);
  return close_and_throw(env, fd, failed, where);
}

/* localPort(fd) -> port of getsockname(2) */
napi_value local_port(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (!js_args(env, info, "i", argv, &fd)) return NULL;
  if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) return throw_errno(env, errno, "getsockname", NULL);
  if (ss.ss_family == AF_INET) return js_number(env, ntohs(((struct sockaddr_in *)&ss)->sin_port));
  if (ss.ss_family == AF_INET6) return js_number(env, ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
  return throw_errno(env, EAFNOSUPPORT, "getsockname", NULL);
}

static int unix_address(napi_env env, napi_value value, struct sockaddr_un *sun, const char *syscall) {
  memset(sun, 0, sizeof *sun);
  sun->sun_family = AF_UNIX;
  return js_string_arg(env, value, sun->sun_path, sizeof sun->sun_path, syscall);
}

/* listenUnix(path, backlog, mode) -> fd; mode < 0 leaves the umask's mode. */
napi_value listen_unix(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t in[2];
  struct sockaddr_un sun;
  if (!js_args(env, info, "sii", argv, in) || !unix_address(env, argv[0], &sun, "bind")) return NULL;
  int32_t backlog = in[0], mode = in[1];
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket", sun.sun_path);
  const char *failed = NULL;
  if (bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0) failed = "bind";
  /* chmod before listen: until listen(2) every connect(2) is refused, so no
   * client ever gets in under the umask's (possibly wider) mode. */
  else if (mode >= 0 && chmod(sun.sun_path, (mode_t)mode) != 0) failed = "chmod";
  else if (listen(fd, backlog) != 0) failed = "listen";
  if (failed == NULL) return js_number(env, fd);
  return close_and_throw(env, fd, failed, sun.sun_path);
}

/* connectUnix(path) -> fd, a blocking stream socket connected to path. */
napi_value connect_unix(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  struct sockaddr_un sun;
  if (!js_args(env, info, "s", argv, NULL) || !unix_address(env, argv[0], &sun, "connect")) return NULL;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket", sun.sun_path);
  if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0) return js_number(env, fd);
  return close_and_throw(env, fd, "connect", sun.sun_path);
}

/* dupFd(fd) -> a second descriptor for the same open socket, close-on-exec (fcntl F_DUPFD_CLOEXEC). */
napi_value dup_fd(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (!js_args(env, info, "i", argv, &fd)) return NULL;
  int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return throw_errno(env, errno, "fcntl", NULL);
  return js_number(env, copy);
}

/* closeFd(fd). close(2): on Linux the descriptor is released even when close
 * reports EINTR, so retrying could close a descriptor another thread opened. */
napi_value close_fd(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (!js_args(env, info, "i", argv, &fd)) return NULL;
  if (close(fd) != 0 && errno != EINTR) return throw_errno(env, errno, "close", NULL);
  return NULL;
}
