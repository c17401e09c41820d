// The dashboard's files (dashboard/ beside this file: plain HTML, JS and CSS, no build step, no CDN), read
// once on first use and served from memory.
import { readFileSync } from "node:fs";

export interface Asset {
  contentType: string;
  body: Buffer;
}

const FILES: Readonly<Record<string, { file: string; contentType: string }>> = {
  "/": { file: "index.html", contentType: "text/html; charset=utf-8" },
  "/index.html": { file: "index.html", contentType: "text/html; charset=utf-8" },
  "/dashboard.js": { file: "dashboard.js", contentType: "text/javascript; charset=utf-8" },
  "/dashboard.css": { file: "dashboard.css", contentType: "text/css; charset=utf-8" },
};

const cache = new Map<string, Asset>();

export function dashboardAsset(path: string): Asset | undefined {
  const spec = FILES[path];
  if (spec === undefined) return undefined;
  let asset = cache.get(spec.file);
  if (asset === undefined) {
    asset = {
      contentType: spec.contentType,
      body: readFileSync(new URL(`./dashboard/${spec.file}`, import.meta.url)),
    };
    cache.set(spec.file, asset);
  }
  return asset;
}
