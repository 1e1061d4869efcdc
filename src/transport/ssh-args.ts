/**
 * OpenSSH command-line options (what Ansible's `ansible_ssh_args`, `ansible_ssh_common_args` and
 * `ansible_ssh_extra_args` hold, after shell-style splitting): parsed with ssh's own getopt rules,
 * checked, and classified by what dom0up does with each of them. Pure.
 *
 * The options dom0up honours are handed to `ssh -G` in the order given (SshConnectOptions.sshArgs),
 * so OpenSSH itself decides what they mean: the first value of an option wins, `-i`/IdentityFile
 * accumulate, `-F` names the configuration file, a second `-J` is an error. Everything else is
 * either known to make no difference to dom0up, or reported: "ignored" (dom0up connects anyway and
 * says what it does not do) or "refused" (the host is not connected to: dom0up cannot do what the
 * option asks, and doing something else could be less safe or reach something else).
 */

export type SshArgSeverity = 'refused' | 'ignored';

export interface SshArgFinding {
  severity: SshArgSeverity;
  /** The option as given, e.g. `-o Ciphers=aes256-ctr`, `-A`. */
  option: string;
  /** Why, in one line (no trailing period). */
  message: string;
}

export interface ParsedSshArgs {
  /** What to pass to `ssh -G` (and the fallback parser), normalised: `-o`, `Key=Value`, `-i`, path, … */
  args: string[];
  /** Lower-case keyword → the value that wins among these arguments (the first; `-l` is `user`, `-p` `port`, `-J` `proxyjump`, `-i` `identityfile`). */
  sets: Map<string, string>;
  /** `-i` and IdentityFile values, in order. */
  identityFiles: string[];
  /** The last `-F` (as ssh: a later `-F` replaces an earlier one). */
  configFile?: string;
  findings: SshArgFinding[];
}

/** ssh(1)'s getopt string (OpenSSH 9.x): letters followed by ':' take an argument. */
const OPTSTRING = '1246ab:c:e:fgi:kl:m:no:p:qstvxAB:CD:E:F:GI:J:KL:MNO:P:Q:R:S:TVw:W:XYy';
const WITH_ARG = new Set([...OPTSTRING.matchAll(/([A-Za-z0-9]):/g)].map((m) => m[1] as string));
const KNOWN_FLAGS = new Set(OPTSTRING.replace(/:/g, '').split(''));

/** Algorithms dom0up offers (ssh2's defaults plus what CentOS 6's OpenSSH 5.3 needs; see buildAlgorithms). */
export const DOM0UP_ALGORITHMS: Record<'kexalgorithms' | 'ciphers' | 'macs' | 'hostkeyalgorithms', readonly string[]> = {
  kexalgorithms: [
    'curve25519-sha256@libssh.org', 'curve25519-sha256', 'ecdh-sha2-nistp256', 'ecdh-sha2-nistp384', 'ecdh-sha2-nistp521',
    'diffie-hellman-group-exchange-sha256', 'diffie-hellman-group14-sha256', 'diffie-hellman-group15-sha512',
    'diffie-hellman-group16-sha512', 'diffie-hellman-group17-sha512', 'diffie-hellman-group18-sha512',
    'diffie-hellman-group-exchange-sha1', 'diffie-hellman-group14-sha1', 'diffie-hellman-group1-sha1',
  ],
  ciphers: [
    'aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'aes128-ctr', 'aes192-ctr', 'chacha20-poly1305@openssh.com', 'aes256-ctr',
    'aes128-cbc', 'aes192-cbc', 'aes256-cbc',
  ],
  macs: ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'hmac-sha1-etm@openssh.com', 'hmac-sha2-256', 'hmac-sha2-512', 'hmac-sha1'],
  hostkeyalgorithms: ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

/** Keywords dom0up reads from `ssh -G` and acts on. */
const HONOURED = new Set([
  'hostname', 'user', 'port', 'identityfile', 'identitiesonly', 'userknownhostsfile', 'globalknownhostsfile',
  'stricthostkeychecking', 'hostkeyalias', 'hashknownhosts', 'proxyjump', 'connecttimeout', 'serveraliveinterval',
  'serveralivecountmax', 'identityagent', 'batchmode', 'proxycommand',
]);

