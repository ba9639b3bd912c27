// setTimeout caps delays at 2^31-1 ms (~24.8 days); TTLs may be configured longer.
const MAX_DELAY_MS = 2 ** 31 - 1;

export interface LongTimeout {
  cancel(): void;
}

export function setLongTimeout(atMs: number, callback: () => void): LongTimeout {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = (): void => {
    const remaining = atMs - Date.now();
    if (remaining <= 0) {
      callback();
      return;
    }
    timer = setTimeout(arm, Math.min(remaining, MAX_DELAY_MS));
  };
  arm();
  return { cancel: () => clearTimeout(timer) };
}
