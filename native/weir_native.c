/*
 * weir_native: the few socket syscalls that Node's net module cannot express.
 *
 * The supervisor binds every listening socket but must never accept on it, so
 * it needs a bound, listening descriptor that no libuv handle polls; a new weir
 * instance takes those descriptors over from the old one with SCM_RIGHTS; a
 * transparent proxy reads the pre-NAT destination of an accepted socket. Every
 * function is synchronous and is called at startup or once per connection.
 *
 * Errors are thrown like Node's own: an Error whose `code` is the errno name,
 * `errno` its negated number, `syscall` the call that failed. The TypeScript
 * wrapper (src/process/native.ts) validates arguments before they reach us;
 * the checks here only keep a wrong call from doing harm.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <node_api.h>

/* From <linux/netfilter_ipv4.h> and <linux/netfilter_ipv6/ip6_tables.h>, whose
 * kernel headers clash with glibc's <netinet/in.h>. */
#ifndef SO_ORIGINAL_DST
#define SO_ORIGINAL_DST 80
#endif
#ifndef IP6T_SO_ORIGINAL_DST
#define IP6T_SO_ORIGINAL_DST 80
#endif

#define MAX_FDS 253            /* SCM_MAX_FD in the kernel: more fail with EINVAL */
#define MAX_RECV_BYTES (1 << 20)
#define SEND_TIMEOUT_MS 1000   /* how long sendFds waits for room on a full socket */
#define FLAG_IPV6_ONLY 1
#define FLAG_REUSE_PORT 2
#define FLAG_FREEBIND 4

#define NAPI_OR_NULL(call) do { if ((call) != napi_ok) return NULL; } while (0)

static napi_value throw_errno(napi_env env, int err, const char *syscall, const char *detail) {
  const char *name = strerrorname_np(err);
  char msg[512];
  napi_value code, message, error, value;
  if (name == NULL) name = "UNKNOWN";
  snprintf(msg, sizeof msg, "%s %s: %s%s%s", syscall, name, strerror(err), detail ? " " : "",
           detail ? detail : "");
  NAPI_OR_NULL(napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code));
  NAPI_OR_NULL(napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message));
  NAPI_OR_NULL(napi_create_error(env, code, message, &error));
  NAPI_OR_NULL(napi_create_int32(env, -err, &value));
  NAPI_OR_NULL(napi_set_named_property(env, error, "errno", value));
  NAPI_OR_NULL(napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &value));
  NAPI_OR_NULL(napi_set_named_property(env, error, "syscall", value));
  napi_throw(env, error);
  return NULL;
}

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  if (argc >= want) return 1;
  napi_throw_type_error(env, "ERR_MISSING_ARGS", "weir_native: missing arguments");
  return 0;
}

static int get_int(napi_env env, napi_value value, int32_t *out) {
  if (napi_get_value_int32(env, value, out) == napi_ok) return 1;
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "weir_native: expected a number");
  return 0;
}

/* Copies a JS string into buf; 0 (with a thrown error) if it is not a string
 * or does not fit, since a silently truncated address or path is a wrong one. */
static int get_string(napi_env env, napi_value value, char *buf, size_t size, const char *syscall) {
  size_t len;
  if (napi_get_value_string_utf8(env, value, buf, size, &len) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "weir_native: expected a string");
    return 0;
  }
  if (len + 1 < size) return 1;
  throw_errno(env, ENAMETOOLONG, syscall, NULL);
  return 0;
}

static napi_value make_int(napi_env env, int32_t n) {
  napi_value v;
  NAPI_OR_NULL(napi_create_int32(env, n, &v));
  return v;
}

static int remaining_ms(const struct timespec *deadline) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  long long ms = (deadline->tv_sec - now.tv_sec) * 1000LL + (deadline->tv_nsec - now.tv_nsec) / 1000000;
  return ms > 0 ? (int)ms : 0;
}

static void set_deadline(struct timespec *deadline, int ms) {
  clock_gettime(CLOCK_MONOTONIC, deadline);
  deadline->tv_sec += ms / 1000;
  deadline->tv_nsec += (long)(ms % 1000) * 1000000;
  if (deadline->tv_nsec >= 1000000000) { deadline->tv_sec++; deadline->tv_nsec -= 1000000000; }
}

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
static napi_value listen_tcp(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2], where[sizeof host + 8];
  int32_t port, backlog, flags;
  struct sockaddr_storage ss;
  socklen_t sslen;
  if (!get_args(env, info, 4, argv) || !get_string(env, argv[0], host, sizeof host, "inet_pton") ||
      !get_int(env, argv[1], &port) || !get_int(env, argv[2], &backlog) || !get_int(env, argv[3], &flags))
    return NULL;
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
  if (failed == NULL) return make_int(env, fd);
  int err = errno;
  close(fd);
  return throw_errno(env, err, failed, where);
}

