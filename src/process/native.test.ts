import assert from "node:assert/strict";
import { execFile, fork, spawnSync } from "node:child_process";
import { once } from "node:events";
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import {
  closeFd,
  connectUnix,
  handleFd,
  listenTcp,
  listenUnix,
  localPort,
  type NativeError,
  originalDst,
  peerCredentials,
  recvFds,
  sendFds,
} from "./native.ts";

/** O_CLOEXEC as /proc/self/fdinfo prints it (octal "flags:" line). */
const O_CLOEXEC = 0o2000000;

async function isCloseOnExec(fd: number): Promise<boolean> {
  const info = await readFile(`/proc/self/fdinfo/${fd}`, "utf8");
  const flags = /^flags:\s+([0-7]+)$/m.exec(info);
  assert.ok(flags, `no flags line in fdinfo of ${fd}`);
  return (Number.parseInt(flags[1], 8) & O_CLOEXEC) !== 0;
}

/** Connects, reads until the server ends the connection, returns what it said. */
async function readReply(options: net.NetConnectOpts): Promise<string> {
  const socket = net.connect(options);
  const chunks: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  await once(socket, "end");
  socket.destroy();
  return Buffer.concat(chunks).toString();
}

/** A Node server on an already listening descriptor, closed (with its fd) after the test. */
async function serveOnFd(t: test.TestContext, fd: number, reply: string): Promise<net.Server> {
  const server = net.createServer((socket) => socket.end(reply));
  server.listen({ fd });
  await once(server, "listening");
  t.after(() => server.close());
  return server;
}

function expectCode(fn: () => unknown, code: string, syscall?: string): NativeError {
  let caught: NativeError | undefined;
  assert.throws(fn, (error: NativeError) => {
    caught = error;
    return error.code === code && (syscall === undefined || error.syscall === syscall);
  });
  return caught!;
}

async function tempDir(t: test.TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "weir-native-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test("listenTcp on 127.0.0.1:0 gives a close-on-exec listener that a Node server serves", async (t) => {
  const fd = listenTcp("127.0.0.1", 0, {});
  const port = localPort(fd);
  assert.ok(port > 0);
  assert.equal(await isCloseOnExec(fd), true);
  await serveOnFd(t, fd, "v4");
  assert.equal(await readReply({ host: "127.0.0.1", port }), "v4");
});

test("listenTcp on [::1]:0 serves IPv6", async (t) => {
  const fd = listenTcp("[::1]", 0, { backlog: 16 });
  const port = localPort(fd);
  await serveOnFd(t, fd, "v6");
  assert.equal(await readReply({ host: "::1", port }), "v6");
});

test("a taken address throws EADDRINUSE from bind, with address and port", (t) => {
  const fd = listenTcp("127.0.0.1", 0, {});
  t.after(() => closeFd(fd));
  const port = localPort(fd);
  const error = expectCode(() => listenTcp("127.0.0.1", port, {}), "EADDRINUSE", "bind");
  assert.equal(error.errno, -98);
  assert.equal(error.address, "127.0.0.1");
  assert.equal(error.port, port);
  assert.match(error.message, /^bind EADDRINUSE: .* 127\.0\.0\.1:\d+$/);
});

test("reusePort lets two listeners share a port", (t) => {
  const first = listenTcp("127.0.0.1", 0, { reusePort: true });
  t.after(() => closeFd(first));
  const second = listenTcp("127.0.0.1", localPort(first), { reusePort: true });
  t.after(() => closeFd(second));
  assert.equal(localPort(second), localPort(first));
});

test("'::' is IPv6-only by default, so 0.0.0.0 can take the same port; ipv6Only: false conflicts", (t) => {
  const v6 = listenTcp("::", 0, {});
  t.after(() => closeFd(v6));
  const v4 = listenTcp("0.0.0.0", localPort(v6), {});
  t.after(() => closeFd(v4));
  const dual = listenTcp("::", 0, { ipv6Only: false });
  t.after(() => closeFd(dual));
  expectCode(() => listenTcp("0.0.0.0", localPort(dual), {}), "EADDRINUSE", "bind");
});

