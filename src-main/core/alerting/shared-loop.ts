// What a workstation does when the server's records say another workstation acknowledged, resolved or
// escalated a result, or a pharmacist decided an order (docs/alerting.md, "Across workstations"). The
// monitor has already applied the record to the store (monitor/loop-events.ts); here the screen
// follows: the alerts are pushed (they now say "acknowledged by <name> at <time> on another
// workstation", or that the order was decided), the OS notifications raised for them are withdrawn,
// their escalation has stopped (they are no longer open), and a step addressed to this screen is told.
import type { Logger } from '../log.ts';
import type { Notifier } from '../ports.ts';
import type { EscalationChain } from './escalation-chain.ts';
import type { StepStatus } from './loop-resources.ts';
import { withdrawQuietly } from './raise.ts';

export type LoopChange =
  /** `opened`: alerts that were waiting for a person until now; `changed`: every alert that changed. */
  | { kind: 'acknowledged'; opened: string[]; changed: string[] }
  | { kind: 'resolved'; changed: string[] }
  | { kind: 'step'; alertIds: string[]; status: StepStatus }
  /** A pharmacist decided `order`: `changed` are the alerts that asked for it, now resolved. */
  | { kind: 'order-decided'; order: string; changed: string[] }
  /** The prescriber answered a question about `order`: no alert changes, the worklist does. */
  | { kind: 'order-answered'; order: string };

export interface SharedLoopOptions {
  publish(alertId: string): void;
  notifier: Notifier;
  logger: Logger;
  chain: EscalationChain | null;
}

export function createSharedLoopHandlers(options: SharedLoopOptions) {
  const withdraw = (alertId: string) => withdrawQuietly(options.notifier, options.logger, alertId);
  return {
    onChange(change: LoopChange): void {
      switch (change.kind) {
        case 'acknowledged':
          for (const id of change.changed) options.publish(id);
          for (const id of change.opened) withdraw(id);
          break;
        case 'resolved':
        case 'order-decided':
          for (const id of change.changed) {
            options.publish(id);
            withdraw(id);
          }
          break;
        case 'order-answered':
          // No alert changes: the service pushes the worklist (service.ts `onClosedLoop`).
          break;
        case 'step':
          for (const id of change.alertIds) options.publish(id);
          // A decline asks the next step at once; any new step may be addressed to this screen.
          if (change.status === 'declined') void options.chain?.tick();
          else void options.chain?.deliverNotices();
          break;
      }
    },
  };
}
