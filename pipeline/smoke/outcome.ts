import { z } from 'zod';

export const testKindSchema = z.enum(['command', 'file', 'content', 'metadata', 'license', 'service']);
export type TestKind = z.infer<typeof testKindSchema>;

/** The result of one smoke test, as it goes into the run report. */
export const testOutcomeSchema = z.object({
  kind: testKindSchema,
  name: z.string(),
  ok: z.boolean(),
  durationMs: z.number(),
  problems: z.array(z.string()),
  /** The container's last log lines, kept when a service test fails. */
  logTail: z.array(z.string()).optional().describe("The container's last log lines, kept when a service test fails."),
});
export type TestOutcome = z.infer<typeof testOutcomeSchema>;
