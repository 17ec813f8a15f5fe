// Headless Chromium or Firefox against robot-webrtc-server, the way the lab's frontend uses it.
//
//   RW_SERVER=build/src/robot-webrtc-server tests/browser/run-in-netns.sh node tests/browser/browser-test.mjs
//   RW_BROWSER=firefox RW_CODEC=h264 RW_SERVER=… tests/browser/run-in-netns.sh node tests/browser/browser-test.mjs
//
// Env: RW_SERVER (daemon executable, required), RW_BROWSER (chromium, the default, or firefox),
//      RW_CHROMIUM (default /usr/bin/chromium), RW_FIREFOX (default /usr/bin/firefox-esr),
//      RW_CODEC (vp8, the default, or h264: the daemon's --codec, or x264enc under gst-launch),
//      RW_SERVER_ARGS (extra daemon arguments, space-separated, e.g. "--verbose"),
//      RW_LAUNCH (gst-launch-1.0: test `... ! robotwebrtcsink port=N` instead of the daemon),
//      RW_SECURE=1 (HTTPS with a certificate made here by openssl, and viewer tokens: the server
//      gets a secret and a robot id, this script mints HS256 tokens as the lab's backend does),
//      RW_SHOW_SERVER_LOG=1 (print the daemon's whole output at the end, not only on failure),
//      RW_FAULTS=gst-launch-1.0 (instead of the page checks: the daemon's source is a network
//      camera run here with that gst-launch, VP8 over RTP over TCP; it goes away and comes back
//      while the viewer page watches, which must keep its session and its frames, decoding
//      the camera again within 3 s of the robot having it back: from its next keyframe).
// Checks: the seed frontend from another origin (complete offer, trickle, the seed's bare offer),
// the daemon's own viewer page at / (complete and trickle), DELETE /peers/{id}, the viewer page's
// tab closed (its pagehide hang-up drops the session within 1 s, complete and trickle), /status
// after hang-up, 403 for a foreign Origin, and exit code 0 on SIGTERM. Each page checks that the
// video it decodes is RW_CODEC's. With RW_SECURE=1 every one of
// them runs over HTTPS with a token, and a missing or expired token gets 401 with a JSON error
// that both pages show. Bounded to 90 s in all. What the browser tests share (the browsers with
// their flags and prefs, the daemon and its log, the network camera, HTTP) is in common.mjs.

import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  BROWSER, BROWSER_TITLE, NetworkCamera, checkRising, fatal, finish, freePort, httpRequest, iceAddresses,
  launchBrowser, log, ms, openPage as openPageIn, poll, printConsole, prerequisites, record, serveFrontend,
  sleep, startRun, startServer, stopServer, tempDir, withTimeout,
} from './common.mjs';

const TOTAL_MS = 90_000;
const PLAY_MS = 15_000;
const RECONNECT_MS = 20_000;
// RW_BROWSER_SIZE=1280x720 measures at another size (default 640x480).
const [WIDTH, HEIGHT] = (process.env.RW_BROWSER_SIZE || '640x480').split('x').map(Number);
const FPS = 30;
const WIDTH_TEXT = `${WIDTH}×${HEIGHT}`;
const secure = process.env.RW_SECURE === '1';
const faultsLaunch = process.env.RW_FAULTS || '';
const CODEC = (process.env.RW_CODEC || 'vp8').toLowerCase();
// what getStats says the inbound video's codec is
const MIME = { vp8: 'video/VP8', h264: 'video/H264' }[CODEC];
// A tab closed: the daemon forgets the session within this (its RTCP timeout is 5 s).
const CLOSE_MS = 1000;

startRun({ title: `browser test (${BROWSER_TITLE}, ${CODEC.toUpperCase()})`, totalMs: TOTAL_MS,
           note: secure ? ' (HTTPS, viewer tokens)' : '' });
if (!MIME) fatal(`RW_CODEC=${CODEC}: not vp8 or h264`);
const deps = await prerequisites();
const { serverExe } = deps;

