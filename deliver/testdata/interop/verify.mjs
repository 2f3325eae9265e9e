// Reads cases from the file named by the first argument and verifies each with the
// standardwebhooks and svix packages, printing one JSON line per case and library:
// {"name", "library", "ok", "error"}.
import { readFileSync } from "node:fs";
import { Webhook as StandardWebhook } from "standardwebhooks";
import { Webhook as SvixWebhook } from "svix";

const cases = JSON.parse(readFileSync(process.argv[2], "utf8"));
const libraries = {
  standardwebhooks: (secret, body, headers) => new StandardWebhook(secret).verify(body, headers),
  svix: (secret, body, headers) => new SvixWebhook(secret).verify(body, headers),
};
for (const c of cases) {
  for (const [library, verify] of Object.entries(libraries)) {
    let ok = true;
    let error = "";
    try {
      verify(c.secret, c.body, c.headers);
    } catch (e) {
      ok = false;
      error = String(e && e.message ? e.message : e);
    }
    console.log(JSON.stringify({ name: c.name, library, ok, error }));
  }
}
