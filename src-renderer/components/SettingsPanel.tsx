// Workstation settings and the closed loop's housekeeping: notification preferences, launch at login,
// the rules file in force, write-back health, and the audit export for critical-result reviews.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { AuditExport, Preferences } from '../../src-main/shared/api.ts';
import { api } from '../api/bridge.ts';
import { queries } from '../api/queries.ts';
import { timeText } from '../format/time.ts';
import { uiActions, useUiStore } from '../state/ui-store.ts';
import { CUE_REPEAT_MS } from './AudibleCue.tsx';

function NotificationSettings() {
  const client = useQueryClient();
  const prefs = useQuery(queries.preferences());
  const key = queries.preferences().queryKey;
  // Optimistic: the box flips at once; the host's answer (or the old value, on error) settles it.
  const save = useMutation({
    mutationFn: (change: Partial<Preferences>) => api.setPreferences(change),
    onMutate: (change) => {
      const before = client.getQueryData(key);
      if (before) client.setQueryData(key, { ...before, ...change });
      return { before };
    },
    onError: (_error, _change, context) => {
      if (context?.before) client.setQueryData(key, context.before);
    },
    onSuccess: (next) => client.setQueryData(key, next),
  });
  const login = useQuery(queries.launchAtLogin());
  const setLogin = useMutation({
    mutationFn: (enabled: boolean) => api.setLaunchAtLogin({ enabled }),
    onSuccess: (next) => client.setQueryData(queries.launchAtLogin().queryKey, next),
  });
  return (
    <section className="settings-group" aria-labelledby="prefs-title">
      <h3 id="prefs-title">Notifications</h3>
      <label className="setting">
        <input
          type="checkbox"
          checked={prefs.data?.privacyMode ?? true}
          disabled={!prefs.data}
          onChange={(e) => save.mutate({ privacyMode: e.target.checked })}
        />
        Privacy mode (on by default): desktop notifications name the test and the bed, never the patient or
        the value (“Critical result: Potassium — Ward A bed 1”), so a lock screen shows no one’s name
      </label>
      <label className="setting">
        <input
          type="checkbox"
          checked={prefs.data?.audibleCue ?? true}
          disabled={!prefs.data}
          onChange={(e) => save.mutate({ audibleCue: e.target.checked })}
        />
        Sound a cue for critical results, repeated every {CUE_REPEAT_MS / 1000} s until each is opened
      </label>
      <label className="setting">
        <input
          type="checkbox"
          checked={prefs.data?.notifyHigh ?? false}
          disabled={!prefs.data}
          onChange={(e) => save.mutate({ notifyHigh: e.target.checked })}
        />
        Also interrupt for high alerts (significantly abnormal results, stat orders), not only critical
        results
      </label>
      <label className="setting">
        <input
          type="checkbox"
          checked={login.data?.enabled ?? false}
          disabled={!login.data?.supported || setLogin.isPending}
          onChange={(e) => setLogin.mutate(e.target.checked)}
        />
        Start Alert Monitor when I log in
        {login.data && !login.data.supported ? ' (only in the desktop app)' : ''}
      </label>
      {save.isError ? <p role="alert">Could not save: {save.error.message}</p> : null}
    </section>
  );
}

function DisplaySettings() {
  const largeType = useUiStore((s) => s.largeType);
  return (
    <section className="settings-group" aria-labelledby="display-title">
      <h3 id="display-title">Display</h3>
      <label className="setting">
        <input
          type="checkbox"
          checked={largeType}
          onChange={(e) => uiActions.setLargeType(e.target.checked)}
        />
        Large type, for a ward display read from across the room (kept for this browser)
      </label>
    </section>
  );
}

/** The pharmacist's order-checks file (docs/pharmacy.md): its notice, state and a reload. */
function OrderChecks() {
  const client = useQueryClient();
  const status = useQuery(queries.orderChecks());
  const reload = useMutation({
    mutationFn: () => api.reloadOrderChecks({}),
    onSuccess: (data) => client.setQueryData(queries.orderChecks().queryKey, data),
  });
  const data = status.data;
  if (!data) return null;
  return (
    <section className="settings-group" aria-labelledby="order-checks-title">
      <h3 id="order-checks-title">Order checks (pharmacist)</h3>
      <p className="notice">{data.notice}</p>
      <dl className="resource">
        <dt>File</dt>
        <dd>{data.path ?? 'built-in (none loaded)'}</dd>
        <dt>Loaded</dt>
        <dd>{data.loadedAt ? timeText(data.loadedAt) : 'never'}</dd>
        <dt>Checks</dt>
        <dd>{data.checkCount}</dd>
      </dl>
      {data.lastError ? (
        <p role="alert" className="rules-error">
          The last change to the order-checks file was refused (the previous checks stay active):{' '}
          {data.lastError}
        </p>
      ) : null}
      <button type="button" onClick={() => reload.mutate()} disabled={reload.isPending}>
        Reload the order-checks file
      </button>
    </section>
  );
}

