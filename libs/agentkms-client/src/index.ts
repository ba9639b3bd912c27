// Public surface of @kpm/agentkms-client.
export {};
