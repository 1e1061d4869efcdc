/**
 * Reading inventories from disk — the only part of src/inventory that does I/O.
 *
 * - A file: format from the extension (.yml/.yaml → yaml; .json → ansible-json or yaml by content)
 *   or else auto-detected (detect.ts).
 * - A directory (Ansible's inventory directory): every file in it and its subdirectories, sorted,
 *   skipping hidden files, `*~`, group_vars/, host_vars/, vars_plugins/ and Ansible's ignored
 *   extensions (.orig .ini .cfg .retry .pyc .pyo .swp .bak .rpm .md .txt .rst), merged into one
 *   inventory (`Inventory.format` is the first file's). Executable inventory scripts (`#!` first line) are skipped with a warning: run
 *   `ansible-inventory --list` and pass its JSON instead.
 * - For Ansible formats, group_vars/ and host_vars/ next to the inventory (in the directory given,
 *   or the file's directory) are read like Ansible's host_group_vars plugin: `<name>`,
 *   `<name>.yml`, `<name>.yaml`, `<name>.json` (the first that exists), or a directory `<name>/`
 *   whose files (recursively, sorted; no extension or .yml/.yaml/.json) are merged in order. Their
 *   precedence is documented in builder.ts. Vault-encrypted files are skipped with a warning.
 * - A leading `~/` is expanded.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, extname, join } from 'node:path';
import { InventoryBuilder, type FileVars, type VarsLayer } from './builder.js';
import { detectFormat } from './detect.js';
import { InventoryError } from './errors.js';
import { parseInto } from './parse.js';
import { parseVarsFile } from './structured.js';
import type { Inventory, InventoryFormat } from './types.js';

export interface LoadOptions {
  /** Skip auto-detection (applies to every file of a directory). */
  format?: InventoryFormat;
  /** Read group_vars/ and host_vars/ (default true). */
  varsFiles?: boolean;
}

const IGNORED_EXTS = ['.orig', '.ini', '.cfg', '.retry', '.pyc', '.pyo', '.swp', '.bak', '~', '.rpm', '.md', '.txt', '.rst'];
const IGNORED_NAMES = new Set(['group_vars', 'host_vars', 'vars_plugins']);
const VARS_EXTS = ['.yml', '.yaml', '.json'];

function expandHome(p: string): string {
  return p === '~' ? homedir() : p.startsWith('~/') ? join(homedir(), p.slice(2)) : p;
}

async function readText(path: string, shown: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InventoryError('read-failed', shown, `cannot read: ${code ?? (e instanceof Error ? e.message : String(e))}`, {
      cause: e,
      hint: code === 'ENOENT' ? 'check the -i path' : undefined,
    });
  }
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InventoryError('read-failed', dir, `cannot list directory: ${code ?? (e instanceof Error ? e.message : String(e))}`, { cause: e });
  }
}

async function isDir(path: string): Promise<boolean | undefined> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return undefined;
  }
}

function formatFor(path: string, text: string, forced: InventoryFormat | undefined): InventoryFormat {
  if (forced) return forced;
  const ext = extname(path).toLowerCase();
  if (ext === '.yml' || ext === '.yaml') return 'yaml';
  return detectFormat(text, path);
}

async function inventoryFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const names = await listDir(dir);
  for (const name of names) {
    if (name.startsWith('.') || IGNORED_NAMES.has(name) || IGNORED_EXTS.some((e) => name.endsWith(e))) continue;
    const full = join(dir, name);
    const d = await isDir(full);
    if (d === undefined) continue;
    if (d) out.push(...(await inventoryFiles(full)));
    else out.push(full);
  }
  return out;
}

async function varsFilesFor(dir: string, name: string): Promise<string[]> {
  if (name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) return [];
  for (const ext of ['', ...VARS_EXTS]) {
    const full = join(dir, name + ext);
    const d = await isDir(full);
    if (d === undefined) continue;
    return d ? dirVarsFiles(full) : [full];
  }
  return [];
}

async function dirVarsFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await listDir(dir)) {
    if (name.startsWith('.') || name.endsWith('~')) continue;
    const full = join(dir, name);
    const ext = extname(name);
    const d = await isDir(full);
    if (d && !ext) out.push(...(await dirVarsFiles(full)));
    else if (d === false && (!ext || VARS_EXTS.includes(ext))) out.push(full);
  }
  return out;
}

async function readVarsLayer(files: string[], warnings: string[]): Promise<VarsLayer | undefined> {
  if (files.length === 0) return undefined;
  const layer: VarsLayer = { vars: new Map(), origins: new Map() };
  for (const f of files) {
    const text = await readText(f, f);
    if (/^\s*\$ANSIBLE_VAULT;/.test(text)) {
      warnings.push(`${f}: vault-encrypted vars file skipped (dom0up cannot decrypt it)`);
      continue;
    }
    for (const { key, value, line } of parseVarsFile(text, f)) {
      layer.vars.set(key, value);
      layer.origins.set(key, line === undefined ? { file: f } : { file: f, line });
    }
  }
  return layer;
}

async function collectFileVars(b: InventoryBuilder, basedir: string): Promise<FileVars> {
  const fv: FileVars = { groups: new Map(), hosts: new Map() };
  const gdir = join(basedir, 'group_vars');
  const hdir = join(basedir, 'host_vars');
  if (await isDir(gdir)) {
    for (const g of b.groups.keys()) {
      const layer = await readVarsLayer(await varsFilesFor(gdir, g), b.warnings);
      if (layer) fv.groups.set(g, layer);
    }
  }
  if (await isDir(hdir)) {
    for (const h of b.hosts.keys()) {
      const layer = await readVarsLayer(await varsFilesFor(hdir, h), b.warnings);
      if (layer) fv.hosts.set(h, layer);
    }
  }
  return fv;
}

/** Read an inventory file or directory (see the module comment). Throws only InventoryError. */
export async function loadInventory(path: string, opts: LoadOptions = {}): Promise<Inventory> {
  const real = expandHome(path);
  const dir = await isDir(real);
  if (dir === undefined) {
    // let readText produce the error (ENOENT, EACCES …)
    await readText(real, path);
  }
  const b = new InventoryBuilder();
  let format: InventoryFormat | undefined;
  const files = dir ? await inventoryFiles(real) : [real];
  for (const f of files) {
    const shown = dir ? join(path, f.slice(real.length).replace(/^[/\\]+/, '')) : path;
    const text = await readText(f, shown);
    if (dir && text.startsWith('#!')) {
      b.warnings.push(`${shown}: executable inventory script skipped; pass the output of \`ansible-inventory -i ${basename(f)} --list\` instead`);
      continue;
    }
    const fmt = formatFor(f, text, opts.format);
    format ??= fmt;
    parseInto(b, text, shown, fmt);
  }
  if (format === undefined) {
    throw new InventoryError('read-failed', path, 'the directory contains no inventory file', { hint: `files ending in ${IGNORED_EXTS.join(' ')} are ignored, as by Ansible` });
  }
  const ansible = format === 'ini' || format === 'yaml' || format === 'list';
  const fileVars = ansible && opts.varsFiles !== false ? await collectFileVars(b, dir ? real : dirname(real)) : undefined;
  return b.finalize(path, format, fileVars);
}
