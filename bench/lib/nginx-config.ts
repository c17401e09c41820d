/**
 * nginx configs for the bench candidates and the HTTP origin: one worker in the foreground with its
 * files in the row's temp folder, then the caller's blocks. Every row's nginx is written here, so the
 * settings all of them rely on (no daemon, one worker, keep-alive without limits) cannot drift apart.
 */

/** What the top of the config names; the error log is also passed to `nginx -e` by launchNginx. */
export interface NginxFiles {
  /** Absolute path of the pid file. */
  pid: string;
  /** Absolute path of the error log. */
  errorLog: string;
}

export interface NginxConfig extends NginxFiles {
  /** Lines before the main settings (`load_module`). */
  preamble?: readonly string[];
  workerConnections: number;
  /** The top-level blocks after `events`: an `http { }` (see nginxHttp) or `stream { }`. */
  blocks: readonly string[];
}

/** The config text, one directive a line, ending with a newline. */
export function nginxConfig(c: NginxConfig): string {
  return [
    ...(c.preamble ?? []),
    "daemon off;",
    "master_process off;",
    "worker_processes 1;",
    `pid ${c.pid};`,
    `error_log ${c.errorLog} warn;`,
    `events { worker_connections ${c.workerConnections}; }`,
    ...c.blocks,
    "",
  ].join("\n");
}

/**
 * An `http { }` block: no access log, keep-alive without limits (and HTTP/2 streams without limits when
 * `http2`, for the rows with an h2c server), temp files relative to the `-p` prefix, then `servers`
 * (upstreams and server blocks, indented by the caller).
 */
export function nginxHttp(opts: { http2: boolean }, servers: readonly string[]): string[] {
  return [
    "http {",
    "  access_log off;",
    "  keepalive_requests 100000000;",
    "  keepalive_timeout 300s;",
    ...(opts.http2 ? ["  http2_max_requests 100000000;"] : []),
    "  client_body_temp_path client_body;",
    "  proxy_temp_path proxy_temp;",
    "  fastcgi_temp_path fastcgi_temp;",
    "  uwsgi_temp_path uwsgi_temp;",
    "  scgi_temp_path scgi_temp;",
    ...servers,
    "}",
  ];
}

/** An upstream named `origin` with a pool of 256 idle keep-alive connections to 127.0.0.1:`port`. */
export function nginxOriginUpstream(port: number): string {
  return `  upstream origin { server 127.0.0.1:${port}; keepalive 256; keepalive_requests 100000000; }`;
}

/** `location /` proxying to the `origin` upstream over HTTP/1.1 keep-alive. */
export const NGINX_PROXY_TO_ORIGIN: readonly string[] = [
  "    location / {",
  "      proxy_pass http://origin;",
  "      proxy_http_version 1.1;",
  '      proxy_set_header Connection "";',
  "    }",
];

/** A server block: `listen` parameters after the address, then its lines (already indented). */
export function nginxServer(listen: string, lines: readonly string[]): string[] {
  return [`  server { listen ${listen};`, ...lines, "  }"];
}
