#!/usr/bin/env bash
# Mutation runs (issue 17, "Done when"): break one safety mechanism on purpose in a temporary copy
# of the work tree, run the tests that must notice, and report each mutation as killed (at least
# one test failed — their names are listed) or survived. Never touches the work tree itself.
#
#   scripts/mutations.sh                 every mutation
#   scripts/mutations.sh NAME...         only these (see the table below)
#   scripts/mutations.sh --list          the table
#   scripts/mutations.sh --unit-only …   only the unit-tier files of each mutation (no test bed)
#
# The SSH-tier files need the test bed (root; see docs/testbed.md); set DOM0UP_TESTBED_STATE and
# DOM0UP_TESTBED_PORT when other test beds run on the machine. Slow (minutes per mutation): not
# part of `npm test`. Exit status: the number of mutations that survived or could not be applied.
set -u -o pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)

# name @ file @ perl substitution (applied once, must change the file) | test files
MUTATIONS=(
  "updatedefault-yes@src/plan/make-plan.ts@s/setKernelUpdateDefault\(b as string, 'no'\)/setKernelUpdateDefault(b as string, 'yes')/@test/plan/make-plan.test.ts test/integration/faults-install.test.ts"
  "boot-xen-as-default-yes@src/plan/make-plan.ts@s/\{ bootXenAsDefault: 'no' \}/{ bootXenAsDefault: 'yes' }/@test/plan/make-plan.test.ts test/integration/apply-layouts.test.ts"
  "staged-default-on-xen@src/plan/make-plan.ts@s/const intermediate = setDefaultEntry\(staged, knownGoodIndex\);/const intermediate = setDefaultEntry(staged, target);/@test/plan/make-plan.test.ts test/integration/faults-reboot.test.ts"
  "one-shot-without-once@src/apply/one-shot.ts@s/savedefault --default=%s --once/savedefault --default=%s/@test/apply/host-scripts.test.ts test/integration/faults-reboot.test.ts"
  "no-commit@src/apply/provision.ts@s/(        case 'file':\n        case 'one-shot':\n)/\$1          if (s.id === 'grub-commit') break;\n/@test/integration/apply-fresh.test.ts"
  "write-in-place@src/apply/host-scripts.ts@s/mv -f \"\\\$tmp\" \"\\\$f\" \|\| exit/cat \"\\\$tmp\" > \"\\\$f\" \&\& rm -f \"\\\$tmp\" || exit/@test/apply/host-scripts.test.ts"
  "no-read-back@src/apply/host-scripts.ts@s/back=\\\$\(sha256sum < \"\\\$f\" \| cut -d\" \" -f1\)/back=\\\$want/@test/apply/host-scripts.test.ts"
  "exitcode-grub-plan@src/commands/grub-cli.ts@s/p\.rewrite\.changed \? EXIT\.changes : EXIT\.ok/p.rewrite.changed ? EXIT.ok : EXIT.ok/@test/golden.test.ts test/commands/grub-cli.test.ts"
  "exitcode-grub-plan-many@src/commands/grub-plan-many.ts@s/\? EXIT\.changes : EXIT\.ok/? EXIT.ok : EXIT.ok/@test/commands/review.test.ts"
  "exitcode-plan-facts@src/commands/review.ts@s/\? EXIT\.changes : EXIT\.ok/? EXIT.ok : EXIT.ok/@test/commands/review.test.ts"
  "exitcode-plan-host@src/commands/remote.ts@s/plan\.changed \? EXIT\.changes : EXIT\.ok/plan.changed ? EXIT.ok : EXIT.ok/@test/integration/apply-fresh.test.ts"
  "exitcode-plan-fleet@src/commands/fleet.ts@s/=== 'pending'\) \? EXIT\.changes : EXIT\.ok/=== 'pending') ? EXIT.ok : EXIT.ok/@test/integration/fleet.test.ts"
)

if [ "${1:-}" = --list ]; then
  for m in "${MUTATIONS[@]}"; do IFS='@' read -r name file _ tests <<<"$m"; printf '%-26s %-28s %s\n' "$name" "$file" "$tests"; done
  exit 0
fi

UNIT_ONLY=
if [ "${1:-}" = --unit-only ]; then UNIT_ONLY=1; shift; fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/dom0up-mutations-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
COPY="$WORK/tree"
mkdir -p "$COPY"
# the work tree as it is (tracked and new files, not ignored ones), node_modules shared
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard | xargs -0 -I{} sh -c 'test -e "{}" && printf "%s\0" "{}"' | tar --null -T - -cf -) | tar -xf - -C "$COPY"
ln -s "$ROOT/node_modules" "$COPY/node_modules"

failures=0
printf '%-26s %-9s %s\n' mutation result 'failing tests'
for m in "${MUTATIONS[@]}"; do
  IFS='@' read -r name file expr tests <<<"$m"
  if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qx "$name"; then continue; fi
  if [ -n "$UNIT_ONLY" ]; then
    tests=$(printf '%s\n' $tests | grep -v '^test/integration/' | tr '\n' ' ')
    if [ -z "${tests// /}" ]; then printf '%-26s %-9s %s\n' "$name" 'not-run' '(SSH-tier tests only)'; continue; fi
  fi
  cp "$ROOT/$file" "$COPY/$file"
  perl -0pi -e "$expr" "$COPY/$file"
  if cmp -s "$ROOT/$file" "$COPY/$file"; then
    printf '%-26s %-9s %s\n' "$name" 'NOT-APPLIED' "(the pattern no longer matches $file: update this script)"
    failures=$((failures + 1))
    continue
  fi
  out="$WORK/$name.json"
  # shellcheck disable=SC2086
  (cd "$COPY" && timeout 3000 npx vitest run $tests --reporter=json --outputFile="$out" >"$WORK/$name.log" 2>&1)
  cp "$ROOT/$file" "$COPY/$file"
  summary=$(node -e '
    const fs = require("fs");
    let j; try { j = JSON.parse(fs.readFileSync(process.argv[1], "utf8")); } catch { console.log("ERROR\tno report (see the log)"); process.exit(0); }
    const failed = [], skipped = [];
    for (const f of j.testResults) for (const t of f.assertionResults) {
      const n = f.name.replace(/^.*?\/test\//, "test/") + " > " + t.fullName;
      if (t.status === "failed") failed.push(n); else if (t.status !== "passed") skipped.push(n);
    }
    if (!failed.length && j.numFailedTestSuites) failed.push("(a test file failed to load)");
    console.log((failed.length ? "killed" : "survived") + "\t" + (failed.length ? failed.join("; ") : skipped.length ? skipped.length + " skipped" : "-"));
  ' "$out")
  result=${summary%%$'\t'*}
  names=${summary#*$'\t'}
  printf '%-26s %-9s %s\n' "$name" "$result" "$names"
  [ "$result" = killed ] || failures=$((failures + 1))
done
exit "$failures"
