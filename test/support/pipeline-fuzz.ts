// Full-pipeline fuzzing: bytes -> SSE decoder -> frame mapping -> notification bundle
// parser -> claim-check reference resolution -> resource classifier, as the monitor chains them.
// Shared by the smoke in `npm test` (test/main/proof/fuzz.test.ts, a few thousand cases) and the long
// run (`npm run fuzz`, >= 100,000 cases). Every property is seeded; a failure prints its seed and path.
import fc from 'fast-check';
import { createSseDecoder } from '../../src-main/core/channels/sse-decoder.ts';
import { sseMessageToFrame } from '../../src-main/core/channels/sse-frames.ts';
import type { ChannelFrame } from '../../src-main/core/channels/types.ts';
import { resolveReference } from '../../src-main/core/notifications/parse-bundle.ts';
import { classifyResource } from '../../src-main/core/rules/classify.ts';
import { interpretationOnlyRules } from '../../src-main/core/rules/rules-holder.ts';
import type { FhirResource } from '../../src-main/shared/api.ts';

const FHIR_BASE = 'http://127.0.0.1:8080/fhir';
const enc = new TextEncoder();
const rules = interpretationOnlyRules().current();

export interface PipelineOutcome {
  frames: ChannelFrame[];
  errors: number;
  overflow: boolean;
  eventNumbers: string[];
  tiers: string[];
}

/** The monitor's chain without I/O. Any throw here is a bug: each stage has a non-throwing boundary. */
export function runPipeline(
  chunks: Uint8Array[],
  resourceFor: (reference: string) => FhirResource | null,
  maxLineBytes?: number,
): PipelineOutcome {
  const decoder = createSseDecoder(maxLineBytes);
  const out: PipelineOutcome = { frames: [], errors: 0, overflow: false, eventNumbers: [], tiers: [] };
  for (const chunk of chunks) {
    const result = decoder.feed(chunk);
    out.overflow ||= result.overflow;
    for (const item of result.items) {
      if (item.type !== 'message') {
        out.errors += 1;
        continue;
      }
      const mapped = sseMessageToFrame(item.message, 0);
      if (mapped === null) continue;
      if (!mapped.ok) {
        out.errors += 1;
        continue;
      }
      out.frames.push(mapped.frame);
      if (mapped.frame.kind !== 'notification') continue;
      for (const event of mapped.frame.notification.events) {
        out.eventNumbers.push(event.eventNumber);
        const focus = event.focus ? resolveReference(event.focus, FHIR_BASE) : null;
        if (!focus?.sameOrigin) continue;
        const resource = resourceFor(focus.relative);
        if (resource) out.tiers.push(classifyResource(resource, rules).tier);
      }
    }
    if (result.overflow) break;
  }
  return out;
}

/** A real-shaped id-only event-notification frame (docs/sse-channel.md §4). */
export function eventFrame(eventNumber: number, obsId: string, lineEnd = '\n'): string {
  const bundle = {
    resourceType: 'Bundle',
    type: 'history',
    timestamp: '2026-11-22T13:30:00.000Z',
    entry: [
      {
        fullUrl: 'urn:uuid:6b1c0000-0000-4000-8000-000000000000',
        resource: {
          resourceType: 'Parameters',
          meta: {
            profile: [
              'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription-status-r4',
            ],
          },
          parameter: [
            { name: 'subscription', valueReference: { reference: `${FHIR_BASE}/Subscription/sub-1` } },
            {
              name: 'topic',
              valueCanonical: 'http://alert-monitor.local/fhir/SubscriptionTopic/critical-lab-result',
            },
            { name: 'status', valueCode: 'active' },
            { name: 'type', valueCode: 'event-notification' },
            { name: 'events-since-subscription-start', valueString: String(eventNumber) },
            {
              name: 'notification-event',
              part: [
                { name: 'event-number', valueString: String(eventNumber) },
                { name: 'timestamp', valueInstant: '2026-11-22T13:30:00.000Z' },
                { name: 'focus', valueReference: { reference: `${FHIR_BASE}/Observation/${obsId}` } },
              ],
            },
          ],
        },
        request: { method: 'GET', url: `${FHIR_BASE}/Subscription/sub-1/$status` },
        response: { status: '200' },
      },
    ],
  };
  return `event: event-notification${lineEnd}id: ${eventNumber}${lineEnd}data: ${JSON.stringify(bundle)}${lineEnd}${lineEnd}`;
}

function slices(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let at = 0;
  for (const p of points) {
    out.push(bytes.subarray(at, p));
    at = p;
  }
  out.push(bytes.subarray(at));
  return out;
}

const obsId = fc.stringMatching(/^[A-Za-z0-9-]{1,20}$/);
const eol = fc.constantFrom('\n', '\r', '\r\n');

