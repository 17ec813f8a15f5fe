// A headless browser as a viewer in rate-test.sh's topology (issue 15: a browser behind a
// shaped link, sending its own REMB): Debian's Chromium (playwright-core), or Firefox ESR
// (puppeteer-core) with --browser firefox. Run inside a viewer's namespace:
//
//   ip netns exec NS node tests/netns/browser-rate-viewer.mjs --url http://10.3.0.1:8080 \
//       --duration 45 [--browser chromium|firefox]
//
// Like chromium-viewer.mjs (its page served on this namespace's loopback, a recvonly video
// RTCPeerConnection without ICE servers, POST /offer once gathering is complete, DELETE
// /peers/{id} at the end), but it prints, once a second, a line like rw-test-viewer
// --progress's:
//
//   {"progress":true,"viewer":"chromium","t":3.0,"frames":88,"fps":30.0,"fps_painted":29.8,
//    "width":640,"height":480,"kbps":1012.5,"delay_ms":61.2,"jitter_buffer_ms":24.1,
//    "gap_ms":45.0,"keyframes_decoded":2,"pli_sent":0,"packets_lost":0}
//
// t: seconds since this script started; frames and fps: getStats' framesDecoded (fps over the
// last second), fps_painted: painted frames (requestVideoFrameCallback); width/height:
// frameWidth/frameHeight; kbps: RTP bytes received (bytesReceived + headerBytesReceived) over
// the last second; delay_ms: capture to paint of the frames painted in the last second
// (requestVideoFrameCallback's captureTime, which Chromium estimates from the sender's RTCP
// sender reports, against the callback's time; null without it, as in Firefox); jitter_buffer_ms:
// getStats' jitterBufferDelay / jitterBufferEmittedCount over the last second; gap_ms: the
// longest time between two painted frames (or since the last) in the last second. Then one
// final line as chromium-viewer.mjs prints (fps = painted, fps_decoded). Everything else goes
// to stderr. Exit 0 when frames were painted. Needs tests/browser/node_modules and
// /usr/bin/chromium (RW_CHROMIUM) or /usr/bin/firefox-esr (RW_FIREFOX).

import http from 'node:http';
import { parseArgs } from 'node:util';

// stdout carries the JSON lines alone: common.mjs's log lines go to stderr
console.log = (...args) => console.error(...args);

const common = await import('../browser/common.mjs');
const { record, finish, startRun, browserPrerequisites, launchBrowser, openPage, printConsole, sleep } = common;

const FREEZE_MS = 300;

const { values: opt } = parseArgs({
  options: {
    url: { type: 'string' },
    duration: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '1' },
    browser: { type: 'string', default: 'chromium' },
  },
});
if (!opt.url) {
  console.error('usage: browser-rate-viewer.mjs --url URL [--duration S] [--warmup S] [--browser chromium|firefox]');
  process.exit(2);
}
const duration = Number(opt.duration), warmup = Number(opt.warmup);
const started = Date.now();