/* localPort(fd) -> port of getsockname(2) */
static napi_value local_port(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (!get_args(env, info, 1, argv) || !get_int(env, argv[0], &fd)) return NULL;
  if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) return throw_errno(env, errno, "getsockname", NULL);
  if (ss.ss_family == AF_INET) return make_int(env, ntohs(((struct sockaddr_in *)&ss)->sin_port));
  if (ss.ss_family == AF_INET6) return make_int(env, ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
  return throw_errno(env, EAFNOSUPPORT, "getsockname", NULL);
}

static int unix_address(napi_env env, napi_value value, struct sockaddr_un *sun, const char *syscall) {
  memset(sun, 0, sizeof *sun);
  sun->sun_family = AF_UNIX;
  return get_string(env, value, sun->sun_path, sizeof sun->sun_path, syscall);
}

/* listenUnix(path, backlog, mode) -> fd; mode < 0 leaves the umask's mode. */
static napi_value listen_unix(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t backlog, mode;
  struct sockaddr_un sun;
  if (!get_args(env, info, 3, argv) || !unix_address(env, argv[0], &sun, "bind") ||
      !get_int(env, argv[1], &backlog) || !get_int(env, argv[2], &mode))
    return NULL;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket", sun.sun_path);
  const char *failed = NULL;
  if (bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0) failed = "bind";
  /* chmod before listen: until listen(2) every connect(2) is refused, so no
   * client ever gets in under the umask's (possibly wider) mode. */
  else if (mode >= 0 && chmod(sun.sun_path, (mode_t)mode) != 0) failed = "chmod";
  else if (listen(fd, backlog) != 0) failed = "listen";
  if (failed == NULL) return make_int(env, fd);
  int err = errno;
  close(fd);
  return throw_errno(env, err, failed, sun.sun_path);
}

/* connectUnix(path) -> fd, a blocking stream socket connected to path. */
static napi_value connect_unix(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  struct sockaddr_un sun;
  if (!get_args(env, info, 1, argv) || !unix_address(env, argv[0], &sun, "connect")) return NULL;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket", sun.sun_path);
  if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0) return make_int(env, fd);
  int err = errno;
  close(fd);
  return throw_errno(env, err, "connect", sun.sun_path);
}

/* closeFd(fd). close(2): on Linux the descriptor is released even when close
 * reports EINTR, so retrying could close a descriptor another thread opened. */
static napi_value close_fd(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (!get_args(env, info, 1, argv) || !get_int(env, argv[0], &fd)) return NULL;
  if (close(fd) != 0 && errno != EINTR) return throw_errno(env, errno, "close", NULL);
  return NULL;
}

/* Control buffer for up to MAX_FDS descriptors, aligned for struct cmsghdr. */
typedef union {
  struct cmsghdr align;
  char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
} fd_control;

/* sendFds(socketFd, fds[], payload). A stream socket needs at least one data
 * byte to carry ancillary data (unix(7)), so the payload must not be empty.
 * MSG_DONTWAIT plus poll bounds the wait on a full socket even when the fd is
 * blocking; MSG_NOSIGNAL turns SIGPIPE from a gone peer into EPIPE. */
static napi_value send_fds(napi_env env, napi_callback_info info) {
  napi_value argv[3], element;
  int32_t sock, fds[MAX_FDS];
  uint32_t count;
  char *data;
  size_t len;
  fd_control control;
  if (!get_args(env, info, 3, argv) || !get_int(env, argv[0], &sock)) return NULL;
  if (napi_get_array_length(env, argv[1], &count) != napi_ok ||
      napi_get_buffer_info(env, argv[2], (void **)&data, &len) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "weir_native: expected fds array and Buffer");
    return NULL;
  }
  if (count > MAX_FDS || len == 0) return throw_errno(env, EINVAL, "sendmsg", "(at most 253 fds and a non-empty payload)");
  for (uint32_t i = 0; i < count; i++) {
    NAPI_OR_NULL(napi_get_element(env, argv[1], i, &element));
    if (!get_int(env, element, &fds[i])) return NULL;
  }
  struct iovec iov = {.iov_base = data, .iov_len = len};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  if (count > 0) {
    memset(&control, 0, sizeof control);
    msg.msg_control = control.buf;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * count);
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * count);
    memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * count);
  }
  struct timespec deadline;
  set_deadline(&deadline, SEND_TIMEOUT_MS);
  while (iov.iov_len > 0) {
    ssize_t n = sendmsg(sock, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) {
      /* The descriptors travel with the first bytes sent; the rest goes bare. */
      iov.iov_base = (char *)iov.iov_base + n;
      iov.iov_len -= (size_t)n;
      msg.msg_control = NULL;
      msg.msg_controllen = 0;
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return throw_errno(env, errno, "sendmsg", NULL);
    int left = remaining_ms(&deadline);
    if (left == 0) return throw_errno(env, ETIMEDOUT, "sendmsg", NULL);
    struct pollfd pfd = {.fd = sock, .events = POLLOUT};
    poll(&pfd, 1, left);
  }
  return NULL;
}

