// Run ids and "the previous run": hosts order their runs by sorting the run directories' names
// (`ls | LC_ALL=C sort`, the state fact), and the last one is the run a new run reports and concludes.
import { describe, expect, it } from 'vitest';
import { newRunId } from '../../src/commands/remote.js';
import { previousRun } from '../../src/apply/run-journal.js';
import { RUN_ID } from '../../src/facts/host-facts.js';

// the order `LC_ALL=C sort` gives: byte order
const cSort = (xs: string[]) => [...xs].sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b))));

describe('run ids', () => {
  it('have the form the state fact accepts', () => {
    for (let i = 0; i < 200; i++) expect(newRunId()).toMatch(RUN_ID);
  });

  it('runs started within one second sort in the order they started (a re-run right after a failed run)', () => {
    // every millisecond of one second, each id drawn many times: whatever the random part, later sorts later
    for (let trial = 0; trial < 20; trial++) {
      const ids = Array.from({ length: 1000 }, (_, ms) => newRunId(new Date(Date.UTC(2026, 11, 2, 15, 31, 15, ms))));
      expect(cSort(ids)).toEqual(ids);
    }
  });

  it('runs of different seconds sort by time, across minutes, days and years', () => {
    const times = [Date.UTC(2026, 11, 31, 23, 59, 59, 999), Date.UTC(2027, 0, 1, 0, 0, 0, 0), Date.UTC(2027, 0, 1, 0, 0, 1, 0), Date.UTC(2027, 0, 1, 0, 1, 0, 5)];
    const ids = times.map((t) => newRunId(new Date(t)));
    expect(cSort(ids)).toEqual(ids);
  });

  it('the previous run is the last of the sorted names: a stopped run followed, in the same second, by a finished one is concluded', () => {
    const stopped = newRunId(new Date(Date.UTC(2026, 11, 2, 15, 31, 15, 120)));
    const rerun = newRunId(new Date(Date.UTC(2026, 11, 2, 15, 31, 15, 980)));
    const runs = cSort([rerun, stopped]);
    const steps = [
      JSON.stringify({ step: 'lock', status: 'done' }),
      JSON.stringify({ step: 'verify', status: 'done' }),
      JSON.stringify({ step: 'end', status: 'end', outcome: 'verified' }),
    ].join('\n');
    expect(previousRun(runs, steps)).toEqual({ runId: rerun, phase: 'verify', finished: true, outcome: 'verified' });
  });
});
