// Runs the viewer scripts of an HTML page against a minimal fake DOM (no browser needed) and
// prints, per viewer, what was drawn: lit pixels, frustum segments, and how a drag and a wheel
// turn change the picture. argv: page.html [raw-dump-prefix]
const fs = require("fs");
const vm = require("vm");
const page = fs.readFileSync(process.argv[2], "utf8");
const dump = process.argv[3];
const els = {}, winListeners = {};
function on(store, type, fn) { (store[type] = store[type] || []).push(fn); }
function fire(store, type, ev) { (store[type] || []).forEach((fn) => fn(ev)); }
for (const m of page.matchAll(/<canvas id="([^"]+)" width="(\d+)" height="(\d+)"/g)) {
  const c = {listeners: {}, width: +m[2], height: +m[3], segments: 0, image: null};
  c.addEventListener = (t, fn) => on(c.listeners, t, fn);
  c.getContext = () => ({
    createImageData: (w, h) => ({width: w, height: h, data: new Uint8ClampedArray(4 * w * h)}),
    putImageData: (img) => { c.image = img; c.segments = 0; },
    beginPath() {}, moveTo() {}, lineTo() { c.segments++; }, stroke() {},
  });
  els[m[1]] = c;
}
for (const m of page.matchAll(/<script type="application\/json" id="([^"]+)">([^<]*)<\/script>/g)) {
  els[m[1]] = {textContent: m[2]};
}
for (const m of page.matchAll(/<button type="button" id="([^"]+)"/g)) {
  const b = {listeners: {}};
  b.addEventListener = (t, fn) => on(b.listeners, t, fn);
  els[m[1]] = b;
}
const ctx = vm.createContext({
  document: {getElementById: (id) => els[id] || null},
  atob: (s) => Buffer.from(s, "base64").toString("binary"),
  requestAnimationFrame: (fn) => fn(),
  addEventListener: (t, fn) => on(winListeners, t, fn),
  Float32Array, Uint8Array, Uint8ClampedArray, Math, JSON, Infinity,
});
ctx.window = ctx;
for (const m of page.matchAll(/<script>([\s\S]*?)<\/script>/g)) vm.runInContext(m[1], ctx);
function lit(img) {
  let n = 0;
  for (let i = 0; i < img.data.length; i += 4) {
    if (img.data[i] !== 27 || img.data[i + 1] !== 27 || img.data[i + 2] !== 27) n++;
  }
  return n;
}
function changed(a, b) {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}
const out = [];
for (const [id, c] of Object.entries(els)) {
  if (!id.endsWith("-canvas")) continue;
  const first = c.image && c.image.data.slice();
  const r = {id, lit: first ? lit(c.image) : 0, segments: c.segments};
  if (dump && first) fs.writeFileSync(`${dump}${out.length}.raw`, Buffer.from(first));
  fire(c.listeners, "mousedown", {clientX: 100, clientY: 100, button: 0, shiftKey: false,
                                  preventDefault() {}});
  fire(winListeners, "mousemove", {clientX: 160, clientY: 120});
  fire(winListeners, "mouseup", {});
  r.dragChanged = changed(first, c.image.data);
  const dragged = c.image.data.slice();
  fire(c.listeners, "wheel", {deltaY: -300, preventDefault() {}});
  r.wheelChanged = changed(dragged, c.image.data);
  fire(els[id.replace(/-canvas$/, "-reset")].listeners, "click", {});
  r.resetRestores = changed(first, c.image.data) === 0;
  out.push(r);
}
console.log(JSON.stringify(out));
