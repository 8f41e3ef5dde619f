// The audible cue for critical results: two short tones through Web Audio (no sound file, nothing to
// load, CSP-neutral). Browsers start an AudioContext suspended until the user has interacted with the
// page; `play` reports that, so the page can ask for the one click that unblocks it.

let context: AudioContext | null = null;

const TONES = [
  { hz: 880, at: 0 },
  { hz: 660, at: 0.22 },
];
const TONE_S = 0.18;

/** Play the cue once. Resolves false when the browser keeps audio blocked (no user gesture yet). */
export async function playCue(): Promise<boolean> {
  if (typeof AudioContext === 'undefined') return false;
  context ??= new AudioContext();
  if (context.state === 'suspended') {
    try {
      await context.resume();
    } catch {
      return false;
    }
  }
  if (context.state !== 'running') return false;
  const start = context.currentTime + 0.01;
  for (const tone of TONES) {
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    oscillator.type = 'sine';
    oscillator.frequency.value = tone.hz;
    // A short envelope: no click at the start or the end of each tone.
    gain.gain.setValueAtTime(0.0001, start + tone.at);
    gain.gain.exponentialRampToValueAtTime(0.3, start + tone.at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + tone.at + TONE_S);
    oscillator.connect(gain).connect(context.destination);
    oscillator.start(start + tone.at);
    oscillator.stop(start + tone.at + TONE_S + 0.02);
  }
  return true;
}
