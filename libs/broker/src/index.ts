// Public surface of @kpm/broker: brokered credentials (docs/broker.md) — the tool holds a
// placeholder, a per-run proxy swaps in the real value on the way to a declared host.
export {
  type Broker,
  type BrokerOptions,
  type BrokerRequest,
  brokerEnv,
  NO_PROXY,
  startBroker,
} from "./broker.ts";
export { createReplacer, type Replacer, replaceInStream } from "./echo-filter.ts";
export { matchesHost, normalizeHostPattern } from "./host-pattern.ts";
export { newPlaceholder, PLACEHOLDER_PREFIX } from "./placeholder.ts";
export { type BrokeredSecret, type ProxyOptions, type RunningProxy, type Swap, startProxy } from "./proxy.ts";
export { makeRunCertificates, type RunCertificates } from "./run-ca.ts";
export { SYSTEM_BUNDLES, systemRoots, type TrustBundle, writeTrustBundle } from "./trust-bundle.ts";