// ---- RW_SECURE=1: a test CA and certificate, a shared secret, tokens as the backend mints them ----
const ROBOT_ID = 'robot-browser';
let tls = null, secret = null, secretFile = null;
if (secure) {
  const secretDir = tempDir('rw-secure-');
  const openssl = (...args) => execFileSync('openssl', args, { cwd: secretDir, stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key',
            '-out', 'ca.pem', '-days', '2', '-subj', '/CN=robot-webrtc test CA');
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'key.pem',
            '-out', 'cert.csr', '-subj', '/CN=127.0.0.1');
    fs.writeFileSync(path.join(secretDir, 'cert.ext'),
                     'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
    openssl('x509', '-req', '-in', 'cert.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
            '-out', 'cert.pem', '-days', '2', '-extfile', 'cert.ext');
  } catch (e) {
    fatal(`cannot make a test certificate with openssl (apt-get install openssl): ${e.stderr || e.message}`);
  }
  const certPem = fs.readFileSync(path.join(secretDir, 'cert.pem'));
  // Chromium trusts this one key (--ignore-certificate-errors-spki-list), Firefox this one CA
  // (put in its profile), nothing else.
  const spki = new crypto.X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  tls = {
    ca: fs.readFileSync(path.join(secretDir, 'ca.pem')), caFile: path.join(secretDir, 'ca.pem'),
    cert: path.join(secretDir, 'cert.pem'), key: path.join(secretDir, 'key.pem'),
    spki: crypto.createHash('sha256').update(spki).digest('base64'),
  };
  secret = crypto.randomBytes(32).toString('hex');
  secretFile = path.join(secretDir, 'secret');
  fs.writeFileSync(secretFile, secret + '\n', { mode: 0o600 });
}
// What the backend does after checking the booking (docs/backend-integration.md), in node's crypto.
function mintToken(claims, key = secret) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const signingInput = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  return `${signingInput}.${crypto.createHmac('sha256', key).update(signingInput).digest('base64url')}`;
}
const now = () => Math.floor(Date.now() / 1000);
const tokenFor = (sub, ttl = 120) =>
  (secure ? mintToken({ aud: ROBOT_ID, sub, iat: now(), exp: now() + ttl, max_viewers: 1 }) : null);
const bearer = (token) => (token ? { Authorization: `Bearer ${token}` } : {});

// node's own requests to the server: over HTTPS they trust the test CA only.
const request = (url, options = {}) => httpRequest(url, { ca: tls?.ca, ...options });

// ---- the lab frontend stand-in, on its own origin ----
const frontOrigin = await serveFrontend();

// ---- the daemon, or gst-launch-1.0 … ! robotwebrtcsink when RW_LAUNCH names gst-launch ----
const launchExe = process.env.RW_LAUNCH || '';
const stopSignal = launchExe ? 'SIGINT' : 'SIGTERM';
// ---- RW_FAULTS: a network camera that fails on demand ----
let camera = null, cameraConfig = null;
if (faultsLaunch) {
  if (CODEC !== 'vp8') fatal('RW_FAULTS: the network camera sends VP8; RW_CODEC must be vp8');
  camera = await NetworkCamera.create({ launch: faultsLaunch, width: WIDTH, height: HEIGHT, fps: FPS });
  cameraConfig = path.join(camera.dir, 'robot-webrtc.conf');
  fs.writeFileSync(cameraConfig, `[media]\npipeline = ${camera.description}\n`);
  camera.start();
  await camera.listening();
}

const daemonArgs = launchExe
  ? ['-e', 'videotestsrc', 'is-live=true', '!',
    `video/x-raw,width=${WIDTH},height=${HEIGHT},framerate=${FPS}/1`, '!',
    ...(CODEC === 'h264'
      ? ['x264enc', 'tune=zerolatency', 'speed-preset=ultrafast', 'threads=1', 'key-int-max=60', 'bframes=0', '!',
        'video/x-h264,profile=constrained-baseline,stream-format=byte-stream,alignment=au', '!']
      : ['vp8enc', 'deadline=1', 'cpu-used=8', 'lag-in-frames=0', '!']),
    'robotwebrtcsink', `port=${await freePort()}`, 'bind-address=127.0.0.1',
    `ice-addresses=${iceAddresses().join(',')}`, `allowed-origins=${frontOrigin}`,
    ...(secure ? [`tls-certificate=${tls.cert}`, `tls-key=${tls.key}`, `auth-secret-file=${secretFile}`,
      `robot-id=${ROBOT_ID}`] : [])]
  : ['--port', '0', '--bind', '127.0.0.1', ...iceAddresses().flatMap((a) => ['--ice-address', a]),
    '--width', String(WIDTH), '--height', String(HEIGHT), '--framerate', String(FPS),
    ...(cameraConfig ? [] : ['--codec', CODEC]),
    '--allow-origin', frontOrigin,
    ...(secure ? ['--tls-certificate', tls.cert, '--tls-key', tls.key, '--auth-secret-file', secretFile,
      '--robot-id', ROBOT_ID] : []),
    ...(cameraConfig ? ['--config', cameraConfig] : []),
    ...(process.env.RW_SERVER_ARGS || '').split(/\s+/).filter(Boolean)];
