/** The rows the task queries return (re-exported by src/rows.ts). */
import type { TaskResolution, TaskStatus } from '@revos/envelope';

export interface TaskRow {
  task_id: string;
  tenant_id: string;
  workflow_run_id: string;
  root_run_id: string;
  idempotency_key: string;
  kind: string;
  failure_code: string | null;
  reason: string;
  status: TaskStatus;
  /** Who claimed it, from the credential: `api:<key id>`, `admin:<user>`, `cli:<operator>`. */
  claimed_by: string | null;
  /** The name the caller gave for itself (free text, as sent; escape it wherever it is shown). */
  claimed_by_label: string | null;
  claimed_at: string | null;
  resolution: TaskResolution | null;
  resolution_note: string | null;
  resolved_by: string | null;
  /** As `claimed_by_label`, for the resolve. */
  resolved_by_label: string | null;
  created_at: string;
  closed_at: string | null;
}

export interface ListedTask extends TaskRow {
  workflow_name: string | null;
  /** Seconds since the task was opened: what an operator sorts by. */
  age_s: number;
}

export interface OpenTaskCount {
  kind: string;
  failure_code: string | null;
  n: number;
}

export interface OpenTaskRow {
  task_id: string;
  tenant_id: string;
  workflow_run_id: string;
  root_run_id: string;
  workflow_name: string | null;
  kind: string;
  /** `open`, or `claimed` while someone works on it (still not done). */
  status: 'open' | 'claimed';
  claimed_by: string | null;
  claimed_by_label: string | null;
  failure_code: string | null;
  reason: string;
  created_at: string;
}
