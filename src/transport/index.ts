/** Public surface of the transport layer. */
export { TransportError, isTransportError, abortError, type TransportErrorCode } from './errors.js';
export { shellQuote, shellCommand, quoteScript, sh, raw, ShellFragment, type ShellValue } from './quote.js';
export { succeeded, type Transport, type ExecOptions, type ExecResult, type CloseReason } from './transport.js';
export { LocalTransport, type LocalTransportOptions } from './local.js';
export { BoundedTransport, bounded, MAX_OUTPUT_BYTES, DEFAULT_TIMEOUT_MS, TIMEOUT_GRACE_MS, type BoundOptions } from './bounded.js';
export { connectSsh, SshTransport, buildAlgorithms, LEGACY_KEX, LEGACY_CIPHERS, type SshConnectOptions } from './ssh.js';
export {
  parseKnownHosts,
  loadKnownHosts,
  checkHostKey,
  appendKnownHost,
  fingerprintSha256,
  formatPublicKey,
  parsePublicKeyLine,
  knownHostsName,
  hashKnownHostName,
  type KnownHostEntry,
  type HostKeyCheck,
} from './known-hosts.js';
export { resolveSshConfig, parseSshG, resolveSshConfigFallback, parseDestination, parseProxyJump, type SshHostConfig, type Destination } from './ssh-config.js';
export type { SudoMode } from './sudo.js';
