import { expect, test } from "bun:test";
import fc from "fast-check";
import { metadataUpdateBody, toSecretMetadata } from "../src/metadata.ts";

test("service and name come from the path when the server leaves them out", () => {
  expect(toSecretMetadata({ path: "svc/name/deeper", version: 1 })).toEqual({
    path: "svc/name/deeper",
    service: "svc",
    name: "name/deeper",
    version: 1,
  });
  expect(toSecretMetadata({ path: "standalone", version: 2, tags: null })).toEqual({
    path: "standalone",
    service: "standalone",
    version: 2,
  });
});

test("the server's own service and name win", () => {
  expect(toSecretMetadata({ path: "a/b", service: "x", name: "y", version: 1, tags: ["t"] })).toEqual({
    path: "a/b",
    service: "x",
    name: "y",
    version: 1,
    tags: ["t"],
  });
});

test("service/name always rebuild the path when derived", () => {
  fc.assert(
    fc.property(
      fc.array(fc.stringMatching(/^[a-z0-9-]{1,8}$/), { minLength: 1, maxLength: 4 }),
      (segments) => {
        const path = segments.join("/");
        const metadata = toSecretMetadata({ path, version: 1 });
        expect(metadata.name === undefined ? metadata.service : `${metadata.service}/${metadata.name}`).toBe(
          path,
        );
      },
    ),
  );
});

test("an update body carries only the fields that are set", () => {
  expect(metadataUpdateBody({})).toEqual({});
  expect(Object.keys(metadataUpdateBody({ description: "", tags: [], type: undefined }))).toEqual([
    "description",
    "tags",
  ]);
});
