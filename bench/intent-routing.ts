import { useLiteEmbedder } from "../infra/memory/embedders";
import { IntentRoutingSettingsSchema } from "../server/intents/settings";
import { cosineSimilarity, voteOnNeighbours } from "../server/intents/vote";
import { INTENTS, type LabelledIntent } from "./data/intents";

// Accuracy of the intent router's memory fallback (nearest past routed intents vote) with the
// built-in offline embedder, on hand-written paraphrased intents over five workflows. A fixed
// stratified split: within each label, even positions are learned (routed earlier), odd ones
// scored. Baselines from the same split: the majority class, and a keyword classifier that
// scores each label by the idf-weighted words its learned intents share with the new one.

const STOP = new Set("a an the and or but to of for in on at by with from is are was were be been it its this that these those i me my we our us you your he she they them his her can could would should will do does did have has had not no so if as just please hi hello there what when where why how which who about into up out get got need want like some any all".split(" "));

export function words(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 1 && !STOP.has(w));
}

function keywordClassifier(train: LabelledIntent[]) {
  const byLabel = new Map<string, Set<string>>();
  const df = new Map<string, number>();
  for (const item of train) {
    const set = byLabel.get(item.label) ?? new Set<string>();
    for (const w of new Set(words(item.text))) {
      if (!set.has(w)) df.set(w, (df.get(w) ?? 0) + 1);
      set.add(w);
    }
    byLabel.set(item.label, set);
  }
  const labels = [...byLabel.keys()];
  return (text: string): string => {
    let best = labels[0]!;
    let bestScore = -1;
    for (const label of labels) {
      const vocabulary = byLabel.get(label)!;
      let score = 0;
      for (const w of new Set(words(text))) if (vocabulary.has(w)) score += Math.log(1 + labels.length / (df.get(w) ?? 1));
      if (score > bestScore) [best, bestScore] = [label, score];
    }
    return best;
  };
}

export function stratifiedSplit(items: readonly LabelledIntent[]) {
  const position = new Map<string, number>();
  const train: LabelledIntent[] = [];
  const test: LabelledIntent[] = [];
  for (const item of items) {
    const i = position.get(item.label) ?? 0;
    position.set(item.label, i + 1);
    (i % 2 === 0 ? train : test).push(item);
  }
  return { train, test };
}

export async function benchIntentRouting(): Promise<void> {
  const { train, test } = stratifiedSplit(INTENTS);
  const embedder = useLiteEmbedder();
  const [trainVectors, testVectors] = [await embedder.embed(train.map((i) => i.text)), await embedder.embed(test.map((i) => i.text))];

  // As the service routes with its default settings: neighbours below minSimilarity do not
  // vote, and a vote below the threshold sends the intent to triage instead.
  const defaults = IntentRoutingSettingsSchema.parse({});
  let memoryCorrect = 0;
  let routed = 0;
  let routedCorrect = 0;
  for (const [i, item] of test.entries()) {
    const neighbours = train.map((t, j) => ({ id: String(j), label: t.label, similarity: cosineSimilarity(testVectors[i]!, trainVectors[j]!) }));
    if (voteOnNeighbours(neighbours)?.label === item.label) memoryCorrect++;
    const vote = voteOnNeighbours(neighbours.filter((n) => n.similarity >= defaults.minSimilarity));
    if (vote && vote.confidence >= defaults.threshold) {
      routed++;
      if (vote.label === item.label) routedCorrect++;
    }
  }

  const counts = new Map<string, number>();
  for (const t of train) counts.set(t.label, (counts.get(t.label) ?? 0) + 1);
  const majority = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]![0];
  const majorityAccuracy = test.filter((t) => t.label === majority).length / test.length;

  const keywords = keywordClassifier(train);
  const keywordAccuracy = test.filter((t) => keywords(t.text) === t.label).length / test.length;

  const accuracy = memoryCorrect / test.length;
  const detail = { intents: INTENTS.length, workflows: counts.size, learned: train.length, scored: test.length, embedder: embedder.id };
  // Accuracy needs three digits, so these lines are printed here rather than by report().
  const line = (name: string, baseline: number, baselineName: string) =>
    console.log(JSON.stringify({ name, value: round(accuracy), unit: "accuracy", baseline: round(baseline), ratio: round(accuracy / baseline), baselineName, ...detail }));
  line("intent routing: memory fallback vs majority class", majorityAccuracy, "majority class");
  line("intent routing: memory fallback vs keywords", keywordAccuracy, "idf-weighted keyword overlap");
  const settings = { minSimilarity: defaults.minSimilarity, threshold: defaults.threshold };
  const share = routed / test.length;
  const precision = routed ? routedCorrect / routed : 0;
  console.log(JSON.stringify({ name: "intent routing: share routed without triage (default settings)", value: round(share), unit: "share", baseline: 1, ratio: round(share), baselineName: "every intent", ...settings, ...detail }));
  console.log(JSON.stringify({ name: "intent routing: precision of routes without triage vs keywords", value: round(precision), unit: "accuracy", baseline: round(keywordAccuracy), ratio: round(precision / keywordAccuracy), baselineName: "idf-weighted keyword overlap", ...settings, ...detail }));
}

const round = (n: number) => Math.round(n * 1000) / 1000;
