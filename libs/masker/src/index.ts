// Public surface of @kpm/masker.
export {};
