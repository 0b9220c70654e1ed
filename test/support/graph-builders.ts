// Terse builders for graph documents in tests: a node at the origin labelled by its id, and an
// edge into the target's `in` port. `extra` carries node fields such as a retry override.

export const n = (id: string, type: string, config: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  id,
  type,
  typeVersion: 1,
  label: id,
  position: { x: 0, y: 0 },
  config,
  ...extra,
});

export const e = (id: string, source: string, target: string, sourcePort = "out") => ({ id, source, sourcePort, target, targetPort: "in" });
