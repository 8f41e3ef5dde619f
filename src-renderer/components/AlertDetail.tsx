import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { AlertSummary, FhirResource } from '../../src-main/shared/api.ts';
import { api } from '../api/bridge.ts';
import { queries } from '../api/queries.ts';
import { useUiStore } from '../state/ui-store.ts';
import { TierBadge } from './TierBadge.tsx';

interface Quantity {
  value?: number;
  unit?: string;
  code?: string;
}

function quantityText(q: Quantity | undefined): string | null {
  if (!q || typeof q.value !== 'number') return null;
  return `${q.value} ${q.unit ?? q.code ?? ''}`.trim();
}

function ObservationView({ resource }: { resource: FhirResource }) {
  const code = resource['code'] as
    { text?: string; coding?: Array<{ display?: string; code?: string }> } | undefined;
  const name = code?.text ?? code?.coding?.[0]?.display ?? 'Observation';
  const value = quantityText(resource['valueQuantity'] as Quantity | undefined);
  const range = (
    resource['referenceRange'] as Array<{ low?: Quantity; high?: Quantity; text?: string }> | undefined
  )?.[0];
  const interpretation = (
    resource['interpretation'] as
      Array<{ text?: string; coding?: Array<{ code?: string; display?: string }> }> | undefined
  )?.[0];
  return (
    <dl className="resource">
      <dt>Test</dt>
      <dd>{name}</dd>
      <dt>Value</dt>
      <dd className="value">{value ?? 'no numeric value'}</dd>
      <dt>Reference range</dt>
      <dd>
        {range?.text ??
          ([quantityText(range?.low), quantityText(range?.high)].filter(Boolean).join(' – ') || 'not given')}
      </dd>
      <dt>Interpretation</dt>
      <dd>
        {interpretation?.text ?? interpretation?.coding?.map((c) => c.display ?? c.code).join(', ') ?? 'none'}
      </dd>
      <dt>Status</dt>
      <dd>{String(resource['status'] ?? 'unknown')}</dd>
      <dt>Effective</dt>
      <dd>{String(resource['effectiveDateTime'] ?? resource['issued'] ?? 'unknown')}</dd>
    </dl>
  );
}

function PatientBanner({ reference }: { reference: string }) {
  const patient = useQuery(queries.resource(reference));
  const resource = patient.data?.resource;
  if (!resource) return <p className="patient-banner">Patient: {patient.data?.message ?? 'loading…'}</p>;
  const name = (
    resource['name'] as Array<{ given?: string[]; family?: string; text?: string }> | undefined
  )?.[0];
  const display = name?.text ?? [...(name?.given ?? []), name?.family ?? ''].join(' ').trim();
  const mrn = (resource['identifier'] as Array<{ value?: string }> | undefined)?.[0]?.value;
  return (
    <p className="patient-banner" aria-label="Patient">
      <strong>{display}</strong>
      {mrn ? <span> · MRN {mrn}</span> : null}
      {resource['gender'] ? <span> · {String(resource['gender'])}</span> : null}
      {resource['birthDate'] ? <span> · born {String(resource['birthDate'])}</span> : null}
    </p>
  );
}

function Acknowledge({ alert }: { alert: AlertSummary }) {
  const client = useQueryClient();
  const ack = useMutation({
    mutationFn: () => api.acknowledge({ alertId: alert.id }),
    onSuccess: () => client.invalidateQueries({ queryKey: queries.alerts().queryKey }),
  });
  if (alert.state === 'acknowledged') return <p className="acknowledged">Acknowledged</p>;
  return (
    <button type="button" className="ack" onClick={() => ack.mutate()} disabled={ack.isPending}>
      Acknowledge
    </button>
  );
}

export function AlertDetail() {
  const selectedId = useUiStore((s) => s.selectedAlertId);
  const alerts = useQuery(queries.alerts());
  const alert = alerts.data?.find((a) => a.id === selectedId) ?? null;
  const focus = useQuery({
    ...queries.resource(alert?.focus ?? 'Observation/none'),
    enabled: alert !== null,
  });
  if (!alert) {
    return (
      <section className="detail" aria-label="Alert detail">
        <p className="empty">Select an alert to see the result behind it.</p>
      </section>
    );
  }
  return (
    <section className="detail" aria-labelledby="detail-title">
      <h2 id="detail-title">
        <TierBadge tier={alert.tier} /> {alert.headline}
      </h2>
      <p className="reason">{alert.reason}</p>
      {alert.patient ? <PatientBanner reference={alert.patient.reference} /> : null}
      {focus.isPending ? <p>Loading the result…</p> : null}
      {focus.data && focus.data.status !== 'ok' ? <p role="status">{focus.data.message}</p> : null}
      {focus.data?.resource?.resourceType === 'Observation' ? (
        <ObservationView resource={focus.data.resource} />
      ) : null}
      <Acknowledge alert={alert} />
    </section>
  );
}
