import { deliveryReceiptsSuite } from '../cases/delivery-receipts.js';

// Full profile (npm run test:fault): 400 texts, about 2,400 genuine callbacks and 600 forgeries.
deliveryReceiptsSuite({ name: 'full', texts: 400, undeliveredShare: 0.3, forgeries: 600, parallel: 32 });
