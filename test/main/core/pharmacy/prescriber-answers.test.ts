// Which Communications answer which order's clarification request: matched by the request's identifier
// (so also on a server that assigned its own ids), and whether the answer is to the latest question.
import { describe, expect, it } from 'vitest';
import { CLARIFICATION_IDENTIFIER } from '../../../../src-main/core/pharmacy/decisions.ts';
import {
  answeredOrder,
  clarificationThreads,
  currentAnswer,
  MAX_ANSWER_CHARS,
} from '../../../../src-main/core/pharmacy/prescriber-answers.ts';
import type { FhirResource } from '../../../../src-main/shared/api.ts';

const ORDER = 'MedicationRequest/m1';

const request = (id: string, value: string, sent: string): FhirResource => ({
  resourceType: 'Communication',
  id,
  identifier: [{ system: CLARIFICATION_IDENTIFIER, value }],
  sent,
  about: [{ reference: ORDER }],
});

const reply = (
  id: string,
  to: string,
  sent: string | null,
  body: Record<string, unknown> = {},
): FhirResource => ({
  resourceType: 'Communication',
  id,
  status: 'completed',
  inResponseTo: [{ reference: to }],
  ...(sent ? { sent } : {}),
  sender: { reference: 'Practitioner/physician-a', display: 'Dr Okafor' },
  payload: [{ contentString: `answer ${id}` }],
  ...body,
});

describe('clarification threads', () => {
  it('matches answers to requests by the request identifier, follow-ups (#n) and absolute references included', () => {
    const threads = clarificationThreads([
      // Ids the server assigned (a conditional update by identifier).
      request('8f1c', ORDER, '2026-03-02T10:00:00Z'),
      request('a2b3', `${ORDER}#2`, '2026-03-02T10:20:00Z'),
      reply('r2', 'https://fhir.example/R4/Communication/a2b3', '2026-03-02T10:30:00Z'),
      reply('r1', 'Communication/8f1c', '2026-03-02T10:10:00Z'),
      // Not answers to these requests.
      reply('other', 'Communication/unrelated', '2026-03-02T10:15:00Z'),
      reply('void', 'Communication/8f1c', '2026-03-02T10:40:00Z', { status: 'entered-in-error' }),
      { resourceType: 'Communication', id: 'ack', sent: '2026-03-02T10:05:00Z' },
    ]);
    expect([...threads.keys()]).toEqual([ORDER]);
    const thread = threads.get(ORDER);
    expect(thread?.firstAsked).toBe('2026-03-02T10:00:00Z');
    expect(thread?.lastAsked).toBe('2026-03-02T10:20:00Z');
    expect(thread?.answers).toEqual([
      { reference: 'Communication/r1', text: 'answer r1', at: '2026-03-02T10:10:00Z', by: 'Dr Okafor' },
      { reference: 'Communication/r2', text: 'answer r2', at: '2026-03-02T10:30:00Z', by: 'Dr Okafor' },
    ]);
    expect(currentAnswer(thread)?.reference).toBe('Communication/r2');
    // On hold from the first question (10:00) to the answer (10:30): 30 minutes the target does not count.
    expect(answeredOrder(thread)).toMatchObject({
      answer: { reference: 'Communication/r2' },
      heldMs: 30 * 60_000,
    });
  });

  it('an answer from before the latest question does not answer it, also one asked here and not yet sent', () => {
    const thread = clarificationThreads([
      request('q1', ORDER, '2026-03-02T10:00:00Z'),
      reply('r1', 'Communication/q1', '2026-03-02T10:10:00Z'),
      request('q2', `${ORDER}#2`, '2026-03-02T10:20:00Z'),
    ]).get(ORDER);
    expect(currentAnswer(thread)).toBeNull();
    const answered = clarificationThreads([
      request('q1', ORDER, '2026-03-02T10:00:00Z'),
      reply('r1', 'Communication/q1', '2026-03-02T10:10:00Z'),
    ]).get(ORDER);
    expect(currentAnswer(answered)?.reference).toBe('Communication/r1');
    expect(currentAnswer(answered, '2026-03-02T10:12:00Z')).toBeNull();
    expect(currentAnswer(undefined)).toBeNull();
  });

  it('words an answer without text, bounds a long one, and takes the server time when none was sent', () => {
    const thread = clarificationThreads([
      request('q1', ORDER, '2026-03-02T10:00:00Z'),
      reply('empty', 'Communication/q1', '2026-03-02T10:01:00Z', { payload: [] }),
      reply('long', 'Communication/q1', null, {
        payload: [{ contentString: 'x'.repeat(5000) }],
        meta: { lastUpdated: '2026-03-02T10:02:00Z' },
        sender: { reference: 'Practitioner/physician-a' },
      }),
    ]).get(ORDER);
    expect(thread?.answers[0]?.text).toBe('An answer without text: see the record on the server.');
    expect(thread?.answers[1]?.text).toHaveLength(MAX_ANSWER_CHARS);
    expect(thread?.answers[1]).toMatchObject({ at: '2026-03-02T10:02:00Z', by: 'Practitioner/physician-a' });
  });
});