test("host '' is one dual-stack listener that answers IPv4 and IPv6", async (t) => {
  const fd = listenTcp("", 0, {});
  const port = localPort(fd);
  await serveOnFd(t, fd, "both");
  assert.equal(await readReply({ host: "127.0.0.1", port }), "both");
  assert.equal(await readReply({ host: "::1", port }), "both");
});

test("freebind binds an address this host does not have", (t) => {
  // 192.0.2.1 and 2001:db8::1 are documentation addresses (RFC 5737, RFC 3849): never local, no traffic sent.
  expectCode(() => listenTcp("192.0.2.1", 0, {}), "EADDRNOTAVAIL", "bind");
  const v4 = listenTcp("192.0.2.1", 0, { freebind: true });
  t.after(() => closeFd(v4));
  const v6 = listenTcp("2001:db8::1", 0, { freebind: true });
  t.after(() => closeFd(v6));
  assert.ok(localPort(v4) > 0 && localPort(v6) > 0);
});

test("bad addresses and arguments throw typed errors", () => {
  expectCode(() => listenTcp("localhost", 0, {}), "EINVAL", "inet_pton");
  expectCode(() => listenTcp("fe80::1%no-such-interface0", 0, {}), "EINVAL", "inet_pton");
  expectCode(() => listenTcp("x".repeat(200), 0, {}), "ENAMETOOLONG", "inet_pton");
  expectCode(() => listenTcp("127.0.0.1", 65536, {}), "ERR_OUT_OF_RANGE");
  expectCode(() => listenTcp("127.0.0.1", 0, { backlog: 1.5 }), "ERR_OUT_OF_RANGE");
  expectCode(() => localPort(-1), "ERR_OUT_OF_RANGE");
  expectCode(() => closeFd(0x7ffffff0), "EBADF", "close");
  expectCode(() => listenUnix("/tmp/x", { mode: 0o10000 }), "ERR_OUT_OF_RANGE");
  expectCode(() => listenUnix("\0abstract", {}), "ERR_OUT_OF_RANGE");
  expectCode(() => connectUnix(""), "ERR_OUT_OF_RANGE");
});

test("listenUnix sets the mode before listening, refuses a taken path, and serves", async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, "weir.sock");
  const fd = listenUnix(path, { mode: 0o660 });
  const info = await stat(path);
  assert.ok(info.isSocket());
  assert.equal(info.mode & 0o7777, 0o660);
  expectCode(() => listenUnix(path, {}), "EADDRINUSE", "bind");
  await serveOnFd(t, fd, "unix");
  assert.equal(await readReply({ path }), "unix");
  expectCode(() => listenUnix(join(dir, "x".repeat(120)), {}), "ENAMETOOLONG", "bind");
  expectCode(() => connectUnix(join(dir, "absent.sock")), "ENOENT", "connect");
});

/** An upgrade-socket pair in one process: a Node-accepted socket and a connectUnix() descriptor. */
async function upgradePair(t: test.TestContext): Promise<{ accepted: net.Socket; client: number }> {
  const path = join(await tempDir(t), "upgrade.sock");
  const server = net.createServer();
  server.listen(path);
  await once(server, "listening");
  t.after(() => server.close());
  const client = connectUnix(path);
  t.after(() => closeFd(client));
  const [accepted] = (await once(server, "connection")) as [net.Socket];
  t.after(() => accepted.destroy());
  return { accepted, client };
}

test("listeners pass from a Node-accepted socket to connectUnix with SCM_RIGHTS and keep serving", async (t) => {
  const { accepted, client } = await upgradePair(t);
  const listener = listenTcp("127.0.0.1", 0, {});
  t.after(() => closeFd(listener));
  const port = localPort(listener);

  sendFds(handleFd(accepted), [listener], Buffer.from("listeners:1"));
  const { fds, payload } = recvFds(client, 8, 64, 2000);

  assert.equal(payload.toString(), "listeners:1");
  assert.equal(fds.length, 1);
  assert.notEqual(fds[0], listener);
  assert.equal(await isCloseOnExec(fds[0]), true);
  assert.equal(localPort(fds[0]), port);
  await serveOnFd(t, fds[0], "taken over");
  assert.equal(await readReply({ host: "127.0.0.1", port }), "taken over");
});

