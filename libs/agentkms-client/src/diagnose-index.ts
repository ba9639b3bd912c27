// `@kpm/agentkms-client/diagnose`: what `kpm doctor` needs to examine a setup — the PEM files and
// the server, step by step. A subpath of its own: it loads node:crypto at once, which the client's
// hot paths (`kpm get`) must not pay for.

export {
  PROBE_TIMEOUT_MS,
  type ProbeCause,
  type ProbeConfig,
  type ProbeStep,
  probeServer,
  type ServerProbe,
} from "./server-probe.ts";
export {
  type CertificateFacts,
  type ClientCertFacts,
  type Inspected,
  inspectTlsMaterial,
  type KeyFacts,
  type TlsInspection,
} from "./tls-inspect.ts";
