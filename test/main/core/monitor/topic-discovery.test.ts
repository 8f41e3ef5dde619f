import { describe, expect, it } from 'vitest';
import {
  topicsFromBasicBundle,
  topicsFromCapabilityStatement,
  topicsFromSubscriptionTopicBundle,
} from '../../../../src-main/core/monitor/topic-discovery.ts';

describe('topic discovery', () => {
  it('reads topic canonicals from the R4 CapabilityStatement extension on Subscription', () => {
    const statement = {
      resourceType: 'CapabilityStatement',
      rest: [
        {
          resource: [
            { type: 'Patient' },
            {
              type: 'Subscription',
              extension: [
                {
                  url: 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/capabilitystatement-subscriptiontopic-canonical',
                  valueCanonical: 'http://example.org/topic/a',
                },
                { url: 'http://other.example/ext', valueCanonical: 'http://example.org/not-a-topic' },
              ],
            },
          ],
        },
      ],
    };
    expect(topicsFromCapabilityStatement(statement)).toEqual(['http://example.org/topic/a']);
    expect(topicsFromCapabilityStatement({ rest: 'nonsense' })).toEqual([]);
    expect(topicsFromCapabilityStatement(null)).toEqual([]);
  });

  it('reads Basic-wrapped topics with either cross-version prefix (candle uses 5.0, the IG 4.3 in places)', () => {
    const bundle = {
      entry: [
        {
          resource: {
            resourceType: 'Basic',
            extension: [
              {
                url: 'http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic.url',
                valueUri: 'http://x/t1',
              },
            ],
          },
        },
        {
          resource: {
            resourceType: 'Basic',
            extension: [
              {
                url: 'http://hl7.org/fhir/4.3/StructureDefinition/extension-SubscriptionTopic.url',
                valueUri: 'http://x/t2',
              },
            ],
          },
        },
        { resource: { resourceType: 'Basic' } },
      ],
    };
    expect(topicsFromBasicBundle(bundle)).toEqual(['http://x/t1', 'http://x/t2']);
  });

  it('reads R4B/R5 SubscriptionTopic resources', () => {
    expect(
      topicsFromSubscriptionTopicBundle({
        entry: [{ resource: { resourceType: 'SubscriptionTopic', url: 'http://x/t3' } }],
      }),
    ).toEqual(['http://x/t3']);
  });
});
