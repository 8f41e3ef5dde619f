// Regression tests for the eventsource-parser behaviours the WHATWG SSE parsing rules require (line
// endings, BOM, an id with NUL, retry), at the byte boundary our channel uses.
import { describe, expect, it } from 'vitest';
import { createSseDecoder } from '../../../../src-main/core/channels/sse-decoder.ts';
import type { SseMessage } from '../../../../src-main/core/channels/sse-decoder.ts';

const enc = new TextEncoder();

function run(chunks: (string | number[])[], maxLineBytes?: number) {
  const decoder = createSseDecoder(maxLineBytes);
  const messages: SseMessage[] = [];
  const problems: string[] = [];
  let retryMs: number | null = null;
  let overflow = false;
  for (const chunk of chunks) {
    const r = decoder.feed(typeof chunk === 'string' ? enc.encode(chunk) : Uint8Array.from(chunk));
    for (const item of r.items) {
      if (item.type === 'message') messages.push(item.message);
      else problems.push(item.problem);
    }
    if (r.retryMs !== null) retryMs = r.retryMs;
    overflow ||= r.overflow;
  }
  return { messages, problems, retryMs, overflow, data: messages.map((m) => m.data) };
}

function bytewise(text: string): number[][] {
  return [...enc.encode(text)].map((b) => [b]);
}

describe('sse-decoder: eventsource-parser known bugs (§2.3)', () => {
  it('#1 CRLF split across chunks is one terminator, not two events', () => {
    expect(run(['data: A\r', '\ndata: B\r\n', '\r\n']).data).toEqual(['A\nB']);
  });

  it('#2 / P9 an id containing U+0000 is ignored, the previous id in the block stands', () => {
    const r = run(['id: 5\nid: 6\u0000x\ndata: A\n\n']);
    expect(r.messages[0]?.id).toBe('5');
  });

  it('#3 an unterminated line beyond maxLineBytes overflows, and later feeds never throw', () => {
    const decoder = createSseDecoder(1024);
    const first = decoder.feed(enc.encode(`data: ${'x'.repeat(2000)}`));
    expect(first.overflow).toBe(true);
    expect(first.items).toEqual([{ type: 'problem', problem: 'SSE line or event exceeds 1024 bytes' }]);
    const later = decoder.feed(enc.encode('\n\ndata: after\n\n'));
    expect(later).toEqual({ items: [], retryMs: null, overflow: true });
  });

  it('#3 many data lines of one event also count against the limit', () => {
    const r = run(
      Array.from({ length: 50 }, () => `data: ${'y'.repeat(100)}\n`),
      1024,
    );
    expect(r.overflow).toBe(true);
  });

  it('#4 invalid lines are discarded without buffering (no overflow from a long garbage line)', () => {
    const r = run([`garbage${'z'.repeat(5000)}`, 'z'.repeat(5000), '\ndata: ok\n\n'], 1024);
    expect(r.overflow).toBe(false);
    expect(r.data).toEqual(['ok']);
  });

  it('#5 / P1 one leading BOM is stripped even split byte by byte; a second BOM is data', () => {
    expect(run([[0xef], [0xbb], [0xbf], 'data: A\n\n']).data).toEqual(['A']);
    const twice = run([[0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf], 'data: A\n\n']);
    // The second BOM makes the line an invalid field (discarded early, #4): no event is dispatched.
    expect(twice.data).toEqual([]);
  });

  it('#8 CR-only line endings at chunk ends dispatch every event', () => {
    expect(run(['data: A\r', '\r', 'data: B\r', '\r', 'x']).data).toEqual(['A', 'B']);
  });

  it('#9 / P10 retry must be all ASCII digits; 03000 is 3000', () => {
    expect(run(['retry: 10a\n\n']).retryMs).toBeNull();
    expect(run(['retry: 10a\n\n']).problems).toEqual(['ignored an invalid SSE retry field']);
    expect(run(['retry: 03000\n\n']).retryMs).toBe(3000);
  });

  it('#10 mixed CRLF / LF / CR lines in one stream', () => {
    expect(run(['event: a\r\ndata: 1\n\rdata: 2\r\r\n']).messages).toEqual([
      { event: 'a', id: undefined, data: '1' },
      { event: undefined, id: undefined, data: '2' },
    ]);
  });
});

describe('sse-decoder: WHATWG parsing (§2.5)', () => {
  it('P4 comments are ignored; P5 only one leading space is removed, only the first colon splits', () => {
    expect(run([': keepalive\ndata:  x:y\n\n']).data).toEqual([' x:y']);
  });

  it('P6 a line without colon is a field with an empty value', () => {
    expect(run(['data\ndata: x\n\n']).data).toEqual(['\nx']);
  });

  it('P7 event sets the type; P8 multi-line data is joined with LF', () => {
    expect(run(['event: heartbeat\ndata: a\ndata: b\n\n']).messages).toEqual([
      { event: 'heartbeat', id: undefined, data: 'a\nb' },
    ]);
  });

  it('P12 a block without data dispatches nothing; P13 an event cut off at EOF is never dispatched', () => {
    expect(run(['id: 4\nevent: x\n\n', 'data: partial']).messages).toEqual([]);
  });

  it('P14 invalid UTF-8 becomes U+FFFD; a multibyte character split across chunks survives', () => {
    expect(run(['data: a', [0xc3, 0x28], '\n\n']).data).toEqual(['a\ufffd(']);
    expect(run(['data: ', [0xe2], [0x82], [0xac], '\n\n']).data).toEqual(['\u20ac']);
  });

  it('split at every byte gives the same messages as one chunk', () => {
    const stream =
      '\ufeffretry: 2000\r\n: c\r\nevent: handshake\r\ndata: {"a":"\u00e9\u{1f600}"}\r\n\r\n' +
      'event: event-notification\nid: 7\ndata: {"n":"7"}\n\n' +
      'event: heartbeat\rdata: {}\r\r';
    const whole = run([stream]);
    const split = run(bytewise(stream));
    expect(split.messages).toEqual(whole.messages);
    expect(whole.messages.map((m) => m.event)).toEqual(['handshake', 'event-notification', 'heartbeat']);
    expect(split.retryMs).toBe(2000);
  });
});
