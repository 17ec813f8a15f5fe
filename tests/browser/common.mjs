// What the browser tests share: logging and PASS/FAIL records, a watchdog, clean-up of every
// process and directory they made, node's HTTP requests, the daemon (or gst-launch-1.0) and its
// output, the network camera run with gst-launch-1.0, the lab frontend stand-in on its own
// origin, and the browser: headless Chromium with the flags of DESIGN.md §5, or headless Firefox
// ESR with its prefs, chosen by RW_BROWSER=chromium|firefox. The tests see one kind of page
// whichever it is (evaluate, waitForFunction, click, title, close, in playwright's signatures),
// and the page-side code is the same for both.
//
// One test script is one run: this module keeps that run's results and clean-ups.

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const t0 = Date.now();

const results = [];
const cleanups = [];
const serverLogs = [];
let summaryTitle = 'browser test', summaryNote = '', watchdog = null;

// ---- logging and results ----

export function log(msg) {
  console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${msg}`);
}
export function record(name, ok, detail) {
  results.push({ name, ok, detail });
  log(`${ok ? 'PASS' : 'FAIL'} ${name}: ${detail}`);
}
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const ms = (x) => (x == null ? 'n/a' : `${Math.round(x)} ms`);
export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}
// Polls `probe` (async, returns a truthy value when done) every `everyMs` for at most `boundMs`;
// returns the value, or throws `what` with the last value seen.
export async function poll(probe, { boundMs, everyMs = 50, what }) {
  const until = Date.now() + boundMs;
  let last;
  for (;;) {
    last = await probe();
    if (last) return last;
    if (Date.now() >= until) throw new Error(`${what} (not within ${boundMs} ms)`);
    await sleep(everyMs);
  }
}

// ---- the run: watchdog, clean-up, summary ----

// A synchronous clean-up, run once at exit in reverse order (kill a process, remove a directory).
export function onCleanup(fn) {
  cleanups.push(fn);
}
function cleanUp() {
  while (cleanups.length) {
    try { cleanups.pop()(); } catch { /* best effort */ }
  }
}
export function tempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}
function printServerLogs(lines) {
  for (const { name, log: all } of serverLogs) {
    if (!all.length) continue;
    const tail = all.slice(-lines);
    console.log(`---- ${name} output (last ${tail.length} of ${all.length} lines) ----`);
    for (const l of tail) console.log(l);
    console.log(`---- end of ${name} output ----`);
  }
}
export function finish() {
  const passed = results.filter((r) => r.ok).length, failed = results.length - passed;
  const showAll = process.env.RW_SHOW_SERVER_LOG === '1';
  if (failed || showAll) printServerLogs(showAll ? Infinity : 80);
  console.log(`\n==== ${summaryTitle} summary ====`);
  for (const r of results) console.log(`${r.ok ? 'PASS' : 'FAIL'}  ${r.name.padEnd(28)} ${r.detail}`);
  console.log(`${passed} passed, ${failed} failed${summaryNote}`);
  clearTimeout(watchdog);
  cleanUp();
  process.exit(failed || !passed ? 1 : 0);
}
export function fatal(msg) {
  record('run', false, msg);
  finish();
}
// Starts the run: the whole script is bounded to `totalMs`, a signal ends it with a FAIL, and
// whatever it started is killed at exit. `note` follows the "N passed, N failed" line.
export function startRun({ title, totalMs, note = '' }) {
  summaryTitle = title;
  summaryNote = note;
  watchdog = setTimeout(() => fatal(`whole test exceeded ${totalMs / 1000} s`), totalMs);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => fatal(`got ${sig}`));
  process.on('exit', cleanUp);
}

// ---- prerequisites: the daemon and the browser with its driver ----

// RW_BROWSER: chromium (Debian's, driven by playwright-core) or firefox (Debian's firefox-esr,
// driven by puppeteer-core over WebDriver BiDi).
export const BROWSER = process.env.RW_BROWSER || 'chromium';
export const BROWSER_TITLE = { chromium: 'Chromium', firefox: 'Firefox' }[BROWSER] || BROWSER;

// The daemon (RW_SERVER) and RW_BROWSER's executable and driver: { serverExe, browserExe, driver, name }.
export async function prerequisites() {
  const serverExe = process.env.RW_SERVER;
  if (!serverExe) fatal('RW_SERVER is not set (path of robot-webrtc-server)');
  try { fs.accessSync(serverExe, fs.constants.X_OK); } catch { fatal(`RW_SERVER=${serverExe} is not an executable file`); }
  return { serverExe, ...(await browserPrerequisites(BROWSER)) };
}

// One browser's executable and driver, for launchBrowser().
export async function browserPrerequisites(name) {
  const kinds = {
    chromium: { exe: process.env.RW_CHROMIUM || '/usr/bin/chromium', deb: 'chromium', driver: 'playwright-core' },
    firefox: { exe: process.env.RW_FIREFOX || '/usr/bin/firefox-esr', deb: 'firefox-esr', driver: 'puppeteer-core' },
  };
  const kind = kinds[name];
  if (!kind) fatal(`RW_BROWSER=${name}: not chromium or firefox`);
  try { fs.accessSync(kind.exe, fs.constants.X_OK); } catch { fatal(`${kind.exe} not found (apt-get install ${kind.deb})`); }
  let driver;
  try {
    driver = await import(kind.driver);
  } catch (e) {
    fatal(`cannot load ${kind.driver} (${e.code || e.message}): ${path.join(HERE, 'node_modules')} is missing or old; ` +
          `run the project's setup script, or 'npm ci' in tests/browser`);
  }
  return { name, browserExe: kind.exe, driver };
}

