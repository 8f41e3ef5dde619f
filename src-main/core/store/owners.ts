// Who an alert belongs to (docs/architecture.md, "Workstation modes"). An owner is the identity whose
// grant received the alert: a FHIR server and a principal on it, the signed-in user's fhirUser
// (`Practitioner/nurse-a`) or a ward identity's SMART Backend Services client (`client/ward-a-display`).
// The same key is stored on every alert row (schema.ts, migration 3) and compared on every call.

/** The principal of a ward identity (a backend client has no fhirUser). */
export function clientPrincipal(clientId: string): string {
  return `client/${clientId}`;
}

/** `<fhirBase>|<principal>`: the key stored in `alerts.owner` (computed in SQL the same way). */
export function ownerKey(fhirBase: string, principal: string): string {
  return `${fhirBase}|${principal}`;
}
