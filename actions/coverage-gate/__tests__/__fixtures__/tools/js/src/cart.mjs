export function total(items) {
  let sum = 0;
  for (const item of items) sum += item.price * item.quantity;
  return sum;
}

export function discount(sum, code) {
  if (code === 'TEN') return sum * 0.9;
  if (code === 'HALF') {
    return sum / 2;
  }
  return sum;
}

export function unusedRefund(sum) {
  const fee = 1;
  return sum - fee;
}
