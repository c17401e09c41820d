/* Descriptor passing over a connected Unix stream socket (SCM_RIGHTS, unix(7)),
 * for the upgrade: the old instance sends its listeners, the new one receives. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "weir_native.h"

#define MAX_FDS 253          /* SCM_MAX_FD in the kernel: more fail with EINVAL */
#define MAX_RECV_BYTES (1 << 20)
#define SEND_TIMEOUT_MS 1000 /* how long sendFds waits for room on a full socket */

/* Control buffer for up to MAX_FDS descriptors, aligned for struct cmsghdr. */
typedef union {
  struct cmsghdr align;
  char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
} fd_control;

/* sendFds(socketFd, fds[], payload). A stream socket needs at least one data
 * byte to carry ancillary data (unix(7)), so the payload must not be empty.
 * MSG_DONTWAIT plus poll bounds the wait on a full socket even when the fd is
 * blocking; MSG_NOSIGNAL turns SIGPIPE from a gone peer into EPIPE. */
napi_value send_fds(napi_env env, napi_callback_info info) {
  napi_value argv[3], element;
  int32_t sock, fds[MAX_FDS];
  uint32_t count;
  char *data;
  size_t len;
  fd_control control;
  if (!js_args(env, info, "iab", argv, &sock)) return NULL;
  if (napi_get_array_length(env, argv[1], &count) != napi_ok ||
      napi_get_buffer_info(env, argv[2], (void **)&data, &len) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "weir_native: expected fds array and Buffer");
    return NULL;
  }
  if (count > MAX_FDS || len == 0)
    return throw_errno(env, EINVAL, "sendmsg", "(at most 253 fds and a non-empty payload)");
  for (uint32_t i = 0; i < count; i++) {
    if (napi_get_element(env, argv[1], i, &element) != napi_ok) return NULL;
    if (napi_get_value_int32(env, element, &fds[i]) != napi_ok) return throw_errno(env, EBADF, "sendmsg", NULL);
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
  long long deadline = now_ms() + SEND_TIMEOUT_MS;
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
    int left = ms_left(deadline);
    if (left == 0) return throw_errno(env, ETIMEDOUT, "sendmsg", NULL);
    struct pollfd pfd = {.fd = sock, .events = POLLOUT};
    poll(&pfd, 1, left);
  }
  return NULL;
}

static napi_value received(napi_env env, const char *data, size_t len, const int *fds, size_t count) {
  napi_value result, array, payload;
  if (napi_create_buffer_copy(env, len, data, NULL, &payload) != napi_ok ||
      napi_create_array_with_length(env, count, &array) != napi_ok || napi_create_object(env, &result) != napi_ok)
    return NULL;
  for (size_t i = 0; i < count; i++)
    if (napi_set_element(env, array, (uint32_t)i, js_number(env, fds[i])) != napi_ok) return NULL;
  return js_set(env, result, "fds", array) && js_set(env, result, "payload", payload) ? result : NULL;
}

/* recvFds(socketFd, maxFds, maxBytes, timeoutMs) -> { fds, payload }: one
 * recvmsg(2), waiting up to timeoutMs for data. An empty payload means EOF.
 * MSG_CMSG_CLOEXEC (recvmsg(2)) marks the received descriptors close-on-exec
 * atomically, for the same reason as SOCK_CLOEXEC in listenTcp. */
napi_value recv_fds(napi_env env, napi_callback_info info) {
  napi_value argv[4], result;
  int32_t in[4];
  int fds[MAX_FDS + 1];
  size_t count = 0;
  fd_control control;
  if (!js_args(env, info, "iiii", argv, in)) return NULL;
  int32_t sock = in[0], max_fds = in[1], max_bytes = in[2], timeout_ms = in[3];
  if (max_fds < 0 || max_fds > MAX_FDS || max_bytes < 1 || max_bytes > MAX_RECV_BYTES || timeout_ms < 0)
    return throw_errno(env, EINVAL, "recvmsg", NULL);
  char *data = malloc((size_t)max_bytes);
  if (data == NULL) return throw_errno(env, ENOMEM, "recvmsg", NULL);
  struct iovec iov = {.iov_base = data, .iov_len = (size_t)max_bytes};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  long long deadline = now_ms() + timeout_ms;
  ssize_t n;
  for (;;) {
    msg.msg_control = max_fds > 0 ? control.buf : NULL;
    msg.msg_controllen = max_fds > 0 ? CMSG_SPACE(sizeof(int) * (size_t)max_fds) : 0;
    n = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n >= 0) break;
    int err = errno, left = ms_left(deadline);
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
    if (got > MAX_FDS + 1 - count) got = MAX_FDS + 1 - count;
    memcpy(fds + count, CMSG_DATA(c), got * sizeof(int));
    count += got;
  }
  /* MSG_CTRUNC: the kernel dropped descriptors that did not fit. CMSG_SPACE
   * rounds up, so one more than max_fds may also fit. A message we cannot hold
   * whole is refused rather than half-used. */
  if ((msg.msg_flags & MSG_CTRUNC) || count > (size_t)max_fds) {
    for (size_t i = 0; i < count; i++) close(fds[i]);
    free(data);
    return throw_errno(env, EMSGSIZE, "recvmsg", "(more descriptors than maxFds)");
  }
  result = received(env, data, (size_t)n, fds, count);
  free(data);
  if (result == NULL)
    for (size_t i = 0; i < count; i++) close(fds[i]);
  return result;
}
