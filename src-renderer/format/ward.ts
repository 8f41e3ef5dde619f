// A ward as people say it. Ward labels are codes (the security label every resource of a ward carries,
// "ward-a"); screens show "Ward A". Assumption: a hospital's own codes read well after "Ward "
// ("4west" → "Ward 4WEST"); the bed lines keep the name the bed's Location gives.

/** "ward-a" → "Ward A"; "no ward" for none. */
export function wardName(ward: string | null | undefined): string {
  const code = ward?.trim();
  return code ? `Ward ${code.replace(/^ward[-_ ]?/i, '').toUpperCase()}` : 'no ward';
}
