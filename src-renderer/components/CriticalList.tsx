// The critical list above the feed: every unacknowledged critical, the most overdue and escalated first
// with a visible mark, grouped by patient (name and MRN once per block), one line per alert. It scrolls
// within a bounded height so the feed below stays visible at any window size. Acknowledge here acts on
// the alert open in the detail only: its line is marked "open" and carries the button.
import { useMemo } from 'react';
import type { AlertSummary } from '../../src-main/shared/api.ts';
import { readableUnits } from '../../src-main/shared/fhir-json.ts';
import { ackTimer } from '../feed/feed-model.ts';
import { derive } from '../feed/derived.ts';
import { triage, triageCounts, type TriageLine } from '../feed/triage.ts';
import { clockText } from '../format/time.ts';
import { useLiveNow } from '../hooks/useNow.ts';
import { uiActions, useUiStore } from '../state/ui-store.ts';
import { AckButton } from './AckPanel.tsx';
import { LaterNormalChip } from './LaterResult.tsx';
import { PatientIdentity } from './PatientIdentity.tsx';

/** Blocks drawn; the rest are a click away (critical-only feed). Bounded for a 100,000-row feed. */
const MAX_BLOCKS = 40;

function Mark({ line }: { line: TriageLine }) {
  if (line.urgency === 'overdue')
    return (
      <span className="mark mark-overdue">
        <span aria-hidden="true">⏰</span> OVERDUE
        {line.escalationLevel > 0 ? ` · escalated ${line.escalationLevel}×` : ''}
      </span>
    );
  if (line.urgency === 'escalated')
    return (
      <span className="mark mark-escalated">
        <span aria-hidden="true">▲</span> ESCALATED {line.escalationLevel}×
      </span>
    );
  return <span className="mark mark-waiting">{line.alert.state === 'new' ? 'NEW' : 'SEEN'}</span>;
}

function Line({ line, now, open }: { line: TriageLine; now: number; open: boolean }) {
  const { alert } = line;
  const timer = ackTimer(alert.occurredAt, now);
  return (
    <li className={`pinned-line urgency-${line.urgency}${open ? ' open' : ''}`} data-alert-id={alert.id}>
      <button
        type="button"
        className="pinned-open"
        aria-current={open ? 'true' : undefined}
        onClick={() => uiActions.openAlert(alert.id)}
      >
        <Mark line={line} />
        <span className="pinned-headline">{readableUnits(alert.headline) || 'Loading…'}</span>
        <span className={`ack-timer${timer.overdue ? ' overdue' : ''}`}>
          <span className="visually-hidden">Time since the result: </span>
          {timer.elapsed}
          {timer.overdue ? (
            <span className="visually-hidden"> ({timer.left} of the 30 min target)</span>
          ) : null}
        </span>
      </button>
      {open ? <AckButton alert={alert} compact /> : null}
      <LaterNormalChip alert={alert} />
    </li>
  );
}

export function CriticalList({ list, sameNames }: { list: readonly AlertSummary[]; sameNames: Set<string> }) {
  const { now, live } = useLiveNow(1000);
  const selected = useUiStore((s) => s.selectedAlertId);
  // The open criticals are few; the ordering (which depends on the time) runs over them alone.
  const open = derive(list).openCriticals;
  const blocks = useMemo(() => triage(open, now), [open, now]);
  if (blocks.length === 0) return null;
  const counts = triageCounts(blocks);
  const shown = blocks.slice(0, MAX_BLOCKS);
  const hidden = blocks.slice(MAX_BLOCKS).reduce((n, b) => n + b.lines.length, 0);
  return (
    <section
      className={`pinned${live ? '' : ' stale'}${counts.alerts > 1 ? ' shrinks' : ''}`}
      aria-labelledby="pinned-title"
    >
      <h3 id="pinned-title">
        <span aria-hidden="true">▲</span> Unacknowledged critical results ({counts.alerts})
        <span className="pinned-summary">
          {' '}
          · {counts.patients} patient{counts.patients === 1 ? '' : 's'}
          {counts.overdue > 0 ? ` · ${counts.overdue} overdue` : ''}
          {counts.escalated > 0 ? ` · ${counts.escalated} escalated` : ''}
        </span>
      </h3>
      <p className="pinned-note">
        Most overdue first; times since the result, of the 30 min target. Open one to acknowledge it.
      </p>
      {live ? null : (
        <p className="stale-note" role="status">
          Not updating since {clockText(new Date(now))}: the monitor host is unreachable.
        </p>
      )}
      <div className="pinned-scroll">
        <ul className="pinned-blocks">
          {shown.map((block) => (
            <li key={block.key} className="pinned-block">
              <p className="pinned-patient">
                <PatientIdentity
                  patient={block.patient}
                  sameName={block.patient ? sameNames.has(block.patient.reference) : false}
                />
                {block.location ? <span className="pinned-bed"> · {block.location}</span> : null}
              </p>
              <ul
                className="pinned-lines"
                aria-label={`Critical results for ${block.patient?.name ?? 'unknown patient'}`}
              >
                {block.lines.map((line) => (
                  <Line key={line.alert.id} line={line} now={now} open={line.alert.id === selected} />
                ))}
              </ul>
            </li>
          ))}
        </ul>
      </div>
      {hidden > 0 ? (
        <button type="button" className="link" onClick={() => uiActions.setFilter('tier', 'critical')}>
          and {hidden} more — show critical only
        </button>
      ) : null}
    </section>
  );
}
