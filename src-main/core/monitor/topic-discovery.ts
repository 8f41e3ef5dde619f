// Which topics does this server offer? R4 servers list them on the CapabilityStatement
// (capabilitystatement-subscriptiontopic-canonical) and as Basic-wrapped topics; R4B/R5 servers as
// SubscriptionTopic resources (Subscriptions R5 Backport IG, topic discovery). Every source is optional.
import { bundleResources, field, records, str } from '../../shared/fhir-json.ts';
import { fhirFetch, type FhirAccess } from '../fhir/fhir-client.ts';

const CANONICAL_EXT =
  'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/capabilitystatement-subscriptiontopic-canonical';
// Basic-wrapped topics carry their url in a cross-version extension; both prefixes occur in the wild.
const TOPIC_URL_EXTS = [
  'http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.url',
  'http://hl7.org/fhir/4.3/StructureDefinition/extension-SubscriptionTopic.url',
];

/** The string value (`valueCanonical` or `valueUri`) of the extensions with one of these urls. */
function extensionValues(element: unknown, urls: readonly string[], keys: readonly string[]): string[] {
  return records(field(element, 'extension'))
    .filter((e) => urls.includes(str(e['url']) ?? ''))
    .map((e) => keys.map((key) => str(e[key])).find((v) => v !== null) ?? null)
    .filter((v): v is string => v !== null);
}

export function topicsFromCapabilityStatement(statement: unknown): string[] {
  return records(field(statement, 'rest')).flatMap((rest) =>
    records(rest['resource'])
      .filter((resource) => resource['type'] === 'Subscription')
      .flatMap((resource) => extensionValues(resource, [CANONICAL_EXT], ['valueCanonical'])),
  );
}

export function topicsFromBasicBundle(bundle: unknown): string[] {
  return bundleResources(bundle).flatMap((resource) =>
    extensionValues(resource, TOPIC_URL_EXTS, ['valueUri', 'valueCanonical']),
  );
}

export function topicsFromSubscriptionTopicBundle(bundle: unknown): string[] {
  return bundleResources(bundle)
    .map((resource) => str(resource['url']))
    .filter((v): v is string => v !== null);
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
