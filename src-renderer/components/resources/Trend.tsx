import { useQuery } from '@tanstack/react-query';
import type { TrendPoint } from '../../../src-main/shared/api.ts';
import { queries } from '../../api/queries.ts';
import { dateTimeText } from '../../fhir/format.ts';
import { ResourceState } from './ResourceState.tsx';

const W = 320;
const H = 80;

/** A small SVG line of the numeric points (SVG attributes, no inline style: CSP style-src 'self'). */
function Sparkline({ points, current }: { points: TrendPoint[]; current: string }) {
  const numeric = points.filter((p): p is TrendPoint & { value: number } => p.value !== null);
  if (numeric.length < 2) return null;
  const values = numeric.map((p) => p.value);
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = max - min || 1;
  const xy = numeric.map((p, i) => ({
    x: 8 + (i * (W - 16)) / (numeric.length - 1),
    y: H - 8 - ((p.value - min) * (H - 16)) / span,
    p,
  }));
  return (
    <svg
      className="sparkline"
      viewBox={`0 0 ${W} ${H}`}
      role="img"
      aria-label="Trend chart (values in the table)"
    >
      <polyline points={xy.map((q) => `${q.x},${q.y}`).join(' ')} className="spark-line" />
      {xy.map((q) => (
        <circle
          key={q.p.reference}
          cx={q.x}
          cy={q.y}
          r={q.p.reference === current ? 5 : 3}
          className={q.p.reference === current ? 'spark-current' : 'spark-point'}
        />
      ))}
    </svg>
  );
}

export function Trend({ reference }: { reference: string }) {
  const trend = useQuery(queries.trend(reference));
  const data = trend.data;
  return (
    <section className="trend" aria-labelledby="trend-title">
      <h3 id="trend-title">Trend{data?.codeDisplay ? `: ${data.codeDisplay}` : ''}</h3>
      <ResourceState what="earlier results" pending={trend.isPending} error={trend.error} view={data} />
      {data && data.points.length > 0 ? (
        <>
          <Sparkline points={data.points} current={reference} />
          {data.points.length === 1 ? <p className="empty">No earlier results of this test.</p> : null}
          <table className="trend-table">
            <caption className="visually-hidden">Earlier results, oldest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Value</th>
                <th scope="col">Flag</th>
              </tr>
            </thead>
            <tbody>
              {data.points.map((p) => (
                <tr key={p.reference} className={p.reference === reference ? 'trend-current' : undefined}>
                  <td>
                    {dateTimeText(p.at)}
                    {p.reference === reference ? <span className="tag"> this result</span> : null}
                  </td>
                  <td>{p.value === null ? '—' : `${p.value} ${p.unit ?? ''}`}</td>
                  <td>{p.interpretation ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </section>
  );
}
