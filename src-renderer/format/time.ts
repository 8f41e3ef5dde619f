// One time format everywhere: 24-hour clock time, with the date where it is not today ("14:05",
// "21 Nov 14:05", "21 Nov 2025 14:05"). Built by hand rather than with toLocaleString, whose 12- or
// 24-hour choice and seconds differ between browsers and locales.

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** "14:05" (local time). */
export function clockText(at: Date): string {
  return `${pad(at.getHours())}:${pad(at.getMinutes())}`;
}

/** An instant in the one format; `now` decides whether the date is needed. Unparseable text is returned. */
export function timeText(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return 'unknown';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const at = new Date(t);
  const today = new Date(now);
  const sameDay =
    at.getFullYear() === today.getFullYear() &&
    at.getMonth() === today.getMonth() &&
    at.getDate() === today.getDate();
  if (sameDay) return clockText(at);
  const date = `${at.getDate()} ${MONTHS[at.getMonth()] ?? ''}`;
  return at.getFullYear() === today.getFullYear()
    ? `${date} ${clockText(at)}`
    : `${date} ${at.getFullYear()} ${clockText(at)}`;
}

/** A duration as a person says it: "45 s", "12 min", "2 h 5 min". */
export function durationText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min` : `${Math.floor(m / 60)} h ${m % 60} min`;
}
