/* Helpers shared by the addon's files, and the functions it exports. */
#ifndef WEIR_NATIVE_H
#define WEIR_NATIVE_H

#include <node_api.h>
#include <stdint.h>

/* A JS number, string, or object property; NULL/0 when N-API failed (an exception is then pending). */
napi_value js_number(napi_env env, int64_t n);
napi_value js_string(napi_env env, const char *s);
int js_set(napi_env env, napi_value object, const char *key, napi_value value);

/* Throws an Error shaped like Node's system errors: code = errno name, errno = -err, syscall. Returns NULL. */
napi_value throw_errno(napi_env env, int err, const char *syscall, const char *detail);
/* Saves errno, closes fd, throws as throw_errno. Returns NULL. */
napi_value close_and_throw(napi_env env, int fd, const char *syscall, const char *detail);

/* Fetches the arguments described by `types`, one letter each: 'i' an int32
 * stored in ints[] in order, any other letter left to the caller. */
int js_args(napi_env env, napi_callback_info info, const char *types, napi_value *argv, int32_t *ints);
/* Copies a JS string into buf; 0 (with a thrown error) if it is not a string
 * or does not fit, since a silently truncated address or path is a wrong one. */
int js_string_arg(napi_env env, napi_value value, char *buf, size_t size, const char *syscall);

/* Milliseconds on the monotonic clock, and what is left until a deadline (>= 0),
 * for poll(2) waits that stay bounded across EINTR and spurious wakeups. */
long long now_ms(void);
int ms_left(long long deadline);

/* listeners.c */
napi_value listen_tcp(napi_env env, napi_callback_info info);
napi_value local_port(napi_env env, napi_callback_info info);
napi_value listen_unix(napi_env env, napi_callback_info info);
napi_value connect_unix(napi_env env, napi_callback_info info);
napi_value dup_fd(napi_env env, napi_callback_info info);
napi_value close_fd(napi_env env, napi_callback_info info);
/* fd_passing.c */
napi_value send_fds(napi_env env, napi_callback_info info);
napi_value recv_fds(napi_env env, napi_callback_info info);
/* socket_info.c */
napi_value original_dst(napi_env env, napi_callback_info info);
napi_value peer_credentials(napi_env env, napi_callback_info info);

#endif
