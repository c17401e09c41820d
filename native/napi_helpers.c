/* N-API helpers: values, Node-shaped errors, argument fetching, deadlines. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "weir_native.h"

napi_value js_number(napi_env env, int64_t n) {
  napi_value v;
  return napi_create_int64(env, n, &v) == napi_ok ? v : NULL;
}

napi_value js_string(napi_env env, const char *s) {
  napi_value v;
  return napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v) == napi_ok ? v : NULL;
}

int js_set(napi_env env, napi_value object, const char *key, napi_value value) {
  return value != NULL && napi_set_named_property(env, object, key, value) == napi_ok;
}

napi_value throw_errno(napi_env env, int err, const char *syscall, const char *detail) {
  const char *name = strerrorname_np(err);
  char msg[512];
  napi_value error;
  snprintf(msg, sizeof msg, "%s %s: %s%s%s", syscall, name ? name : "UNKNOWN", strerror(err),
           detail ? " " : "", detail ? detail : "");
  if (napi_create_error(env, js_string(env, name ? name : "UNKNOWN"), js_string(env, msg), &error) == napi_ok &&
      js_set(env, error, "errno", js_number(env, -err)) && js_set(env, error, "syscall", js_string(env, syscall)))
    napi_throw(env, error);
  return NULL;
}

int js_args(napi_env env, napi_callback_info info, const char *types, napi_value *argv, int32_t *ints) {
  size_t want = strlen(types), argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  if (argc < want) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", "weir_native: missing arguments");
    return 0;
  }
  for (size_t i = 0; i < want; i++) {
    if (types[i] != 'i') continue;
    if (napi_get_value_int32(env, argv[i], ints++) != napi_ok) {
      napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "weir_native: expected a number");
      return 0;
    }
  }
  return 1;
}

int js_string_arg(napi_env env, napi_value value, char *buf, size_t size, const char *syscall) {
  size_t len;
  if (napi_get_value_string_utf8(env, value, buf, size, &len) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "weir_native: expected a string");
    return 0;
  }
  if (len + 1 < size) return 1;
  throw_errno(env, ENAMETOOLONG, syscall, NULL);
  return 0;
}

long long now_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec * 1000LL + now.tv_nsec / 1000000;
}

int ms_left(long long deadline) {
  long long left = deadline - now_ms();
  return left > 0 ? (int)left : 0;
}

napi_value close_and_throw(napi_env env, int fd, const char *syscall, const char *detail) {
  int err = errno;
  close(fd);
  return throw_errno(env, err, syscall, detail);
}
