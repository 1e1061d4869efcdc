// npm run bench [-- NAME... [--option=value...]]: runs the benchmarks (all by default) and prints
// Markdown tables for docs/benchmarks.md. Options go to every benchmark named (e.g.
// `npm run bench -- fleet --sizes=1,10 --repeat=1`). Benchmarks are measurements, not tests:
// nothing here fails a build. Run with tsx (npm run bench does): the SSH benchmarks import the
// TypeScript test bed (test/testbed/) to start simulated hosts.
import os from 'node:os';
const all = { grub: './grub.mjs', overhead: './overhead.ts', fleet: './fleet.ts', scale: './scale.ts' };
const args = process.argv.slice(2);
const opts = Object.fromEntries(args.filter((a) => a.startsWith('--')).map((a) => {
  const [k, ...v] = a.slice(2).split('=');
  return [k, v.length ? v.join('=') : 'true'];
}));
const names = args.filter((a) => !a.startsWith('--'));
const wanted = names.length ? names : Object.keys(all);
console.log(`# dom0up benchmarks — ${new Date().toISOString()}`);
console.log(`node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
for (const name of wanted) {
  const mod = all[name];
  if (!mod) {
    console.error(`unknown benchmark ${name}; known: ${Object.keys(all).join(', ')}`);
    process.exitCode = 1;
    continue;
  }
  await (await import(mod)).run(opts);
}
