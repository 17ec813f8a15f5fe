// Headless Chromium as a viewer in netns-test.sh's topology (issue 12: cases 1, 3 and 4 with a
// browser too). Run inside the viewer's namespace:
//
//   ip netns exec NS node tests/netns/chromium-viewer.mjs --url http://100.64.0.1:8080 \
//       --duration 10 --turn turn:100.64.0.254:3478 (--turn-user U --turn-password P |
//       --turn-secret-file F) [--warmup 1]
//
// It serves its page on this namespace's loopback, where Chromium opens it. The page does what
// the lab frontend does: a recvonly video RTCPeerConnection with the TURN server (credentials
// static, or minted here from coturn's secret: TURN REST user `EXPIRY:viewer`, password
// base64(HMAC-SHA1(secret, user))), iceTransportPolicy "all", gathering complete, POST /offer
// {sdp, type}, the answer; DELETE /peers/{id} at the end. It prints one JSON line on stdout,
// as rw-test-viewer does (everything else goes to stderr):
//
//   {"viewer":"chromium","peer_id":"…","state":"connected","frames":298,"fps":30.0,
//    "fps_decoded":30.0,"frames_decoded":300,"frames_dropped":0,"width":640,"height":480,
//    "ttff_ms":412.0,"answer_ms":35.1,"max_gap_ms":48.2,"freezes":0,"frozen_ms":0,
//    "pair":{"local":"prflx/udp","remote":"relay/udp","local_address":"…","remote_address":"…"},
//    "error":null}
//
// frames are requestVideoFrameCallback's callbacks; fps counts painted frames (the callbacks'
// presentedFrames, which a busy renderer advances by more than one between two callbacks)
// from the end of the warm-up (--warmup s after the first) to the end, fps_callbacks the
// callbacks, fps_decoded the same for getStats' framesDecoded; max_gap_ms, freezes and frozen_ms are the gaps between painted frames (a
// freeze: 300 ms or more), after the first; ttff_ms runs from the POST /offer to the first
// painted frame; pair is getStats' selected candidate pair (type/protocol[/relay protocol]);
// keyframes_decoded, pli_sent and packets_lost are inbound-rtp's keyFramesDecoded, pliCount
// and packetsLost.
// Exit 0 when frames were painted. Needs tests/browser/node_modules (playwright-core) and
// /usr/bin/chromium (RW_CHROMIUM).

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { parseArgs } from 'node:util';

// stdout carries the JSON line alone: common.mjs's log lines go to stderr
console.log = (...args) => console.error(...args);

const common = await import('../browser/common.mjs');
const { log, record, finish, fatal, startRun, browserPrerequisites, launchBrowser, openPage, printConsole, sleep } = common;

const FREEZE_MS = 300;

const { values: opt } = parseArgs({
  options: {
    url: { type: 'string' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '1' },
    turn: { type: 'string' },
    'turn-user': { type: 'string' },
    'turn-password': { type: 'string' },
    'turn-secret-file': { type: 'string' },
    'turn-lifetime': { type: 'string', default: '3600' },
  },
});
if (!opt.url) {
  console.error('usage: chromium-viewer.mjs --url URL [--duration S] [--turn URI (--turn-user U --turn-password P | --turn-secret-file F)]');
  process.exit(2);
}
const duration = Number(opt.duration), warmup = Number(opt.warmup);

