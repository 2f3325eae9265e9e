// startServer runs a real `casewire serve` on a loopback port with a fresh SQLite data
// directory and creates a tenant with `casewire tenant create`. It uses CASEWIRE_BIN when
// set, else builds the binary from this repository with `go build`.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export interface RunningServer {
  baseUrl: string;
  /** apiKey is the admin key of a fresh tenant. */
  apiKey: string;
  stop(): Promise<void>;
}

const repoRoot = resolve(fileURLToPath(import.meta.url), "../../../../..");

function binary(dir: string): string {
  if (process.env.CASEWIRE_BIN) {
    return process.env.CASEWIRE_BIN;
  }
  const bin = join(dir, "casewire");
  execFileSync("go", ["build", "-o", bin, "./cmd/casewire"], { cwd: repoRoot, stdio: "inherit" });
  return bin;
}

export async function startServer(): Promise<RunningServer> {
  const dir = mkdtempSync(join(tmpdir(), "casewire-ts-"));
  const bin = binary(dir);
  const dataDir = join(dir, "data");
  const out = execFileSync(bin, ["tenant", "create", "TS Test Firm", "--data-dir", dataDir], {
    encoding: "utf8",
  });
  const apiKey = out.trim().split("\n").at(-1) ?? "";
  const child = spawn(bin, ["serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir,
    "--log-format", "json", "--key-rate", "1000", "--key-burst", "1000"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  const addr = await listeningAddress(child);
  return {
    baseUrl: `http://${addr}`,
    apiKey,
    stop: async () => {
      const exited = new Promise((done) => child.once("exit", done));
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// listeningAddress reads the server's JSON log until it says where it listens.
function listeningAddress(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    const timer = setTimeout(() => fail("no 'casewire serving' log line in 30s"), 30_000);
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`${why}:\n${lines.join("\n")}`));
    };
    child.once("exit", (code) => fail(`casewire serve exited with ${code}`));
    createInterface({ input: child.stderr! }).on("line", (line) => {
      lines.push(line);
      try {
        const rec = JSON.parse(line) as { msg?: string; addr?: string };
        if (rec.msg === "casewire serving" && rec.addr) {
          clearTimeout(timer);
          child.removeAllListeners("exit");
          resolve(rec.addr);
        }
      } catch {
        // Not a JSON log line; keep it for the error message.
      }
    });
  });
}
