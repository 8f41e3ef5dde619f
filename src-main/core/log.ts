// Structured logging for the core and the embedded server. Logs carry ids and counts only: no tokens,
// no patient names or identifiers (docs/architecture.md). Redaction is a second line of defence
// for fields that must never appear even by mistake.
import { pino } from 'pino';

export type Logger = pino.Logger;

const REDACT = [
  'token',
  'accessToken',
  'refreshToken',
  'access_token',
  'refresh_token',
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  '*.token',
  '*.accessToken',
  '*.refresh_token',
  '*.access_token',
];

export function createLogger(name: string, level = process.env['LOG_LEVEL'] ?? 'info'): Logger {
  return pino({ name, level, redact: { paths: REDACT, censor: '[redacted]' } });
}

/** A logger that drops everything (tests that assert on other outputs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
