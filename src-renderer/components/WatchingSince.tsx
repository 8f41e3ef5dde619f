// Since when this workstation has been watching, while that is recent (feed/watching-since.ts): a
// first sign-in here shows no earlier results but the open criticals read back, and an empty feed must
// not read as "nothing critical". The ward board's compact feed and large type say the same in fewer
// words: at 1024×700 the full sentence took three lines of a column that must still show a feed row.
import { useQuery } from '@tanstack/react-query';
import { queries } from '../api/queries.ts';
import { readBackStart, recentWatchStart } from '../feed/watching-since.ts';
import { timeText } from '../format/time.ts';
import { useNow } from '../hooks/useNow.ts';

/** The notice's words: since when, how far back criticals were read (if they were), long or short. */
function watchingText(from: string, readBackFrom: string | null, compact: boolean): string {
  if (readBackFrom === null)
    return compact
      ? `Watching since ${from}. Earlier results: see the patient record.`
      : `Watching here since ${from}: earlier results are not shown — see the patient record.`;
  return compact
    ? `Watching since ${from}; open criticals read back from ${readBackFrom}. Earlier: see the patient record.`
    : `Watching here since ${from}; critical results still open from ${readBackFrom} on were read back. Anything earlier is not shown — see the patient record.`;
}

export function WatchingSince({ compact = false }: { compact?: boolean }) {
  const health = useQuery(queries.health());
  const now = useNow(60_000);
  const since = recentWatchStart(health.data, now);
  if (!since) return null;
  const readBack = readBackStart(health.data);
  return (
    <p className="watching-since" role="note">
      {watchingText(timeText(since, now), readBack ? timeText(readBack, now) : null, compact)}
    </p>
  );
}
