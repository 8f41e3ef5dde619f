// A refusal by the host's access rules reaches the page as ActionRefusedError in both hosts: the HTTP
// bridge reads the 403's `refused` (e2e/right-patient.spec.ts), and over Electron's IPC the shell's mark
// is read back out of the message Electron wraps ("Error invoking remote method '<channel>': Error: …",
// its documented form: only the message of a handler's error crosses).
import { describe, expect, it } from 'vitest';
import type { MonitorApi } from '../../src-main/shared/api.ts';
import { ActionRefusedError, refusalFromIpc, withIpcRefusals } from '../../src-renderer/api/refusal.ts';

const WRAPPED =
  "Error invoking remote method 'monitor:call:acknowledge': Error: [refused:not-permitted] Not permitted: the server does not let you see this record.";

describe('refusals over IPC', () => {
  it('reads the code and the words out of the wrapped message', () => {
    const refusal = refusalFromIpc(new Error(WRAPPED));
    expect(refusal).toBeInstanceOf(ActionRefusedError);
    expect(refusal?.code).toBe('not-permitted');
    expect(refusal?.message).toBe('Not permitted: the server does not let you see this record.');
  });

  it('leaves any other error alone', () => {
    expect(
      refusalFromIpc(
        new Error("Error invoking remote method 'monitor:call:listAlerts': Error: invalid limit"),
      ),
    ).toBeNull();
    expect(refusalFromIpc('not an error')).toBeNull();
  });

  it('turns a refused call of the preload API into ActionRefusedError and passes everything else through', async () => {
    const preload = {
      acknowledge: async () => {
        throw new Error(WRAPPED);
      },
      listAlerts: async () => {
        throw new Error('the host failed');
      },
      getHostInfo: async () => ({ host: 'electron' }),
      onEvent: () => () => undefined,
    } as unknown as MonitorApi;
    const api = withIpcRefusals(preload);
    await expect(api.acknowledge({ alertId: 'a-1' })).rejects.toBeInstanceOf(ActionRefusedError);
    await expect(api.listAlerts({ limit: 1 })).rejects.toThrow('the host failed');
    await expect(api.getHostInfo({})).resolves.toEqual({ host: 'electron' });
    expect(api.onEvent).toBe(preload.onEvent);
  });
});
