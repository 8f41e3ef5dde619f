// The audible cue for critical results: two short tones through Web Audio (no sound file, nothing to
// load, CSP-neutral). Browsers start an AudioContext suspended until the user has interacted with the
// page; `play` reports that, so the page can ask for the one click that unblocks it.
//
// The first AudioContext of a page opens the audio device, synchronously on the page's main thread:
// 340 ms in headless Chromium here (docs/benchmarks.md), where it fell inside the first paint of a feed
// holding criticals. So the device is opened when the page is idle (`prepareCue`), and a cue for a
// critical sounds after the frame that shows it has been painted (`playCueAfterPaint`).

let context: AudioContext | null = null;

const TONES = [
  { hz: 880, at: 0 },
  { hz: 660, at: 0.22 },
];
const TONE_S = 0.18;
/** The longest the page waits for an idle moment before opening the device anyway. */
const PREPARE_WITHIN_MS = 5_000;
/** The longest a cue waits for the frame that shows its critical (a covered window may paint none). */
const PAINT_WAIT_MS = 1_000;
/**
 * The longest a cue waits for the audio to start. Chromium neither resolves nor rejects `resume()` in
 * a document nobody has clicked yet (it settles at the first click, maybe never): past this, the cue
 * counts as blocked, so the page can ask for that click instead of looking as if it sounded.
 */
const RESUME_WAIT_MS = 1_000;

function openContext(): AudioContext {
  context ??= new AudioContext();
  return context;
}

/**
 * Open the audio device ahead of the first cue, when the page is idle. Left suspended until a cue plays
 * (an open device renders silence otherwise). Returns a cancel for a page that turns the cue off first.
 */
export function prepareCue(): () => void {
  if (typeof AudioContext === 'undefined' || context) return () => {};
  let cancelled = false;
  // Idle, and then right after a painted frame: an idle period can fall between the task that shows a
  // critical and the frame that paints it, and opening the device there held that frame back.
  const handle = requestIdleCallback(
    () =>
      afterNextPaint(() => {
        if (cancelled || context) return;
        void openContext()
          .suspend()
          .catch(() => undefined);
      }),
    { timeout: PREPARE_WITHIN_MS },
  );
  return () => {
    cancelled = true;
    cancelIdleCallback(handle);
  };
}

/**
 * Run `task` once the next frame has been painted: a message posted from an animation callback is
 * handled after that frame's paint.
 */
function afterNextPaint(task: () => void): void {
  requestAnimationFrame(() => {
    const afterPaint = new MessageChannel();
    afterPaint.port1.onmessage = () => {
      afterPaint.port1.close();
      task();
    };
    afterPaint.port2.postMessage(null);
  });
}

/** Whether the context runs once resumed, within RESUME_WAIT_MS. */
async function resumed(audio: AudioContext): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const gaveUp = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, RESUME_WAIT_MS);
  });
  try {
    await Promise.race([audio.resume(), gaveUp]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
  return audio.state === 'running';
}

/** Play the cue once. Resolves false when the browser keeps audio blocked (no user gesture yet). */
export async function playCue(): Promise<boolean> {
  if (typeof AudioContext === 'undefined') return false;
  const audio = openContext();
  // Always asked, even when it reads running: a suspend from `prepareCue` may still be pending, and the
  // context applies the two in order.
  if (!(await resumed(audio))) return false;
  const start = audio.currentTime + 0.01;
  for (const tone of TONES) {
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    oscillator.type = 'sine';
    oscillator.frequency.value = tone.hz;
    // A short envelope: no click at the start or the end of each tone.
    gain.gain.setValueAtTime(0.0001, start + tone.at);
    gain.gain.exponentialRampToValueAtTime(0.3, start + tone.at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + tone.at + TONE_S);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start(start + tone.at);
    oscillator.stop(start + tone.at + TONE_S + 0.02);
  }
  return true;
}

/**
 * Call `listener` when the audio starts running after all (the user clicked somewhere on the page after
 * a cue was blocked). Returns the unsubscribe.
 */
export function onCueAllowed(listener: () => void): () => void {
  const audio = context;
  if (!audio) return () => {};
  const changed = () => {
    if (audio.state === 'running') listener();
  };
  audio.addEventListener('statechange', changed);
  return () => audio.removeEventListener('statechange', changed);
}

/**
 * Play the cue once the next frame has been painted (afterNextPaint), so the row and the notice are on
 * screen before any audio work. A hidden tab or a minimised window paints no frame, and that is where
 * the cue matters most: it sounds at once there, and after PAINT_WAIT_MS wherever frames stop coming
 * (a covered window).
 */
export function playCueAfterPaint(): Promise<boolean> {
  if (document.visibilityState === 'hidden') return playCue();
  return new Promise((resolve) => {
    let started = false;
    const play = () => {
      if (started) return;
      started = true;
      clearTimeout(noFrame);
      playCue().then(resolve, () => resolve(false));
    };
    const noFrame = setTimeout(play, PAINT_WAIT_MS);
    afterNextPaint(play);
  });
}