let printed = false;
function printLine(result) {
  if (printed) return;
  printed = true;
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
// whatever ends the run (common.mjs's watchdog, a signal, a failed launch) leaves a line
process.on('exit', () => printLine({ viewer: 'chromium', frames: 0, error: 'the run ended early (see stderr)' }));

function iceServers() {
  if (!opt.turn) return [];
  if (opt['turn-secret-file']) {
    const secret = fs.readFileSync(opt['turn-secret-file'], 'utf8').replace(/\n$/, '');
    const username = `${Math.floor(Date.now() / 1000) + Number(opt['turn-lifetime'])}:viewer`;
    const credential = crypto.createHmac('sha1', secret).update(username).digest('base64');
    return [{ urls: opt.turn, username, credential }];
  }
  return [{ urls: opt.turn, username: opt['turn-user'], credential: opt['turn-password'] }];
}

// ---- the page ----

const PAGE = `<!doctype html>
<meta charset="utf-8"><title>netns viewer</title>
<video id="v" autoplay muted playsinline width="640" height="480"></video>
<script>
window.rw = (() => {
  const st = { frames: [], counts: [], presented: 0, error: null, peerId: null, post: 0, answer: 0 };
  let pc;

  function watchFrames(video) {
    const tick = (now, meta) => {
      st.frames.push(now);
      st.counts.push(meta.presentedFrames);
      st.presented = meta.presentedFrames;
      video.requestVideoFrameCallback(tick);
    };
    video.requestVideoFrameCallback(tick);
  }

  async function start(base, config) {
    try {
      pc = new RTCPeerConnection(config);
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
    const out = { decoded: 0, dropped: 0, width: 0, height: 0, keyframes: 0, pli: 0, lost: 0, pair: null };
    if (!pc) return out;
    const report = await pc.getStats();
    let pairId = null;
    report.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') {
        out.decoded = s.framesDecoded || 0;
        out.dropped = s.framesDropped || 0;
        out.width = s.frameWidth || 0;
        out.height = s.frameHeight || 0;
        out.keyframes = s.keyFramesDecoded || 0;
        out.pli = s.pliCount || 0;
        out.lost = s.packetsLost || 0;
      } else if (s.type === 'transport' && s.selectedCandidatePairId) {
        pairId = s.selectedCandidatePairId;
      }
    });
    const pair = pairId && report.get(pairId);
    if (pair) {
      const end = (id) => {
        const c = report.get(id) || {};
        const kind = c.candidateType + '/' + c.protocol + (c.relayProtocol ? '/' + c.relayProtocol : '');
        return [kind, c.address + ':' + c.port];
      };
      const [local, localAddress] = end(pair.localCandidateId);
      const [remote, remoteAddress] = end(pair.remoteCandidateId);
      out.pair = { local, remote, local_address: localAddress, remote_address: remoteAddress,
        rtt_ms: pair.currentRoundTripTime != null ? pair.currentRoundTripTime * 1000 : null };
    }
    return out;
  }

  async function hangup(base) {
    if (!st.peerId) return;
    try { await fetch(base + '/peers/' + st.peerId, { method: 'DELETE' }); } catch (e) { /* best effort */ }
  }

  return { st, start, stats, hangup, state: () => pc ? pc.connectionState : 'new', now: () => performance.now() };
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

const round1 = (x) => Math.round(x * 10) / 10;

startRun({ title: 'netns chromium viewer', totalMs: (duration + 60) * 1000 });
const base = opt.url.replace(/\/$/, '');
const server = await servePage();
common.onCleanup(() => server.close());
const prereq = await browserPrerequisites('chromium');
// the addresses of the topology are IP literals: keep them out of the resolver's NOTFOUND rule
const hosts = [new URL(base).hostname, ...(opt.turn ? [opt.turn.replace(/^turns?:/, '').replace(/[:?].*$/, '')] : [])];
const browser = await launchBrowser(prereq, { resolverExclude: hosts });
common.onCleanup(() => { browser.close().catch(() => {}); });
let opened;
try {
  opened = await openPage(browser, `http://127.0.0.1:${server.address().port}/`);
  const { page } = opened;
  const t0 = await page.evaluate(() => window.rw.now());
  await page.evaluate(([b, config]) => { window.rw.start(b, config); }, [base, { iceServers: iceServers(), iceTransportPolicy: 'all' }]);
  // the first painted frame, or the end of the run
  const end = t0 + duration * 1000;
  let warm = null, warmDecoded = 0, warmFrames = 0;
  for (let i = 0; i < duration * 20 + 200; i++) {
    const s = await page.evaluate(() => ({ now: window.rw.now(), n: window.rw.st.frames.length, first: window.rw.st.frames[0], error: window.rw.st.error }));
    if (s.error || s.now >= end) break;
    if (warm === null && s.n > 0 && s.now - s.first >= warmup * 1000) {
      warm = { at: s.now, index: s.n };
      warmFrames = s.n;
      warmDecoded = (await page.evaluate(() => window.rw.stats())).decoded;
    }
    await sleep(50);
  }
  const r = await page.evaluate(async () => ({ st: window.rw.st, stats: await window.rw.stats(), state: window.rw.state(), now: window.rw.now() }));
  await page.evaluate((b) => window.rw.hangup(b), base);

  const frames = r.st.frames;
  let maxGap = 0, freezes = 0, frozen = 0;
  for (let i = 1; i < frames.length; i++) {
    const gap = frames[i] - frames[i - 1];
    maxGap = Math.max(maxGap, gap);
    if (gap >= FREEZE_MS) { freezes++; frozen += gap; }
  }
  const from = warm ? warm.at : frames[0];
  const seconds = frames.length ? (r.now - from) / 1000 : 0;
  // painted: presentedFrames, which counts every frame handed to the compositor; a busy
  // renderer calls back once per rendering step and can skip frames between two callbacks
  const counts = r.st.counts;
  const presentedFrom = warm ? counts[warmFrames - 1] : counts[0];
  const fps = seconds > 0 ? (counts.at(-1) - presentedFrom) / seconds : 0;
  const fpsCallbacks = seconds > 0 ? (frames.length - (warm ? warmFrames : 1)) / seconds : 0;
  const fpsDecoded = seconds > 0 && warm ? (r.stats.decoded - warmDecoded) / seconds : 0;
  const result = {
    viewer: 'chromium', peer_id: r.st.peerId, state: r.state,
    frames: frames.length, fps: round1(fps), fps_callbacks: round1(fpsCallbacks), fps_decoded: round1(fpsDecoded),
    frames_decoded: r.stats.decoded, frames_dropped: r.stats.dropped, presented_frames: r.st.presented,
    keyframes_decoded: r.stats.keyframes, pli_sent: r.stats.pli, packets_lost: r.stats.lost,
    width: r.stats.width, height: r.stats.height,
    ttff_ms: frames.length ? round1(frames[0] - r.st.post) : null,
    answer_ms: r.st.answer ? round1(r.st.answer - r.st.post) : null,
    max_gap_ms: round1(maxGap), freezes, frozen_ms: round1(frozen),
    pair: r.stats.pair, error: r.st.error || (frames.length ? null : 'no frame painted'),
  };
  printLine(result);
  record('chromium viewer', frames.length > 0, `${frames.length} frames painted, ${result.fps} fps, ${r.stats.decoded} decoded`);
  if (!frames.length) printConsole(opened);
} catch (e) {
  printConsole(opened);
  printLine({ viewer: 'chromium', frames: 0, error: e.message.split('\n')[0] });
  record('chromium viewer', false, e.message);
}
await browser.close().catch(() => {});
finish();
