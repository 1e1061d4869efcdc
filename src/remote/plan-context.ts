/**
 * What the planner needs beyond a host's facts: for a host without Xen, the kernel version the
 * repository will install (its metadata, read by the controller), so the plan can show the exact
 * grub.conf entry the packages will add. DOM0UP_REPO_METADATA=off or --no-repo-metadata keeps the
 * controller off the network (the prediction then uses a placeholder).
 */
import type { HostFacts } from '../facts/index.js';
import { xenInstalled, type PlanContext } from '../plan/make-plan.js';
import type { ProvisionRequest } from '../plan/plan.js';
import { renderRepoFile } from '../repo/index.js';
import { kernelFromRepo } from '../repo/repo-metadata.js';

export async function planContextFor(f: HostFacts, req: ProvisionRequest, env: NodeJS.ProcessEnv, mode: 'apply' | 'tune' = 'apply'): Promise<PlanContext> {
  if (mode !== 'apply' || xenInstalled(f)) return {};
  if (req.repoMetadata === false || env.DOM0UP_REPO_METADATA === 'off') return { kernelPredictionNote: 'switched off' };
  let baseurl: string;
  try {
    baseurl = renderRepoFile({ ...(req.mirror !== undefined ? { mirror: req.mirror } : {}), ...(req.repoId !== undefined ? { repoId: req.repoId } : {}) }).baseurl;
  } catch {
    return {}; // the planner reports the bad mirror itself
  }
  const r = await kernelFromRepo(baseurl.replace(/\$basearch/g, 'x86_64'));
  return 'error' in r ? { kernelPredictionNote: `${baseurl}: ${r.error}` } : { kernelPrediction: r };
}
