import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import type { AlertClass, AlertSummary, FhirResource, WardBoardView } from '../../src-main/shared/api.ts';
import { queries } from '../api/queries.ts';
import { isOpen } from '../feed/feed-model.ts';
import { dateTimeText, humanName, referenceOf, str } from '../fhir/format.ts';
import { uiActions } from '../state/ui-store.ts';
import { ResourceState } from './resources/ResourceState.tsx';
import { TierBadge } from './TierBadge.tsx';

interface Bed {
  id: string;
  name: string;
  ward: string | null;
  encounter: FhirResource | null;
  patient: { reference: string; name: string } | null;
}
interface Movement {
  kind: 'Admission' | 'Transfer' | 'Discharge';
  at: string;
  patient: string;
  where: string;
}

const DAY = 24 * 3600_000;
type Loc = { location?: unknown; status?: string; period?: { start?: string } };

export function buildBoard(view: WardBoardView, now: number): { beds: Bed[]; movements: Movement[] } {
  const patients = new Map(
    view.patients.map((p) => [`Patient/${p.id}`, humanName(p['name']) ?? `Patient/${p.id}`]),
  );
  const locName = new Map(
    view.locations.map((l) => [`Location/${l.id}`, str(l['name']) ?? `Location/${l.id}`]),
  );
  const activeBed = (e: FhirResource): string | null => {
    const locs = Array.isArray(e['location']) ? (e['location'] as Loc[]) : [];
    const active = locs.find((l) => l.status === 'active') ?? locs[locs.length - 1];
    return active ? referenceOf(active.location) : null;
  };
  const occupied = new Map<string, FhirResource>();
  for (const e of view.encounters) {
    const bed = activeBed(e);
    if (e['status'] === 'in-progress' && bed) occupied.set(bed, e);
  }
  const beds: Bed[] = view.locations
    .filter((l) => referenceOf(l['partOf']) !== null)
    .map((l) => {
      const id = `Location/${l.id}`;
      const encounter = occupied.get(id) ?? null;
      const subject = encounter ? referenceOf(encounter['subject']) : null;
      return {
        id,
        name: str(l['name']) ?? id,
        ward: referenceOf(l['partOf']),
        encounter,
        patient: subject ? { reference: subject, name: patients.get(subject) ?? subject } : null,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
  const movements: Movement[] = [];
  const recent = (t: string | undefined) => !!t && now - Date.parse(t) < DAY;
  for (const e of view.encounters) {
    const subject = referenceOf(e['subject']);
    const who = subject ? (patients.get(subject) ?? subject) : 'Unknown patient';
    const period = (e['period'] ?? {}) as { start?: string; end?: string };
    const locs = Array.isArray(e['location']) ? (e['location'] as Loc[]) : [];
    const bedName = (l: Loc | undefined) => {
      const ref = l ? referenceOf(l.location) : null;
      return ref ? (locName.get(ref) ?? ref) : 'unknown bed';
    };
    if (recent(period.start))
      movements.push({
        kind: 'Admission',
        at: period.start as string,
        patient: who,
        where: bedName(locs[0]),
      });
    for (let i = 1; i < locs.length; i += 1) {
      const at = locs[i]?.period?.start;
      if (recent(at))
        movements.push({
          kind: 'Transfer',
          at: at as string,
          patient: who,
          where: `${bedName(locs[i - 1])} → ${bedName(locs[i])}`,
        });
    }
    if (e['status'] === 'finished' && recent(period.end))
      movements.push({
        kind: 'Discharge',
        at: period.end as string,
        patient: who,
        where: bedName(locs[locs.length - 1]),
      });
  }
  movements.sort((a, b) => b.at.localeCompare(a.at));
  return { beds, movements };
}

const RANK: Record<AlertClass, number> = { critical: 0, high: 1, info: 2, unclassified: 3 };

function badgesFor(
  alerts: readonly AlertSummary[],
): Map<string, { top: AlertClass; count: number; first: string }> {
  const out = new Map<string, { top: AlertClass; count: number; first: string }>();
  for (const a of alerts) {
    if (!a.patient || !isOpen(a) || a.tier === 'unclassified') continue;
    const cur = out.get(a.patient.reference);
    if (!cur) out.set(a.patient.reference, { top: a.tier, count: 1, first: a.id });
    else {
      cur.count += 1;
      if (RANK[a.tier] < RANK[cur.top]) {
        cur.top = a.tier;
        cur.first = a.id;
      }
    }
  }
  return out;
}

export function WardBoard() {
  const board = useQuery(queries.wardBoard());
  const alerts = useQuery(queries.alerts());
  const model = useMemo(
    () =>
      board.data?.status === 'ok' ? buildBoard(board.data, board.dataUpdatedAt) : { beds: [], movements: [] },
    [board.data, board.dataUpdatedAt],
  );
  const badges = useMemo(() => badgesFor(alerts.data ?? []), [alerts.data]);
  return (
    <section className="ward-board" aria-labelledby="board-title" tabIndex={0}>
      <h2 id="board-title">Ward board</h2>
      <ResourceState what="the ward board" pending={board.isPending} error={board.error} view={board.data} />
      <p className="board-summary">
        {model.beds.filter((b) => b.patient).length} of {model.beds.length} beds occupied
      </p>
      <ul className="beds">
        {model.beds.map((bed) => {
          const badge = bed.patient ? badges.get(bed.patient.reference) : undefined;
          return (
            <li
              key={bed.id}
              className={`bed${bed.patient ? ' occupied' : ' empty-bed'}${badge ? ` bed-${badge.top}` : ''}`}
            >
              <span className="bed-name">{bed.name.replace(/^Ward \w+ /, '')}</span>
              <span className="bed-patient">{bed.patient?.name ?? 'empty'}</span>
              {badge ? (
                <button
                  type="button"
                  className="bed-badge"
                  onClick={() => uiActions.openAlert(badge.first)}
                  aria-label={`${badge.count} open alert${badge.count === 1 ? '' : 's'} for ${bed.patient?.name ?? 'patient'}, highest ${badge.top}`}
                >
                  <TierBadge tier={badge.top} /> {badge.count}
                </button>
              ) : null}
            </li>
          );
        })}
      </ul>
      <h3>Admissions, transfers and discharges (24 h)</h3>
      {model.movements.length === 0 ? <p className="empty">None in the last 24 hours.</p> : null}
      <ul className="movements">
        {model.movements.slice(0, 50).map((m, i) => (
          <li key={i}>
            <span className={`move move-${m.kind.toLowerCase()}`}>{m.kind}</span> {m.patient} · {m.where} ·{' '}
            <time dateTime={m.at}>{dateTimeText(m.at)}</time>
          </li>
        ))}
      </ul>
    </section>
  );
}
