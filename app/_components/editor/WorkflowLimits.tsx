"use client";

import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation } from "@tanstack/react-query";
import { useForm } from "react-hook-form";
import { z } from "zod";
import { useTRPC } from "../../_trpc/client";

// The workflow's limits (workflow.setLimits): a small form, submitted on purpose, with errors
// that name the field. Empty means no limit.

const optionalWhole = (label: string, max: number) =>
  z
    .string()
    .trim()
    .refine((v) => v === "" || (/^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= max), `${label} must be a whole number from 1 to ${max}, or empty for no limit`);

const LimitsForm = z.object({
  maxConcurrentRuns: optionalWhole("Concurrent runs", 1000),
  maxRunSeconds: optionalWhole("Run time", 365 * 24 * 3600),
});
type LimitsForm = z.infer<typeof LimitsForm>;

export function WorkflowLimits({ workflowId, current }: { workflowId: string; current: { maxConcurrentRuns: number | null; maxRunSeconds: number | null } }) {
  const trpc = useTRPC();
  const save = useMutation(trpc.workflow.setLimits.mutationOptions());
  const form = useForm<LimitsForm>({
    resolver: zodResolver(LimitsForm),
    defaultValues: { maxConcurrentRuns: current.maxConcurrentRuns?.toString() ?? "", maxRunSeconds: current.maxRunSeconds?.toString() ?? "" },
  });
  const submit = form.handleSubmit((values) =>
    save.mutate({
      id: workflowId,
      maxConcurrentRuns: values.maxConcurrentRuns === "" ? null : Number(values.maxConcurrentRuns),
      maxRunSeconds: values.maxRunSeconds === "" ? null : Number(values.maxRunSeconds),
    }),
  );
  const errors = form.formState.errors;
  return (
    <form className="form" onSubmit={(e) => void submit(e)} aria-labelledby="limits-heading" data-testid="workflow-limits">
      <h3 id="limits-heading">Limits</h3>
      <div className="form-field">
        <label htmlFor="limit-concurrent">Runs at once</label>
        <input id="limit-concurrent" inputMode="numeric" placeholder="no limit" {...form.register("maxConcurrentRuns")} />
        {errors.maxConcurrentRuns ? <p className="field-error" role="alert">{errors.maxConcurrentRuns.message}</p> : null}
      </div>
      <div className="form-field">
        <label htmlFor="limit-seconds">Longest run (seconds)</label>
        <input id="limit-seconds" inputMode="numeric" placeholder="no limit" {...form.register("maxRunSeconds")} />
        {errors.maxRunSeconds ? <p className="field-error" role="alert">{errors.maxRunSeconds.message}</p> : null}
      </div>
      <button type="submit" className="button-quiet" disabled={save.isPending}>
        Save limits
      </button>
      {save.isError ? (
        <p className="form-error" role="alert">
          {save.error.message}
        </p>
      ) : save.isSuccess ? (
        <p role="status">Limits saved.</p>
      ) : null}
    </form>
  );
}
