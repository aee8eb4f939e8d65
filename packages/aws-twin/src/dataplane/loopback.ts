import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** Listens on an ephemeral 127.0.0.1 port and tracks open sockets, so closing can cut them. */
export async function listenOnLoopback(server: Server): Promise<{ port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return { port: (server.address() as AddressInfo).port, sockets };
}
