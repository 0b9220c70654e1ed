import { describe, expect, it } from "vitest";
import { registry } from "../../../nodes/catalog";
import { configFields } from "./config-fields";

describe("config fields from a node type's schema", () => {
  it("finds the template fields of a descriptor that reads a defaulted field (approval@2 reads autonomy.mode)", () => {
    const meta = registry.get("human.approval", 2)!;
    const kinds = Object.fromEntries(configFields(meta).map((f) => [f.name, f.kind]));
    expect(kinds).toMatchObject({ title: "template", instructions: "template", risk: "enum" });
  });

  it("every field of every registered node type carries help, and its examples are values the field accepts", () => {
    const missing: string[] = [];
    const refused: string[] = [];
    let fields = 0;
    for (const meta of registry.all()) {
      for (const field of configFields(meta)) {
        fields++;
        const where = `${meta.type}@${meta.version} ${field.name}`;
        if (!field.description || field.description.trim().length < 10) missing.push(where);
        for (const example of field.examples ?? []) {
          // Other fields may be missing from this one-field config; only issues at this field count.
          const parsed = meta.config.safeParse({ [field.name]: example });
          if (!parsed.success && parsed.error.issues.some((i) => i.path[0] === field.name)) refused.push(`${where}: ${JSON.stringify(example)}`);
        }
      }
    }
    expect(fields).toBeGreaterThan(50);
    expect(missing).toEqual([]);
    expect(refused).toEqual([]);
  });
});