test("peerCredentials names this process on both ends of the upgrade socket", async (t) => {
  const { accepted, client } = await upgradePair(t);
  const me = { pid: process.pid, uid: process.getuid!(), gid: process.getgid!() };
  assert.deepEqual(peerCredentials(client), me);
  assert.deepEqual(peerCredentials(handleFd(accepted)), me);
});

test("recvFds times out, refuses more descriptors than asked for, and reports EOF as an empty payload", async (t) => {
  const { accepted, client } = await upgradePair(t);
  const started = performance.now();
  expectCode(() => recvFds(client, 1, 16, 100), "ETIMEDOUT", "recvmsg");
  assert.ok(performance.now() - started >= 95);

  const a = listenTcp("127.0.0.1", 0, {});
  t.after(() => closeFd(a));
  sendFds(handleFd(accepted), [a, a], Buffer.from("2"));
  expectCode(() => recvFds(client, 1, 16, 1000), "EMSGSIZE", "recvmsg");

  accepted.end();
  await once(accepted, "finish");
  const eof = recvFds(client, 1, 16, 1000);
  assert.deepEqual(eof, { fds: [], payload: Buffer.alloc(0) });
});

test("sendFds waits for room on a full socket, then times out; the first part carried the fds", async (t) => {
  const { accepted, client } = await upgradePair(t);
  const listener = listenTcp("127.0.0.1", 0, {});
  t.after(() => closeFd(listener));
  // Nobody reads while sendFds runs (it blocks this thread), and the socket buffers hold far less than
  // this, so sendFds retries until its one-second limit.
  const big = Buffer.alloc(8 << 20, 7);
  const started = performance.now();
  expectCode(() => sendFds(handleFd(accepted), [listener], big), "ETIMEDOUT", "sendmsg");
  assert.ok(performance.now() - started >= 950);
  const first = recvFds(client, 1, 1 << 20, 1000);
  assert.equal(first.fds.length, 1);
  assert.ok(first.payload.length > 0 && first.payload.every((byte) => byte === 7));
  closeFd(first.fds[0]);
});

test("a forked worker serves the supervisor's listener while the supervisor never accepts", async (t) => {
  const dir = await tempDir(t);
  const worker = join(dir, "worker.mjs");
  await writeFile(
    worker,
    `import net from "node:net";
     const server = net.createServer((socket) => socket.end(String(process.pid)));
     server.listen({ fd: 4 }, () => process.send("ready"));
     process.on("disconnect", () => server.close());`,
  );
  const fd = listenTcp("127.0.0.1", 0, {});
  t.after(() => closeFd(fd));
  const port = localPort(fd);
  const child = fork(worker, [], { stdio: ["inherit", "inherit", "inherit", "ipc", fd] });
  t.after(() => child.kill());
  const [message] = await once(child, "message");
  assert.equal(message, "ready");

  const repliers = new Set<string>();
  for (let i = 0; i < 30; i++) repliers.add(await readReply({ host: "127.0.0.1", port }));
  assert.deepEqual([...repliers], [String(child.pid)]);
  assert.notEqual(child.pid, process.pid);
  // The supervisor still holds its listener: the kernel queues for whoever accepts, and only the worker does.
  assert.equal(localPort(fd), port);
});

test("originalDst of a connection that was not redirected is null, or its own local address", async (t) => {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  t.after(() => server.close());
  const port = (server.address() as net.AddressInfo).port;
  const client = net.connect({ host: "127.0.0.1", port });
  t.after(() => client.destroy());
  const [accepted] = (await once(server, "connection")) as [net.Socket];
  t.after(() => accepted.destroy());
  // Without conntrack the kernel knows nothing (null); with it, an untouched connection's original
  // destination is where it arrived.
  const dst = originalDst(handleFd(accepted));
  if (dst !== null) assert.deepEqual(dst, { address: "127.0.0.1", port, family: 4 });
  const path = join(await tempDir(t), "o.sock");
  const unixFd = listenUnix(path, {});
  t.after(() => closeFd(unixFd));
  expectCode(() => originalDst(unixFd), "EAFNOSUPPORT");
});

