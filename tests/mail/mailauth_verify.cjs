// A second DKIM verifier for the tests: npm's mailauth, given the key records directly
// (no DNS). Usage: node mailauth_verify.cjs MESSAGE-FILE RECORDS-JSON
// RECORDS-JSON maps each DNS name ("s1._domainkey.example.com") to its TXT record.
// Prints one JSON line: [{"algo": ..., "result": "pass" | "fail" | ...}, ...].
"use strict";

const fs = require("fs");
const { dkimVerify } = require("mailauth/lib/dkim/verify");

async function main() {
  const message = fs.readFileSync(process.argv[2]);
  const records = JSON.parse(process.argv[3]);
  const resolver = async (name, type) => {
    const record = records[name.replace(/\.$/, "")];
    if (type !== "TXT" || record === undefined) {
      const error = new Error(`no ${type} record for ${name}`);
      error.code = "ENOTFOUND";
      throw error;
    }
    return [[record]];
  };
  const verified = await dkimVerify(message, { resolver });
  const results = verified.results.map((r) => ({
    algo: r.algo,
    result: r.status.result,
    comment: r.status.comment || "",
  }));
  process.stdout.write(JSON.stringify(results) + "\n");
}

main().catch((error) => {
  process.stderr.write(String(error.stack || error) + "\n");
  process.exit(2);
});