let printed = false;
function printLine(result) {
  if (printed) return;
  printed = true;
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
process.on('exit', () => printLine({ viewer: opt.browser, frames: 0, error: 'the run ended early (see stderr)' }));

// ---- the page ----

const PAGE = `<!doctype html>
<meta charset="utf-8"><title>rate viewer</title>
<video id="v" autoplay muted playsinline width="640" height="480"></video>
<script>
window.rw = (() => {
  const st = { frames: [], delays: [], error: null, peerId: null, post: 0, answer: 0 };
  let pc;

  function watchFrames(video) {
    const tick = (now, meta) => {
      st.frames.push(now);
      if (meta.captureTime) st.delays.push([now, now - meta.captureTime]);
      video.requestVideoFrameCallback(tick);
    };
    video.requestVideoFrameCallback(tick);
  }

  async function start(base) {
    try {
      pc = new RTCPeerConnection({ iceServers: [] });
      pc.addTransceiver('video', { direction: 'recvonly' });
      const video = document.getElementById('v');
      pc.ontrack = (e) => { video.srcObject = e.streams[0] || new MediaStream([e.track]); };
      watchFrames(video);
      await pc.setLocalDescription(await pc.createOffer());
      await new Promise((resolve) => {
        if (pc.iceGatheringState === 'complete') return resolve();
        const timer = setTimeout(resolve, 5000);
        pc.addEventListener('icegatheringstatechange', () => {
          if (pc.iceGatheringState === 'complete') { clearTimeout(timer); resolve(); }
        });
      });
      st.post = performance.now();
      const r = await fetch(base + '/offer', { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ sdp: pc.localDescription.sdp, type: pc.localDescription.type }) });
      const body = await r.json();
      st.answer = performance.now();
      if (!r.ok) throw new Error('POST /offer: HTTP ' + r.status + ': ' + (body.error || ''));
      st.peerId = body.peer_id;
      await pc.setRemoteDescription({ type: body.type, sdp: body.sdp });
    } catch (e) {
      st.error = String(e && e.message || e);
    }
  }

  async function stats() {
    const out = { decoded: 0, dropped: 0, width: 0, height: 0, keyframes: 0, pli: 0, lost: 0,
      bytes: 0, jbDelay: 0, jbCount: 0 };
    if (!pc) return out;
    const report = await pc.getStats();
    report.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') {
        out.decoded = s.framesDecoded || 0;
        out.dropped = s.framesDropped || 0;
        out.width = s.frameWidth || 0;
        out.height = s.frameHeight || 0;
        out.keyframes = s.keyFramesDecoded || 0;
        out.pli = s.pliCount || 0;
        out.lost = s.packetsLost || 0;
        out.bytes = (s.bytesReceived || 0) + (s.headerBytesReceived || 0);
        out.jbDelay = s.jitterBufferDelay || 0;
        out.jbCount = s.jitterBufferEmittedCount || 0;
      }
    });
    return out;
  }

  // the painted frames and delays since index i, j
  function since(i, j) {
    return { frames: st.frames.slice(i), delays: st.delays.slice(j), n: st.frames.length, m: st.delays.length };
  }

  async function hangup(base) {
    if (!st.peerId) return;
    try { await fetch(base + '/peers/' + st.peerId, { method: 'DELETE' }); } catch (e) { /* best effort */ }
  }

  return { st, start, stats, since, hangup, state: () => pc ? pc.connectionState : 'new', now: () => performance.now() };
})();
</script>`;

function servePage() {
  return new Promise((resolve, reject) => {
    const server = http.createServer((req, res) => {
      res.writeHead(req.url === '/' ? 200 : 404, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(req.url === '/' ? PAGE : '');
    });
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

// ---- the run ----

const round1 = (x) => (x == null ? null : Math.round(x * 10) / 10);

startRun({ title: `netns ${opt.browser} rate viewer`, totalMs: (duration + 60) * 1000 });
const base = opt.url.replace(/\/$/, '');
const server = await servePage();
common.onCleanup(() => server.close());
const prereq = await browserPrerequisites(opt.browser);
const browser = await launchBrowser(prereq, { resolverExclude: [new URL(base).hostname] });
common.onCleanup(() => { browser.close().catch(() => {}); });
let opened;
try {
  opened = await openPage(browser, `http://127.0.0.1:${server.address().port}/`);
  const { page } = opened;
  const t0 = await page.evaluate(() => window.rw.now());
  await page.evaluate((b) => { window.rw.start(b); }, base);
  const end = t0 + duration * 1000;
  let warm = null, warmDecoded = 0, warmFrames = 0;
  let last = { at: t0, decoded: 0, bytes: 0, jbDelay: 0, jbCount: 0, i: 0, j: 0, lastFrame: null };
  for (let k = 0; k < duration + 10; k++) {
    await sleep(Math.max(0, last.at + 1000 - (await page.evaluate(() => window.rw.now()))));
    const r = await page.evaluate(async ([i, j]) => ({ now: window.rw.now(), stats: await window.rw.stats(),
      since: window.rw.since(i, j), first: window.rw.st.frames[0], error: window.rw.st.error }), [last.i, last.j]);
    if (r.error) break;
    const dt = (r.now - last.at) / 1000;
    let gap = null, prev = last.lastFrame;
    for (const f of r.since.frames) {
      if (prev != null) gap = Math.max(gap || 0, f - prev);
      prev = f;
    }
    if (prev != null) gap = Math.max(gap || 0, r.now - prev);
    const delays = r.since.delays.map(([, d]) => d);
    const jbCount = r.stats.jbCount - last.jbCount;
    process.stdout.write(`${JSON.stringify({
      progress: true, viewer: opt.browser, t: round1((Date.now() - started) / 1000),
      frames: r.stats.decoded, fps: round1((r.stats.decoded - last.decoded) / dt),
      fps_painted: round1(r.since.frames.length / dt),
      width: r.stats.width, height: r.stats.height,
      kbps: round1((r.stats.bytes - last.bytes) * 8 / 1000 / dt),
      delay_ms: delays.length ? round1(delays.reduce((a, b) => a + b, 0) / delays.length) : null,
      jitter_buffer_ms: jbCount > 0 ? round1((r.stats.jbDelay - last.jbDelay) / jbCount * 1000) : null,
      gap_ms: round1(gap), keyframes_decoded: r.stats.keyframes, pli_sent: r.stats.pli, packets_lost: r.stats.lost,
    })}\n`);
    if (warm === null && r.since.n > 0 && r.now - r.first >= warmup * 1000) {
      warm = { at: r.now };
      warmFrames = r.since.n;
      warmDecoded = r.stats.decoded;
    }
    last = { at: r.now, decoded: r.stats.decoded, bytes: r.stats.bytes, jbDelay: r.stats.jbDelay,
      jbCount: r.stats.jbCount, i: r.since.n, j: r.since.m, lastFrame: prev };
    if (r.now >= end) break;
  }
  const r = await page.evaluate(async () => ({ st: { frames: window.rw.st.frames, peerId: window.rw.st.peerId,
    post: window.rw.st.post, answer: window.rw.st.answer, error: window.rw.st.error },
  stats: await window.rw.stats(), state: window.rw.state(), now: window.rw.now() }));
  await page.evaluate((b) => window.rw.hangup(b), base);

  const frames = r.st.frames;
  let maxGap = 0, freezes = 0, frozen = 0;
  for (let i = 1; i < frames.length; i++) {
    const gap = frames[i] - frames[i - 1];
    maxGap = Math.max(maxGap, gap);
    if (gap >= FREEZE_MS) { freezes++; frozen += gap; }
  }
  const seconds = warm ? (r.now - warm.at) / 1000 : 0;
  const result = {
    viewer: opt.browser, peer_id: r.st.peerId, state: r.state,
    frames: frames.length, fps: round1(seconds > 0 ? (frames.length - warmFrames) / seconds : 0),
    fps_decoded: round1(seconds > 0 ? (r.stats.decoded - warmDecoded) / seconds : 0),
    frames_decoded: r.stats.decoded, frames_dropped: r.stats.dropped,
    keyframes_decoded: r.stats.keyframes, pli_sent: r.stats.pli, packets_lost: r.stats.lost,
    width: r.stats.width, height: r.stats.height,
    ttff_ms: frames.length ? round1(frames[0] - r.st.post) : null,
    answer_ms: r.st.answer ? round1(r.st.answer - r.st.post) : null,
    max_gap_ms: round1(maxGap), freezes, frozen_ms: round1(frozen),
    error: r.st.error || (frames.length ? null : 'no frame painted'),
  };
  printLine(result);
  record(`${opt.browser} rate viewer`, frames.length > 0, `${frames.length} frames painted, ${result.fps} fps, ${r.stats.decoded} decoded`);
  if (!frames.length) printConsole(opened);
} catch (e) {
  printConsole(opened);
  printLine({ viewer: opt.browser, frames: 0, error: e.message.split('\n')[0] });
  record(`${opt.browser} rate viewer`, false, e.message);
}
await browser.close().catch(() => {});
finish();
