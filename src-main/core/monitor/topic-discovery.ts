// Which topics does this server offer? R4 servers list them on the CapabilityStatement
// (capabilitystatement-subscriptiontopic-canonical) and as Basic-wrapped topics; R4B/R5 servers as
// SubscriptionTopic resources (fhir-subscriptions.md §3.2, §8 item 14). Every source is optional.
import { fhirFetch, type FhirAccess } from '../fhir/fhir-client.ts';

const CANONICAL_EXT =
  'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/capabilitystatement-subscriptiontopic-canonical';
// Basic-wrapped topics carry their url in a cross-version extension; both prefixes occur in the wild.
const TOPIC_URL_EXTS = [
  'http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.url',
  'http://hl7.org/fhir/4.3/StructureDefinition/extension-SubscriptionTopic.url',
];

interface Extension {
  url?: unknown;
  valueCanonical?: unknown;
  valueUri?: unknown;
}

function extensions(value: unknown): Extension[] {
  const list = (value as { extension?: unknown } | null)?.extension;
  return Array.isArray(list) ? (list.filter((e) => e && typeof e === 'object') as Extension[]) : [];
}

function entries(bundle: unknown): unknown[] {
  const list = (bundle as { entry?: unknown } | null)?.entry;
  return Array.isArray(list) ? list.map((e) => (e as { resource?: unknown }).resource) : [];
}

export function topicsFromCapabilityStatement(statement: unknown): string[] {
  const rest = (statement as { rest?: unknown } | null)?.rest;
  if (!Array.isArray(rest)) return [];
  return rest.flatMap((r: unknown) => {
    const resources = (r as { resource?: unknown }).resource;
    if (!Array.isArray(resources)) return [];
    return resources
      .filter((res: unknown) => (res as { type?: unknown }).type === 'Subscription')
      .flatMap((res: unknown) =>
        extensions(res)
          .filter((e) => e.url === CANONICAL_EXT && typeof e.valueCanonical === 'string')
          .map((e) => e.valueCanonical as string),
      );
  });
}

export function topicsFromBasicBundle(bundle: unknown): string[] {
  return entries(bundle).flatMap((resource) =>
    extensions(resource)
      .filter((e) => typeof e.url === 'string' && TOPIC_URL_EXTS.includes(e.url))
      .map((e) => e.valueUri ?? e.valueCanonical)
      .filter((v): v is string => typeof v === 'string'),
  );
}

export function topicsFromSubscriptionTopicBundle(bundle: unknown): string[] {
  return entries(bundle)
    .map((resource) => (resource as { url?: unknown } | null)?.url)
    .filter((v): v is string => typeof v === 'string');
}

/** All topic canonicals the server advertises, from every source that answers. */
export async function discoverTopics(access: FhirAccess): Promise<Set<string>> {
  const found = new Set<string>();
  const attempts: Array<[string, (body: unknown) => string[]]> = [
    ['metadata', topicsFromCapabilityStatement],
    [
      `Basic?code=${encodeURIComponent('http://hl7.org/fhir/fhir-types|SubscriptionTopic')}`,
      topicsFromBasicBundle,
    ],
    ['SubscriptionTopic', topicsFromSubscriptionTopicBundle],
  ];
  for (const [path, extract] of attempts) {
    try {
      const { status, body } = await fhirFetch(access, path);
      if (status === 200) for (const topic of extract(body)) found.add(topic);
    } catch {
      // a source the server does not have (404, not JSON): try the next
    }
  }
  return found;
}
