// describeTerminal: the terminal tier's describe — skipped loudly with the reason when the bin is
// not built or there is no pseudo-terminal here, and in CI a failure with that reason.
import { inject } from 'vitest';
import { describeTier } from '../helpers/tier.js';

function reason(): string {
  try {
    return inject('terminalSkip') || '';
  } catch {
    return 'the terminal tier runs in the vitest project `terminal` (npx vitest run --project terminal)';
  }
}

export const terminalSkipReason = reason();
export const describeTerminal = describeTier('terminal tier', terminalSkipReason);
