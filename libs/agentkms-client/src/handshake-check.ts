// The PEM files' verdict when openClient skips the up-front check (~2 ms of node:crypto): a completed
// TLS handshake proves them usable; after a failed connection checkTlsFiles decides. Either way the
// verdict settles once, and the private key bytes are zeroed as soon as they are no longer needed.
import { checkTlsFiles, type TlsFiles, type TlsMaterial } from "./tls-material.ts";

export class HandshakeCheck {
  readonly #files: TlsFiles;
  #usable = false;
  readonly #settled = Promise.withResolvers<void>();

  constructor(files: TlsFiles) {
    this.#files = files;
    // Nobody may await the verdict (createClient does not): a bad file must not be an unhandled rejection.
    this.#settled.promise.catch(() => {});
  }

  /** Resolves once the files are known usable; rejects with checkTlsFiles' error when they are not. */
  get settled(): Promise<void> {
    return this.#settled.promise;
  }

  get usable(): boolean {
    return this.#usable;
  }

  /** The files are good: Bun holds its own copy of the key in the session's TLS context. */
  markUsable(): void {
    if (this.#usable) return;
    this.#usable = true;
    this.#files.key.fill(0);
    this.#settled.resolve();
  }

  /** checkTlsFiles now; its error (the §4.3 text) also becomes the verdict. */
  verify(): TlsMaterial {
    try {
      return checkTlsFiles(this.#files);
    } catch (error) {
      this.#settled.reject(error);
      throw error;
    }
  }

  /** On close: a key never handed to a working session is zeroed here. */
  discard(): void {
    if (!this.#usable) this.#files.key.fill(0);
  }
}
