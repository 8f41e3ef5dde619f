// Literal references from notifications, resolved for claim-check fetching: `Type/id` (optionally
// versioned), relative or absolute, and whether they are on this server at all.

export interface ResolvedReference {
  /** `Type/id`, safe to append to the FHIR base (validated syntax, no path traversal). */
  relative: string;
  /** `_history` version when the reference was version-specific. */
  version: string | null;
  /**
   * True when the reference is relative or absolute under this server's FHIR base. False means another
   * server (or another base on the same host): never fetch it with this server's token.
   */
  sameOrigin: boolean;
}

const TYPE_RE = /^[A-Z][A-Za-z]{0,63}$/;
const ID_RE = /^[A-Za-z0-9\-.]{1,64}$/;

/**
 * HAPI's R4 notification builder writes a focus with its type twice (`Observation/Observation/5`,
 * code-derived fixture `hapi-r4-topic-event.json`); that is read as `Observation/5`. Nothing else is.
 */
function withoutRepeatedType(parts: string[]): string[] {
  return parts.length >= 3 && parts[0] === parts[1] && TYPE_RE.test(parts[0] ?? '') ? parts.slice(1) : parts;
}

function parseRelative(path: string): { relative: string; version: string | null } | null {
  const parts = withoutRepeatedType(path.split('/'));
  const [type, id, history, version] = parts;
  if (type === undefined || id === undefined || !TYPE_RE.test(type) || !ID_RE.test(id)) return null;
  if (parts.length === 2) return { relative: `${type}/${id}`, version: null };
  if (parts.length === 4 && history === '_history' && version !== undefined && ID_RE.test(version)) {
    return { relative: `${type}/${id}`, version };
  }
  return null;
}

/**
 * Resolve a literal reference from a notification for claim-check fetching. Returns null for
 * references that cannot be fetched as `Type/id` (urn:uuid:, contained `#x`, logical, malformed).
 */
export function resolveReference(ref: string, fhirBase: string): ResolvedReference | null {
  if (!/^[a-z][a-z0-9+.-]*:/i.test(ref)) {
    const rel = parseRelative(ref);
    return rel ? { ...rel, sameOrigin: true } : null;
  }
  let url: URL;
  let base: URL;
  try {
    url = new URL(ref);
    base = new URL(fhirBase);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.search !== '' || url.hash !== '') return null;
  const basePath = base.pathname.replace(/\/+$/, '');
  const underBase = url.origin === base.origin && url.pathname.startsWith(`${basePath}/`);
  // A foreign reference still gets its Type/id (path tail) so the UI can name what it cannot fetch.
  const segments = url.pathname.split('/').filter(Boolean);
  const rel = underBase
    ? parseRelative(url.pathname.slice(basePath.length + 1))
    : (parseRelative(segments.slice(-4).join('/')) ?? parseRelative(segments.slice(-2).join('/')));
  if (!rel) return null;
  return { ...rel, sameOrigin: underBase };
}
