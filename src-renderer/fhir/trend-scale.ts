// The trend chart's scales, without React (unit-tested): values to y with rounded ticks, result times to
// x (by time when every point has one, else evenly spaced), and the x ticks at the first, middle and
// last result.
import type { TrendPoint } from '../../src-main/shared/api.ts';

export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export interface TrendScale {
  /** The x position's domain value of a point: its time, or its index when times are missing. */
  at(point: TrendPoint, index: number): number;
  x(domain: number): number;
  y(value: number): number;
  yTicks: number[];
  /** Domain values (times in ms, or indexes) of the x labels. */
  xTicks: number[];
}

/** A "nice" step (1, 2 or 5 × a power of ten) giving about `count` ticks over `span`. */
function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
}

/**
 * Pixels between each axis and the first or last result: a value label is centred on its point, so a
 * point on the y axis put its label over the unit title above the axis (and over the tick labels).
 */
export const POINT_INSET = 16;

export function formatAxisValue(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
}

export function trendScale(points: Array<TrendPoint & { value: number }>, frame: Frame): TrendScale {
  const values = points.map((p) => p.value);
  let low = Math.min(...values);
  let high = Math.max(...values);
  if (low === high) {
    low -= 1;
    high += 1;
  }
  const step = niceStep(high - low, 4);
  const y0 = Math.floor(low / step) * step;
  const y1 = Math.ceil(high / step) * step;
  const yTicks: number[] = [];
  for (let t = y0; t <= y1 + step / 2; t += step) yTicks.push(Number(t.toPrecision(12)));

  const times = points.map((p) => (p.at ? Date.parse(p.at) : Number.NaN));
  const byTime = times.every((t) => !Number.isNaN(t)) && new Set(times).size > 1;
  const at = (point: TrendPoint, index: number) => (byTime && point.at ? Date.parse(point.at) : index);
  const domain = byTime ? times : points.map((_, i) => i);
  const x0 = Math.min(...domain);
  const x1 = Math.max(...domain);
  const innerW = frame.width - frame.left - frame.right;
  const innerH = frame.height - frame.top - frame.bottom;
  const plotW = innerW - 2 * POINT_INSET;
  const x = (d: number) =>
    x1 === x0 ? frame.left + innerW / 2 : frame.left + POINT_INSET + ((d - x0) * plotW) / (x1 - x0);
  const y = (v: number) => frame.top + innerH - ((v - y0) * innerH) / (y1 - y0);
  const middle = domain[Math.floor(domain.length / 2)] ?? x0;
  const xTicks = byTime ? [...new Set([x0, middle, x1])] : [];
  return { at, x, y, yTicks, xTicks };
}
