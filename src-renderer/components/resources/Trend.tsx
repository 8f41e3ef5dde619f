import { useQuery } from '@tanstack/react-query';
import type { TrendPoint } from '../../../src-main/shared/api.ts';
import { readableUnit } from '../../../src-main/shared/fhir-json.ts';
import { queries } from '../../api/queries.ts';
import { formatAxisValue, trendScale } from '../../fhir/trend-scale.ts';
import { timeText } from '../../format/time.ts';
import { ResourceState } from './ResourceState.tsx';

const W = 480;
const H = 210;
const M = { left: 56, right: 20, top: 22, bottom: 44 };

/**
 * The trend as a chart with axes: values on the y axis (with the unit), time on the x axis, each point
 * labelled with its value and this result marked. SVG attributes only, no inline style (CSP
 * style-src 'self'). The table below carries the same values for screen readers.
 */
function TrendChart({ points, current }: { points: TrendPoint[]; current: string }) {
  const numeric = points.filter((p): p is TrendPoint & { value: number } => p.value !== null);
  if (numeric.length < 2) return null;
  const scale = trendScale(numeric, { width: W, height: H, ...M });
  const unit = readableUnit(numeric.find((p) => p.unit)?.unit);
  const labelEvery = Math.ceil(numeric.length / 10);
  return (
    <svg
      className="trend-chart"
      viewBox={`0 0 ${W} ${H}`}
      role="img"
      aria-label={`Trend chart of ${numeric.length} results (the values are in the table below)`}
    >
      <g className="axis">
        <line x1={M.left} y1={M.top} x2={M.left} y2={H - M.bottom} />
        <line x1={M.left} y1={H - M.bottom} x2={W - M.right} y2={H - M.bottom} />
        {scale.yTicks.map((tick) => (
          <g key={tick}>
            <line className="grid" x1={M.left} x2={W - M.right} y1={scale.y(tick)} y2={scale.y(tick)} />
            <text x={M.left - 6} y={scale.y(tick) + 4} textAnchor="end">
              {formatAxisValue(tick)}
            </text>
          </g>
        ))}
        <text x={M.left - 6} y={M.top - 8} textAnchor="end" className="axis-title">
          {unit}
        </text>
        {scale.xTicks.map((tick, i) => (
          <text
            key={`${tick}-${i}`}
            x={scale.x(tick)}
            y={H - M.bottom + 18}
            textAnchor={i === 0 ? 'start' : i === scale.xTicks.length - 1 ? 'end' : 'middle'}
          >
            {timeText(new Date(tick).toISOString())}
          </text>
        ))}
        <text x={(M.left + W - M.right) / 2} y={H - 6} textAnchor="middle" className="axis-title">
          time of the result
        </text>
      </g>
      <polyline
        className="trend-line"
        points={numeric.map((p, i) => `${scale.x(scale.at(p, i))},${scale.y(p.value)}`).join(' ')}
      />
      {numeric.map((p, i) => {
        const x = scale.x(scale.at(p, i));
        const y = scale.y(p.value);
        const isCurrent = p.reference === current;
        return (
          <g key={p.reference} className={isCurrent ? 'trend-current-point' : 'trend-point'}>
            <circle cx={x} cy={y} r={isCurrent ? 6 : 4} />
            {isCurrent || i % labelEvery === 0 || i === numeric.length - 1 ? (
              <text x={x} y={y - 10} textAnchor="middle">
                {formatAxisValue(p.value)}
              </text>
            ) : null}
          </g>
        );
      })}
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
          <TrendChart points={data.points} current={reference} />
          {data.points.length === 1 ? <p className="empty">No earlier results of this test.</p> : null}
          <table className="trend-table">
            <caption className="visually-hidden">Results of this test, oldest first</caption>
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
                    {timeText(p.at)}
                    {p.reference === reference ? <span className="tag"> this result</span> : null}
                  </td>
                  <td>{p.value === null ? '—' : `${p.value} ${readableUnit(p.unit)}`.trim()}</td>
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
