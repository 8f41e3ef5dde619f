// A later normal result of the same test for the same patient, shown where the nurse decides: on the
// alert and on its line in the critical list. It acknowledges nothing by itself.
import { useQuery } from '@tanstack/react-query';
import type { AlertSummary, TrendPoint } from '../../src-main/shared/api.ts';
import { readableUnit } from '../../src-main/shared/fhir-json.ts';
import { queries } from '../api/queries.ts';
import { laterNormal, trendRecheckInterval } from '../feed/later-result.ts';
import { timeText } from '../format/time.ts';
import { isOpen } from '../feed/feed-model.ts';

export function useLaterNormal(alert: AlertSummary): TrendPoint | null {
  const watched = alert.tier === 'critical' && alert.focus.startsWith('Observation/') && alert.fetch === 'ok';
  // Selected, so a health push re-renders this line only when the answer changes.
  const pushed = useQuery({ ...queries.health(), select: (h) => h.resultsPushed === true }).data === true;
  const trend = useQuery({
    ...queries.trend(alert.focus),
    enabled: watched,
    refetchInterval: trendRecheckInterval(pushed),
  });
  return watched ? laterNormal(trend.data, alert.focus) : null;
}

const valueText = (p: TrendPoint) =>
  p.value === null ? 'a normal result' : `${p.value} ${readableUnit(p.unit)}`.trim();

/** The banner on the open alert. */
export function LaterNormalBanner({ alert }: { alert: AlertSummary }) {
  const later = useLaterNormal(alert);
  if (!later) return null;
  // Once acknowledged or resolved, the advice to acknowledge would contradict the line below it.
  const open = isOpen(alert);
  return (
    <p className="later-normal" role="status">
      <strong>
        <span aria-hidden="true">●</span> Later normal result: {valueText(later)} at {timeText(later.at)}
      </strong>{' '}
      — the same test for the same patient, after this one.
      {open ? ' It does not acknowledge this alert: check it, then acknowledge.' : null}
    </p>
  );
}

/** The chip on a line of the critical list. */
export function LaterNormalChip({ alert }: { alert: AlertSummary }) {
  const later = useLaterNormal(alert);
  if (!later) return null;
  return (
    <span className="later-chip">
      later normal {valueText(later)} {timeText(later.at)}
    </span>
  );
}
