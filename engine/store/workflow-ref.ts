/**
 * The filter for a workflow named by the operator, by id or by slug (CLI, API, sub-workflow
 * nodes and webhook URLs accept both). Archived ones are left out unless asked for.
 */
export function workflowRef(ref: string, options: { archived?: boolean } = {}) {
  return { OR: [{ id: ref }, { slug: ref }], ...(options.archived ? {} : { archivedAt: null }) };
}
