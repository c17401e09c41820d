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
 *
 * listeners.c    listenTcp, listenUnix, connectUnix, localPort, dupFd, closeFd
 * fd_passing.c   sendFds, recvFds (SCM_RIGHTS)
 * socket_info.c  originalDst (SO_ORIGINAL_DST), peerCredentials (SO_PEERCRED)
 * napi_helpers.c values, Node-shaped errors, arguments, deadlines
 */
#include "weir_native.h"

#define EXPORT(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_enumerable, NULL}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      EXPORT("listenTcp", listen_tcp),     EXPORT("localPort", local_port),
      EXPORT("listenUnix", listen_unix),   EXPORT("connectUnix", connect_unix),
      EXPORT("closeFd", close_fd),         EXPORT("dupFd", dup_fd),
      EXPORT("sendFds", send_fds),
      EXPORT("recvFds", recv_fds),         EXPORT("originalDst", original_dst),
      EXPORT("peerCredentials", peer_credentials),
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props) == napi_ok ? exports : NULL;
}
