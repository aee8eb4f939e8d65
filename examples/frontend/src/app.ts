/** The terminal-management frontend (TypeScript); a stand-in with the shape of the real one. */
export function formatAmount(yen: number): string {
  if (!Number.isInteger(yen)) throw new Error('amounts are whole yen');
  return `¥${yen.toLocaleString('en-US')}`;
}

export function statusLabel(online: boolean): string {
  return online ? 'online' : 'offline';
}
