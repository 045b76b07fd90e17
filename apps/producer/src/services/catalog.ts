import { WorkflowCatalog, type AnyManifest, type ManifestCatalog } from '@revos/runtime';
import { referenceManifests } from '@revos/workflows/manifests';

/**
 * The producer's catalog: manifests only. It validates, routes and describes runs and never runs a
 * handler, so it needs no vendor adapter, no database handle and no PHI key to be built.
 * `extra`: a deployment's own workflows' manifests (WORKFLOWS_MODULE, runProducerMain) or a test's.
 */
export function createProducerCatalog(extra: readonly AnyManifest[] = []): ManifestCatalog {
  return new WorkflowCatalog<AnyManifest>([...referenceManifests, ...extra]);
}