static void close_all(const int *fds, size_t count) {
  for (size_t i = 0; i < count; i++) close(fds[i]);
}

/* recvFds(socketFd, maxFds, maxBytes, timeoutMs) -> { fds, payload }: one
 * recvmsg(2), waiting up to timeoutMs for data. An empty payload means EOF.
 * MSG_CMSG_CLOEXEC (recvmsg(2)) marks the received descriptors close-on-exec
 * atomically, for the same reason as SOCK_CLOEXEC in listenTcp. */
static napi_value recv_fds(napi_env env, napi_callback_info info) {
  napi_value argv[4], result, array, payload, element;
  int32_t sock, max_fds, max_bytes, timeout_ms;
  int fds[MAX_FDS];
  size_t count = 0;
  fd_control control;
  if (!get_args(env, info, 4, argv) || !get_int(env, argv[0], &sock) || !get_int(env, argv[1], &max_fds) ||
      !get_int(env, argv[2], &max_bytes) || !get_int(env, argv[3], &timeout_ms))
    return NULL;
  if (max_fds < 0 || max_fds > MAX_FDS || max_bytes < 1 || max_bytes > MAX_RECV_BYTES || timeout_ms < 0)
    return throw_errno(env, EINVAL, "recvmsg", NULL);
  char *data = malloc((size_t)max_bytes);
  if (data == NULL) return throw_errno(env, ENOMEM, "recvmsg", NULL);
  struct iovec iov = {.iov_base = data, .iov_len = (size_t)max_bytes};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  struct timespec deadline;
  set_deadline(&deadline, timeout_ms);
  ssize_t n;
  for (;;) {
    msg.msg_control = max_fds > 0 ? control.buf : NULL;
    msg.msg_controllen = max_fds > 0 ? CMSG_SPACE(sizeof(int) * (size_t)max_fds) : 0;
    n = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n >= 0) break;
    int err = errno, left = remaining_ms(&deadline);
    if (err == EINTR) continue;
    if ((err == EAGAIN || err == EWOULDBLOCK) && left > 0) {
      struct pollfd pfd = {.fd = sock, .events = POLLIN};
      poll(&pfd, 1, left);
      continue;
    }
    free(data);
    return throw_errno(env, err == EAGAIN || err == EWOULDBLOCK ? ETIMEDOUT : err, "recvmsg", NULL);
  }
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t got = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    if (count + got > MAX_FDS) got = MAX_FDS - count;
    memcpy(fds + count, CMSG_DATA(c), got * sizeof(int));
    count += got;
  }
  /* MSG_CTRUNC: the kernel dropped descriptors that did not fit. CMSG_SPACE
   * rounds up, so one more than max_fds may also fit. A message we cannot hold
   * whole is refused rather than half-used. */
  if ((msg.msg_flags & MSG_CTRUNC) || count > (size_t)max_fds) {
    close_all(fds, count);
    free(data);
    return throw_errno(env, EMSGSIZE, "recvmsg", "(more descriptors than maxFds)");
  }
  napi_status status = napi_create_buffer_copy(env, (size_t)n, data, NULL, &payload);
  free(data);
  if (status == napi_ok) status = napi_create_array_with_length(env, count, &array);
  for (size_t i = 0; status == napi_ok && i < count; i++) {
    status = napi_create_int32(env, fds[i], &element);
    if (status == napi_ok) status = napi_set_element(env, array, (uint32_t)i, element);
  }
  if (status == napi_ok) status = napi_create_object(env, &result);
  if (status == napi_ok) status = napi_set_named_property(env, result, "fds", array);
  if (status == napi_ok) status = napi_set_named_property(env, result, "payload", payload);
  if (status == napi_ok) return result;
  close_all(fds, count);
  return NULL;
}

