// A mirror of the Xen 4.10 repository's METADATA on loopback (repodata/repomd.xml and a gzipped
// primary.xml listing the packages the test bed's yum installs), so `dom0up plan` can read the
// kernel version the install will bring exactly as it does from a real mirror, without leaving
// 127.0.0.1. The packages themselves are the test bed's (its yum accepts any host whose path is a
// 6.10 Virt SIG path).
import http from 'node:http';
import { gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';

/** The Virt SIG kernel the test bed's `yum install xen` installs (test/testbed/host/tb/catalog.py XK). */
export const TESTBED_VIRT_SIG_KERNEL = { ver: '4.9.241', rel: '37.el6' };

export function primaryXml(kernels: readonly { ver: string; rel: string }[]): string {
  const pkgs = kernels.map((k) => `<package type="rpm"><name>kernel</name><arch>x86_64</arch><version epoch="0" ver="${k.ver}" rel="${k.rel}"/><summary>The Linux kernel</summary></package>`);
  pkgs.push('<package type="rpm"><name>xen</name><arch>x86_64</arch><version epoch="0" ver="4.10.4.134.g6ea37c69c7" rel="2.el6"/></package>');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<metadata xmlns="http://linux.duke.edu/metadata/common" packages="${pkgs.length}">\n${pkgs.join('\n')}\n</metadata>\n`;
}

export interface RepoServer {
  /** The mirror URL to give dom0up (`--mirror`). */
  url: string;
  requests: string[];
  close(): Promise<void>;
}

export async function serveXenRepoMetadata(o: { kernels?: { ver: string; rel: string }[]; host?: string } = {}): Promise<RepoServer> {
  const primary = gzipSync(primaryXml(o.kernels ?? [TESTBED_VIRT_SIG_KERNEL]));
  const repomd = `<?xml version="1.0" encoding="UTF-8"?>\n<repomd xmlns="http://linux.duke.edu/metadata/repo"><data type="primary"><location href="repodata/0123-primary.xml.gz"/></data></repomd>\n`;
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.url?.endsWith('/repodata/repomd.xml')) res.end(repomd);
    else if (req.url?.endsWith('/repodata/0123-primary.xml.gz')) res.end(primary);
    else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, o.host ?? '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${o.host ?? '127.0.0.1'}:${port}/6.10/virt/x86_64/xen-410/`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
