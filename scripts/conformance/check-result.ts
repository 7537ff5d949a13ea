/** The outcome of checking one vector file: how many cases passed and why each failure failed. */
export interface CaseFailure {
  name: string;
  expected: unknown;
  got: unknown;
}

export interface CheckResult {
  file: string;
  passed: number;
  failures: CaseFailure[];
}