/** Observation-shaped values with hostile corners: wrong types, huge numbers, deep nesting. */
const observationArb: fc.Arbitrary<FhirResource> = fc
  .record(
    {
      status: fc.oneof(fc.constantFrom('final', 'amended', 'preliminary', 'cancelled'), fc.jsonValue()),
      code: fc.oneof(
        fc.record({
          coding: fc.array(
            fc.record({ system: fc.constantFrom('http://loinc.org', 'x'), code: fc.string() }),
            { maxLength: 3 },
          ),
        }),
        fc.jsonValue(),
      ),
      valueQuantity: fc.oneof(
        fc.record({
          value: fc.oneof(fc.double(), fc.integer(), fc.string()),
          unit: fc.string(),
          comparator: fc.constantFrom('<', '>', '<=', '>='),
        }),
        fc.jsonValue(),
      ),
      interpretation: fc.oneof(
        fc.array(
          fc.record({
            coding: fc.array(
              fc.record({
                system: fc.constantFrom(
                  'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
                  'other',
                ),
                code: fc.constantFrom('HH', 'LL', 'AA', 'H', 'L', 'N', 'HU', 'LU', '', 'zz'),
              }),
              { maxLength: 3 },
            ),
          }),
          { maxLength: 3 },
        ),
        fc.jsonValue(),
      ),
      subject: fc.oneof(fc.record({ reference: fc.string() }), fc.jsonValue()),
      encounter: fc.oneof(fc.record({ reference: fc.string() }), fc.jsonValue()),
      component: fc.jsonValue(),
      extra: fc.jsonValue({ depthSize: 'large' }),
    },
    { requiredKeys: [] },
  )
  .map((r) => ({ ...r, resourceType: 'Observation', id: 'x' }) as FhirResource);

export function properties(): Array<{ name: string; property: fc.IProperty<unknown[]> }> {
  return [
    {
      name: 'arbitrary bytes and slices through the whole pipeline never throw',
      property: fc.property(
        fc.uint8Array({ maxLength: 4000 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.integer({ min: 16, max: 4096 }),
        observationArb,
        (bytes, cuts, maxLine, resource) => {
          runPipeline(slices(bytes, cuts), () => resource, maxLine);
        },
      ) as unknown as fc.IProperty<unknown[]>,
    },
    {
      name: 'garbage (bytes or mutated frames) before a well-formed event never loses that event',
      property: fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 3000 }),
          // A real frame with one byte replaced or truncated: the nastiest garbage is almost valid.
          fc
            .tuple(fc.nat({ max: 999_999 }), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean())
            .map(([n, at, byte, truncate]) => {
              const b = enc.encode(eventFrame(n, 'g'));
              const i = at % b.length;
              if (truncate) return b.subarray(0, i);
              const copy = new Uint8Array(b);
              copy[i] = byte;
              return copy;
            }),
        ),
        fc.integer({ min: 1, max: 2 ** 40 }),
        obsId,
        eol,
        fc.array(fc.nat(), { maxLength: 40 }),
        (garbage, eventNumber, id, lineEnd, cuts) => {
          // Two line ends terminate any garbage line and dispatch or drop a half-built garbage event.
          const bytes = new Uint8Array([
            ...garbage,
            0x0a,
            0x0a,
            ...enc.encode(eventFrame(eventNumber, id, lineEnd)),
          ]);
          const critical: FhirResource = {
            resourceType: 'Observation',
            id,
            status: 'final',
            interpretation: [
              {
                coding: [
                  {
                    system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
                    code: 'HH',
                  },
                ],
              },
            ],
          } as FhirResource;
          const out = runPipeline(slices(bytes, cuts), (ref) =>
            ref === `Observation/${id}` ? critical : null,
          );
          if (out.overflow) throw new Error('overflow on a small stream');
          if (out.eventNumbers.at(-1) !== String(eventNumber))
            throw new Error(`lost event ${eventNumber}; got ${JSON.stringify(out.eventNumbers.slice(-3))}`);
          if (out.tiers.at(-1) !== 'critical')
            throw new Error(`HH classified as ${String(out.tiers.at(-1))}`);
        },
      ) as unknown as fc.IProperty<unknown[]>,
    },
    {
      name: 'the classifier never throws and an HH/LL interpretation is always critical',
      property: fc.property(observationArb, fc.constantFrom('HH', 'LL', null), (resource, forced) => {
        const r: FhirResource = forced
          ? ({
              ...resource,
              interpretation: [
                {
                  coding: [
                    {
                      system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
                      code: forced,
                    },
                  ],
                },
              ],
            } as FhirResource)
          : resource;
        const c = classifyResource(r, rules);
        if (typeof c.tier !== 'string' || typeof c.headline !== 'string')
          throw new Error('bad classification');
        const status = (r as { status?: unknown }).status;
        if (forced && (status === 'final' || status === 'amended') && c.tier !== 'critical')
          throw new Error(`${forced} with status ${String(status)} classified ${c.tier}`);
      }) as unknown as fc.IProperty<unknown[]>,
    },
  ];
}

/**
 * Memory bound: a stream that never ends a line must trip the decoder's overflow at the limit rather
 * than buffer without bound. Returns the bytes fed before overflow and the heap growth.
 */
export function memoryBoundCheck(maxLineBytes: number, totalBytes: number, chunkBytes: number) {
  const decoder = createSseDecoder(maxLineBytes);
  const chunk = new Uint8Array(chunkBytes).fill(0x61);
  const prefix = enc.encode('data: ');
  const before = process.memoryUsage().heapUsed;
  let fed = 0;
  let overflowAt: number | null = null;
  decoder.feed(prefix);
  while (fed < totalBytes) {
    const r = decoder.feed(chunk);
    fed += chunk.length;
    if (r.overflow && overflowAt === null) overflowAt = fed;
  }
  const growth = process.memoryUsage().heapUsed - before;
  return { overflowAt, growth, fed };
}
