// Public surface of @kpm/template.
export {};
