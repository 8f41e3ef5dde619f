// What to ask a server for, per topic the app wants: the topic itself where the server advertises
// topics (R4 backport), or the topic's equivalent search where it advertises none (a plain R4
// criteria Subscription, as Medplum takes). A topic the server offers in neither form is reported,
// not silently sent: Medplum accepts topic criteria with 201 and never fires them.
import type { TopicRequest } from '../ports.ts';
import type { ServerProfile } from './server-profile.ts';
import { SEARCH_CRITERIA } from './topics.ts';

export interface SubscriptionPlan {
  /** The app's topic canonical: the local record and the alerts carry it, whatever was sent. */
  topic: string;
  request: TopicRequest;
  /** True: R4 backport topic subscription. False: plain R4 search criteria. */
  topicBased: boolean;
  /** What `Subscription.criteria` says: the topic canonical, or the search. */
  criteria: string;
  /** The channel asked for; `auto` is our SSE channel where the server gives it, else the websocket. */
  channel: 'sse' | 'websocket' | 'auto';
  /** The search that finds what was missed (`_lastUpdated`), or null where `$events` does it. */
  reconcileQuery: string | null;
}

export type PlanResult = { plan: SubscriptionPlan } | { unavailable: string };

/**
 * Merge backport-filter-criteria values (`Observation?location=…`) into a search of the same type:
 * on a server without topics the filter can only be part of the criteria.
 */
export function withFilters(search: string, filters: readonly string[]): string {
  const [type, query = ''] = search.split('?');
  const params = new URLSearchParams(query);
  for (const filter of filters) {
    const [filterType, filterQuery = ''] = filter.split('?');
    if (filterType !== type) continue;
    for (const [name, value] of new URLSearchParams(filterQuery)) params.append(name, value);
  }
  const merged = params.toString().replace(/%7C/gi, '|').replace(/%2F/gi, '/');
  return merged ? `${type}?${merged}` : (type ?? search);
}

export function planSubscription(request: TopicRequest, profile: ServerProfile): PlanResult {
  const channel = request.channel ?? 'auto';
  const topics = profile.capabilities.topics;
  if (topics.size > 0) {
    if (!topics.has(request.topic)) {
      return { unavailable: `the server does not offer the topic ${request.topic}` };
    }
    return {
      plan: {
        topic: request.topic,
        request,
        topicBased: true,
        criteria: request.topic,
        channel,
        reconcileQuery: request.reconcileQuery ?? null,
      },
    };
  }
  const equivalent = SEARCH_CRITERIA[request.topic];
  if (!equivalent) {
    return {
      unavailable: `the server advertises no topics, and there is no search equivalent of ${request.topic}`,
    };
  }
  if ('none' in equivalent) {
    return { unavailable: `the server advertises no topics: ${equivalent.none}` };
  }
  const criteria = withFilters(equivalent.criteria, request.filters);
  return {
    plan: {
      topic: request.topic,
      request,
      topicBased: false,
      criteria,
      channel,
      reconcileQuery: request.reconcileQuery ?? criteria,
    },
  };
}
