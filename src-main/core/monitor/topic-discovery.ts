// What does this server offer for subscriptions? Topics: R4 servers list them on the
// CapabilityStatement (capabilitystatement-subscriptiontopic-canonical) and as Basic-wrapped topics;
// R4B/R5 servers as SubscriptionTopic resources (Subscriptions R5 Backport IG, topic discovery). The
// CapabilityStatement also lists Subscription's search parameters and operations. Every source is
// optional; what cannot be declared (SSE or websocket, the binding-token method, the bind form, whether
// a subscription survives its socket) is learned at run time (server-profile.ts).
import { bundleResources, field, records, str } from '../../shared/fhir-json.ts';
import { FhirRequestError, fhirFetch, type FhirAccess } from '../fhir/fhir-client.ts';

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

/** What the CapabilityStatement says about Subscription beyond topics: search params, operations. */
function subscriptionDeclaration(statement: unknown): { searchParams: string[]; operations: string[] } {
  const declared = records(field(statement, 'rest')).flatMap((rest) =>
    records(rest['resource']).filter((resource) => resource['type'] === 'Subscription'),
  );
  const names = (key: string) =>
    declared.flatMap((resource) => records(resource[key]).map((item) => str(item['name']) ?? ''));
  return {
    searchParams: names('searchParam').filter(Boolean),
    // `$events`, `$status`, `$get-ws-binding-token`, written with or without the `$`.
    operations: names('operation')
      .filter(Boolean)
      .map((name) => name.replace(/^\$/, '')),
  };
}

/** What the server declares about subscriptions; each source is optional, none is assumed. */
export interface ServerCapabilities {
  /** Topic canonicals it advertises; empty for servers without SubscriptionTopic (Medplum). */
  topics: Set<string>;
  /** Search parameters it lists for Subscription (`_tag`, `criteria`, …). */
  subscriptionSearchParams: Set<string>;
  /** Subscription operations it lists (`events`, `status`, `get-ws-binding-token`). */
  subscriptionOperations: Set<string>;
  /** Whether a CapabilityStatement was read at all: without one, absence of an operation means nothing. */
  statementRead: boolean;
}

/**
 * Discovery could not tell what the server offers (network failure, 401, 429, 5xx). Never read as "the
 * server offers nothing": that would re-plan subscriptions and abandon the ones that work.
 */
export class DiscoveryUnavailableError extends Error {
  override readonly name = 'DiscoveryUnavailableError';
}

/** Statuses that say "this server does not have that source" (as opposed to "not now"). */
const ABSENT = new Set([400, 403, 404, 405, 406, 410, 501]);

/** The body of one discovery source; null when the server does not have it; throws when it cannot tell. */
async function fetchSource(access: FhirAccess, path: string): Promise<unknown> {
  let answer: { status: number; body: unknown };
  try {
    answer = await fhirFetch(access, path);
  } catch (error) {
    // An answer whose body is not JSON (an HTML 404 page) still says whether the source exists.
    if (error instanceof FhirRequestError && ABSENT.has(error.status)) return null;
    const why = error instanceof Error ? error.message : String(error);
    throw new DiscoveryUnavailableError(`could not read ${path.split('?')[0]}: ${why}`, { cause: error });
  }
  if (answer.status === 200) return answer.body;
  if (ABSENT.has(answer.status)) return null;
  throw new DiscoveryUnavailableError(`reading ${path.split('?')[0]} answered ${answer.status}`);
}

/**
 * Read the CapabilityStatement and every topic source the server has. Throws DiscoveryUnavailableError
 * when a source could not be read for a transient reason (the caller retries later).
 */
export async function discoverCapabilities(access: FhirAccess): Promise<ServerCapabilities> {
  const statement = await fetchSource(access, 'metadata');
  const declared = subscriptionDeclaration(statement);
  const topics = new Set(topicsFromCapabilityStatement(statement));
  const sources: Array<[string, (body: unknown) => string[]]> = [
    [
      `Basic?code=${encodeURIComponent('http://hl7.org/fhir/fhir-types|SubscriptionTopic')}`,
      topicsFromBasicBundle,
    ],
    ['SubscriptionTopic', topicsFromSubscriptionTopicBundle],
  ];
  for (const [path, extract] of sources) {
    const body = await fetchSource(access, path);
    if (body !== null) for (const topic of extract(body)) topics.add(topic);
  }
  return {
    topics,
    subscriptionSearchParams: new Set(declared.searchParams),
    subscriptionOperations: new Set(declared.operations),
    statementRead: statement !== null,
  };
}

/** All topic canonicals the server advertises, from every source that answers. */
export async function discoverTopics(access: FhirAccess): Promise<Set<string>> {
  return (await discoverCapabilities(access)).topics;
}
