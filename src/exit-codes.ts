/** The process's exit codes (a leaf module: commands and the CLI both import it, nothing else). */
export const EXIT = { ok: 0, error: 1, changes: 2, internal: 70 } as const;
