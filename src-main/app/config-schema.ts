// The deployment configuration file's shape (docs/deployment.md), checked with zod: every field hospital
// IT may set, its bounds, and the rules between fields. An error names the field's path.
import { z } from 'zod';

/** Plain http only to this computer (the embedded demo server, a local proxy); anything else is https. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

function isPlainAbsoluteUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (
    (url.protocol === 'https:' || url.protocol === 'http:') &&
    !url.username &&
    !url.password &&
    !url.search &&
    !url.hash &&
    !value.includes('?') &&
    !value.includes('#')
  );
}

const secureOrLoopback = (value: string) =>
  new URL(value).protocol === 'https:' || LOOPBACK_HOSTS.has(new URL(value).hostname);

const fhirBase = z
  .string()
  .max(2048)
  .refine(isPlainAbsoluteUrl, 'an absolute http(s) URL without query, fragment or credentials')
  .refine(
    (value) => !URL.canParse(value) || secureOrLoopback(value),
    'https (plain http only to this computer)',
  )
  .transform((value) => value.replace(/\/+$/, ''));

/** `https://login.example.org[:port]`: an origin, nothing after it. */
const origin = z
  .string()
  .max(300)
  .refine(
    (value) =>
      URL.canParse(value) &&
      ['https:', 'http:', 'wss:', 'ws:'].includes(new URL(value).protocol) &&
      new URL(value).pathname === '/' &&
      !value.replace(/^\w+:\/\//, '').includes('/') &&
      !new URL(value).search &&
      !new URL(value).hash,
    'an origin such as https://login.example.org (scheme, host and port only)',
  );

const scope = z
  .string()
  .regex(
    /^(openid|fhirUser|profile|offline_access|online_access|launch(\/[a-z]+)?|(patient|user|system)\/(\*|[A-Z][A-Za-z]{1,63})\.(c?r?u?d?s?|read|write|\*)(\?[A-Za-z0-9_.\-:|,=&/]{1,200})?)$/,
    'a SMART scope',
  );

const server = z
  .object({
    name: z.string().min(1).max(200),
    fhirBase,
    clientId: z.string().min(1).max(256),
    scopes: z.array(scope).min(1).max(60).optional(),
    /** Servers that match loopback redirect URIs exactly need a fixed port. */
    redirectPort: z.number().int().min(1024).max(65535).optional(),
    /** Where the server's authorization page may be besides the FHIR base's own origin. */
    authorizationOrigins: z.array(origin).max(10).default([]),
    /** Where its stream URLs (SSE endpoint, websocket-url) may point besides the FHIR base's origin. */
    streamOrigins: z.array(origin).max(10).default([]),
  })
  .strict();

const wardIdentity = z
  .object({
    clientId: z.string().min(1).max(256),
    /** The JWK private key file (RS384/ES384, with kid); optional only with the local demo. */
    privateKeyFile: z.string().min(1).max(4096).optional(),
    scopes: z
      .array(scope.refine((s) => s.startsWith('system/'), 'a system/ scope (Backend Services)'))
      .min(1)
      .max(60)
      .optional(),
  })
  .strict();

const workstation = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('personal') }).strict(),
  z
    .object({
      mode: z.literal('ward'),
      /** The ward label the identity is registered for, e.g. "ward-a". */
      ward: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a ward label such as ward-a'),
      identity: wardIdentity,
    })
    .strict(),
]);

const localDemo = z
  .object({
    enabled: z.boolean(),
    simulationRate: z.number().min(0).max(3600).optional(),
    port: z.number().int().min(0).max(65535).optional(),
    accessTokenTtlSeconds: z.number().int().min(1).max(86_400).optional(),
  })
  .strict();

const minutes = z
  .number()
  .min(1)
  .max(24 * 60);

/** A care role as the FHIR server's PractitionerRole.code has it (`nurse`, `charge-nurse`), or `fail-safe`. */
const careRole = z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, 'a care role code such as charge-nurse');

/**
 * Escalation to people (docs/deployment.md, "Escalation policy"): timed steps addressed to a role of
 * the alert's ward, the last one the fail-safe contact list shown on screen.
 */
const escalationPolicy = z
  .object({
    steps: z
      .array(z.object({ role: careRole, afterMinutes: minutes }).strict())
      .min(1)
      .max(20)
      .refine(
        (steps) =>
          steps.at(-1)?.role === 'fail-safe' && steps.filter((s) => s.role === 'fail-safe').length === 1,
        'the last step, and only the last, must be the fail-safe step ({"role": "fail-safe"})',
      ),
    failSafeContacts: z
      .array(z.object({ name: z.string().min(1).max(120), phone: z.string().min(1).max(60) }).strict())
      .min(1)
      .max(20),
  })
  .strict();

export const deploymentSchema = z
  .object({
    /** Editors' schema reference; ignored. */
    $schema: z.string().optional(),
    localDemo: localDemo.optional(),
    servers: z.array(server).max(20).default([]),
    workstation: workstation.default({ mode: 'personal' }),
    privacyDefault: z.boolean().optional(),
    /** A first sign-in reads back the open criticals of this many hours before (0: none). Default 12. */
    readBackHours: z.number().min(0).max(72).optional(),
    escalation: z
      .object({
        ackTimeoutMinutes: minutes.optional(),
        targetMinutes: minutes.optional(),
        repeatMinutes: minutes.optional(),
        /** null: no escalation to people, even in the local demo (this screen is re-notified). */
        policy: escalationPolicy.nullable().optional(),
      })
      .strict()
      .refine(
        (e) =>
          !e.policy ||
          e.ackTimeoutMinutes === undefined ||
          e.ackTimeoutMinutes === e.policy.steps[0]?.afterMinutes,
        {
          path: ['ackTimeoutMinutes'],
          message:
            "must equal the first step's afterMinutes (the first step is the escalation), or be left out",
        },
      )
      .optional(),
    rulesFile: z.string().min(1).max(4096).optional(),
    /** The pharmacist's worklist (docs/pharmacy.md). */
    pharmacy: z
      .object({
        targetMinutes: z
          .object({ stat: minutes.optional(), urgent: minutes.optional(), routine: minutes.optional() })
          .strict()
          .optional(),
        orderChecksFile: z.string().min(1).max(4096).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((config, context) => {
    const demo = config.localDemo?.enabled === true;
    if (config.workstation.mode !== 'ward') return;
    if (!demo && config.servers.length === 0)
      context.addIssue({
        code: 'custom',
        path: ['servers'],
        message: 'a ward workstation needs the server its ward is watched on (servers[0]) or the local demo',
      });
    if (!demo && !config.workstation.identity.privateKeyFile)
      context.addIssue({
        code: 'custom',
        path: ['workstation', 'identity', 'privateKeyFile'],
        message: 'required: the ward identity signs in with this key (only the local demo makes its own)',
      });
  });

export type DeploymentFile = z.output<typeof deploymentSchema>;