// The addresses the daemon may offer ICE candidates on. Chromium reaches 127.0.0.1 through a
// peer-reflexive loopback candidate. Firefox gathers host candidates on its default-route address
// only, unless the page may use a camera or microphone (MediaManager's
// IsActivelyCapturingOrHasAPermission; the pages never ask, and no camera is granted), and that
// address with the daemon's 127.0.0.1 never connects (ICE fails): so its daemon offers the
// namespace's veth address (run-in-netns.sh's RW_NETNS_ADDRESS) too, as a robot on the LAN
// offers its LAN address.
export function iceAddresses(browsers = [BROWSER]) {
  if (!browsers.includes('firefox')) return ['127.0.0.1'];
  const veth = process.env.RW_NETNS_ADDRESS;
  if (!veth) fatal('RW_NETNS_ADDRESS is not set: run Firefox tests through run-in-netns.sh');
  return ['127.0.0.1', veth];
}

// ---- node's own requests ----

// Over HTTPS, `ca` is the only certificate authority trusted.
export function httpRequest(url, { method = 'GET', headers = {}, body, ca } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = (u.protocol === 'https:' ? https : http).request(u, { method, headers, ca, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => {
        let json = null;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({ status: res.statusCode, headers: res.headers, body: json, text });
      });
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error(`${method} ${url}: no answer in 5 s`)));
    req.end(body);
  });
}
export async function freePort() {
  const probe = net.createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
function canConnect(port) {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1', () => { c.destroy(); resolve(true); });
    c.on('error', () => resolve(false));
  });
}

// ---- the lab frontend stand-in (frontend.html), on an origin of its own ----

export async function serveFrontend() {
  const html = fs.readFileSync(path.join(HERE, 'frontend.html'));
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (req.method === 'GET' && (url.pathname === '/' || url.pathname === '/frontend.html')) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(html);
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  const origin = `http://127.0.0.1:${server.address().port}`;
  log(`frontend stand-in at ${origin}`);
  return origin;
}

// ---- the server under test ----

