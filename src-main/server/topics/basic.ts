// R4 representation of a SubscriptionTopic: a Basic resource with the cross-version extensions the
// Backport IG (STU 1.2) describes. Top-level elements use the 5.0 prefix; resourceTrigger, canFilterBy
// and notificationShape use 4.3 as the IG's own example does.
import type { FhirResource } from '../base/types.ts';
import type { TopicDefinition } from './definitions.ts';

const X5 = 'http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic';
const X43 = 'http://hl7.org/fhir/4.3/StructureDefinition/extension-SubscriptionTopic';
const TOPIC_DATE = '2026-01-01';

interface Extension {
  url: string;
  [key: string]: unknown;
}

export function topicAsBasic(topic: TopicDefinition): FhirResource & { id: string } {
  const triggers: Extension[] = topic.triggers.map((t) => {
    const parts: Extension[] = [
      { url: 'description', valueMarkdown: t.description },
      { url: 'resource', valueUri: `http://hl7.org/fhir/StructureDefinition/${t.resource}` },
      ...t.supportedInteraction.map((code) => ({ url: 'supportedInteraction', valueCode: code })),
    ];
    const qc = t.queryCriteria;
    if (qc) {
      const q: Extension[] = [];
      if (qc.previous) q.push({ url: 'previous', valueString: qc.previous });
      if (qc.resultForCreate) q.push({ url: 'resultForCreate', valueCode: qc.resultForCreate });
      if (qc.current) q.push({ url: 'current', valueString: qc.current });
      if (qc.resultForDelete) q.push({ url: 'resultForDelete', valueCode: qc.resultForDelete });
      if (qc.requireBoth !== undefined) q.push({ url: 'requireBoth', valueBoolean: qc.requireBoth });
      parts.push({ url: 'queryCriteria', extension: q });
    }
    if (t.fhirPathCriteria) parts.push({ url: 'fhirPathCriteria', valueString: t.fhirPathCriteria });
    return { url: `${X43}.resourceTrigger`, extension: parts };
  });
  const filters: Extension[] = topic.canFilterBy.map((f) => ({
    url: `${X43}.canFilterBy`,
    extension: [
      { url: 'description', valueMarkdown: f.description },
      { url: 'resource', valueUri: f.resource },
      { url: 'filterParameter', valueString: f.filterParameter },
    ],
  }));
  const shapes = [...new Set(topic.triggers.map((t) => t.resource))].map((resource) => ({
    url: `${X43}.notificationShape`,
    extension: [{ url: 'resource', valueUri: resource }],
  }));
  return {
    resourceType: 'Basic',
    id: topic.id,
    modifierExtension: [{ url: `${X5}.status`, valueCode: 'active' }],
    extension: [
      { url: `${X5}.url`, valueUri: topic.url },
      { url: `${X5}.version`, valueString: '1' },
      { url: `${X5}.name`, valueString: topic.name },
      { url: `${X5}.title`, valueString: topic.title },
      { url: `${X5}.date`, valueDateTime: TOPIC_DATE },
      { url: `${X5}.description`, valueMarkdown: topic.description },
      ...triggers,
      ...filters,
      ...shapes,
    ],
    code: { coding: [{ system: 'http://hl7.org/fhir/fhir-types', code: 'SubscriptionTopic' }] },
  };
}
