import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { queries } from '../api/queries.ts';
import { timeText } from '../format/time.ts';

/** "While you were signed out (since 14:02): 5 alerts arrived, 2 critical." Once per return. */
export function CatchUpNotice() {
  const session = useQuery(queries.session());
  const [dismissed, setDismissed] = useState<string | null>(null);
  const catchUp = session.data?.state === 'signed-in' ? session.data.catchUp : null;
  if (!catchUp || dismissed === catchUp.since) return null;
  return (
    <p className="catch-up" role="status">
      While you were signed out (since {timeText(catchUp.since)}): {catchUp.alerts} alert
      {catchUp.alerts === 1 ? '' : 's'} arrived, {catchUp.critical} critical. They are in the feed below.{' '}
      <button type="button" className="link" onClick={() => setDismissed(catchUp.since)}>
        Dismiss
      </button>
    </p>
  );
}
