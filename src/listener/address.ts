/** A listener's address as configured: "127.0.0.1:80", "[::1]:80", "*:80", "unix:/run/weir.sock". */
export type ListenAddress = { kind: "tcp"; host: string; port: number } | { kind: "unix"; path: string };

export function parseListenAddress(text: string): ListenAddress {
  if (text.startsWith("unix:")) return { kind: "unix", path: text.slice(5) };
  const colon = text.lastIndexOf(":");
  let host = text.slice(0, colon);
  if (host.startsWith("[")) host = host.slice(1, -1);
  if (host === "*") host = "::";
  return { kind: "tcp", host, port: Number(text.slice(colon + 1)) };
}

export function formatListenAddress(a: ListenAddress): string {
  if (a.kind === "unix") return `unix:${a.path}`;
  return a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
