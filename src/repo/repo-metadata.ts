/**
 * The kernel version `yum install xen` will install, read from the Xen repository's own metadata
 * (repodata/repomd.xml → the primary list → the newest `kernel` for x86_64), so a plan for a host
 * without Xen can show the exact grub.conf entry the package will add. Read by the controller over
 * HTTP with a short deadline; when the mirror is not reachable from here the plan says so and uses
 * a placeholder (the real file after yum is compared with the prediction either way).
 */
import { gunzipSync } from 'node:zlib';
import { rpmVerCmp } from '../grub/index.js';

const MAX_REPOMD = 1024 * 1024;
const MAX_PRIMARY_GZ = 32 * 1024 * 1024;
const MAX_PRIMARY = 256 * 1024 * 1024;

export interface KernelFromRepo {
  version: string;
  source: 'repo-metadata';
}

/** Pure: the href of the primary metadata in repomd.xml. */
export function primaryHref(repomd: string): string | null {
  const m = /<data\s+type="primary"\s*>[\s\S]*?<location\s+href="([^"]+)"/.exec(repomd);
  return m ? (m[1] as string) : null;
}

/** Pure: the newest `kernel` of `arch` in a primary.xml (VERSION-RELEASE.ARCH), or null. */
export function newestKernel(primary: string, arch = 'x86_64'): string | null {
  let best: { ver: string; rel: string } | null = null;
  const re = /<package\b[^>]*>([\s\S]*?)<\/package>/g;
  for (let m = re.exec(primary); m; m = re.exec(primary)) {
    const body = m[1] as string;
    if (!/<name>kernel<\/name>/.test(body) || !new RegExp(`<arch>${arch}</arch>`).test(body)) continue;
    const v = /<version\s+[^>]*ver="([^"]+)"\s+[^>]*rel="([^"]+)"/.exec(body) ?? /<version\s+[^>]*rel="([^"]+)"\s+[^>]*ver="([^"]+)"/.exec(body);
    if (!v) continue;
    const ver = /ver="([^"]+)"/.exec(v[0])![1] as string;
    const rel = /rel="([^"]+)"/.exec(v[0])![1] as string;
    if (!/^[A-Za-z0-9._+~-]+$/.test(ver) || !/^[A-Za-z0-9._+~-]+$/.test(rel)) continue;
    if (!best || rpmVerCmp(ver, best.ver) > 0 || (rpmVerCmp(ver, best.ver) === 0 && rpmVerCmp(rel, best.rel) > 0)) best = { ver, rel };
  }
  return best ? `${best.ver}-${best.rel}.${arch}` : null;
}

async function get(url: string, max: number, signal: AbortSignal): Promise<Buffer> {
  const r = await fetch(url, { signal, redirect: 'follow' });
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  const len = Number(r.headers.get('content-length') ?? NaN);
  if (Number.isFinite(len) && len > max) throw new Error(`${url}: ${len} bytes is more than ${max}`);
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of r.body as unknown as AsyncIterable<Uint8Array>) {
    n += c.length;
    if (n > max) throw new Error(`${url}: more than ${max} bytes`);
    chunks.push(Buffer.from(c));
  }
  return Buffer.concat(chunks);
}

const cache = new Map<string, Promise<KernelFromRepo | { error: string }>>();

/** The newest kernel in the repository at `baseurl` (cached per URL for this process). */
export function kernelFromRepo(baseurl: string, timeoutMs = 5000): Promise<KernelFromRepo | { error: string }> {
  const key = baseurl.replace(/\/*$/, '/');
  let p = cache.get(key);
  if (!p) {
    p = (async () => {
      if (!/^https?:\/\//.test(key)) return { error: 'not an http(s) mirror' };
      const signal = AbortSignal.timeout(timeoutMs);
      try {
        const repomd = (await get(`${key}repodata/repomd.xml`, MAX_REPOMD, signal)).toString('utf8');
        const href = primaryHref(repomd);
        if (!href || href.includes('..')) return { error: 'repomd.xml names no primary metadata' };
        const raw = await get(key + href, MAX_PRIMARY_GZ, signal);
        const xml = (href.endsWith('.gz') ? gunzipSync(raw, { maxOutputLength: MAX_PRIMARY }) : raw).toString('utf8');
        const v = newestKernel(xml);
        return v ? { version: v, source: 'repo-metadata' as const } : { error: 'the repository has no x86_64 kernel' };
      } catch (e) {
        return { error: (e as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : (e as Error).message.slice(0, 200) };
      }
    })();
    cache.set(key, p);
  }
  return p;
}
