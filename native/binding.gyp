{
  "targets": [
    {
      "target_name": "weir_native",
      "sources": ["weir_native.c", "napi_helpers.c", "listeners.c", "fd_passing.c", "socket_info.c"],
      # Hidden visibility: only the N-API entry points are exported, so our helper
      # names can never bind to a same-named symbol of the node executable.
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags_c": ["-fvisibility=hidden", "-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
