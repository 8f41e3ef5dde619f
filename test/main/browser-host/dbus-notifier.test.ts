// The browser host's OS notifications over org.freedesktop.Notifications: argument building and
// detection as unit tests, and one test against a real notification daemon (dunst under Xvfb in its own
// D-Bus session). That test is skipped, with the reason, where the Debian tools are missing
// (apt packages: xvfb dunst libnotify-bin dbus-x11... see .ci/run).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import {
  busCallArgs,
  closeNotificationArgs,
  parseBusString,
  parseRef,
  toRef,
} from '../../../src-main/browser-host/dbus-close.ts';
import {
  createDbusNotifier,
  detectDbusNotifications,
  escapeMarkup,
  findExecutable,
  notifySendArgs,
} from '../../../src-main/browser-host/dbus-notifier.ts';
import { createBrowserNotifier } from '../../../src-main/browser-host/notifier.ts';
import { arrivedTogetherNotification } from '../../../src-main/core/alerting/notification-text.ts';
import { silentLogger } from '../../../src-main/core/log.ts';
import type { EarlierNotification } from '../../../src-main/core/ports.ts';
import type { HostEvent } from '../../../src-main/shared/api.ts';

const TOOLS = ['xvfb-run', 'dbus-run-session', 'dunst', 'dunstctl', 'notify-send'];
// Shell steps that wait for states instead of sleeping: dunst answering on the session bus, then a
// notification on screen (polled every 0.1 s, giving up after 60 s so a broken run still ends).
const WAIT_UNTIL_DUNST_ANSWERS =
  'i=0; until dunstctl count displayed >/dev/null 2>&1 || [ $i -ge 600 ]; do i=$((i+1)); sleep 0.1; done';
const WAIT_FOR_DUNST = ['dunst >/dev/null 2>&1 &', WAIT_UNTIL_DUNST_ANSWERS];
/** A call to the session bus itself, in shell steps (the method and its arguments follow). */
const BUS_CALL =
  'dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.';
const WAIT_UNTIL_DISPLAYED =
  'i=0; while [ "$(dunstctl count displayed)" -lt 1 ] && [ $i -lt 600 ]; do i=$((i+1)); sleep 0.1; done';
// Wait (bounded as above) until exactly one notification is on screen: after a withdrawal, until the
// daemon has taken the withdrawn one down.
const WAIT_UNTIL_ONE_DISPLAYED =
  'i=0; while [ "$(dunstctl count displayed)" -ne 1 ] && [ $i -lt 600 ]; do i=$((i+1)); sleep 0.1; done';
const missing = TOOLS.filter((tool) => findExecutable(tool) === null);

/** Run shell `steps` in a fresh X display and D-Bus session (dunst is started by the steps). */
function inDesktopSession(steps: string[], timeout: number) {
  return spawnSync('xvfb-run', ['-a', 'dbus-run-session', '--', 'sh', '-c', steps.join('\n')], {
    encoding: 'utf8',
    timeout,
    env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: '' },
  });
}

