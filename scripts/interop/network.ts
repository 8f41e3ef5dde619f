// Dropping the network under the app: every TCP socket this process opens is tracked through Node's
// diagnostics channel, so a check can cut the app's connections to Medplum (its websocket among them)
// the way a failing network would, without a proxy in between.
import dc from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { origin } from './target.ts';

/** Every TCP socket this process opens, so the network can be "dropped" under the app. */
const sockets = new Set<Socket>();
dc.subscribe('net.client.socket', (message) => {
  const socket = (message as { socket?: Socket }).socket;
  if (socket) {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  }
});

/** Cut every open connection to Medplum from this process (the app's websocket among them). */
export function dropConnections(): number {
  const port = Number(new URL(origin).port || 80);
  let dropped = 0;
  for (const socket of sockets) {
    if (socket.remotePort === port && !socket.destroyed) {
      socket.destroy();
      dropped += 1;
    }
  }
  return dropped;
}
