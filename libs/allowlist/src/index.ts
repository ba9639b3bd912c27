// Public surface of @kpm/allowlist.
export {};