describe('D-Bus notifier (unit)', () => {
  it('detects absence cleanly: not Linux, no session bus, no notify-send', () => {
    expect(detectDbusNotifications({ DBUS_SESSION_BUS_ADDRESS: 'unix:path=/x' }, 'darwin')).toMatchObject({
      available: false,
      reason: 'not Linux',
    });
    expect(detectDbusNotifications({ PATH: '/usr/bin' }, 'linux').reason).toMatch(/no D-Bus session bus/);
    expect(
      detectDbusNotifications({ DBUS_SESSION_BUS_ADDRESS: 'unix:path=/x', PATH: '/nonexistent' }, 'linux')
        .reason,
    ).toMatch(/notify-send not installed/);
  });

  it('builds critical, non-expiring, sounding notifications and keeps lab text out of options and markup', () => {
    const args = notifySendArgs({
      alertId: 'a',
      tier: 'critical',
      title: '-t 1',
      body: 'K < 2.8 & <b>x</b>',
    });
    expect(args).toContain('--urgency=critical');
    expect(args).toContain('--expire-time=0');
    expect(args).toContain('--hint=string:sound-name:dialog-warning');
    expect(args.slice(-3)).toEqual(['--', '-t 1', 'K &lt; 2.8 &amp; &lt;b&gt;x&lt;/b&gt;']);
    // The server's id is printed, so the notification can be closed again (CloseNotification).
    expect(args).toContain('--print-id');
    expect(closeNotificationArgs(42)).toEqual([
      '--session',
      '--print-reply',
      '--dest=org.freedesktop.Notifications',
      '/org/freedesktop/Notifications',
      'org.freedesktop.Notifications.CloseNotification',
      'uint32:42',
    ]);
    expect(notifySendArgs({ alertId: 'a', tier: 'high', title: 't', body: 'b' })).toContain(
      '--urgency=normal',
    );
    expect(escapeMarkup('a>b')).toBe('a&gt;b');
  });

  it('refuses to notify when unavailable, and the browser notifier still reaches the page', async () => {
    const unavailable = { available: false, reason: 'no D-Bus session bus', command: null };
    await expect(
      createDbusNotifier(unavailable).notify({ alertId: null, tier: 'critical', title: 't', body: 'b' }),
    ).rejects.toThrow(/no D-Bus session bus/);
    const events: HostEvent[] = [];
    const notifier = createBrowserNotifier((e) => events.push(e), {
      notifier: createDbusNotifier(unavailable),
      logger: silentLogger(),
    });
    await notifier.notify({ alertId: 'a1', tier: 'critical', title: 'T', body: 'B' });
    expect(events).toEqual([{ type: 'notify', alertId: 'a1', title: 'T', body: 'B' }]);
  });

  it('tells the page when the host raised the OS notification, so the page raises none of its own', async () => {
    const events: HostEvent[] = [];
    // Stands in for the notification daemon (the real one is exercised below, under Xvfb).
    const daemon = { shown: [] as string[], closed: [] as string[] };
    const notifier = createBrowserNotifier((e) => events.push(e), {
      notifier: {
        notify: async (n) => void daemon.shown.push(n.alertId ?? ''),
        withdraw: async (alertId) => void daemon.closed.push(alertId),
      },
      logger: silentLogger(),
    });
    await notifier.notify({ alertId: 'a1', tier: 'critical', title: 'T', body: 'B' });
    await notifier.withdraw?.('a1');
    expect(events).toEqual([
      { type: 'notify', alertId: 'a1', title: 'T', body: 'B', osRaised: true },
      { type: 'withdraw-notification', alertId: 'a1' },
    ]);
    expect(daemon).toEqual({ shown: ['a1'], closed: ['a1'] });
  });

  it('says so in the log when the daemon raised a notification but gave no ref to close it by after a restart', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    // Stands in for the D-Bus notifier: the first raise has no ref (the daemon could not be told), the
    // second has one.
    const refs = [undefined, '{"bus":"b","owner":":1.4","id":2}'];
    const notifier = createBrowserNotifier(() => undefined, {
      notifier: { notify: async () => refs.shift(), withdrawEarlier: async () => undefined },
      logger,
    });
    await notifier.notify({ alertId: 'a1', tier: 'critical', title: 'T', body: 'B' });
    await notifier.notify({ alertId: 'a2', tier: 'critical', title: 'T', body: 'B' });
    const warned = lines.map((l) => JSON.parse(l) as { msg: string; alertId: string });
    expect(warned.map((w) => [w.alertId, w.msg])).toEqual([
      ['a1', expect.stringMatching(/without a ref: a host restart .* leaves it on the desktop/)],
    ]);
  });

  it('tells the page to close a notification for several alerts by its group, and the daemon too', async () => {
    const events: HostEvent[] = [];
    // Stands in for the notification daemon (the real one is exercised below, under Xvfb).
    const closedGroups: string[] = [];
    const notifier = createBrowserNotifier((e) => events.push(e), {
      notifier: {
        notify: async () => undefined,
        withdrawGroup: async (groupId) => void closedGroups.push(groupId),
      },
      logger: silentLogger(),
    });
    const summary = {
      ...arrivedTogetherNotification(6, ['a1', 'a2', 'a3', 'a4', 'a5', 'a6']),
      groupId: 'group-1',
    };
    await notifier.notify(summary);
    await notifier.withdrawGroup?.('group-1');
    expect(events).toEqual([
      {
        type: 'notify',
        alertId: null,
        groupId: 'group-1',
        title: '6 critical results arrived together',
        body: summary.body,
        inAppBody: 'Each is in the critical list.',
        osRaised: true,
      },
      { type: 'withdraw-group-notification', groupId: 'group-1' },
    ]);
    expect(closedGroups).toEqual(['group-1']);
  });
});

