export type TestKind = 'command' | 'file' | 'content' | 'metadata' | 'license' | 'service';

/** The result of one smoke test, as it goes into the run report. */
export interface TestOutcome {
  kind: TestKind;
  name: string;
  ok: boolean;
  durationMs: number;
  problems: string[];
  /** The container's last log lines, kept when a service test fails. */
  logTail?: string[];
}
