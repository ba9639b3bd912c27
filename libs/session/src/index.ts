// Public surface of @kpm/session.
export {};
