// Build-time identity: `bun run build` defines KPM_VERSION and KPM_COMMIT; from source both are "dev".
declare const KPM_VERSION: string | undefined;
declare const KPM_COMMIT: string | undefined;

export const version: string = typeof KPM_VERSION === "string" ? KPM_VERSION : "dev";
export const commit: string = typeof KPM_COMMIT === "string" ? KPM_COMMIT : "dev";
