export interface PendingOutboxEntry {
  outbox_id: string;
  tenant_id: string;
  parent_run_id: string;
  root_run_id: string;
  workflow: string;
  attempts: number;
  last_error: string | null;
  age_s: number;
}
