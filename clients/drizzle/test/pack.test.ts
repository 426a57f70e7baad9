// The package as an application gets it: `npm pack`, the tarball installed
// into a scratch project (in a temporary directory) with that project's own
// drizzle-orm and pg, examples/app.ts type-checked there against the
// package's .d.ts, and run against the test database.
//
// Installing needs the npm registry or npm's cache (--prefer-offline: the
// versions are those of this package's devDependencies, which `npm ci` has
// cached already).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "./support/test.js";

import { testUrl } from "./support/db.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const require = createRequire(import.meta.url);
const tscPath = require.resolve("typescript/bin/tsc");
const npmCli = process.env.npm_execpath && process.env.npm_execpath.endsWith(".js") ? process.env.npm_execpath : undefined;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command with a deadline (killed on expiry, which fails the test with
 * the output so far).  The npm variables of the `npm test` that runs us are
 * dropped so the inner npm sees its own project.
 */
function run(cmd: string, args: string[], cwd: string, timeoutMs: number, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const cleanEnv: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!/^npm_(package|lifecycle|config_(prefix|global|local_prefix|workspace))/i.test(k) && k !== "INIT_CWD") cleanEnv[k] = v;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...cleanEnv, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${cmd} ${args.join(" ")} did not finish within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** npm, as the npm that runs the suite (npm_execpath) or from PATH. */
function npm(args: string[], cwd: string, timeoutMs: number): Promise<Run> {
  return npmCli ? run(process.execPath, [npmCli, ...args], cwd, timeoutMs) : run("npm", args, cwd, timeoutMs);
}

const ok = (r: Run, what: string) => assert.equal(r.code, 0, `${what} failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);

let tmp: string;
let tarball: string;
let project: string;

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), "leadstore-drizzle-pack-"));
});

after(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe("the packed package in a scratch project", () => {
  test("npm pack: only the build output, README and package.json", { timeout: 180_000 }, async () => {
    const r = await npm(["pack", "--json", "--pack-destination", tmp], root, 170_000);
    ok(r, "npm pack");
    const [info] = JSON.parse(r.stdout.slice(r.stdout.indexOf("["))) as Array<{
      filename: string;
      name: string;
      version: string;
      files: Array<{ path: string }>;
    }>;
    assert.equal(info!.name, "@leadstore/drizzle");
    const pkg = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as { version: string };
    assert.equal(info!.version, pkg.version);
    const files = info!.files.map((f) => f.path).sort();
    assert.deepEqual(files, [
      "README.md",
      "dist/index.d.ts",
      "dist/index.js",
      "dist/leadstore.d.ts",
      "dist/leadstore.js",
      "dist/tables.d.ts",
      "dist/tables.js",
      "package.json",
    ]);
    tarball = join(tmp, info!.filename);
    assert.ok(existsSync(tarball));
  });

  test("installs into a project with its own drizzle-orm and pg (one copy of each)", { timeout: 240_000 }, async () => {
    assert.ok(tarball, "the tarball was packed");
    const dev = (JSON.parse(await readFile(join(root, "package.json"), "utf8")) as { devDependencies: Record<string, string> })
      .devDependencies;
    project = join(tmp, "app");
    await mkdir(join(project, "src"), { recursive: true });
    await writeFile(
      join(project, "package.json"),
      JSON.stringify({ name: "scratch-app", version: "1.0.0", private: true, type: "module" }, null, 2),
    );
    await writeFile(
      join(project, "tsconfig.json"),
      JSON.stringify(
        {
          compilerOptions: {
            target: "ES2022",
            module: "NodeNext",
            moduleResolution: "NodeNext",
            strict: true,
            skipLibCheck: true,
            outDir: "build",
            rootDir: "src",
            types: ["node"],
          },
          include: ["src"],
        },
        null,
        2,
      ),
    );
    await copyFile(join(root, "examples", "app.ts"), join(project, "src", "app.ts"));
    const r = await npm(
      [
        "install",
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        "--ignore-scripts",
        tarball,
        `drizzle-orm@${dev["drizzle-orm"]}`,
        `pg@${dev.pg}`,
        `@types/pg@${dev["@types/pg"]}`,
        `@types/node@${dev["@types/node"]}`,
      ],
      project,
      230_000,
    );
    ok(r, "npm install");
    const installed = join(project, "node_modules", "@leadstore", "drizzle");
    assert.ok(existsSync(join(installed, "dist", "index.d.ts")));
    assert.ok(!existsSync(join(installed, "node_modules")), "no nested copy of drizzle-orm or pg");
    const deps = JSON.parse(await readFile(join(project, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    assert.ok(deps.dependencies["@leadstore/drizzle"], "the package is a dependency of the project");
  });

  test("the example type-checks against the package's .d.ts and runs against the server", { timeout: 240_000 }, async () => {
    assert.ok(project && existsSync(join(project, "node_modules", "@leadstore", "drizzle")), "the package was installed");
    const tsc = await run(process.execPath, [tscPath, "-p", "."], project, 170_000);
    ok(tsc, "tsc in the scratch project");
    const app = await run(process.execPath, [join("build", "app.js")], project, 60_000, { LEADSTORE_URL: testUrl() });
    ok(app, "the example");
    assert.deepEqual(JSON.parse(app.stdout.trim()), {
      sectionCreated: true,
      chunksWritten: 2,
      confidence: 9,
      legalReplaced: 1,
      chunkRows: 3,
      cms: "selected",
      selectedCmsIsOurs: true,
      status: "completed",
      lateFinish: "stale",
      deepScanError: null,
    });
  });
});
