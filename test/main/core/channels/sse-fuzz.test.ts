// Seeded property tests (fast-check) for the SSE decoder and the parsing boundary behind it:
// chunk-boundary invariance, garbage never hiding a well-formed event, and no throw ever escaping.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSseDecoder } from '../../../../src-main/core/channels/sse-decoder.ts';
import type { SseMessage } from '../../../../src-main/core/channels/sse-decoder.ts';
import { sseMessageToFrame } from '../../../../src-main/core/channels/sse-frames.ts';
import { parseNotificationBundle } from '../../../../src-main/core/notifications/parse-bundle.ts';

const SEED = 20261122;
const RUNS = 2000;
const enc = new TextEncoder();

interface Ev {
  event: string | undefined;
  id: string | undefined;
  data: string;
}

// Field values cannot contain CR or LF (they would end the line); everything else is fair game,
// including NUL, astral characters and a leading space (the encoder's "data: " eats only one).
const lineText = fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !/[\r\n]/.test(s));
const eventArb: fc.Arbitrary<Ev> = fc.record({
  event: fc.option(fc.constantFrom('handshake', 'heartbeat', 'event-notification', 'gap', 'x'), {
    nil: undefined,
  }),
  id: fc.option(fc.stringMatching(/^\d{1,6}$/), { nil: undefined }),
  data: lineText,
});
const eol = fc.constantFrom('\n', '\r', '\r\n');

function encode(events: Ev[], lineEnd: string, bom: boolean, comments: boolean): Uint8Array {
  let text = bom ? '\ufeff' : '';
  for (const e of events) {
    if (comments) text += `: keepalive${lineEnd}`;
    if (e.event !== undefined) text += `event: ${e.event}${lineEnd}`;
    if (e.id !== undefined) text += `id: ${e.id}${lineEnd}`;
    text += `data: ${e.data}${lineEnd}${lineEnd}`;
  }
  return enc.encode(text);
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

function decodeAll(
  chunks: Uint8Array[],
  maxLineBytes?: number,
): { messages: SseMessage[]; overflow: boolean } {
  const decoder = createSseDecoder(maxLineBytes);
  const messages: SseMessage[] = [];
  let overflow = false;
  for (const chunk of chunks) {
    const r = decoder.feed(chunk);
    for (const item of r.items) if (item.type === 'message') messages.push(item.message);
    overflow ||= r.overflow;
  }
  return { messages, overflow };
}

describe('SSE fuzz (fast-check, seeded)', () => {
  it('arbitrary byte slicing of a valid stream yields exactly the same events', () => {
    fc.assert(
      fc.property(
        fc.array(eventArb, { minLength: 1, maxLength: 8 }),
        eol,
        fc.boolean(),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 40 }),
        (events, lineEnd, bom, comments, cuts) => {
          const bytes = encode(events, lineEnd, bom, comments);
          const whole = decodeAll([bytes]).messages;
          const sliced = decodeAll(slices(bytes, cuts)).messages;
          const expected = events.map((e) => ({ event: e.event, id: e.id, data: e.data }));
          expect(whole).toEqual(expected);
          expect(sliced).toEqual(expected);
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('1-byte slicing equals one chunk', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { minLength: 1, maxLength: 4 }), eol, (events, lineEnd) => {
        const bytes = encode(events, lineEnd, true, true);
        const oneByte = Array.from(bytes, (b) => Uint8Array.of(b));
        expect(decodeAll(oneByte).messages).toEqual(decodeAll([bytes]).messages);
      }),
      { seed: SEED + 1, numRuns: 300 },
    );
  });

  it('garbage before a well-formed event never loses the event', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2000 }),
        eventArb,
        eol,
        fc.array(fc.nat(), { maxLength: 30 }),
        (garbage, event, lineEnd, cuts) => {
          // Two LFs end any garbage line and dispatch (or drop) any half-built garbage event.
          const bytes = new Uint8Array([...garbage, 0x0a, 0x0a, ...encode([event], lineEnd, false, false)]);
          const { messages, overflow } = decodeAll(slices(bytes, cuts), 4096);
          expect(overflow).toBe(false);
          expect(messages.at(-1)).toEqual({ event: event.event, id: event.id, data: event.data });
        },
      ),
      { seed: SEED + 2, numRuns: RUNS },
    );
  });

  it('the decoder and frame mapping never throw past their boundary, whatever the bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.integer({ min: 16, max: 512 }),
        (bytes, cuts, maxLineBytes) => {
          const { messages } = decodeAll(slices(bytes, cuts), maxLineBytes);
          for (const m of messages) sseMessageToFrame(m, 0);
        },
      ),
      { seed: SEED + 3, numRuns: RUNS },
    );
  });

  it('sseMessageToFrame never throws on arbitrary names and data', () => {
    fc.assert(
      fc.property(
        fc.option(
          fc.constantFrom(
            'handshake',
            'heartbeat',
            'event-notification',
            'gap',
            'revoked',
            'token-expiring',
            'token-expired',
          ),
          {
            nil: undefined,
          },
        ),
        fc.oneof(fc.string(), fc.json()),
        (event, data) => {
          const r = sseMessageToFrame({ event, id: undefined, data }, 0);
          if (r !== null && !r.ok) expect(typeof r.error).toBe('string');
        },
      ),
      { seed: SEED + 4, numRuns: RUNS },
    );
  });

  it('parseNotificationBundle never throws on arbitrary JSON or on mutated real bundles', () => {
    const dir = fileURLToPath(new URL('../../../fixtures/notifications/', import.meta.url));
    const fixtures = [
      'r4-full-resource.json',
      'r4b-id-only.json',
      'stu2-basic.json',
      'legacy-010-unsignedint.json',
    ].map((f) => JSON.parse(readFileSync(`${dir}${f}`, 'utf8')) as unknown);
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const r = parseNotificationBundle(value);
        expect(typeof r.ok).toBe('boolean');
      }),
      { seed: SEED + 5, numRuns: RUNS },
    );
    // Replace one random node of a real bundle with an arbitrary JSON value.
    fc.assert(
      fc.property(fc.constantFrom(...fixtures), fc.nat(), fc.jsonValue(), (fixture, pick, replacement) => {
        const copy = structuredClone(fixture);
        const nodes: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
        const walk = (node: unknown): void => {
          if (Array.isArray(node)) {
            node.forEach((child, i) => {
              nodes.push({ parent: node, key: i });
              walk(child);
            });
          } else if (typeof node === 'object' && node !== null) {
            for (const [k, child] of Object.entries(node)) {
              nodes.push({ parent: node as Record<string, unknown>, key: k });
              walk(child);
            }
          }
        };
        walk(copy);
        const target = nodes[pick % nodes.length];
        if (target) (target.parent as Record<string | number, unknown>)[target.key] = replacement;
        const r = parseNotificationBundle(copy);
        if (!r.ok) expect(r.error.length).toBeGreaterThan(0);
      }),
      { seed: SEED + 6, numRuns: RUNS },
    );
  });
});
