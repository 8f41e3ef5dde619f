// Runs of event-notifications committed as one frame. A network chunk (SSE) or an inbox batch
// (websocket) can hold thousands of frames during a catch-up; they are gathered here and merged ONCE
// when the run ends. Merging them pairwise copied the growing event list and resource map at every
// step: quadratic in the run's length (0.56 s of CPU in a 100,000-event catch-up benchmark,
// docs/benchmarks.md, fifth run).
import type { NotificationEvent } from '../notifications/types.ts';
import type { ChannelFrame } from './types.ts';

/** Consecutive event-notifications of one subscription and topic, gathered to commit together. */
export interface FrameRun {
  /** Never empty: a run starts with its first frame. */
  frames: [ChannelFrame, ...ChannelFrame[]];
  /** The keys of every resource the run's frames include. */
  resourceKeys: Set<string>;
}

type EventFrame = ChannelFrame & { kind: 'notification' };

const isEventFrame = (frame: ChannelFrame): frame is EventFrame =>
  frame.kind === 'notification' && frame.notification.type === 'event-notification';

export function startRun(frame: ChannelFrame): FrameRun {
  return {
    frames: [frame],
    resourceKeys: new Set(isEventFrame(frame) ? Object.keys(frame.notification.resources) : []),
  };
}

/**
 * Add `frame` to the run when it may be committed with it; false (the run unchanged) when not: either
 * is not an event-notification, another subscription or topic, or both include a resource under the
 * same key — a full-resource payload keys its focus by an unversioned fullUrl, so two versions of one
 * result (a correction right behind the first report) would leave only the later in the merged map,
 * and each event takes its focus version from the resource that came with it (monitor/ingest.ts).
 */
export function joinRun(run: FrameRun, frame: ChannelFrame): boolean {
  const [first] = run.frames;
  if (!isEventFrame(first) || !isEventFrame(frame)) return false;
  const x = first.notification;
  const y = frame.notification;
  if (x.subscription !== y.subscription || x.topic !== y.topic) return false;
  const keys = Object.keys(y.resources);
  if (keys.some((key) => run.resourceKeys.has(key))) return false;
  for (const key of keys) run.resourceKeys.add(key);
  run.frames.push(frame);
  return true;
}

/**
 * The run as one frame: the events, resources and errors of all its frames in order; the status fields
 * (event count, status) from the last; received when the first was. A run of one is its frame.
 */
export function runFrame(run: FrameRun): ChannelFrame {
  const [first] = run.frames;
  if (run.frames.length === 1 || !isEventFrame(first)) return first;
  const events: NotificationEvent[] = [];
  const errors: string[] = [];
  const resources: Record<string, unknown> = {};
  let last = first;
  for (const frame of run.frames) {
    if (!isEventFrame(frame)) continue; // joinRun admits none
    events.push(...frame.notification.events);
    errors.push(...frame.notification.errors);
    Object.assign(resources, frame.notification.resources);
    last = frame;
  }
  return {
    kind: 'notification',
    receivedAt: first.receivedAt,
    notification: { ...last.notification, events, resources, errors },
  };
}