/** Keywords that make no difference to how dom0up connects or what it trusts (why, for the docs). */
const NO_EFFECT = new Set([
  // dom0up keeps one connection per host itself (no ssh processes, no control sockets)
  'controlmaster', 'controlpersist', 'controlpath', 'compression', 'loglevel', 'logverbose', 'syslogfacility',
  'requesttty', 'tcpkeepalive', 'visualhostkey', 'escapechar', 'ipqos', 'fingerprinthash', 'checkhostip',
  'updatehostkeys', 'addkeystoagent', 'usekeychain', 'obscurekeystroketiming', 'enableescapecommandline', 'tag',
  // dom0up only ever logs in with keys: turning other methods off changes nothing
  'passwordauthentication', 'kbdinteractiveauthentication', 'challengeresponseauthentication', 'kbdinteractivedevices',
  'numberofpasswordprompts', 'gssapiauthentication', 'gssapidelegatecredentials', 'hostbasedauthentication',
  'clearallforwardings', 'exitonforwardfailure', 'forwardx11trusted', 'forwardx11timeout', 'xauthlocation', 'streamlocalbindmask',
  'streamlocalbindunlink', 'permitlocalcommand', 'ignoreunknown',
]);

/** Keywords dom0up does not act on: reported as ignored, with what dom0up does instead. */
const IGNORED: Record<string, string> = {
  forwardagent: 'dom0up does not forward the SSH agent (it needs no agent on the host)',
  forwardx11: 'dom0up does not forward X11',
  localforward: 'dom0up opens no port forwardings',
  remoteforward: 'dom0up opens no port forwardings',
  dynamicforward: 'dom0up opens no port forwardings',
  tunnel: 'dom0up opens no tunnel device',
  tunneldevice: 'dom0up opens no tunnel device',
  gatewayports: 'dom0up opens no port forwardings',
  localcommand: 'dom0up runs no local command',
  remotecommand: 'dom0up runs its own commands',
  sendenv: 'dom0up sends no environment variables',
  setenv: 'dom0up sends no environment variables',
  connectionattempts: 'dom0up tries to connect once (its reboot wait retries by itself)',
  addressfamily: 'dom0up connects to the first address the host name resolves to',
  bindaddress: 'dom0up connects from the address the system picks',
  bindinterface: 'dom0up connects from the interface the system picks',
  rekeylimit: "dom0up re-keys at ssh2's defaults",
  verifyhostkeydns: 'dom0up trusts host keys from known_hosts only, not from DNS (SSHFP)',
  knownhostscommand: 'dom0up reads host keys from known_hosts files only (a key only that command knows is refused as unknown)',
  certificatefile: 'dom0up does not present user certificates (only the keys themselves)',
  canonicalizehostname: 'dom0up connects to the host name as given (no canonicalization)',
  canonicaldomains: 'dom0up connects to the host name as given (no canonicalization)',
  canonicalizefallbacklocal: 'dom0up connects to the host name as given (no canonicalization)',
  canonicalizemaxdots: 'dom0up connects to the host name as given (no canonicalization)',
  canonicalizepermittedcnames: 'dom0up connects to the host name as given (no canonicalization)',
  stdinnull: 'dom0up runs its own commands',
  sessiontype: 'dom0up runs its own commands',
  forkafterauthentication: 'dom0up runs its own commands',
  permitremoteopen: 'dom0up opens no port forwardings',
  proxyusefdpass: 'dom0up does not run a ProxyCommand',
};

const ALGORITHM_KEYS = new Set(['ciphers', 'macs', 'kexalgorithms', 'hostkeyalgorithms', 'pubkeyacceptedalgorithms', 'pubkeyacceptedkeytypes', 'hostbasedacceptedalgorithms', 'hostbasedkeytypes', 'casignaturealgorithms']);

