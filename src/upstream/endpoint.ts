/** One address of an upstream cluster. `key` ("host:port") names it in logs and pools. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
  readonly key: string;
}

/** "127.0.0.1:80", "[::1]:80", "app.internal:8080" → Endpoint. The schema has validated the shape. */
export function parseEndpoint(text: string): Endpoint {
  const colon = text.lastIndexOf(":");
  const rawHost = text.slice(0, colon);
  const host = rawHost.startsWith("[") ? rawHost.slice(1, -1) : rawHost;
  return Object.freeze({ host, port: Number(text.slice(colon + 1)), key: text });
}