const server = await startServer(launchExe || serverExe, daemonArgs);
const daemonUrl = server.url;
if (secure && !daemonUrl.startsWith('https://')) fatal(`RW_SECURE=1 but the server listens on ${daemonUrl}`);

async function getStatus() {
  const r = await request(`${daemonUrl}/status`);
  return { status: r.status, body: r.body };
}

// ---- a foreign origin is refused ----
try {
  const r = await request(`${daemonUrl}/offer`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Origin: 'http://evil.example', ...bearer(tokenFor('evil')) },
    body: JSON.stringify({ sdp: 'v=0\r\n', type: 'offer' }),
  });
  const acao = r.headers['access-control-allow-origin'] ?? null;
  record('foreign-origin-403', r.status === 403 && typeof r.body?.error === 'string' && acao === null,
         `POST /offer with Origin: http://evil.example${secure ? ' and a valid token' : ''} -> ${r.status} ${r.text}` +
         (acao !== null ? ` (but Access-Control-Allow-Origin: ${acao})` : ''));
} catch (e) {
  record('foreign-origin-403', false, e.message);
}

// ---- the browser ----
const browser = await launchBrowser(deps, { trust: tls });

const openPage = (url) => openPageIn(browser, url);

// The inbound video's codec and payload type, from either page's getStats (as plain objects).
function inboundCodec(stats) {
  const v = stats.find((r) => r.type === 'inbound-rtp' && r.kind === 'video');
  const c = v && stats.find((r) => r.id === v.codecId);
  return c ? { mime: c.mimeType, pt: c.payloadType, fmtp: c.sdpFmtpLine || '' } : null;
}
const codecText = (c) => `${c.mime} pt ${c.pt}${c.fmtp ? ` (${c.fmtp})` : ''}`;
function checkCodec(c) {
  if (!c || c.mime.toLowerCase() !== MIME.toLowerCase()) throw new Error(`decodes ${c ? codecText(c) : 'no codec'}, expected ${MIME}`);
  return codecText(c);
}

async function frontendMode(mode) {
  const name = `frontend-${mode}`;
  let opened = null;
  try {
    const token = tokenFor(`student-${mode}`);
    opened = await openPage(`${frontOrigin}/frontend.html?mode=${mode}&server=${encodeURIComponent(daemonUrl)}` +
                            (token ? `&token=${token}` : ''));
    const { page } = opened;
    try {
      await page.waitForFunction(
        (w) => window.rwTest && (window.rwTest.error ||
          (window.rwTest.tFirstDecoded && document.getElementById('video').videoWidth === w)),
        WIDTH, { timeout: PLAY_MS, polling: 50 });
    } catch {
      const s = await page.evaluate(() => ({ ...window.rwTest, w: document.getElementById('video').videoWidth }));
      throw new Error(`no ${WIDTH}px video within ${PLAY_MS / 1000} s: state=${s.state} videoWidth=${s.w} ` +
                      `peer=${s.peerId} error=${s.error} candidateErrors=${JSON.stringify(s.candidateErrors)}`);
    }
    const r = await page.evaluate(() => window.rwTest);
    if (r.error) throw new Error(`page error: ${r.error}`);
    const rise = await checkRising(page, () => window.rwTest.framesDecoded());
    if (!rise.ok) throw new Error(`framesDecoded not rising: ${rise.a} -> ${rise.b}`);
    const codec = checkCodec(inboundCodec(await page.evaluate(() => window.rwTest.stats())));
    const extra = [];
    if (mode === 'trickle') {
      if (r.candidateErrors.length) throw new Error(`/ice-candidate errors: ${r.candidateErrors.join('; ')}`);
      extra.push(`${r.candidatesSent.length} candidates trickled (${r.candidatesSent.filter((c) => c === null).length} null)`);
    }
    const bye = await page.evaluate(() => window.rwTest.hangUp());
    if (bye.status !== 200 || bye.body?.status !== 'closed') throw new Error(`DELETE /peers/${r.peerId} -> ${bye.status} ${JSON.stringify(bye.body)}`);
    record(name, true,
           `offer->answer ${ms(r.tAnswer - r.tOffer)}, ->connected ${ms(r.tConnected - r.tOffer)}, ` +
           `->first decoded ${ms(r.tFirstDecoded - r.tOffer)}, ->first painted ${ms(r.tFirstPainted && r.tFirstPainted - r.tOffer)}, ` +
           `${rise.fps.toFixed(1)} fps decoded, ${WIDTH}px, ${codec}; DELETE 200${extra.length ? '; ' + extra.join(', ') : ''}`);
  } catch (e) {
    record(name, false, e.message);
    printConsole(opened);
  } finally {
    await opened?.close().catch(() => {});
  }
}

