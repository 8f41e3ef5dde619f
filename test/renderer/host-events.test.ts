// Pushed host events applied to the page's query cache (src-renderer/api/queries.ts).
import { QueryClient } from '@tanstack/react-query';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { applyHostEvent as ApplyHostEvent, queries as Queries } from '../../src-renderer/api/queries.ts';

let applyHostEvent: typeof ApplyHostEvent;
let queries: typeof Queries;

beforeAll(async () => {
  // bridge.ts takes Electron's preload API when there is one: an empty stand-in, so importing the
  // queries starts no HTTP bridge. Nothing here calls the host.
  vi.stubGlobal('window', { monitorApi: {} });
  ({ applyHostEvent, queries } = await import('../../src-renderer/api/queries.ts'));
});

describe('host events', () => {
  it('a results push makes every trend stale (re-read where shown) and leaves other reads alone', () => {
    const client = new QueryClient();
    const trend = (reference: string) => ({
      reference,
      status: 'ok' as const,
      message: null,
      codeDisplay: null,
      points: [],
    });
    client.setQueryData(queries.trend('Observation/a').queryKey, trend('Observation/a'));
    client.setQueryData(queries.trend('Observation/b').queryKey, trend('Observation/b'));
    client.setQueryData(queries.allergies('Patient/p').queryKey, {
      status: 'ok',
      message: null,
      resources: [],
    });

    applyHostEvent(client, { type: 'results' });

    expect(client.getQueryState(queries.trend('Observation/a').queryKey)?.isInvalidated).toBe(true);
    expect(client.getQueryState(queries.trend('Observation/b').queryKey)?.isInvalidated).toBe(true);
    expect(client.getQueryState(queries.allergies('Patient/p').queryKey)?.isInvalidated).toBe(false);
  });

  it('a feed-changed push (a catch-up) makes the feed and what it shows stale, leaving allergies alone', () => {
    const client = new QueryClient();
    client.setQueryData(queries.alerts().queryKey, []);
    client.setQueryData(queries.resource('Observation/a').queryKey, {
      reference: 'Observation/a',
      status: 'ok',
      message: null,
      resource: null,
    });
    client.setQueryData(queries.allergies('Patient/p').queryKey, {
      status: 'ok',
      message: null,
      resources: [],
    });

    applyHostEvent(client, { type: 'feed-changed' });

    expect(client.getQueryState(queries.alerts().queryKey)?.isInvalidated).toBe(true);
    expect(client.getQueryState(queries.resource('Observation/a').queryKey)?.isInvalidated).toBe(true);
    expect(client.getQueryState(queries.allergies('Patient/p').queryKey)?.isInvalidated).toBe(false);
  });
});
