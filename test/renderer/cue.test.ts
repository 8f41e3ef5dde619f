// The audible cue's timing (src-renderer/audio/cue.ts): after the frame that shows the critical when
// the page paints, at once on a hidden page (a background tab, a minimised window: where the cue
// matters most), and after a wait where frames stop coming. Node has no Web Audio, animation frames or
// document: they are stand-ins here (a recording AudioContext, an animation-frame function the test
// drives, the page's visibility); the timers and MessageChannel are real. Chromium's own blocked audio
// is exercised in e2e/audible-cue.spec.ts.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type * as Cue from '../../src-renderer/audio/cue.ts';

/** Tones started on any stand-in context. */
let tones = 0;

class RecordingAudioContext {
  state = 'running';
  currentTime = 0;
  destination = {};
  listeners: Array<() => void> = [];
  async resume(): Promise<void> {}
  async suspend(): Promise<void> {}
  addEventListener(_type: 'statechange', listener: () => void) {
    this.listeners.push(listener);
  }
  removeEventListener(_type: 'statechange', listener: () => void) {
    this.listeners = this.listeners.filter((l) => l !== listener);
  }
  createOscillator() {
    const node = {
      type: '',
      frequency: { value: 0 },
      connect: () => node,
      start: () => (tones += 1),
      stop: () => {},
    };
    return node;
  }
  createGain() {
    const param = { setValueAtTime: () => {}, exponentialRampToValueAtTime: () => {} };
    const node = { gain: param, connect: (next: unknown) => next };
    return node;
  }
}

let frames: Array<() => void>;
let cue: typeof Cue;

beforeEach(async () => {
  tones = 0;
  frames = [];
  vi.stubGlobal('AudioContext', RecordingAudioContext);
  vi.stubGlobal('requestAnimationFrame', (callback: () => void) => frames.push(callback));
  vi.stubGlobal('document', { visibilityState: 'visible' });
  vi.resetModules();
  cue = await import('../../src-renderer/audio/cue.ts');
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('playCueAfterPaint', () => {
  it('sounds at once on a hidden page (a background tab, a minimised window), which paints no frame', async () => {
    vi.stubGlobal('document', { visibilityState: 'hidden' });
    const played = cue.playCueAfterPaint();
    expect(frames).toEqual([]);
    await expect(played).resolves.toBe(true);
    expect(tones).toBe(2);
  });

  it('sounds anyway on a visible page whose frames stop coming (a covered window)', async () => {
    await expect(cue.playCueAfterPaint()).resolves.toBe(true);
    expect(frames).toHaveLength(1); // asked for a frame that never came
    expect(tones).toBe(2);
  });

  it('waits for the painted frame when there is one, and sounds once', async () => {
    const played = cue.playCueAfterPaint();
    expect(tones).toBe(0);
    for (const frame of frames.splice(0)) frame();
    await expect(played).resolves.toBe(true);
    expect(tones).toBe(2);
    // Nothing sounds again when the wait for a frame would have ended.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(tones).toBe(2);
  });
});

/** A context in a page nobody has clicked: Chromium leaves `resume()` pending until the first click. */
class BlockedAudioContext extends RecordingAudioContext {
  override state = 'suspended';
  private allow: (() => void) | null = null;
  override resume(): Promise<void> {
    return new Promise((resolve) => {
      this.allow = () => {
        this.state = 'running';
        for (const listener of this.listeners) listener();
        resolve();
      };
    });
  }
  /** The user's first click on the page. */
  click() {
    this.allow?.();
  }
}

describe('playCue in a page the browser keeps silent', () => {
  it('reports blocked instead of waiting forever, and says when a click lets the audio start', async () => {
    const contexts: BlockedAudioContext[] = [];
    vi.stubGlobal(
      'AudioContext',
      class extends BlockedAudioContext {
        constructor() {
          super();
          contexts.push(this);
        }
      },
    );
    vi.resetModules();
    cue = await import('../../src-renderer/audio/cue.ts');
    await expect(cue.playCue()).resolves.toBe(false);
    expect(tones).toBe(0);

    let allowed = 0;
    const stop = cue.onCueAllowed(() => (allowed += 1));
    contexts[0]?.click();
    expect(allowed).toBe(1);
    stop();
    await expect(cue.playCue()).resolves.toBe(true);
    expect(tones).toBe(2);
  });
});

/** The cue module with idle callbacks the test runs and contexts counted as they are opened. */
async function preparing(): Promise<{ idle: Array<() => void>; opened: () => number }> {
  const idle: Array<() => void> = [];
  vi.stubGlobal('requestIdleCallback', (callback: () => void) => idle.push(callback));
  vi.stubGlobal('cancelIdleCallback', () => undefined);
  let opened = 0;
  vi.stubGlobal(
    'AudioContext',
    class extends RecordingAudioContext {
      constructor() {
        super();
        opened += 1;
      }
    },
  );
  vi.resetModules();
  cue = await import('../../src-renderer/audio/cue.ts');
  return { idle, opened: () => opened };
}

/** Let the tasks already queued (a message posted after a frame) run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe('prepareCue', () => {
  it('opens the audio device at an idle moment and only after the next painted frame, never in between', async () => {
    const { idle, opened } = await preparing();
    cue.prepareCue();
    // The idle moment: a critical committed just before it is not painted yet, so nothing opens here.
    for (const callback of idle.splice(0)) callback();
    await settle();
    expect(opened()).toBe(0);
    expect(frames).toHaveLength(1);
    // The frame is painted; the device opens in the task after it.
    for (const frame of frames.splice(0)) frame();
    await vi.waitFor(() => expect(opened()).toBe(1));
  });

  it('opens nothing when the page turned the cue off before the frame', async () => {
    const { idle, opened } = await preparing();
    const cancel = cue.prepareCue();
    for (const callback of idle.splice(0)) callback();
    cancel();
    for (const frame of frames.splice(0)) frame();
    await settle();
    expect(opened()).toBe(0);
  });
});
