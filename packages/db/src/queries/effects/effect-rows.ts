/** A journaled effect of one run, as the CLI reads an export's progress. */
export interface RunEffectRow {
  effect_name: string;
  state: string;
  result: unknown;
}
