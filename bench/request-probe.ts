// Loaded with `node --import` into the host process by bench/app-lifecycle.ts: prints one line per HTTP
// request the process makes (fetch, through undici's diagnostics channel) and serves (node:http), so the
// idle figure can say which requests happened. Measurement only: it changes nothing it observes, and
// prints methods and paths without query strings (ids, never values or tokens).
import { subscribe } from 'node:diagnostics_channel';

const pathOf = (raw: string): string => raw.split('?')[0] ?? raw;

subscribe('undici:request:create', (message) => {
  const request = (message as { request?: { method?: string; path?: string; origin?: string } }).request;
  process.stderr.write(`BENCH-REQUEST out ${request?.method ?? '?'} ${pathOf(request?.path ?? '?')}\n`);
});

subscribe('http.server.request.start', (message) => {
  const request = (message as { request?: { method?: string; url?: string } }).request;
  process.stderr.write(`BENCH-REQUEST in ${request?.method ?? '?'} ${pathOf(request?.url ?? '?')}\n`);
});
