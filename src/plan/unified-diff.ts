import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';

/**
 * A git-style unified diff (`--- a/LABEL` / `+++ b/LABEL`, 3 lines of context) that
 * `git apply` and `patch -p1` accept; '' when nothing changes.
 */
export function unifiedDiff(label: string, before: string, after: string): string {
  if (before === after) return '';
  const rel = label.replace(/^\/+/, '');
  return createTwoFilesPatch(`a/${rel}`, `b/${rel}`, before, after, undefined, undefined, {
    context: 3,
    headerOptions: FILE_HEADERS_ONLY,
  });
}