describe('closing what an earlier run raised (unit)', () => {
  it('names the bus, the daemon and its id in a ref, and reads back only such a ref', () => {
    const ref = toRef({ bus: '87dc3ba8', owner: ':1.0' }, 7);
    expect(parseRef(ref)).toEqual({ bus: '87dc3ba8', owner: ':1.0', id: 7 });
    for (const bad of [
      '7',
      'null',
      '{"bus":"b","owner":"org.freedesktop.Notifications","id":7}',
      '{"bus":"b","owner":":1.0","id":0}',
      'not json',
    ])
      expect(parseRef(bad), bad).toBeNull();
  });

  it('asks the bus for its id and the daemon’s unique name, and reads the answer', () => {
    expect(busCallArgs('GetNameOwner')).toEqual([
      '--session',
      '--print-reply',
      '--dest=org.freedesktop.DBus',
      '/org/freedesktop/DBus',
      'org.freedesktop.DBus.GetNameOwner',
      'string:org.freedesktop.Notifications',
    ]);
    expect(busCallArgs('GetId').at(-1)).toBe('org.freedesktop.DBus.GetId');
    // What dbus-send --print-reply printed on this machine.
    const reply =
      'method return time=1796180027.368459 sender=org.freedesktop.DBus -> destination=:1.2 serial=3 reply_serial=2\n   string ":1.0"\n';
    expect(parseBusString(reply)).toBe(':1.0');
    expect(parseBusString('Error org.freedesktop.DBus.Error.NameHasNoOwner')).toBeNull();
    // Closing an earlier run's notification goes to the daemon that raised it, by its unique name.
    expect(closeNotificationArgs(7, ':1.0')).toContain('--dest=:1.0');
  });

  it('tells a page that outlived the restart to close an earlier group, and passes the refs on', async () => {
    const events: HostEvent[] = [];
    const passed: EarlierNotification[] = [];
    const notifier = createBrowserNotifier((e) => events.push(e), {
      notifier: {
        notify: async () => 'ref-1',
        withdrawEarlier: async (earlier) => void passed.push(...earlier),
      },
      logger: silentLogger(),
    });
    expect(await notifier.notify({ alertId: 'a1', tier: 'critical', title: 'T', body: 'B' })).toBe('ref-1');
    const earlier: EarlierNotification[] = [
      { key: 'group-x', kind: 'group', osRef: 'ref-2' },
      { key: 'a1', kind: 'alert', osRef: 'ref-1' },
    ];
    await notifier.withdrawEarlier?.(earlier);
    expect(events.slice(1)).toEqual([{ type: 'withdraw-group-notification', groupId: 'group-x' }]);
    expect(passed).toEqual(earlier);
  });
});

/**
 * Run dbus-send-child.ts in `mode` (it raises two notifications and withdraws one) beside dunst, wait
 * until one is left on screen, and read what the daemon closed (its history, newest first).
 */
function withdrawInDaemon(mode: 'withdraw' | 'group') {
  const child = join(import.meta.dirname, 'dbus-send-child.ts');
  const run = inDesktopSession(
    [
      ...WAIT_FOR_DUNST,
      `"${process.execPath}" "${child}" ${mode}`,
      WAIT_UNTIL_ONE_DISPLAYED,
      'echo "displayed=$(dunstctl count displayed)"',
      'echo "---history---"',
      'dunstctl history',
      'kill %1 2>/dev/null || true',
    ],
    30_000,
  );
  const history = JSON.parse(run.stdout.split('---history---')[1] ?? '{}') as {
    data?: Array<Array<Record<string, { data: unknown }>>>;
  };
  return {
    stdout: run.stdout,
    stderr: run.stderr,
    closed: history.data?.[0]?.map((n) => n['summary']?.data) ?? [],
  };
}