// Starts `cmd args` (in `env`) and waits (10 s at most) for its "listening on http(s)://…" line.
// Its output is kept and printed when a check fails. Returns { proc, url, exited, log }: `exited` resolves
// to { code, signal }.
export async function startServer(cmd, args, { name = 'robot-webrtc-server', env = process.env } = {}) {
  log(`starting ${cmd} ${args.join(' ')}`);
  const lines = [];
  serverLogs.push({ name, log: lines });
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let exit = null;
  onCleanup(() => { if (exit === null) process.kill(proc.pid, 'SIGKILL'); });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => {
    exit = { code, signal };
    lines.push(`[test] server exited: code=${code} signal=${signal}`);
    resolve(exit);
  }));
  proc.on('error', (e) => fatal(`cannot start ${cmd}: ${e.message}`));
  let url;
  try {
    url = await withTimeout(new Promise((resolve, reject) => {
      const collect = (stream, tag, onLine) => {
        let buf = '';
        stream.setEncoding('utf8');
        stream.on('data', (chunk) => {
          buf += chunk;
          let i;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i); buf = buf.slice(i + 1);
            lines.push(`${tag} ${line}`);
            onLine?.(line);
          }
        });
      };
      collect(proc.stdout, 'out|', (line) => {
        const m = /listening on (https?:\/\/\S+?)\/?(\s|$)/.exec(line);
        if (m) resolve(m[1]);
      });
      collect(proc.stderr, 'err|');
      exited.then(({ code, signal }) => reject(new Error(`server exited before listening (code=${code} signal=${signal})`)));
    }), 10_000, 'waiting for "listening on http(s)://…" from the server');
  } catch (e) {
    fatal(e.message);
  }
  log(`server at ${url}`);
  return { proc, url, exited, log: lines };
}

// Sends `signal` (with one viewer still watching, as `note` says) and records `<signal>-exit-0`.
export async function stopServer(server, signal, note) {
  const check = `${signal.toLowerCase()}-exit-0`;
  try {
    process.kill(server.proc.pid, signal);
    const t = Date.now();
    const { code, signal: by } = await withTimeout(server.exited, 10_000, `server exit after ${signal}`);
    record(check, code === 0, `exit code=${code} signal=${by} after ${Date.now() - t} ms, ${note}`);
  } catch (e) {
    record(check, false, `${e.message} (${note})`);
  }
}

// ---- a network camera that fails on demand ----

// VP8 over RTP over TCP from gst-launch-1.0 (`launch`), read by the daemon through
// `camera.description`, a `pipeline =` value. stop() is SIGTERM; start() again brings it back.
export class NetworkCamera {
  static async create({ launch, width, height, fps = 30, pattern = 'ball' }) {
    const camera = new NetworkCamera();
    Object.assign(camera, { launch, width, height, fps, pattern, proc: null });
    camera.dir = tempDir('rw-camera-');
    camera.port = await freePort();
    camera.description = `tcpclientsrc host=127.0.0.1 port=${camera.port} do-timestamp=true ! ` +
      'application/x-rtp-stream,media=video,clock-rate=90000,encoding-name=VP8,payload=96 ! ' +
      'rtpstreamdepay ! rtpvp8depay';
    onCleanup(() => { if (camera.proc && camera.proc.exitCode === null) process.kill(camera.proc.pid, 'SIGKILL'); });
    return camera;
  }

  start() {
    // the system's plugins only: a sanitized build's plugin cannot load into this gst-launch
    const env = { ...process.env, GST_PLUGIN_PATH_1_0: '', GST_REGISTRY_1_0: path.join(this.dir, 'registry.bin') };
    this.proc = spawn(this.launch, ['-q', 'videotestsrc', 'is-live=true', `pattern=${this.pattern}`, '!',
      `video/x-raw,width=${this.width},height=${this.height},framerate=${this.fps}/1`, '!',
      'vp8enc', 'deadline=1', 'cpu-used=8', 'keyframe-max-dist=30', '!', 'rtpvp8pay', '!', 'rtpstreampay', '!',
      'tcpserversink', 'host=127.0.0.1', `port=${this.port}`, 'sync=false'], { stdio: 'ignore', env });
  }

  // Resolves once the camera accepts connections (at most `boundMs`), as the daemon's first
  // connection must find it listening.
  async listening(boundMs = 5000) {
    const until = Date.now() + boundMs;
    while (Date.now() < until && !(await canConnect(this.port))) await sleep(100);
  }

  async stop() {
    const gone = new Promise((resolve) => this.proc.once('exit', resolve));
    process.kill(this.proc.pid, 'SIGTERM');
    await withTimeout(gone, 5000, 'the test camera exiting');
  }
}

// ---- the browser (DESIGN.md §5) ----

