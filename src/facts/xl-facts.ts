/** What `xl` reports on a running Dom0 (each call bounded by `timeout`, stderr kept for classification). */
import { fact, type FactOutput } from './fact.js';

export interface XlOutput {
  /** stdout and stderr together (xl prints its errors on stderr). */
  text: string;
  rc: number;
}
const raw = (o: FactOutput): XlOutput => ({ text: o.stdout, rc: o.rc });
const xl = (args: string) => `if command -v xl >/dev/null 2>&1; then timeout 20 xl ${args} 2>&1; else echo "xl: command not found"; exit 127; fi`;

export const xlFacts = {
  xlList: fact('xl_list', xl('list'), raw),
  xlInfo: fact('xl_info', xl('info'), raw),
  xlVcpuList: fact('xl_vcpu_list', xl('vcpu-list'), raw),
  xlDmesg: fact('xl_dmesg', xl('dmesg'), raw),
};

export interface XlFacts {
  xlList: XlOutput;
  xlInfo: XlOutput;
  xlVcpuList: XlOutput;
  xlDmesg: XlOutput;
}
