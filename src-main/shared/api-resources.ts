// FHIR resources as the API carries them (part of the renderer <-> host contract in api.ts, which re-exports it; docs/architecture.md).

export type ResourceStatus = 'ok' | 'gone' | 'forbidden' | 'pending' | 'error';

export interface FhirResource {
  resourceType: string;
  id?: string;
  meta?: { versionId?: string; lastUpdated?: string };
  [key: string]: unknown;
}

export interface ResourceView {
  reference: string;
  status: ResourceStatus;
  resource: FhirResource | null;
  /** Human message for non-ok states; never contains tokens. */
  message: string | null;
}