/** The programs missing from PATH, among `names`. */
function missingCommands(names: string[]): string[] {
  return names.filter((name) => spawnSync("sh", ["-c", `command -v ${name}`]).status !== 0);
}

// Runs in a fresh network namespace (unshare -n), so its NAT rules touch nothing else: for IPv4, IPv6
// and a dual-stack socket accepting IPv4 (a v4-mapped address), a client dials port D, a REDIRECT rule
// sends it to the server's port, and the server reads D back with originalDst.
const REDIRECT_PROBE = `
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import net from "node:net";
import { handleFd, originalDst } from NATIVE_URL;
execFileSync("ip", ["link", "set", "lo", "up"]);
const cases = [
  ["iptables", "127.0.0.1", { host: "127.0.0.1" }],
  ["ip6tables", "::1", { host: "::1" }],
  ["iptables", "127.0.0.1", { host: "::", ipv6Only: false }],
];
const results = [];
for (const [tool, host, listenOn] of cases) {
  const server = net.createServer();
  server.listen({ port: 0, ...listenOn });
  await once(server, "listening");
  const port = server.address().port;
  const dialled = 7000 + results.length;
  execFileSync(tool, ["-t", "nat", "-A", "OUTPUT", "-p", "tcp", "-d", host, "--dport", String(dialled),
    "-j", "REDIRECT", "--to-ports", String(port)]);
  const client = net.connect(dialled, host);
  const [accepted] = await once(server, "connection");
  results.push({ host, dialled, port, dst: originalDst(handleFd(accepted)) });
  client.destroy();
  accepted.destroy();
  server.close();
}
process.stdout.write(JSON.stringify(results));
`;

test("originalDst reads the port a client dialled before an iptables REDIRECT", async (t) => {
  const missing = missingCommands(["unshare", "ip", "iptables", "ip6tables"]);
  const why = missing.length > 0 ? `needs ${missing.join(", ")} (apt-get install iptables)` : "needs root";
  if (missing.length > 0 || process.getuid!() !== 0) {
    if (process.env.CI === "true") assert.fail(`this test ${why}`);
    t.skip(why);
    return;
  }
  const probe = join(await tempDir(t), "probe.mjs");
  await writeFile(
    probe,
    REDIRECT_PROBE.replace("NATIVE_URL", JSON.stringify(new URL("./native.ts", import.meta.url).href)),
  );
  const { stdout } = await promisify(execFile)("unshare", ["-n", process.execPath, probe], {
    timeout: 20_000,
  });
  const results = JSON.parse(stdout) as { host: string; dialled: number; port: number; dst: unknown }[];
  assert.equal(results.length, 3);
  for (const { host, dialled, port, dst } of results) {
    assert.notEqual(port, dialled);
    assert.deepEqual(dst, { address: host, port: dialled, family: host.includes(":") ? 6 : 4 });
  }
});

test("without the built addon every call throws WEIR_NATIVE_MISSING with a way out", async (t) => {
  // A copy of native.ts two folders deep in a temporary directory finds no ../../native/build.
  const dir = await tempDir(t);
  const copy = join(dir, "a", "b", "native.ts");
  await writeFile(join(dir, "package.json"), '{"type":"module"}');
  await mkdir(join(dir, "a", "b"), { recursive: true });
  await copyFile(new URL("./native.ts", import.meta.url), copy);
  const missing = (await import(copy)) as typeof import("./native.ts");
  const error = expectCode(() => missing.listenTcp("127.0.0.1", 0, {}), "WEIR_NATIVE_MISSING");
  assert.match(error.message, /npm install/);
  assert.match(error.message, /g\+\+ and make/);
});
