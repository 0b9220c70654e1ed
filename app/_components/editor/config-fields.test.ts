import { describe, expect, it } from "vitest";
import { registry } from "../../../nodes/catalog";
import { configFields } from "./config-fields";

describe("config fields from a node type's schema", () => {
  it("finds the template fields of a descriptor that reads a defaulted field (approval@2 reads autonomy.mode)", () => {
    const meta = registry.get("human.approval", 2)!;
    const kinds = Object.fromEntries(configFields(meta).map((f) => [f.name, f.kind]));
    expect(kinds).toMatchObject({ title: "template", instructions: "template", risk: "enum" });
  });
});
