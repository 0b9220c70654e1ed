import { Dashboard } from "./_dashboard/Dashboard";

// `/` is the operations dashboard; the workflows list is at /workflows.
export default function DashboardPage() {
  return <Dashboard />;
}
