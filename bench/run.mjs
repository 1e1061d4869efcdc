// npm run bench [-- NAME...]: runs the benchmarks (all by default) and prints Markdown tables
// for docs/benchmarks.md. Benchmarks are measurements, not tests: nothing here fails a build.
import os from 'node:os';
const all = { grub: './grub.mjs' };
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(all);
console.log(`# dom0up benchmarks — ${new Date().toISOString()}`);
console.log(`node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
for (const name of wanted) {
  const mod = all[name];
  if (!mod) {
    console.error(`unknown benchmark ${name}; known: ${Object.keys(all).join(', ')}`);
    process.exitCode = 1;
    continue;
  }
  await (await import(mod)).run();
}
