// Brokered pins (docs/allowlist.md, docs/broker.md): `NAME: {ref: llm/anthropic, hosts: [...]}`
// pins NAME like `NAME: ref` and names the hosts that may receive its value; the tool itself
// gets a placeholder. Which hosts a brokered variable may reach, across a project list and the
// user's, is decided here too.
import { normalizeHostPattern } from "@kpm/broker/host-pattern";
import { isScalar, isSeq, type Node, type YAMLMap } from "yaml";
import type { Allowlist } from "./parse-allowlist.ts";
import { parsePin, type ReferenceLike } from "./pin.ts";

interface Located {
  range?: [number, number, number] | null | undefined;
}
type FailAt = (node: Located | null | undefined, problem: string) => never;

/** Reads `{ref: <reference>, hosts: [<host or *.domain>, …]}`; every other shape is an error. */
export function readBrokeredPin(
  tool: string,
  name: string,
  map: YAMLMap,
  failAt: FailAt,
): { pin: ReferenceLike; hosts: string[] } {
  const where = `tool "${tool}": "${name}"`;
  let pin: ReferenceLike | undefined;
  let hosts: string[] | undefined;
  for (const pair of map.items) {
    const key = pair.key as Node | null;
    const value = pair.value as Node | null;
    const field = isScalar(key) ? key.value : null;
    if (field === "ref") {
      if (!isScalar(value) || typeof value.value !== "string")
        failAt(value ?? key, `${where}: ref must be a reference such as llm/anthropic`);
      const parsed = parsePin((value as { value: string }).value);
      if (!parsed.ok) failAt(value, `${where} ${parsed.problem}`);
      else pin = parsed.pin;
    } else if (field === "hosts") {
      if (!isSeq(value) || value.items.length === 0)
        failAt(value ?? key, `${where}: hosts must be a non-empty list of host names`);
      hosts = (value as { items: unknown[] }).items.map((item) => {
        const node = item as Node | null;
        const text = isScalar(node) && typeof node.value === "string" ? node.value : "";
        const host = normalizeHostPattern(text);
        if (host === null)
          failAt(node ?? value, `${where}: invalid host ${JSON.stringify(text)} (a name, or *.domain)`);
        return host as string;
      });
    } else
      failAt(key ?? map, `${where}: unknown key ${JSON.stringify(String(field))} (expected ref and hosts)`);
  }
  if (pin === undefined) return failAt(map, `${where}: a brokered entry needs ref`);
  if (hosts === undefined) return failAt(map, `${where}: a brokered entry needs hosts`);
  return { pin, hosts };
}

/**
 * The hosts a variable's value may reach when some list brokers it for `tool`, else null (the
 * tool gets the value itself). With several lists naming the tool, a list that brokers it bounds
 * the hosts (only hosts every brokering list names), and a list that hands it over plainly cannot
 * turn brokering off.
 */
export function brokeredHosts(lists: readonly Allowlist[], tool: string, variable: string): string[] | null {
  let hosts: string[] | null = null;
  for (const list of lists) {
    const declared = list.get(tool)?.brokered?.get(variable);
    if (declared === undefined) continue;
    hosts = hosts === null ? [...declared] : hosts.filter((host) => declared.includes(host));
  }
  return hosts;
}