// Headless Chromium (playwright-core). `trust`: a test certificate ({ spki }) Chromium accepts,
// through its key alone. `resolverExclude`: more hosts (beside 127.0.0.1) kept out of the rule
// that makes every name lookup fail (the netns viewer's 100.64.0.x).
async function launchChromium(chromium, executablePath, { trust = null, resolverExclude = [] } = {}) {
  const profileDir = tempDir('rw-chromium-');
  const browser = await chromium.launch({
    executablePath,
    ignoreDefaultArgs: true,
    handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false,
    timeout: 20_000,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--remote-debugging-pipe', `--user-data-dir=${profileDir}`,
      '--disable-features=WebRtcHideLocalIpsWithMdns',
      `--host-resolver-rules=MAP * ~NOTFOUND , ${['127.0.0.1', ...resolverExclude].map((h) => `EXCLUDE ${h}`).join(' , ')}`,
      '--autoplay-policy=no-user-gesture-required',
      '--mute-audio', '--disable-dev-shm-usage',
      ...(trust ? [`--ignore-certificate-errors-spki-list=${trust.spki}`] : []),
      'about:blank',
    ],
  });
  return {
    name: 'chromium',
    version: `chromium ${browser.version()}`,
    async newPage({ viewport }) {
      const context = await browser.newContext({ viewport });
      return { page: await context.newPage(), context };
    },
    close: () => browser.close(),
  };
}

// Firefox's prefs beside puppeteer's own (which already keep extensions, search, normandy,
// SNTP and the new-tab page quiet, and point remote settings at a host that DNS, disabled here,
// never resolves).
const FIREFOX_PREFS = {
  // ICE on loopback and on host addresses as they are; no DNS at all (use 127.0.0.1, never
  // localhost). No camera or microphone permission: the pages never ask (see iceAddresses).
  'media.peerconnection.ice.loopback': true,
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  'network.dns.disabled': true,
  'network.trr.mode': 5,
  // H264 through Debian's libavcodec (no OpenH264 plugin, and never a download of it).
  'media.webrtc.hw.h264.enabled': true,
  'gfx.blacklist.webrtc.hw.acceleration.h264': 1,
  'media.gmp-gmpopenh264.autoupdate': false,
  'media.gmp-manager.url': '',
  // the viewer page's <video> plays by itself, muted or not
  'media.autoplay.default': 0,
  'media.autoplay.blocking_policy': 0,
  // no update, telemetry, safe-browsing, remote settings or other background traffic
  'app.update.auto': false,
  'app.update.enabled': false,
  'app.update.staging.enabled': false,
  'app.normandy.enabled': false,
  'toolkit.telemetry.enabled': false,
  'toolkit.telemetry.unified': false,
  'toolkit.telemetry.archive.enabled': false,
  'toolkit.telemetry.server': '',
  'toolkit.telemetry.newProfilePing.enabled': false,
  'toolkit.telemetry.shutdownPingSender.enabled': false,
  'toolkit.telemetry.firstShutdownPing.enabled': false,
  'toolkit.telemetry.updatePing.enabled': false,
  'toolkit.telemetry.bhrPing.enabled': false,
  'datareporting.healthreport.uploadEnabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'browser.ping-centre.telemetry': false,
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'browser.safebrowsing.downloads.enabled': false,
  'browser.safebrowsing.downloads.remote.enabled': false,
  'browser.safebrowsing.blockedURIs.enabled': false,
  'browser.safebrowsing.provider.google4.updateURL': '',
  'browser.safebrowsing.provider.mozilla.updateURL': '',
  'services.settings.poll_interval': 86400 * 365,
  'extensions.blocklist.enabled': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'network.prefetch-next': false,
  'network.dns.disablePrefetch': true,
  'browser.region.network.url': '',
  'browser.region.update.enabled': false,
  'messaging-system.rsexperimentloader.enabled': false,
  'browser.newtabpage.activity-stream.feeds.telemetry': false,
  'browser.newtabpage.activity-stream.telemetry': false,
};

