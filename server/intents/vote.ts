// The memory fallback of the intent router: past routed intents nearest to a new one vote for
// their workflow, each vote weighted by its similarity. Pure: the neighbours come from the
// memory index (Chroma) or, in the benchmark, from an exact search.

export interface Neighbour {
  /** The memory item (or example) that voted. */
  id: string;
  label: string;
  /** Cosine similarity to the new intent, -1..1. */
  similarity: number;
}

export interface Vote {
  label: string;
  /** The winning label's share of the weighted vote, 0..1. */
  confidence: number;
  /** The neighbours that voted, nearest first. */
  neighbours: Neighbour[];
}

/**
 * Weighted vote of the k nearest neighbours. Weights sharpen with the power so one very close
 * example outweighs several loose ones; ties go to the label of the nearest neighbour.
 */
export function voteOnNeighbours(neighbours: readonly Neighbour[], k = 7, power = 4): Vote | null {
  const nearest = [...neighbours].sort((a, b) => b.similarity - a.similarity).slice(0, k);
  if (nearest.length === 0) return null;
  const weights = new Map<string, number>();
  let total = 0;
  for (const n of nearest) {
    const weight = Math.max(n.similarity, 0) ** power;
    weights.set(n.label, (weights.get(n.label) ?? 0) + weight);
    total += weight;
  }
  let best = nearest[0]!.label;
  for (const [label, weight] of weights) if (weight > (weights.get(best) ?? 0)) best = label;
  return { label: best, confidence: total > 0 ? (weights.get(best) ?? 0) / total : 0, neighbours: nearest };
}

export function cosineSimilarity(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
