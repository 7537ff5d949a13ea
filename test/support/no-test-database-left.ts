import { afterAll, beforeAll, expect } from '@jest/globals';
import { sqliteTestFiles } from './databases.js';

/** Fails the file when its tests leave a SQLite test database behind, apps that failed to boot included. */
export function expectNoTestDatabaseLeftBehind(): void {
  let before: string[];
  beforeAll(() => {
    before = sqliteTestFiles();
  });
  afterAll(() => {
    expect(sqliteTestFiles()).toEqual(before);
  });
}
