import { stringify } from "smol-toml";

/** One TOML value as it is written after `key = `. */
export function tomlValue(value: unknown): string {
  return stringify({ v: value }).trim().slice("v = ".length);
}
