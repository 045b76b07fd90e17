/**
 * A workflow version a release retires without failing the runs still queued under it. Runs name
 * the version they were accepted for, and a release may stop shipping that version's handler: the
 * retired version then stays in the catalog as its manifest plus an `upgrade` that moves its payload
 * to a newer version's shape, and its runs are handled by that version with a
 * `workflow.version_upgraded` event. The run keeps its envelope, key, ledger row and version; only
 * the payload its handler sees is moved forward (docs/defining-workflows.md, "Releasing a new version").
 */
import { isSemver } from '@revos/envelope';
import type { z } from 'zod';
import { compareVersions, type AnyManifest, type WorkflowManifest } from './manifest.js';

export interface UpgradeOptions<S extends z.ZodType> {
  /** The newer version (registered in the same catalog) whose handler runs this version's runs. */
  upgradeTo: string;
  /**
   * This version's payload in the `upgradeTo` version's shape. Pure: no I/O and no clock, so every
   * attempt of a run moves the same payload the same way.
   */
  upgrade(payload: z.infer<S>): unknown;
}

/**
 * A retired version: its manifest (gates, lane, attempts and payload schema as queued runs were
 * accepted under) and its upgrade. Its `run` is bound by the WorkflowCatalog that registers it.
 */
export interface RetiredVersion<S extends z.ZodType = z.ZodType> extends WorkflowManifest<S> {
  readonly upgradeTo: string;
  upgrade(payload: z.infer<S>): unknown;
  run(ctx: unknown): Promise<never>;
}

/** The effect (and its event) that records a run's move to a newer version, once per key and hop. */
export const UPGRADE_EFFECT_PREFIX = 'version_upgrade:';
export const VERSION_UPGRADED_EVENT = 'workflow.version_upgraded';

/**
 * Retires `manifest` (the old version's, kept as it was released) in favour of `upgradeTo`; list it
 * beside the new version in the workflows a worker serves and the manifests the producer reads.
 * Throws at load time when `upgradeTo` is not a newer semver.
 */
export function retiredVersion<S extends z.ZodType>(manifest: WorkflowManifest<S>, options: UpgradeOptions<S>): RetiredVersion<S> {
  const { name, version } = manifest;
  if (!isSemver(options.upgradeTo)) throw new Error(`workflow ${name}@${version}: upgradeTo ${options.upgradeTo} must be semver`);
  if (compareVersions(options.upgradeTo, version) <= 0) throw new Error(`workflow ${name}@${version}: upgradeTo ${options.upgradeTo} must be newer than ${version}`);
  if (typeof options.upgrade !== 'function') throw new Error(`workflow ${name}@${version}: upgrade must be a function of the payload`);
  return {
    ...manifest,
    upgradeTo: options.upgradeTo,
    upgrade: options.upgrade,
    // Replaced when a catalog registers it: only the catalog knows the newer handler.
    run: () => Promise.reject(new Error(`${name}@${version} is retired: register it in a WorkflowCatalog beside ${name}@${options.upgradeTo}`)),
  };
}

export function isRetiredVersion(value: AnyManifest): value is RetiredVersion {
  const v = value as Partial<RetiredVersion>;
  return typeof v.upgradeTo === 'string' && typeof v.upgrade === 'function';
}
