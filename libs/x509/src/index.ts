// @peculiar/x509, ready to use: its DI container (tsyringe) needs Reflect metadata when it loads,
// so this module evaluates reflect-metadata first. It is the only importer of both. In the
// compiled, code-split binary a package that two modules import lands in a shared chunk that is
// evaluated before either importer's body — where a `import "reflect-metadata"` of its own would
// run too late. Importers use this module (statically, or with `await import("@kpm/x509")`).
import "reflect-metadata";

export * from "@peculiar/x509";