describe.skipIf(missing.length > 0)(
  `real notification daemon (dunst under Xvfb)${missing.length > 0 ? ` — skipped: missing ${missing.join(', ')} (apt: xvfb dbus dunst libnotify-bin)` : ''}`,
  () => {
    it('a critical raised by the browser host reaches org.freedesktop.Notifications', () => {
      const child = join(import.meta.dirname, 'dbus-send-child.ts');
      const run = inDesktopSession(
        [
          ...WAIT_FOR_DUNST,
          `"${process.execPath}" "${child}"`,
          WAIT_UNTIL_DISPLAYED,
          'echo "displayed=$(dunstctl count displayed)"',
          'dunstctl close-all',
          'echo "---history---"',
          'dunstctl history',
          'kill %1 2>/dev/null || true',
        ],
        90_000,
      );
      expect(run.stdout, run.stderr).toContain('sent');
      expect(run.stdout).toContain('displayed=1');
      const history = JSON.parse(run.stdout.split('---history---')[1] ?? '{}') as {
        data: Array<Array<Record<string, { data: unknown }>>>;
      };
      const shown = history.data[0]?.[0];
      expect(shown?.['summary']?.data).toBe('CRITICAL: Potassium 6.8 mmol/L');
      expect(shown?.['body']?.data).toContain('K 6.8 mmol/L &gt; 6.2 — Ward A bed 1');
      expect(shown?.['appname']?.data).toBe('Alert Monitor');
      expect(shown?.['timeout']?.data).toBe(0); // critical: never expires
    }, 120_000);

    it('acknowledging withdraws the alert’s notification from the daemon (CloseNotification), no other', () => {
      const run = withdrawInDaemon('withdraw');
      expect(run.stdout, run.stderr).toContain('withdrawn a1');
      // The sodium alert is still on screen; the potassium one was closed and is in the history.
      expect(run.stdout).toContain('displayed=1');
      expect(run.closed).toEqual(['CRITICAL: Potassium 6.8 mmol/L']);
    }, 40_000);

    it('a notification for several alerts is closed by its group, the others stay', () => {
      const run = withdrawInDaemon('group');
      expect(run.stdout, run.stderr).toContain('withdrawn group-1');
      // The potassium alert is still on screen; the summary was closed and is in the history.
      expect(run.stdout).toContain('displayed=1');
      expect(run.closed).toEqual(['6 critical results arrived together']);
    }, 40_000);

    it('a later run of the host closes what an earlier run raised, by the ref it kept', () => {
      const child = join(import.meta.dirname, 'dbus-send-child.ts');
      const run = inDesktopSession(
        [
          ...WAIT_FOR_DUNST,
          `ref=$("${process.execPath}" "${child}" ref | sed -n 's/^ref //p')`,
          WAIT_UNTIL_DISPLAYED,
          'echo "ref=$ref"',
          'echo "before=$(dunstctl count displayed)"',
          `"${process.execPath}" "${child}" earlier "$ref"`,
          'echo "after=$(dunstctl count displayed)"',
          'kill %1 2>/dev/null || true',
        ],
        60_000,
      );
      expect(run.stdout, run.stderr).toMatch(/ref=\{"bus":"\w+","owner":":1\.\d+","id":\d+\}/);
      expect(run.stdout).toContain('before=1');
      expect(run.stdout).toContain('withdrawn earlier');
      // CloseNotification was answered before the child ended: the notification is down.
      expect(run.stdout).toContain('after=0');
    }, 90_000);

    it('with the tools’ output read after they exited (a loaded machine), the ref is still given and closes it', () => {
      const child = join(import.meta.dirname, 'dbus-send-child.ts');
      const run = inDesktopSession(
        [
          ...WAIT_FOR_DUNST,
          `"${process.execPath}" "${child}" late-output`,
          'echo "after=$(dunstctl count displayed)"',
          'echo "---history---"',
          'dunstctl history',
          'kill %1 2>/dev/null || true',
        ],
        60_000,
      );
      const printed = `${run.stdout}\n${run.stderr}`;
      expect(run.stdout, printed).toMatch(/ref \{"bus":"\w+","owner":":1\.\d+","id":\d+\}/);
      expect(run.stdout, printed).toContain('withdrawn earlier');
      // Shown, then closed by the ref: off the screen and in the daemon's history.
      expect(run.stdout, printed).toContain('after=0');
      const history = JSON.parse(run.stdout.split('---history---')[1] ?? '{}') as {
        data?: Array<Array<Record<string, { data: unknown }>>>;
      };
      expect(history.data?.[0]?.map((n) => n['summary']?.data)).toEqual([
        '6 critical results arrived together',
      ]);
    }, 90_000);

    it('a daemon that does not answer holds the raise only for the bounded wait for its id; it shows the notification when it answers', () => {
      const child = join(import.meta.dirname, 'dbus-send-child.ts');
      const run = inDesktopSession(
        [
          ...WAIT_FOR_DUNST,
          'dir=$(mktemp -d)',
          `GATE="$dir/answer" "${process.execPath}" "${child}" slow-daemon > "$dir/out" 2>&1 &`,
          // Until the notifier has given up waiting (bounded: 60 s), the daemon has not answered.
          `i=0; until grep -q '^sent' "$dir/out" || [ $i -ge 600 ]; do i=$((i+1)); sleep 0.1; done`,
          'echo "unanswered=$(dunstctl count displayed)"',
          'touch "$dir/answer"',
          WAIT_UNTIL_DISPLAYED,
          'echo "answered=$(dunstctl count displayed)"',
          'cat "$dir/out"; rm -rf "$dir"',
          'kill %1 2>/dev/null || true',
        ],
        90_000,
      );
      const printed = `${run.stdout}\n${run.stderr}`;
      // Counted as raised while the daemon had not answered (so the page's toast is not held), no ref.
      expect(run.stdout, printed).toContain('sent ref none');
      expect(run.stdout, printed).toContain('unanswered=0');
      expect(run.stdout, printed).toContain('answered=1');
    }, 120_000);

    it('once the daemon restarted, an earlier ref closes nothing, not even a new notification with its id', () => {
      const child = join(import.meta.dirname, 'dbus-send-child.ts');
      const run = inDesktopSession(
        [
          ...WAIT_FOR_DUNST,
          `ref=$("${process.execPath}" "${child}" ref | sed -n 's/^ref //p')`,
          // The daemon restarts (a crash, a new login of the desktop's notification service): whichever
          // dunst holds the name (the one started here, or one the bus activated first) is stopped and
          // another starts. Its ids start again, so another application's notification gets an id an old
          // ref names (which one depends on the daemon: the ref is pointed at it, so the collision is certain).
          `daemon=$(${BUS_CALL}GetConnectionUnixProcessID string:org.freedesktop.Notifications | sed -n 's/.*uint32 //p')`,
          'kill $daemon; i=0; while kill -0 $daemon 2>/dev/null && [ $i -lt 600 ]; do i=$((i+1)); sleep 0.1; done',
          'dunst >/dev/null 2>&1 &',
          WAIT_UNTIL_DUNST_ANSWERS,
          `echo "now=$(${BUS_CALL}GetNameOwner string:org.freedesktop.Notifications | sed -n 's/.*string "\\(.*\\)"/\\1/p')"`,
          'other=$(notify-send -p -u critical "Other application" "still needed")',
          'ref=$(echo "$ref" | sed "s/\\"id\\":[0-9]*/\\"id\\":$other/")',
          'echo "other=$other ref=$ref"',
          'echo "before=$(dunstctl count displayed)"',
          `"${process.execPath}" "${child}" earlier "$ref"`,
          'echo "after=$(dunstctl count displayed)"',
          'kill %2 2>/dev/null || true',
        ],
        60_000,
      );
      // Everything the session printed, for a failure's message.
      const printed = `${run.stdout}\n${run.stderr}`;
      expect(run.stdout, printed).toContain('withdrawn earlier');
      const other = /other=(\d+) ref=(\S+)/.exec(run.stdout);
      expect(other?.[2], printed).toContain(`"id":${other?.[1] ?? '?'}}`);
      // The daemon did restart: another unique name owns the service than the one the ref names.
      const now = /now=(:\S+)/.exec(run.stdout)?.[1];
      expect(now, printed).toMatch(/^:\d+\.\d+$/);
      expect(other?.[2], printed).not.toContain(`"owner":"${now ?? '?'}"`);
      expect(run.stdout, printed).toContain('before=1');
      // Sent to the daemon that raised it, which is gone: the other application's notification stays.
      expect(run.stdout, printed).toContain('after=1');
    }, 90_000);

    it('a click on the notification (its default action) opens the alert in the page', () => {
      const child = join(import.meta.dirname, 'dbus-send-child.ts');
      const run = inDesktopSession(
        [
          ...WAIT_FOR_DUNST,
          `"${process.execPath}" "${child}" click &`,
          WAIT_UNTIL_DISPLAYED,
          // What a click does in dunst: perform the default action of the notification on top.
          'dunstctl action 0',
          'wait %2',
          'kill %1 2>/dev/null || true',
        ],
        90_000,
      );
      expect(run.stdout, run.stderr).toContain('sent');
      expect(run.stdout).toContain('opened a1');
    }, 120_000);
  },
);