async function viewerPage(query, reconnect = false) {
  const name = `viewer-page${query ? '-' + query.replace(/\W+/g, '') : ''}`;
  const extra = [];
  const owner = `page-${query || 'complete'}`;
  const token = tokenFor(owner);
  let opened = null;
  try {
    // The token goes in the fragment: it never reaches a server's log.
    opened = await openPage(`${daemonUrl}/${query ? '?' + query : ''}${token ? '#token=' + token : ''}`);
    const { page } = opened;
    const title = await page.title();
    try {
      // 'failed' is final (the server refused with a 4xx): stop waiting at once.
      await page.waitForFunction(
        (w) => window.rwViewer && (window.rwViewer.state === 'failed' ||
          (window.rwViewer.state === 'connected' && window.rwViewer.videoWidth() === w)),
        WIDTH, { timeout: PLAY_MS, polling: 50 });
      if (await page.evaluate(() => window.rwViewer.state === 'failed')) throw new Error('gave up');
    } catch {
      const s = await page.evaluate(() => ({
        state: window.rwViewer?.state, w: window.rwViewer?.videoWidth(),
        error: document.getElementById('error')?.textContent,
      })).catch((e) => ({ error: e.message }));
      throw new Error(`no ${WIDTH}px video within ${PLAY_MS / 1000} s: state=${s.state} videoWidth=${s.w} shown error=${JSON.stringify(s.error)}`);
    }
    const rise = await checkRising(page, () => window.rwViewer.framesDecoded());
    if (!rise.ok) throw new Error(`framesDecoded not rising: ${rise.a} -> ${rise.b}`);
    const codec = checkCodec(inboundCodec(await page.evaluate(() => window.rwViewer.stats())));
    // The page's own counters: resolution and a decoded-fps figure (needs two 1 s samples).
    await page.waitForFunction(() => /^\d/.test(document.getElementById('fps').textContent), null, { timeout: 3000 })
      .catch(() => {});
    const ui = await page.evaluate(() => ({
      ttff: document.getElementById('ttff').textContent, res: document.getElementById('res').textContent,
      fps: document.getElementById('fps').textContent, peer: window.rwViewer.peerId,
    }));
    if (!/^\d/.test(ui.fps) || ui.res !== WIDTH_TEXT) throw new Error(`page shows resolution "${ui.res}", fps "${ui.fps}"`);
    // The browser's bandwidth estimate (REMB, offered in our answer) in /status within 5 s.
    const peerOf = (st) => (st.body.peers || []).find((x) => x.peer_id === ui.peer);
    let remb = null;
    await poll(async () => (remb = peerOf(await getStatus())?.remb) != null, { boundMs: 5000, everyMs: 250, what: 'remb' })
      .catch(() => {});
    if (remb == null || !(remb.bitrate > 0)) throw new Error(`/status shows no REMB estimate for ${ui.peer} 5 s after it played: ${JSON.stringify(remb)}`);
    extra.push(`REMB ${(remb.bitrate / 1e6).toFixed(2)} Mbit/s`);
    // Both browsers offer the playout-delay header extension: their packets ask for 0 (the default)
    const playout = peerOf(await getStatus())?.playout_delay_ms;
    if (playout !== 0) throw new Error(`/status: ${ui.peer}'s playout_delay_ms is ${JSON.stringify(playout)}, not 0`);
    extra.push('playout delay 0');
    if (reconnect) {
      // The server hangs up on the page: it must notice and connect again by itself (backoff 1 s).
      // (with a token, only the session's owner may: the same sub, in a token of its own)
      const r = await request(`${daemonUrl}/peers/${encodeURIComponent(ui.peer)}`,
                                  { method: 'DELETE', headers: bearer(tokenFor(owner)) });
      if (r.status !== 200) throw new Error(`server-side DELETE /peers/${ui.peer} -> ${r.status} ${r.text}`);
      const tCut = Date.now();
      try {
        await page.waitForFunction(
          ([old, w]) => window.rwViewer.state === 'connected' && window.rwViewer.peerId && window.rwViewer.peerId !== old &&
            window.rwViewer.videoWidth() === w,
          [ui.peer, WIDTH], { timeout: RECONNECT_MS, polling: 100 });
      } catch {
        const s = await page.evaluate(() => ({ state: window.rwViewer.state, peer: window.rwViewer.peerId }));
        throw new Error(`no reconnection within ${RECONNECT_MS / 1000} s after the server hung up (state=${s.state} peer=${s.peer})`);
      }
      const again = await checkRising(page, () => window.rwViewer.framesDecoded());
      if (!again.ok) throw new Error(`after reconnecting, framesDecoded not rising: ${again.a} -> ${again.b}`);
      extra.push(`reconnected ${((Date.now() - tCut) / 1000).toFixed(1)} s after a server-side hang-up`);
      if (process.env.RW_DEBUG) for (const l of opened.consoleLines) log(`    ${l}`);
    }
    // Disconnect button: closes the connection and hangs up; the daemon forgets the session
    // before the page goes (a hang-up still in flight when the tab closes may be lost).
    const last = await page.evaluate(() => window.rwViewer.peerId);
    const t = Date.now();
    await page.click('#toggle', { timeout: 5000 });
    await page.waitForFunction(() => window.rwViewer.state === 'idle' && window.rwViewer.peerId === null,
                               null, { timeout: 2000 });
    const listed = (st) => (st.body.peers || []).some((x) => x.peer_id === last);
    await poll(async () => !listed(await getStatus()), { boundMs: CLOSE_MS, everyMs: 20, what: 'hung up' })
      .catch(() => { throw new Error(`Disconnect: ${last} still in /status ${CLOSE_MS} ms after the click`); });
    record(name, true, `title "${title}", offer->first frame ${ui.ttff} (page), shows ${ui.res} at ${ui.fps} fps, ${codec}; ` +
                       `${rise.fps.toFixed(1)} fps decoded; Disconnect -> idle, gone from /status in ${Date.now() - t} ms` +
                       `${extra.length ? '; ' + extra.join(', ') : ''}`);
  } catch (e) {
    record(name, false, e.message);
    printConsole(opened);
  } finally {
    await opened?.close().catch(() => {});
  }
}

