// Headless Chromium as a subscriber of a Janus VideoRoom publisher, with Janus's own janus.js
// (Debian's libjs-janus-gateway) and the webrtc-adapter it needs (libjs-webrtc-adapter), as a
// lab page would. Run inside sfu-test.sh's SFU namespace:
//
//   ip netns exec NS node tests/sfu/janus-chromium.mjs --janus ws://127.0.0.1:8188 \
//       --room 4321 [--display robot-cam] [--duration 6] [--warmup 1] [--feed-wait 20]
//
// It serves its page (and the two scripts, from /usr/share/javascript) on this namespace's
// loopback, where Chromium (DESIGN.md §5's flags, through tests/browser/common.mjs) opens it.
// The page connects to Janus over WebSockets, attaches janus.plugin.videoroom, asks
// "listparticipants" until the publisher (--display) shows, joins as a subscriber of its
// feed, answers Janus's offer (receive only: janus.js's `tracks: [{type: 'data'}]`) and starts.
// It prints one JSON line on stdout (everything else goes to stderr):
//
//   {"viewer":"chromium-janus","feed":…,"frames":180,"fps":29.9,"fps_decoded":30.0,
//    "frames_decoded":182,"width":640,"height":480,"ttff_ms":210.3,"error":null}
//
// frames are painted frames (requestVideoFrameCallback); fps counts them from --warmup s after
// the first to the end, fps_decoded the same for getStats' framesDecoded; ttff_ms runs from
// the join request to the first painted frame. The page watches for --duration s after its
// first frame. Exit 0 when frames were painted. Needs tests/browser/node_modules
// (playwright-core) and /usr/bin/chromium (RW_CHROMIUM).

import fs from 'node:fs';
import http from 'node:http';
import { parseArgs } from 'node:util';

// stdout carries the JSON line alone: common.mjs's log lines go to stderr
console.log = (...args) => console.error(...args);

const common = await import('../browser/common.mjs');
const { record, finish, startRun, browserPrerequisites, launchBrowser, openPage, printConsole, sleep } = common;

const SCRIPTS = {
  '/janus.js': '/usr/share/javascript/janus-gateway/janus.js',
  '/adapter.js': '/usr/share/javascript/webrtc-adapter/adapter.js',
};

const { values: opt } = parseArgs({
  options: {
    janus: { type: 'string' },
    room: { type: 'string', default: '4321' },
    display: { type: 'string' },
    duration: { type: 'string', default: '6' },
    warmup: { type: 'string', default: '1' },
    'feed-wait': { type: 'string', default: '20' },
  },
});
if (!opt.janus) {
  console.error('usage: janus-chromium.mjs --janus ws://HOST:PORT [--room N] [--display NAME] [--duration S] [--warmup S] [--feed-wait S]');
  process.exit(2);
}
const duration = Number(opt.duration), warmup = Number(opt.warmup), feedWait = Number(opt['feed-wait']);

