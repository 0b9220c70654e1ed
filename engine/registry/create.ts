import type { AnyNodeMeta, NodeRegistry } from "./types";

/** Builds a registry from descriptors, refusing duplicates (type + version must be unique). */
export function createRegistry(metas: AnyNodeMeta[]): NodeRegistry {
  const byKey = new Map<string, AnyNodeMeta>();
  for (const meta of metas) {
    const key = `${meta.type}@${meta.version}`;
    if (byKey.has(key)) throw new Error(`node type ${key} is registered twice`);
    byKey.set(key, meta);
  }
  const sorted = [...byKey.values()].sort((a, b) => a.type.localeCompare(b.type) || a.version - b.version);
  return {
    get: (type, version) => byKey.get(`${type}@${version}`),
    latest(type) {
      const candidates = sorted.filter((m) => m.type === type && !m.deprecated);
      return candidates[candidates.length - 1];
    },
    versions: (type) => sorted.filter((m) => m.type === type).map((m) => m.version),
    all: () => sorted,
  };
}
