// GET /metadata: the CapabilityStatement. Declares Backport IG server conformance (R4) and lists every
// topic on the Subscription resource with capabilitystatement-subscriptiontopic-canonical, which is how
// R4 clients discover topics (Subscriptions R5 Backport IG, topic discovery).
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.ts';
import { SEARCH_PARAMS } from '../store/search-params.ts';
import { BACKPORT_PROFILE } from '../subscriptions/parse.ts';
import { TOPICS } from '../topics/definitions.ts';
import { FHIR_JSON } from '../base/http.ts';
import { RESOURCE_TYPES } from '../base/types.ts';

const IG = 'http://hl7.org/fhir/uv/subscriptions-backport';

export function capabilityStatement(ctx: ServerContext): Record<string, unknown> {
  const resource = RESOURCE_TYPES.map((type) => {
    const readOnly = type === 'Basic';
    const interactions = readOnly
      ? ['read', 'vread', 'history-instance', 'search-type']
      : ['read', 'vread', 'create', 'update', 'delete', 'history-instance', 'search-type'];
    const params = Object.entries(SEARCH_PARAMS[type] ?? {}).map(([name, def]) => ({
      name,
      type: def.kind,
    }));
    return {
      type,
      versioning: 'versioned',
      readHistory: true,
      updateCreate: !readOnly,
      interaction: interactions.map((code) => ({ code })),
      searchParam: [{ name: '_id', type: 'token' }, { name: '_lastUpdated', type: 'date' }, ...params],
      ...(type === 'Subscription'
        ? {
            supportedProfile: [BACKPORT_PROFILE],
            extension: TOPICS.map((topic) => ({
              url: `${IG}/StructureDefinition/capabilitystatement-subscriptiontopic-canonical`,
              valueCanonical: topic.url,
            })),
            operation: [
              { name: 'status', definition: `${IG}/OperationDefinition/backport-subscription-status` },
              { name: 'events', definition: `${IG}/OperationDefinition/backport-subscription-events` },
              {
                name: 'get-ws-binding-token',
                definition: `${IG}/OperationDefinition/backport-subscription-get-ws-binding-token`,
              },
            ],
          }
        : {}),
    };
  });
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: '2026-01-01',
    kind: 'instance',
    software: { name: 'fhir-alert-monitor embedded server', version: '0.1.0' },
    implementation: {
      description: 'Local-mode FHIR server of the clinical alert monitor',
      url: ctx.fhirBase,
    },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'application/json'],
    instantiates: [`${IG}/CapabilityStatement/backport-subscription-server-r4`],
    implementationGuide: [`${IG}/ImplementationGuide/hl7.fhir.uv.subscriptions-backport`],
    rest: [
      {
        mode: 'server',
        security: {
          service: [
            {
              coding: [
                {
                  system: 'http://terminology.hl7.org/CodeSystem/restful-security-service',
                  code: 'SMART-on-FHIR',
                },
              ],
            },
          ],
          extension: [
            {
              url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
              extension: [
                { url: 'authorize', valueUri: `${ctx.origin}/auth/authorize` },
                { url: 'token', valueUri: `${ctx.origin}/auth/token` },
                { url: 'revoke', valueUri: `${ctx.origin}/auth/revoke` },
              ],
            },
          ],
        },
        resource,
      },
    ],
  };
}

export function registerMetadataRoute(app: FastifyInstance, ctx: ServerContext): void {
  const statement = capabilityStatement(ctx);
  app.get('/fhir/metadata', async (_request, reply) => reply.type(FHIR_JSON).send(statement));
}
