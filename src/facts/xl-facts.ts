/** What `xl` reports on a running Dom0 (each call bounded by `timeout`, stderr kept for classification). */
import { fact, type FactOutput } from './fact.js';
import { parseXlInfo, parseXlList, parseXlVcpuList } from '../xen/index.js';

export interface XlOutput {
  /** stdout and stderr together (xl prints its errors on stderr). */
  text: string;
  rc: number;
}
const raw = (o: FactOutput): XlOutput => ({ text: o.stdout, rc: o.rc });
/** When xl answered (exit 0), its answer must be what Xen 4.10's xl prints: nothing is planned or checked from anything else. */
const checked = (parse: (text: string) => unknown) => (o: FactOutput): XlOutput => {
  if (o.rc === 0) parse(o.stdout);
  return raw(o);
};
const xl = (args: string) => `if command -v xl >/dev/null 2>&1; then timeout 20 xl ${args} 2>&1; else echo "xl: command not found"; exit 127; fi`;

export const xlFacts = {
  xlList: fact('xl_list', xl('list'), checked(parseXlList)),
  xlInfo: fact('xl_info', xl('info'), checked(parseXlInfo)),
  xlVcpuList: fact('xl_vcpu_list', xl('vcpu-list'), checked(parseXlVcpuList)),
  xlDmesg: fact('xl_dmesg', xl('dmesg'), raw),
};

export interface XlFacts {
  xlList: XlOutput;
  xlInfo: XlOutput;
  xlVcpuList: XlOutput;
  xlDmesg: XlOutput;
}