function RulesAndLoop() {
  const client = useQueryClient();
  const status = useQuery(queries.alertingStatus());
  const reload = useMutation({
    mutationFn: () => api.reloadRules({}),
    onSuccess: () => client.invalidateQueries({ queryKey: queries.alertingStatus().queryKey }),
  });
  const data = status.data;
  if (!data) return <p>Loading the alerting status…</p>;
  return (
    <>
      <section className="settings-group" aria-labelledby="rules-title">
        <h3 id="rules-title">Critical-value rules</h3>
        <p className="notice">{data.rules.notice}</p>
        <dl className="resource">
          <dt>File</dt>
          <dd>{data.rules.path ?? 'built-in'}</dd>
          <dt>Loaded</dt>
          <dd>{data.rules.loadedAt ? timeText(data.rules.loadedAt) : 'never'}</dd>
          <dt>Thresholds</dt>
          <dd>{data.rules.thresholdCount}</dd>
        </dl>
        {data.rules.lastError ? (
          <p role="alert" className="rules-error">
            The last change to the rules file was refused (the previous rules stay active):{' '}
            {data.rules.lastError}
          </p>
        ) : null}
        <button type="button" onClick={() => reload.mutate()} disabled={reload.isPending}>
          Reload the rules file
        </button>
      </section>
      <section className="settings-group" aria-labelledby="loop-title">
        <h3 id="loop-title">Closed loop</h3>
        <dl className="resource">
          <dt>Unacknowledged critical</dt>
          <dd>{data.unacknowledgedCritical}</dd>
          <dt>Escalated</dt>
          <dd>{data.escalated}</dd>
          <dt>Escalation after</dt>
          <dd>{data.ackTimeoutMinutes} min without acknowledgment</dd>
          <dt>Result-to-caregiver target</dt>
          <dd>{data.targetMinutes} min</dd>
          <dt>Write-back to the server</dt>
          <dd>
            {data.writeback.pending} pending, {data.writeback.failed} failed
            {data.writeback.lastError ? ` — last error: ${data.writeback.lastError}` : ''}
          </dd>
        </dl>
      </section>
    </>
  );
}

function AuditExportSection() {
  const [result, setResult] = useState<AuditExport | null>(null);
  const [downloadUrl, setDownloadUrl] = useState<string | null>(null);
  const exportAudit = useMutation({
    mutationFn: () => api.exportAudit({}),
    onSuccess: (exported) => {
      setResult(exported);
      setDownloadUrl(URL.createObjectURL(new Blob([exported.csv], { type: 'text/csv' })));
    },
  });
  useEffect(() => () => (downloadUrl ? URL.revokeObjectURL(downloadUrl) : undefined), [downloadUrl]);
  return (
    <section className="settings-group" aria-labelledby="audit-title">
      <h3 id="audit-title">Audit log</h3>
      <p>
        Every transition (notified, seen, acknowledged, escalated, resolved, written back) with who and when.
      </p>
      <button type="button" onClick={() => exportAudit.mutate()} disabled={exportAudit.isPending}>
        Export the audit log as CSV
      </button>
      {result ? (
        <p role="status">
          {result.rows} rows{result.path ? ` written to ${result.path}` : ''}.{' '}
          {downloadUrl ? (
            <a href={downloadUrl} download="alert-monitor-audit.csv">
              Download the CSV
            </a>
          ) : null}
        </p>
      ) : null}
      {exportAudit.isError ? <p role="alert">Export failed: {exportAudit.error.message}</p> : null}
    </section>
  );
}

export function SettingsPanel() {
  return (
    <section className="settings" aria-labelledby="settings-title">
      <h2 id="settings-title">Settings</h2>
      <NotificationSettings />
      <DisplaySettings />
      <RulesAndLoop />
      <OrderChecks />
      <AuditExportSection />
    </section>
  );
}