// Headless Firefox ESR (puppeteer-core over WebDriver BiDi). `trust`: a test CA ({ caFile })
// put in the profile's certificate database (certutil, libnss3-tools) as the one extra authority.
async function launchFirefox(puppeteer, executablePath, { trust = null } = {}) {
  const profileDir = tempDir('rw-firefox-');
  if (trust) {
    const certutil = (...args) => execFileSync('certutil', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      certutil('-N', '-d', `sql:${profileDir}`, '--empty-password');
      certutil('-A', '-d', `sql:${profileDir}`, '-n', 'robot-webrtc test CA', '-t', 'C,,', '-i', trust.caFile);
    } catch (e) {
      fatal(`cannot put the test CA in Firefox's profile with certutil (apt-get install libnss3-tools): ${e.stderr || e.message}`);
    }
  }
  const browser = await puppeteer.launch({
    browser: 'firefox',
    protocol: 'webDriverBiDi',
    executablePath,
    headless: true,
    userDataDir: profileDir,
    handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false,
    timeout: 30_000,
    protocolTimeout: 20_000,
    env: { ...process.env, MOZ_DISABLE_NONLOCAL_CONNECTIONS: '1', MOZ_CRASHREPORTER_DISABLE: '1' },
    extraPrefsFirefox: FIREFOX_PREFS,
  });
  const pid = browser.process()?.pid;
  onCleanup(() => { if (browser.connected && pid) process.kill(pid, 'SIGKILL'); });
  return {
    name: 'firefox',
    version: await browser.version(),
    async newPage({ viewport }) {
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      await page.setViewport(viewport);
      page.setDefaultTimeout(10_000);
      return { page: new PuppeteerPage(page), context };
    },
    close: () => browser.close(),
  };
}

// A puppeteer page with playwright's signatures, so the tests read the same for both browsers.
class PuppeteerPage {
  constructor(page) { this.p = page; }
  on(event, fn) { this.p.on(event, fn); }
  goto(url, options) { return this.p.goto(url, options); }
  title() { return this.p.title(); }
  evaluate(fn, arg) { return this.p.evaluate(fn, arg); }
  waitForFunction(fn, arg, { timeout = 10_000, polling = 100 } = {}) {
    return this.p.waitForFunction(fn, { timeout, polling }, arg);
  }
  click(selector, { timeout = 5000 } = {}) {
    return withTimeout(this.p.click(selector), timeout, `click ${selector}`);
  }
  close(options) { return this.p.close(options); }
  isClosed() { return this.p.isClosed(); }
}

// The browser of prerequisites() or browserPrerequisites(): { name, browserExe, driver }.
export async function launchBrowser({ name, browserExe, driver }, { trust = null, resolverExclude = [] } = {}) {
  try {
    const browser = name === 'firefox'
      ? await launchFirefox(driver.default, browserExe, { trust })
      : await launchChromium(driver.chromium, browserExe, { trust, resolverExclude });
    log(`${browser.version} launched`);
    return browser;
  } catch (e) {
    fatal(`cannot launch ${browserExe}: ${e.message.split('\n').slice(0, 12).join('\n')}`);
  }
}

// A page in a context of its own, with its console, failed requests and responses kept.
// close() closes its context.
export async function openPage(browser, url, { viewport = { width: 800, height: 700 } } = {}) {
  const { page, context } = await browser.newPage({ viewport });
  const consoleLines = [], responses = [];
  page.on('response', (r) => responses.push({ method: r.request().method(), path: new URL(r.url()).pathname, status: r.status() }));
  page.on('console', (m) => consoleLines.push(`${((Date.now() - t0) / 1000).toFixed(1)}s console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => consoleLines.push(`requestfailed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`));
  const opened = { page, context, consoleLines, responses, close: () => withTimeout(context.close(), 10_000, 'closing a page') };
  await page.goto(url, { timeout: 10_000 });
  return opened;
}
export function printConsole(opened) {
  if (opened) for (const l of opened.consoleLines) console.log(`    ${l}`);
}

// framesDecoded must rise over one second: the stream is live, not one frame.
export async function checkRising(page, getFrames, arg) {
  const a = await page.evaluate(getFrames, arg);
  const ta = Date.now();
  await sleep(1000);
  const b = await page.evaluate(getFrames, arg);
  const fps = (b - a) * 1000 / (Date.now() - ta);
  return { ok: b > a, a, b, fps };
}