/** Flags without an argument that change nothing for dom0up. */
const NO_EFFECT_FLAGS = new Set(['C', 'q', 'v', 'T', 't', 'x', 'a', 'k', 'n', 'K', 'y', '1', '2', 'M']);
const FLAG_IGNORED: Record<string, string> = {
  A: 'dom0up does not forward the SSH agent (it needs no agent on the host)',
  X: 'dom0up does not forward X11',
  Y: 'dom0up does not forward X11',
  '4': 'dom0up connects to the first address the host name resolves to',
  '6': 'dom0up connects to the first address the host name resolves to',
  g: 'dom0up opens no port forwardings',
  L: 'dom0up opens no port forwardings',
  R: 'dom0up opens no port forwardings',
  D: 'dom0up opens no port forwardings',
  w: 'dom0up opens no tunnel device',
  b: 'dom0up connects from the address the system picks',
  B: 'dom0up connects from the interface the system picks',
  P: 'dom0up ignores ssh_config tags',
};
/** Flags with an argument that change nothing for dom0up (control socket, log file, escape character). */
const NO_EFFECT_ARG_FLAGS = new Set(['S', 'E', 'e']);
const FLAG_REFUSED: Record<string, string> = {
  W: 'forwards standard input instead of opening a session (a ProxyCommand helper): dom0up cannot run commands that way',
  N: 'opens no session: dom0up needs one',
  f: 'goes to the background: dom0up runs in the foreground',
  s: 'requests a subsystem: dom0up runs commands',
  G: 'only prints the configuration',
  V: 'only prints the version',
  Q: 'only queries algorithms',
  O: 'sends a control command to a master process',
  I: 'PKCS#11 keys are not supported by dom0up',
};

function keywordOf(text: string): { key: string; value: string } | null {
  // ssh_config(5): "Keyword Arguments" or "Keyword=Arguments" (whitespace around '=' allowed)
  const m = /^\s*([A-Za-z][A-Za-z0-9]*)\s*(?:=\s*|\s+)([^]*?)\s*$/.exec(text);
  if (!m) return null;
  return { key: (m[1] as string).toLowerCase(), value: m[2] as string };
}

/** The value of a one-word option without surrounding double quotes (ssh_config's quoting). */
function unquote(value: string): string {
  return /^"[^"]*"$/.test(value) ? value.slice(1, -1) : value;
}

function yes(value: string): boolean {
  return ['yes', 'true'].includes(unquote(value).toLowerCase());
}

/** Findings for one `-o Key=Value` (or its flag spelling). */
function classifyOption(key: string, value: string, shown: string, findings: SshArgFinding[]): void {
  const v = unquote(value);
  const refuse = (message: string) => findings.push({ severity: 'refused', option: shown, message });
  const ignore = (message: string) => findings.push({ severity: 'ignored', option: shown, message });
  if (HONOURED.has(key)) {
    if (key === 'proxycommand' && v.toLowerCase() !== 'none') refuse('ProxyCommand is not supported by dom0up: use ProxyJump (-J [user@]jumphost[:port]) instead');
    if (key === 'stricthostkeychecking' && ['no', 'off', 'false'].includes(v.toLowerCase())) {
      ignore('taken as accept-new: dom0up records an unknown host key, but a changed host key is still refused');
    }
    return;
  }
  if (NO_EFFECT.has(key)) return;
  if (key === 'pubkeyauthentication') {
    if (!yes(value) && v.toLowerCase() !== 'unbound' && v.toLowerCase() !== 'host-bound') refuse('dom0up logs in with keys only, and this turns key logins off');
    return;
  }
  if (key === 'preferredauthentications') {
    if (!v.split(',').map((s) => s.trim().toLowerCase()).includes('publickey')) refuse('dom0up logs in with keys only (publickey), which this list leaves out');
    return;
  }
  if (key === 'pkcs11provider' || key === 'securitykeyprovider') {
    if (v.toLowerCase() !== 'none' && v.toLowerCase() !== 'internal') refuse('hardware-backed keys (PKCS#11, FIDO providers) are not supported by dom0up');
    return;
  }
  if (key === 'revokedhostkeys') {
    if (v.toLowerCase() !== 'none') refuse('dom0up does not read a revoked-keys file, so it cannot honour the revocations (it does honour @revoked in known_hosts)');
    return;
  }
  if (ALGORITHM_KEYS.has(key)) {
    const offered = (DOM0UP_ALGORITHMS as Record<string, readonly string[] | undefined>)[key];
    if (v.startsWith('+') && offered) {
      const missing = v.slice(1).split(',').map((s) => s.trim()).filter((s) => s && !offered.includes(s));
      if (missing.length) ignore(`dom0up does not offer ${missing.join(', ')}; it negotiates ssh2's defaults plus the algorithms CentOS 6 needs`);
      return;
    }
    if (v.startsWith('+')) return; // adds user/host-based key algorithms: dom0up's keys are tried as they are
    refuse('dom0up negotiates its own algorithms (ssh2\'s defaults plus what CentOS 6 needs) and cannot restrict them to this list');
    return;
  }
  if (key === 'forwardagent' || key === 'forwardx11') {
    if (yes(value) || (key === 'forwardagent' && v.startsWith('/'))) ignore(IGNORED[key] as string);
    return;
  }
  if (key === 'verifyhostkeydns') {
    if (yes(value) || v.toLowerCase() === 'ask') ignore(IGNORED[key] as string);
    return;
  }
  const why = IGNORED[key];
  ignore(why ?? 'not used by dom0up');
}