// The viewer page's tab is closed: its pagehide handler hangs up (DELETE with fetch's keepalive),
// so that the daemon forgets the session at once ("hung up"), not after 5 s without RTCP.
async function tabClosed(query) {
  const name = `tab-closed${query ? '-' + query.replace(/\W+/g, '') : ''}`;
  const token = tokenFor(`closer-${query || 'complete'}`);
  let opened = null;
  try {
    opened = await openPage(`${daemonUrl}/${query ? '?' + query : ''}${token ? '#token=' + token : ''}`);
    const { page } = opened;
    await page.waitForFunction(
      (w) => window.rwViewer && window.rwViewer.state === 'connected' && window.rwViewer.videoWidth() === w,
      WIDTH, { timeout: PLAY_MS, polling: 50 }).catch(() => {
      throw new Error(`no ${WIDTH}px video within ${PLAY_MS / 1000} s`);
    });
    const peer = await page.evaluate(() => window.rwViewer.peerId);
    const before = await getStatus();
    if (before.body.viewers !== 1) throw new Error(`/status: ${before.body.viewers} viewers before the tab closed, expected 1`);
    const mark = server.log.length;
    const t = Date.now();
    // beforeunload and pagehide run, as when a user closes the tab
    await withTimeout(page.close({ runBeforeUnload: true }), 5000, 'closing the tab');
    let after = null;
    try {
      await poll(async () => (after = await getStatus()).body.viewers === 0,
                 { boundMs: CLOSE_MS, everyMs: 20, what: 'the session is still in /status' });
    } catch (e) {
      throw new Error(`${e.message}: ${after?.body.viewers} viewers ${Date.now() - t} ms after the tab closed`);
    }
    const goneMs = Date.now() - t;
    // its log line comes through a pipe, maybe a little after /status changed
    const removed = () => server.log.slice(mark).find((l) => l.includes(`viewer ${peer} removed:`));
    const line = await poll(removed, { boundMs: 1000, everyMs: 20, what: 'no line' }).catch(() => null);
    if (!line || !line.includes('removed: hung up')) throw new Error(`the daemon's log says ${JSON.stringify(line ?? 'nothing')} of ${peer}`);
    record(name, true, `the tab closed: /status 1 -> 0 viewers in ${goneMs} ms; the daemon: "${line.slice(line.indexOf(`viewer ${peer}`)).trim()}"`);
  } catch (e) {
    record(name, false, e.message);
    printConsole(opened);
  } finally {
    await opened?.close().catch(() => {});
  }
}

