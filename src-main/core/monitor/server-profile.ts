// What this workstation knows about a FHIR server's subscriptions: what it declares (topics, search
// parameters, operations: topic-discovery.ts) and what could only be learned by trying, because no
// CapabilityStatement says it: whether it gives our SSE channel an endpoint, the method its
// `$get-ws-binding-token` answers, the bind message form it understands, whether a subscription
// survives its socket, whether `$events` works. Learned facts are kept in the client database, so a
// restart does not pay for the same discovery again (docs/interop.md).
import { bool, field, record, str } from '../../shared/fhir-json.ts';
import type { FhirAccess } from '../fhir/fhir-client.ts';
import type { ClientStore } from '../store/client-store.ts';
import { discoverCapabilities, type ServerCapabilities } from './topic-discovery.ts';

export interface LearnedFacts {
  /** The server gives our SSE channel a stream endpoint (false: it stored a rest-hook without one). */
  sse?: boolean;
  tokenMethod?: 'GET' | 'POST';
  bindStyle?: 'text' | 'json';
  /** A websocket subscription is still there after its socket closed (Medplum: it is deleted). */
  survivesSocket?: boolean;
  /** `$events` answered. */
  eventsOperation?: boolean;
}

export interface ServerProfile {
  fhirBase: string;
  capabilities: ServerCapabilities;
  readonly learned: Readonly<LearnedFacts>;
  /** Record what was found to be true (persisted). */
  learn(facts: LearnedFacts): void;
  /** Whether `$events` may be asked: declared or found to work, and not found to fail. */
  offersEvents(): boolean;
}

/** Facts as stored; anything unrecognised is dropped. */
export function parseLearnedFacts(json: unknown): LearnedFacts {
  const facts: LearnedFacts = {};
  const stored = record(json);
  if (!stored) return facts;
  const flag = (key: 'sse' | 'survivesSocket' | 'eventsOperation') => {
    const value = bool(field(stored, key));
    if (value !== null) facts[key] = value;
  };
  flag('sse');
  flag('survivesSocket');
  flag('eventsOperation');
  const method = str(field(stored, 'tokenMethod'));
  if (method === 'GET' || method === 'POST') facts.tokenMethod = method;
  const style = str(field(stored, 'bindStyle'));
  if (style === 'text' || style === 'json') facts.bindStyle = style;
  return facts;
}

export function createServerProfile(
  fhirBase: string,
  capabilities: ServerCapabilities,
  store: ClientStore | null,
): ServerProfile {
  const learned = parseLearnedFacts(store?.facts.serverFacts(fhirBase) ?? null);
  return {
    fhirBase,
    capabilities,
    learned,
    learn(facts) {
      const changed = (Object.keys(facts) as Array<keyof LearnedFacts>).some((k) => learned[k] !== facts[k]);
      if (!changed) return;
      Object.assign(learned, facts);
      store?.facts.saveServerFacts(fhirBase, learned);
    },
    offersEvents() {
      if (learned.eventsOperation !== undefined) return learned.eventsOperation;
      // A CapabilityStatement that lists operations but not `$events` means no; one that lists none, or
      // none read, tells nothing: try (and learn).
      const ops = capabilities.subscriptionOperations;
      return ops.has('events') || ops.size === 0;
    },
  };
}

/** Discover what the server declares, and load what was learned about it before. */
export async function loadServerProfile(access: FhirAccess, store: ClientStore): Promise<ServerProfile> {
  return createServerProfile(access.fhirBase, await discoverCapabilities(access), store);
}

/** One line for health and logs: how this server's subscriptions work, as far as known. */
export function describeProfile(profile: ServerProfile): string {
  const { learned, capabilities } = profile;
  const parts = [
    capabilities.topics.size > 0 ? `${capabilities.topics.size} topics` : 'no topics (search criteria)',
    learned.sse === false ? 'no SSE channel' : null,
    learned.tokenMethod ? `binding token by ${learned.tokenMethod}` : null,
    learned.bindStyle ? `${learned.bindStyle} bind` : null,
    learned.survivesSocket === false ? 'subscription ends with its socket' : null,
    profile.offersEvents() ? null : 'no $events',
  ];
  return parts.filter((p): p is string => p !== null).join('; ');
}