/**
 * Parse OpenSSH options as ssh's getopt would (bundled flags `-Cq`, attached values `-p2222`,
 * `-oKey=Value`). A word that is not an option (a host or a command) is refused: in an ssh command
 * line it would become the destination.
 */
export function parseSshArgs(argv: readonly string[]): ParsedSshArgs {
  const out: ParsedSshArgs = { args: [], sets: new Map(), identityFiles: [], findings: [] };
  const set = (key: string, value: string) => {
    if (!out.sets.has(key)) out.sets.set(key, value);
  };
  const refuse = (option: string, message: string) => out.findings.push({ severity: 'refused', option, message });
  let i = 0;
  while (i < argv.length) {
    const word = argv[i] as string;
    i++;
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(word)) {
      refuse(JSON.stringify(word), 'contains a control character');
      continue;
    }
    if (word === '--' || !word.startsWith('-') || word === '-') {
      refuse(word, 'is not an ssh option (a host name or a command here would change what ssh connects to or runs)');
      continue;
    }
    let j = 1;
    while (j < word.length) {
      const f = word[j] as string;
      j++;
      if (!KNOWN_FLAGS.has(f)) {
        refuse(`-${f}`, 'is not an ssh option');
        break;
      }
      if (!WITH_ARG.has(f)) {
        if (NO_EFFECT_FLAGS.has(f)) continue;
        const why = FLAG_IGNORED[f];
        if (why) out.findings.push({ severity: 'ignored', option: `-${f}`, message: why });
        else refuse(`-${f}`, FLAG_REFUSED[f] ?? 'not supported by dom0up');
        continue;
      }
      let value: string;
      if (j < word.length) value = word.slice(j);
      else if (i < argv.length) value = argv[i++] as string;
      else {
        refuse(`-${f}`, 'needs a value');
        break;
      }
      j = word.length;
      // eslint-disable-next-line no-control-regex
      if (/[\u0000-\u001f\u007f]/.test(value)) {
        refuse(`-${f}`, 'its value contains a control character');
        break;
      }
      const shown = `-${f} ${value}`;
      switch (f) {
        case 'o': {
          const kv = keywordOf(value);
          if (!kv || kv.value === '') {
            refuse(shown, 'is not "Keyword=Value"');
            break;
          }
          if (kv.key === 'include' || kv.key === 'match' || kv.key === 'host') {
            refuse(shown, `${kv.key} is not allowed on the command line`);
            break;
          }
          classifyOption(kv.key, kv.value, shown, out.findings);
          out.args.push('-o', value);
          if (kv.key === 'identityfile') out.identityFiles.push(unquote(kv.value));
          set(kv.key, unquote(kv.value));
          break;
        }
        case 'i':
          out.args.push('-i', value);
          out.identityFiles.push(value);
          set('identityfile', value);
          break;
        case 'l':
          out.args.push('-l', value);
          set('user', value);
          break;
        case 'p':
          if (!/^[0-9]{1,5}$/.test(value) || Number(value) < 1 || Number(value) > 65535) {
            refuse(shown, 'is not a port number (1-65535)');
            break;
          }
          out.args.push('-p', value);
          set('port', value);
          break;
        case 'J':
          out.args.push('-J', value);
          set('proxyjump', value);
          break;
        case 'F':
          out.args.push('-F', value);
          out.configFile = value;
          break;
        case 'c':
          classifyOption('ciphers', value, shown, out.findings);
          break;
        case 'm':
          classifyOption('macs', value, shown, out.findings);
          break;
        default:
          if (NO_EFFECT_ARG_FLAGS.has(f)) break;
          if (FLAG_IGNORED[f]) out.findings.push({ severity: 'ignored', option: shown, message: FLAG_IGNORED[f] as string });
          else refuse(shown, FLAG_REFUSED[f] ?? 'not supported by dom0up');
      }
    }
  }
  return out;
}
