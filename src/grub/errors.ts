/** A refusal of the grub engine: something about the input or the request, never a bug. */
export type GrubEditErrorCode =
  | 'lint-errors'
  | 'no-entries'
  | 'kernel-not-found'
  | 'kernel-not-dom0'
  | 'no-dom0-kernel'
  | 'no-initrd'
  | 'truncated-line'
  | 'bad-title'
  | 'unsupported-entry'
  | 'bad-args'
  | 'bad-value';

export class GrubEditError extends Error {
  override readonly name = 'GrubEditError';
  constructor(
    readonly code: GrubEditErrorCode,
    message: string,
    readonly hint?: string,
    /** 1-based line the refusal is about (the entry, or 1 for the whole file). */
    readonly line?: number,
  ) {
    super(message);
  }
}
