import type { AlertClass } from '../../src-main/shared/api.ts';

// Tier is carried by colour, shape and word together: never colour alone.
const LOOK: Record<AlertClass, { icon: string; word: string }> = {
  critical: { icon: '▲', word: 'Critical' },
  high: { icon: '■', word: 'High' },
  info: { icon: '●', word: 'Info' },
  unclassified: { icon: '?', word: 'Unclassified' },
};

export function TierBadge({ tier }: { tier: AlertClass }) {
  const look = LOOK[tier];
  return (
    <span className={`tier tier-${tier}`}>
      <span aria-hidden="true">{look.icon}</span> {look.word}
    </span>
  );
}
