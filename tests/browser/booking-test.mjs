// Headless Chromium or Firefox: the daemon's viewer page when the robot ends its session for good.
//
//   RW_SERVER=build/src/robot-webrtc-server [RW_BROWSER=firefox] tests/browser/run-in-netns.sh node tests/browser/booking-test.mjs
//
// Env: RW_SERVER (daemon executable, required), RW_BROWSER (chromium, the default, or firefox),
//      RW_CHROMIUM (default /usr/bin/chromium), RW_FIREFOX (default /usr/bin/firefox-esr).
// Checks, with viewer tokens minted here as the lab's backend does (docs/backend-integration.md):
// a page whose token expires a few seconds after it connects shows "Session ended: booking over"
// (its frames stall, it tries once to reconnect, its offer gets 401 "… booking over") and stays
// there; a page whose user the backend revokes (POST /revoke) shows "Session ended: access
// revoked". Bounded to 60 s. Plain HTTP: the HTTPS paths are browser-test.mjs's.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  BROWSER_TITLE, finish, httpRequest, iceAddresses, launchBrowser, log, openPage as openPageIn, printConsole,
  prerequisites, record, sleep, startRun, startServer, stopServer, tempDir,
} from './common.mjs';

const TOTAL_MS = 60_000;
const PLAY_MS = 15_000;
// from the session's end to the message: the page's stall detection (3 s), its backoff (1 s) and
// an offer
const SHOWN_WITHIN_MS = 10_000;
const ROBOT_ID = 'robot-booking';

startRun({ title: `booking browser test (${BROWSER_TITLE})`, totalMs: TOTAL_MS });
const deps = await prerequisites();
const { serverExe } = deps;

const secret = crypto.randomBytes(32).toString('hex');
const secretFile = path.join(tempDir('rw-booking-'), 'secret');
fs.writeFileSync(secretFile, secret + '\n', { mode: 0o600 });
function mintToken(claims) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const signingInput = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  return `${signingInput}.${crypto.createHmac('sha256', secret).update(signingInput).digest('base64url')}`;
}
const now = () => Math.floor(Date.now() / 1000);

const server = await startServer(serverExe, ['--port', '0', '--bind', '127.0.0.1',
  ...iceAddresses().flatMap((a) => ['--ice-address', a]),
  '--width', '320', '--height', '240', '--auth-secret-file', secretFile, '--robot-id', ROBOT_ID]);
const browser = await launchBrowser(deps);

// Opens the viewer page with `token` and waits for its video.
async function watching(token) {
  const opened = await openPageIn(browser, `${server.url}/#token=${token}`);
  await opened.page.waitForFunction(
    () => window.rwViewer && window.rwViewer.state === 'connected' && window.rwViewer.videoWidth() > 0,
    null, { timeout: PLAY_MS, polling: 50 });
  return opened;
}

// Waits for the page to say `message` in its overlay and its error line, at most SHOWN_WITHIN_MS
// after `since` (ms since the epoch: when the session ended), and to have given up.
async function ended(opened, message, since) {
  const { page } = opened;
  try {
    await page.waitForFunction(
      (m) => document.getElementById('overlay').textContent === m && window.rwViewer.state === 'failed',
      message, { timeout: Math.max(since - Date.now(), 0) + SHOWN_WITHIN_MS, polling: 50 });
  } catch {
    const s = await page.evaluate(() => ({
      state: window.rwViewer.state, overlay: document.getElementById('overlay').textContent,
      error: document.getElementById('error').textContent,
    }));
    throw new Error(`no "${message}" ${SHOWN_WITHIN_MS / 1000} s after the session ended: state=${s.state} ` +
                    `overlay=${JSON.stringify(s.overlay)} error=${JSON.stringify(s.error)}`);
  }
  const after = Date.now() - since;
  const error = await page.evaluate(() => document.getElementById('error').textContent);
  // it stays there: no new attempt
  await sleep(2000);
  const later = await page.evaluate(() => ({ state: window.rwViewer.state, peer: window.rwViewer.peerId }));
  if (later.state !== 'failed' || later.peer) throw new Error(`then it went on: ${JSON.stringify(later)}`);
  const offers = opened.responses.filter((r) => r.method === 'POST' && r.path === '/offer').map((r) => r.status);
  return { after, error, offers };
}

async function check(name, fn) {
  let opened = null;
  try {
    opened = await fn((o) => { opened = o; });
  } catch (e) {
    record(name, false, e.message);
    printConsole(opened);
  } finally {
    await opened?.close().catch(() => {});
  }
}

await check('booking-over', async (keep) => {
  const exp = now() + 6;
  const opened = await watching(mintToken({ aud: ROBOT_ID, sub: 'student-late', iat: now(), exp }));
  keep(opened);
  const r = await ended(opened, 'Session ended: booking over', exp * 1000);
  if (r.offers.join() !== '200,401') throw new Error(`POST /offer statuses ${r.offers.join()}, expected 200,401`);
  record('booking-over', true, `"Session ended: booking over" ${(r.after / 1000).toFixed(1)} s after exp; ` +
         `offers ${r.offers.join(', ')}; error line ${JSON.stringify(r.error)}`);
  return opened;
});

await check('access-revoked', async (keep) => {
  const opened = await watching(mintToken({ aud: ROBOT_ID, sub: 'student-cancelled', iat: now(), exp: now() + 120 }));
  keep(opened);
  const admin = mintToken({ aud: ROBOT_ID, sub: 'lab-backend', iat: now(), exp: now() + 60, scope: 'robot-admin' });
  const t = Date.now();
  const res = await httpRequest(`${server.url}/revoke`, {
    method: 'POST', headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ sub: 'student-cancelled' }),
  });
  if (res.status !== 200 || res.body?.closed !== 1) throw new Error(`POST /revoke -> ${res.status} ${res.text}`);
  const r = await ended(opened, 'Session ended: access revoked', t);
  record('access-revoked', true, `POST /revoke closed 1; "Session ended: access revoked" ${(r.after / 1000).toFixed(1)} s ` +
         `later; offers ${r.offers.join(', ')}`);
  return opened;
});

const status = await httpRequest(`${server.url}/status`);
record('status-after', status.status === 200 && status.body.viewers === 0, `GET /status viewers=${status.body?.viewers}`);
log('done');
await stopServer(server, 'SIGTERM', 'no viewer');
await browser.close().catch(() => {});
finish();
