import type { Problem } from "../../../engine/graph/problems";

// A problem said where it is shown: on the node (or its field) the "Node 'x' (Type):" prefix
// repeats what is already in view, and zod's wording for a missing field is not a sentence.
export function problemText(problem: Problem, where: "node" | "field" = "node"): string {
  let text = problem.message.replace(/^Node '[^']*'(?: \([^)]*\))?: /, "");
  text = text.replace(/Invalid input: expected \w+, received undefined/, "is required");
  if (where === "field") text = text.replace(/^[\w.]+ (?=is |must |has |Invalid|Too )/, "");
  return text.charAt(0).toUpperCase() + text.slice(1);
}
