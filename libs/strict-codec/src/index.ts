// Public surface of @kpm/strict-codec.
export {};
