// One run's broker: placeholders for the brokered variables, the run's CA and trust bundle, the
// proxy, and the environment a tool needs to use them. Closing it stops the proxy and removes
// the bundle's directory.
import { newPlaceholder } from "./placeholder.ts";
import { type BrokeredSecret, type Swap, startProxy } from "./proxy.ts";
import { makeRunCertificates } from "./run-ca.ts";
import { writeTrustBundle } from "./trust-bundle.ts";

export interface BrokerRequest {
  variable: string;
  ref: string;
  hosts: string[];
  resolve(): Promise<string>;
}

export interface BrokerOptions {
  secrets: BrokerRequest[];
  resolve?: Record<string, string>;
  upstreamCa?: string;
  onSwap?(swap: Swap): void;
  onError?(variable: string, error: unknown): void;
  /** Parent of the bundle's directory (the system temp dir by default). */
  tempDir?: string;
  /** System roots for the bundle (read from the system by default). */
  roots?: string;
}

export interface Broker {
  /** Variable → its placeholder. */
  placeholders: Map<string, string>;
  /** The proxy and trust variables the tool gets (placeholders not included). */
  env: Record<string, string>;
  /** The trust bundle's directory (0700), removed by close(). */
  bundleDir: string;
  close(): Promise<void>;
}

/** Loopback never goes through the proxy. */
export const NO_PROXY = "localhost,127.0.0.1,::1";

/** Every variable a common client reads for a proxy or a CA bundle. */
export function brokerEnv(proxyUrl: string, bundlePath: string): Record<string, string> {
  return {
    HTTPS_PROXY: proxyUrl,
    https_proxy: proxyUrl,
    HTTP_PROXY: proxyUrl,
    http_proxy: proxyUrl,
    NO_PROXY,
    no_proxy: NO_PROXY,
    NODE_EXTRA_CA_CERTS: bundlePath,
    SSL_CERT_FILE: bundlePath,
    REQUESTS_CA_BUNDLE: bundlePath,
    CURL_CA_BUNDLE: bundlePath,
    GIT_SSL_CAINFO: bundlePath,
  };
}

export async function startBroker(options: BrokerOptions): Promise<Broker> {
  const hosts = [...new Set(options.secrets.flatMap((secret) => secret.hosts))];
  const certificates = await makeRunCertificates(hosts);
  const secrets: BrokeredSecret[] = options.secrets.map((secret) => ({
    ...secret,
    placeholder: newPlaceholder(),
  }));
  const bundle = writeTrustBundle(certificates.caPem, options.roots, options.tempDir);
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  try {
    proxy = await startProxy({ ...options, secrets, certificates });
  } catch (error) {
    bundle.remove();
    throw error;
  }
  return {
    placeholders: new Map(secrets.map((secret) => [secret.variable, secret.placeholder])),
    env: brokerEnv(proxy.url, bundle.path),
    bundleDir: bundle.dir,
    close: async () => {
      try {
        await proxy.close();
      } finally {
        bundle.remove();
      }
    },
  };
}
