import { deliveryReceiptsSuite } from './cases/delivery-receipts.js';

// Short profile (npm test): 40 texts, about 240 genuine callbacks and 60 forgeries. The full one: test/fault/full/delivery-receipts.test.ts.
deliveryReceiptsSuite({ name: 'short', texts: 40, undeliveredShare: 0.3, forgeries: 60, parallel: 16 });
