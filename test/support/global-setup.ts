import { prepareTemplate } from './pg.js';

/** Runs once per `vitest run`: migrates the template database every test file clones. */
export default async function setup(): Promise<void> {
  await prepareTemplate();
}
