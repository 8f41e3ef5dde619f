// The escalation chain as the alert detail words it (src-renderer/feed/escalation-text.ts).
import { describe, expect, it } from 'vitest';
import type { EscalationStepView } from '../../src-main/shared/api.ts';
import { reachedFailSafe, roleText, stepText } from '../../src-renderer/feed/escalation-text.ts';

const NOW = Date.parse('2026-03-02T10:00:00Z');
const step = (over: Partial<EscalationStepView>): EscalationStepView => ({
  step: 1,
  role: 'nurse',
  status: 'requested',
  target: 'Group/ward-a-nurses',
  targetName: 'Ward A nurses',
  askedAt: '2026-03-02T09:50:00Z',
  dueAt: '2026-03-02T09:55:00Z',
  answeredBy: null,
  answeredByName: null,
  answeredAt: null,
  taskRef: 'Task/esc-1',
  ...over,
});

describe('escalation chain wording', () => {
  it('says who was asked and when, and who answered', () => {
    const asked = stepText(step({}), NOW);
    expect(asked.asked).toMatch(/^Asked Ward A nurses \(the ward’s nurses\) at /);
    expect(asked.outcome).toMatch(/^no answer yet · next step at /);
    const declined = stepText(
      step({
        status: 'declined',
        answeredBy: 'Practitioner/nurse-a2',
        answeredByName: 'Riley Chen, RN (Ward A)',
        answeredAt: '2026-03-02T09:51:00Z',
      }),
      NOW,
    );
    expect(declined.outcome).toMatch(/^declined by Riley Chen, RN \(Ward A\) at /);
    const accepted = stepText(
      step({
        step: 2,
        role: 'charge-nurse',
        status: 'accepted',
        targetName: 'Alex Rivera',
        answeredBy: 'Practitioner/nurse-a',
        answeredAt: '2026-03-02T09:57:00Z',
      }),
      NOW,
    );
    expect(accepted.asked).toMatch(/^Asked Alex Rivera \(charge nurse\) at /);
    // A display that names the role already is not followed by it again.
    const named = stepText(
      step({ step: 2, role: 'charge-nurse', targetName: 'Alex Rivera, RN (charge nurse, Ward A)' }),
      NOW,
    );
    expect(named.asked).toMatch(/^Asked Alex Rivera, RN \(charge nurse, Ward A\) at /);
    expect(accepted.outcome).toMatch(/^accepted by Practitioner\/nurse-a at /);
  });

  it('a step left unanswered once the next was asked says so, not when the next will be asked', () => {
    const passed = stepText(step({}), NOW, true);
    expect(passed.outcome).toBe('no answer · the next step was asked');
    expect(passed.outcome).not.toMatch(/next step at/);
  });

  it('tells a step nobody holds from a decline, and names the fail-safe', () => {
    expect(stepText(step({ status: 'declined' }), NOW).outcome).toBe(
      'nobody holds this role: next step at once',
    );
    const failSafe = step({
      step: 3,
      role: 'fail-safe',
      status: 'fail-safe',
      target: null,
      targetName: null,
    });
    expect(stepText(failSafe, NOW).asked).toMatch(/^Fail-safe reached at /);
    expect(reachedFailSafe([step({}), failSafe])).toBe(true);
    expect(reachedFailSafe([step({})])).toBe(false);
    expect(roleText('charge-nurse')).toBe('charge nurse');
    expect(stepText(step({ status: 'issuing', role: null }), NOW).asked).toBe('Asking the next responder…');
  });
});
