// Since when this workstation has been watching, while that is recent (feed/watching-since.ts): a
// first sign-in here shows no earlier results but the open criticals read back, and an empty feed must
// not read as "nothing critical".
import { useQuery } from '@tanstack/react-query';
import { queries } from '../api/queries.ts';
import { readBackStart, recentWatchStart } from '../feed/watching-since.ts';
import { timeText } from '../format/time.ts';
import { useNow } from '../hooks/useNow.ts';

export function WatchingSince() {
  const health = useQuery(queries.health());
  const now = useNow(60_000);
  const since = recentWatchStart(health.data, now);
  if (!since) return null;
  const readBack = readBackStart(health.data);
  return (
    <p className="watching-since" role="note">
      {readBack
        ? `Watching here since ${timeText(since, now)}; critical results still open from ${timeText(readBack, now)} on were read back. Anything earlier is not shown — see the patient record.`
        : `Watching here since ${timeText(since, now)}: earlier results are not shown — see the patient record.`}
    </p>
  );
}