/* originalDst(fd) -> { address, port, family } | null. The destination before
 * a netfilter REDIRECT/DNAT, from conntrack. ENOENT: no conntrack entry;
 * ENOPROTOOPT: conntrack not loaded. A v4-mapped IPv6 socket carries IPv4
 * traffic, so IPv4 conntrack holds its entry. */
static napi_value original_dst(napi_env env, napi_callback_info info) {
  napi_value argv[1], result, value;
  int32_t fd;
  struct sockaddr_storage local, dst;
  socklen_t len = sizeof local;
  char text[INET6_ADDRSTRLEN];
  if (!get_args(env, info, 1, argv) || !get_int(env, argv[0], &fd)) return NULL;
  if (getsockname(fd, (struct sockaddr *)&local, &len) != 0) return throw_errno(env, errno, "getsockname", NULL);
  if (local.ss_family != AF_INET && local.ss_family != AF_INET6)
    return throw_errno(env, EAFNOSUPPORT, "getsockopt", NULL);
  int v4 = local.ss_family == AF_INET ||
           IN6_IS_ADDR_V4MAPPED(&((struct sockaddr_in6 *)&local)->sin6_addr);
  len = sizeof dst;
  memset(&dst, 0, sizeof dst);
  int r = v4 ? getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &dst, &len)
             : getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, &dst, &len);
  if (r != 0 && (errno == ENOENT || errno == ENOPROTOOPT)) {
    NAPI_OR_NULL(napi_get_null(env, &result));
    return result;
  }
  if (r != 0) return throw_errno(env, errno, "getsockopt", NULL);
  int port;
  if (dst.ss_family == AF_INET) {
    inet_ntop(AF_INET, &((struct sockaddr_in *)&dst)->sin_addr, text, sizeof text);
    port = ntohs(((struct sockaddr_in *)&dst)->sin_port);
  } else {
    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&dst)->sin6_addr, text, sizeof text);
    port = ntohs(((struct sockaddr_in6 *)&dst)->sin6_port);
  }
  NAPI_OR_NULL(napi_create_object(env, &result));
  NAPI_OR_NULL(napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &value));
  NAPI_OR_NULL(napi_set_named_property(env, result, "address", value));
  NAPI_OR_NULL(napi_set_named_property(env, result, "port", make_int(env, port)));
  NAPI_OR_NULL(napi_set_named_property(env, result, "family", make_int(env, dst.ss_family == AF_INET ? 4 : 6)));
  return result;
}

/* peerCredentials(fd) -> { pid, uid, gid } of the peer at connect(2) time (SO_PEERCRED, unix(7)). */
static napi_value peer_credentials(napi_env env, napi_callback_info info) {
  napi_value argv[1], result;
  int32_t fd;
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (!get_args(env, info, 1, argv) || !get_int(env, argv[0], &fd)) return NULL;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
    return throw_errno(env, errno, "getsockopt", NULL);
  NAPI_OR_NULL(napi_create_object(env, &result));
  NAPI_OR_NULL(napi_set_named_property(env, result, "pid", make_int(env, cred.pid)));
  /* uid_t is unsigned: a uint32 keeps the overflow uid 65534 and large ids right. */
  napi_value uid, gid;
  NAPI_OR_NULL(napi_create_uint32(env, cred.uid, &uid));
  NAPI_OR_NULL(napi_create_uint32(env, cred.gid, &gid));
  NAPI_OR_NULL(napi_set_named_property(env, result, "uid", uid));
  NAPI_OR_NULL(napi_set_named_property(env, result, "gid", gid));
  return result;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"listenTcp", NULL, listen_tcp, NULL, NULL, NULL, napi_enumerable, NULL},
      {"localPort", NULL, local_port, NULL, NULL, NULL, napi_enumerable, NULL},
      {"listenUnix", NULL, listen_unix, NULL, NULL, NULL, napi_enumerable, NULL},
      {"connectUnix", NULL, connect_unix, NULL, NULL, NULL, napi_enumerable, NULL},
      {"closeFd", NULL, close_fd, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sendFds", NULL, send_fds, NULL, NULL, NULL, napi_enumerable, NULL},
      {"recvFds", NULL, recv_fds, NULL, NULL, NULL, napi_enumerable, NULL},
      {"originalDst", NULL, original_dst, NULL, NULL, NULL, napi_enumerable, NULL},
      {"peerCredentials", NULL, peer_credentials, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
