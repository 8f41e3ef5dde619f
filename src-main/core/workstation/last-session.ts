// Which server and role the user was signed in to (no secrets), so the next start can resume from an
// encrypted refresh token. Kept in `last-session.json` in the data directory, 0600.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writePrivateFile } from '../../lib/private-files.ts';

const schema = z.object({
  fhirBase: z.url(),
  name: z.string().max(200),
  clientId: z.string().min(1).max(256),
  /** The scope hint of the sign-in (the role itself comes from the identity). */
  role: z.enum(['nurse', 'pharmacist', 'any']),
  redirectPort: z.number().int().optional(),
  scopes: z.array(z.string()).optional(),
});

/** The server and role of a sign-in, as remembered (and as the file is checked when read back). */
export type RememberedServer = z.output<typeof schema>;

export interface LastSession {
  remember(server: RememberedServer): void;
  forget(): void;
  /** The remembered server, or null when none (or the file is unreadable). */
  read(): RememberedServer | null;
}

export function lastSessionFile(dataDir: string): LastSession {
  const path = join(dataDir, 'last-session.json');
  return {
    remember: (server) => writePrivateFile(path, JSON.stringify(server)),
    forget: () => rmSync(path, { force: true }),
    read() {
      try {
        const parsed = schema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
        return parsed.success ? parsed.data : null;
      } catch {
        return null;
      }
    },
  };
}
