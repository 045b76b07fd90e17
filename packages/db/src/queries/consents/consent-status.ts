export type ConsentStatus = 'allow' | 'deny';
