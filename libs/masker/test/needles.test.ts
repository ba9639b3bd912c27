import { expect, test } from "bun:test";
import { buildNeedles } from "../src/index.ts";

const text = (needles: Uint8Array[]) => needles.map((n) => new TextDecoder().decode(n));

test("each value yields itself and its base64, URL and JSON forms, only when distinct", () => {
  expect(text(buildNeedles(["hunter22"]))).toEqual(["hunter22", "aHVudGVyMjI=", "aHVudGVyMjI"]);
});

test("a value needing every encoding yields all seven forms", () => {
  const value = '~~~a<b>&"c d/é\u2028?';
  expect(text(buildNeedles([value]))).toEqual([
    value,
    Buffer.from(value).toString("base64"),
    Buffer.from(value).toString("base64").replace(/=+$/, ""),
    Buffer.from(value).toString("base64url"),
    encodeURIComponent(value),
    '~~~a<b>&\\"c d/é\u2028?',
    '~~~a\\u003cb\\u003e\\u0026\\"c d/é\\u2028?',
  ]);
});

test("values shorter than 6 characters are not masked, counting characters not bytes", () => {
  expect(buildNeedles(["12345", "", "ééééé"])).toEqual([]);
  expect(buildNeedles(["éééééé"]).length).toBeGreaterThan(0);
});

test("needles are UTF-8 bytes and deduplicated across values", () => {
  const needles = buildNeedles(["päss✓word", "päss✓word"]);
  expect(Buffer.from(needles[0] as Uint8Array).equals(Buffer.from("päss✓word", "utf8"))).toBe(true);
  expect(new Set(text(needles)).size).toBe(needles.length);
});

test("a value with a lone surrogate does not throw", () => {
  expect(text(buildNeedles(["abcdef\ud800"]))[0]).toBe("abcdef\ufffd");
});
