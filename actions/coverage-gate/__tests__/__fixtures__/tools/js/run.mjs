import { discount, total } from './src/cart.mjs';

const sum = total([{ price: 10, quantity: 2 }]);
if (discount(sum, 'TEN') !== 18 || discount(sum, 'NONE') !== 20) process.exit(1);
