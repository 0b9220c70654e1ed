import { WorkflowList } from "../../_components/workflows/WorkflowList";

export default function WorkflowsPage() {
  return <WorkflowList />;
}
