// A user filter (examples/filters.toml): the upstream gets `x-tenant` set to the first segment of the
// path ("/acme/orders" → "acme"); a request without one gets no header. Options: `header` (default
// "x-tenant"). The factory runs once per config generation; the hook runs per request.
import type { Filter, FilterFactory, RequestContext } from "weir";

const tenant: FilterFactory = (section): Filter => {
  const header = typeof section.header === "string" ? section.header.toLowerCase() : "x-tenant";
  return {
    name: "tenant",
    requestArrival(ctx: RequestContext) {
      const path = ctx.path;
      let end = 1;
      while (end < path.length && path[end] !== "/" && path[end] !== "?") end++;
      const segment = path.slice(1, end);
      // ctx.upstreamHeaders is flat: [name, value, name, value, ...]; replace any the client sent.
      const out = ctx.upstreamHeaders;
      for (let i = out.length - 2; i >= 0; i -= 2) {
        if (out[i]!.toLowerCase() === header) out.splice(i, 2);
      }
      if (segment !== "") out.push(header, decodeURIComponent(segment));
      return undefined;
    },
  };
};

export default tenant;