// A refused token: 401 with a JSON error, which the page shows.
async function refused(name, url, waitFor, shown, needle) {
  let opened = null;
  try {
    opened = await openPage(url);
    const { page, responses } = opened;
    try {
      await page.waitForFunction(waitFor, null, { timeout: 10_000, polling: 50 });
    } catch {
      throw new Error('the page did not give up within 10 s');
    }
    const text = await page.evaluate(shown);
    const offer = responses.find((r) => r.method === 'POST' && r.path === '/offer');
    if (offer?.status !== 401) throw new Error(`POST /offer -> ${offer?.status}, expected 401`);
    if (!text || !text.includes(needle)) throw new Error(`the page shows ${JSON.stringify(text)}, not "${needle}"`);
    const status = await getStatus();
    if (status.body.viewers !== 0) throw new Error(`/status: ${status.body.viewers} viewers after a refusal`);
    record(name, true, `POST /offer -> 401; the page shows ${JSON.stringify(text)}`);
  } catch (e) {
    record(name, false, e.message);
    printConsole(opened);
  } finally {
    await opened?.close().catch(() => {});
  }
}

async function tokenChecks() {
  const expired = mintToken({ aud: ROBOT_ID, sub: 'late-student', iat: now() - 600, exp: now() - 300 });
  const frontend = (token) => `${frontOrigin}/frontend.html?mode=complete&server=${encodeURIComponent(daemonUrl)}` +
    (token ? `&token=${token}` : '');
  const frontendFailed = () => window.rwTest && window.rwTest.error;
  const frontendShows = () => document.getElementById('error').textContent;
  const pageFailed = () => window.rwViewer && window.rwViewer.state === 'failed';
  const pageShows = () => document.getElementById('error').textContent;
  await refused('frontend-no-token-401', frontend(null), frontendFailed, frontendShows, 'token is needed');
  await refused('frontend-expired-token-401', frontend(expired), frontendFailed, frontendShows, 'expired');
  await refused('viewer-page-no-token-401', `${daemonUrl}/`, pageFailed, pageShows, 'HTTP 401');
  await refused('viewer-page-expired-token-401', `${daemonUrl}/#token=${expired}`, pageFailed, pageShows, 'expired');
}