let printed = false;
function printLine(result) {
  if (printed) return;
  printed = true;
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
// whatever ends the run (common.mjs's watchdog, a signal, a failed launch) leaves a line
process.on('exit', () => printLine({ viewer: 'chromium-janus', frames: 0, error: 'the run ended early (see stderr)' }));

// ---- the page ----

const PAGE = `<!doctype html>
<meta charset="utf-8"><title>janus subscriber</title>
<video id="v" autoplay muted playsinline width="640" height="480"></video>
<script src="/adapter.js"></script>
<script src="/janus.js"></script>
<script>
window.rw = (() => {
  const st = { frames: [], error: null, feed: null, joinAt: 0, offerAt: 0, started: false };
  let handle = null;

  function fail(what, e) {
    if (!st.error) st.error = what + ': ' + (typeof e === 'string' ? e : JSON.stringify(e));
  }

  function watchFrames(video) {
    const tick = (now) => {
      st.frames.push(now);
      video.requestVideoFrameCallback(tick);
    };
    video.requestVideoFrameCallback(tick);
  }

  function findFeed(room, display, deadline) {
    handle.send({
      message: { request: 'listparticipants', room },
      success: (res) => {
        const p = (res.participants || []).find((x) => x.publisher && (!display || x.display === display));
        if (p) {
          st.feed = p.id;
          st.joinAt = performance.now();
          handle.send({ message: { request: 'join', ptype: 'subscriber', room, streams: [{ feed: p.id }] },
            error: (e) => fail('join', e) });
        } else if (Date.now() < deadline) {
          setTimeout(() => findFeed(room, display, deadline), 200);
        } else {
          fail('listparticipants', 'no publisher ' + (display || '') + ' in room ' + room);
        }
      },
      error: (e) => fail('listparticipants', e),
    });
  }

  function start(server, room, display, feedWaitMs) {
    const video = document.getElementById('v');
    watchFrames(video);
    Janus.init({
      debug: false,
      dependencies: Janus.useDefaultDependencies({ adapter: window.adapter }),
      callback: () => {
        const janus = new Janus({
          server,
          error: (e) => fail('janus', e),
          success: () => janus.attach({
            plugin: 'janus.plugin.videoroom',
            error: (e) => fail('attach', e),
            success: (h) => {
              handle = h;
              findFeed(room, display, Date.now() + feedWaitMs);
            },
            onmessage: (msg, jsep) => {
              if (msg.error) fail('videoroom', msg.error);
              if (!jsep) return;
              st.offerAt = performance.now();
              handle.createAnswer({
                jsep,
                // no audio or video of its own: what is offered is taken as receive only
                tracks: [{ type: 'data' }],
                success: (answer) => handle.send({ message: { request: 'start', room }, jsep: answer,
                  success: () => { st.started = true; }, error: (e) => fail('start', e) }),
                error: (e) => fail('createAnswer', e),
              });
            },
            onremotetrack: (track, mid, on) => {
              if (on && track.kind === 'video') video.srcObject = new MediaStream([track]);
            },
          }),
        });
      },
    });
  }

  async function stats() {
    const out = { decoded: 0, width: 0, height: 0 };
    const pc = handle && handle.webrtcStuff && handle.webrtcStuff.pc;
    if (!pc) return out;
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') {
        out.decoded = s.framesDecoded || 0;
        out.width = s.frameWidth || 0;
        out.height = s.frameHeight || 0;
      }
    });
    return out;
  }

  function hangup() {
    if (handle) handle.hangup();
  }

  return { st, start, stats, hangup, now: () => performance.now() };
})();
</script>`;

function servePage() {
  return new Promise((resolve, reject) => {
    const server = http.createServer((req, res) => {
      const file = SCRIPTS[req.url];
      if (file) {
        res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-store' });
        res.end(fs.readFileSync(file));
      } else {
        res.writeHead(req.url === '/' ? 200 : 404, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
        res.end(req.url === '/' ? PAGE : '');
      }
    });
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

// ---- the run ----

const round1 = (x) => Math.round(x * 10) / 10;

startRun({ title: 'janus chromium subscriber', totalMs: (duration + feedWait + 60) * 1000 });
for (const file of Object.values(SCRIPTS)) {
  if (!fs.existsSync(file)) {
    printLine({ viewer: 'chromium-janus', frames: 0, error: `${file} is missing (libjs-janus-gateway, libjs-webrtc-adapter)` });
    common.fatal(`${file} is missing`);
  }
}
const server = await servePage();
common.onCleanup(() => server.close());
const prereq = await browserPrerequisites('chromium');
const browser = await launchBrowser(prereq);
common.onCleanup(() => { browser.close().catch(() => {}); });
let opened;
try {
  opened = await openPage(browser, `http://127.0.0.1:${server.address().port}/`);
  const { page } = opened;
  await page.evaluate(([j, room, display, wait]) => { window.rw.start(j, room, display, wait); },
    [opt.janus, Number(opt.room), opt.display || null, feedWait * 1000]);
  // the first painted frame (within --feed-wait + 15 s), then --duration s more
  let first = null, warm = null, warmDecoded = 0, warmFrames = 0, s;
  const bound = (feedWait + 15 + duration + warmup) * 20;
  for (let i = 0; i < bound; i++) {
    s = await page.evaluate(() => ({ now: window.rw.now(), n: window.rw.st.frames.length, first: window.rw.st.frames[0], error: window.rw.st.error }));
    if (s.error) break;
    if (first === null && s.n > 0) first = s.first;
    if (first !== null && warm === null && s.now - first >= warmup * 1000) {
      warm = s.now;
      warmFrames = s.n;
      warmDecoded = (await page.evaluate(() => window.rw.stats())).decoded;
    }
    if (first !== null && s.now - first >= duration * 1000) break;
    await sleep(50);
  }
  const r = await page.evaluate(async () => ({ st: window.rw.st, stats: await window.rw.stats(), now: window.rw.now() }));
  await page.evaluate(() => window.rw.hangup());
  const frames = r.st.frames;
  const seconds = warm !== null ? (r.now - warm) / 1000 : 0;
  const result = {
    viewer: 'chromium-janus', feed: r.st.feed,
    frames: frames.length,
    fps: seconds > 0 ? round1((frames.length - warmFrames) / seconds) : 0,
    fps_decoded: seconds > 0 ? round1((r.stats.decoded - warmDecoded) / seconds) : 0,
    frames_decoded: r.stats.decoded, width: r.stats.width, height: r.stats.height,
    ttff_ms: frames.length && r.st.joinAt ? round1(frames[0] - r.st.joinAt) : null,
    offer_ms: r.st.offerAt && r.st.joinAt ? round1(r.st.offerAt - r.st.joinAt) : null,
    error: r.st.error || (frames.length ? null : 'no frame painted'),
  };
  printLine(result);
  record('chromium janus subscriber', frames.length > 0, `${frames.length} frames painted, ${result.fps} fps, ${r.stats.decoded} decoded`);
  if (!frames.length) printConsole(opened);
} catch (e) {
  printConsole(opened);
  printLine({ viewer: 'chromium-janus', frames: 0, error: e.message.split('\n')[0] });
  record('chromium janus subscriber', false, e.message);
}
await browser.close().catch(() => {});
finish();
