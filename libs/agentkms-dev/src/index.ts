// Public surface of @kpm/agentkms-dev.
export {};