// The viewer page watches while the camera goes away and comes back: one session throughout,
// the slate in between, and frames all along.
async function cameraFaults() {
  const name = 'camera-lost-and-back';
  let opened = null, sampler = null;
  try {
    opened = await openPage(`${daemonUrl}/`);
    const { page } = opened;
    await page.waitForFunction(
      (w) => window.rwViewer && window.rwViewer.state === 'connected' && window.rwViewer.videoWidth() === w,
      WIDTH, { timeout: PLAY_MS, polling: 50 });
    const peer = await page.evaluate(() => window.rwViewer.peerId);
    // the longest time framesDecoded stood still, sampled every 50 ms
    let last = -1, lastAt = Date.now(), longest = 0;
    sampler = setInterval(async () => {
      const n = await page.evaluate(() => window.rwViewer.framesDecoded()).catch(() => last);
      const now = Date.now();
      if (n !== last) { longest = Math.max(longest, now - lastAt); last = n; lastAt = now; }
    }, 50);
    const waitState = async (want, boundMs) => {
      const t = Date.now();
      while (Date.now() - t < boundMs) {
        const st = await getStatus();
        if (st.body?.source?.state === want) return Date.now() - t;
        await sleep(25);
      }
      throw new Error(`/status source.state is not "${want}" ${boundMs} ms later`);
    };
    const stillWatching = async (when) => {
      const rise = await checkRising(page, () => window.rwViewer.framesDecoded());
      const s = await page.evaluate(() => ({ state: window.rwViewer.state, peer: window.rwViewer.peerId }));
      if (!rise.ok || s.state !== 'connected' || s.peer !== peer)
        throw new Error(`${when}: state ${s.state}, peer ${s.peer} (was ${peer}), frames ${rise.a} -> ${rise.b}`);
      return rise.fps;
    };
    await camera.stop();
    const lostMs = await waitState('lost', 3000);
    const slateFps = await stillWatching('on the slate');
    camera.start();
    const backMs = await waitState('ok', 15_000);
    // a camera that sends VP8 is passed through: the viewers decode it again from its next
    // keyframe (every 30 frames here), up to a second after the robot has it back
    const atBack = await page.evaluate(() => window.rwViewer.framesDecoded());
    const t2 = Date.now();
    await poll(async () => (await page.evaluate(() => window.rwViewer.framesDecoded())) > atBack,
               { boundMs: 3000, everyMs: 25, what: 'no frame decoded after the camera came back' });
    const keyMs = Date.now() - t2;
    const backFps = await stillWatching('camera back');
    clearInterval(sampler);
    sampler = null;
    if (longest > 1500) throw new Error(`the page decoded no frame for ${longest} ms`);
    record(name, true, `slate ${lostMs} ms after the camera went away, ${slateFps.toFixed(1)} fps on it; camera ` +
                       `back ${backMs} ms after it returned, decoded again ${keyMs} ms later, ${backFps.toFixed(1)} fps; ` +
                       'one session throughout; ' +
                       `longest stand-still ${longest} ms`);
    await page.click('#toggle', { timeout: 5000 });
  } catch (e) {
    record(name, false, e.message);
    printConsole(opened);
  } finally {
    if (sampler) clearInterval(sampler);
    await opened?.close().catch(() => {});
  }
}

if (faultsLaunch) {
  await cameraFaults();
} else {
  for (const mode of ['complete', 'trickle', 'seed']) await frontendMode(mode);
  await viewerPage('', true);
  await viewerPage('trickle=1');
  await tabClosed('');
  await tabClosed('trickle=1');
  if (secure) await tokenChecks();
}

// ---- every session hung up: the server forgets them ----
try {
  let s = null;
  const until = Date.now() + 5000;
  do {
    s = await getStatus();
    if (s.status === 200 && s.body.viewers === 0 && (s.body.branches ?? 0) === 0) break;
    await sleep(200);
  } while (Date.now() < until);
  record('status-after-hangup', s.status === 200 && s.body.status === 'ok' && s.body.viewers === 0 && (s.body.branches ?? 0) === 0,
         `GET /status -> ${s.status} status=${s.body.status} viewers=${s.body.viewers} branches=${s.body.branches}`);
} catch (e) {
  record('status-after-hangup', false, e.message);
}

// ---- shut down, with one viewer still watching ----
let live = null, liveNote = 'no viewer connected';
try {
  const token = tokenFor('last-student');
  live = await openPage(`${frontOrigin}/frontend.html?mode=complete&server=${encodeURIComponent(daemonUrl)}` +
                        (token ? `&token=${token}` : ''));
  await live.page.waitForFunction(() => window.rwTest && window.rwTest.tFirstDecoded, null, { timeout: PLAY_MS, polling: 50 });
  liveNote = '1 viewer connected';
} catch (e) {
  log(`(could not connect a viewer before ${stopSignal}: ${e.message.split('\n')[0]})`);
}
await stopServer(server, stopSignal, liveNote);
await withTimeout(browser.close(), 10_000, `closing ${BROWSER}`).catch((e) => log(e.message));
finish();
