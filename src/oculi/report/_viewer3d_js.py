"""The viewer's script (plain ES5, no library): ``oculiView3d(id)`` draws the figure ``id``.

It reads ``<id>-data`` (JSON: base64 ``points`` Float32 xyz, ``colors`` Uint8 rgb, ``frusta``
Float32 (C*5) xyz, ``radius``, ``size``) and draws into ``<id>-canvas``: a perspective view
(40 degree vertical field of view) orbiting the origin (the scene's centre, subtracted in
Python); points are ``size`` x ``size`` squares in a z-buffered ImageData, frusta red lines.
The view starts looking along +z with +y down (as a camera at the identity pose sees the world),
tilted 20 degrees to look down on the scene.
"""

SCRIPT = r"""
window.oculiView3d = window.oculiView3d || function (uid) {
  function el(s) { return document.getElementById(uid + s); }
  function decode(s, T) {
    var b = atob(s), u = new Uint8Array(b.length);
    for (var i = 0; i < b.length; i++) u[i] = b.charCodeAt(i);
    return new T(u.buffer);
  }
  var cv = el("-canvas"), ctx = cv.getContext("2d");
  var d = JSON.parse(el("-data").textContent);
  var P = decode(d.points, Float32Array), C = decode(d.colors, Uint8Array);
  var F = decode(d.frusta, Float32Array), n = P.length / 3, R = d.radius || 1;
  var EDGES = [0, 1, 0, 2, 0, 3, 0, 4, 1, 2, 2, 3, 3, 4, 4, 1];
  var home = {yaw: 0, pitch: 0.35, dist: 3 * R, px: 0, py: 0, size: d.size || 2};
  var s = {}, queued = false, drag = null, q = [0, 0, 0];

  function draw() {
    var w = cv.width, h = cv.height, img = ctx.createImageData(w, h), px = img.data;
    var zb = new Float32Array(w * h), i, j, u, v;
    for (i = 0; i < w * h; i++) {
      px[4 * i] = 27; px[4 * i + 1] = 27; px[4 * i + 2] = 27; px[4 * i + 3] = 255;
      zb[i] = Infinity;
    }
    var cy = Math.cos(s.yaw), sy = Math.sin(s.yaw), cp = Math.cos(s.pitch), sp = Math.sin(s.pitch);
    var f = 0.5 * h / Math.tan(0.35), ox = w / 2 + s.px, oy = h / 2 + s.py, near = 1e-3 * R;
    function proj(x, y, z) {  // world -> q = [column, row, depth]; false behind the viewer
      var X = cy * x - sy * z, Z = sy * x + cy * z, Y = cp * y - sp * Z;
      Z = sp * y + cp * Z + s.dist;
      q[0] = ox + f * X / Z; q[1] = oy + f * Y / Z; q[2] = Z;
      return Z > near;
    }
    var sz = s.size, half = sz >> 1;
    for (j = 0; j < n; j++) {
      if (!proj(P[3 * j], P[3 * j + 1], P[3 * j + 2])) continue;
      var u0 = Math.round(q[0]) - half, v0 = Math.round(q[1]) - half, z = q[2];
      var u1 = Math.min(u0 + sz, w), v1 = Math.min(v0 + sz, h);
      for (v = Math.max(v0, 0); v < v1; v++) {
        for (u = Math.max(u0, 0); u < u1; u++) {
          var k = v * w + u;
          if (z < zb[k]) {
            zb[k] = z;
            px[4 * k] = C[3 * j]; px[4 * k + 1] = C[3 * j + 1]; px[4 * k + 2] = C[3 * j + 2];
          }
        }
      }
    }
    ctx.putImageData(img, 0, 0);
    ctx.strokeStyle = "#ff5050"; ctx.lineWidth = 1; ctx.beginPath();
    for (j = 0; j < F.length / 15; j++) {
      var a = [];
      for (i = 0; i < 5; i++) {
        var o = 15 * j + 3 * i;
        if (!proj(F[o], F[o + 1], F[o + 2])) break;
        a.push(q[0], q[1]);
      }
      if (a.length < 10) continue;  // a corner behind the viewer: skip this camera
      for (i = 0; i < EDGES.length; i += 2) {
        ctx.moveTo(a[2 * EDGES[i]], a[2 * EDGES[i] + 1]);
        ctx.lineTo(a[2 * EDGES[i + 1]], a[2 * EDGES[i + 1] + 1]);
      }
    }
    ctx.stroke();
  }
  function redraw() {
    if (queued) return;
    queued = true;
    (window.requestAnimationFrame || setTimeout)(function () { queued = false; draw(); });
  }
  function reset() {
    for (var key in home) s[key] = home[key];
    redraw();
  }
  cv.addEventListener("mousedown", function (e) {
    drag = {x: e.clientX, y: e.clientY, pan: e.button !== 0 || e.shiftKey};
    e.preventDefault();
  });
  window.addEventListener("mouseup", function () { drag = null; });
  window.addEventListener("mousemove", function (e) {
    if (!drag) return;
    var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    drag.x = e.clientX; drag.y = e.clientY;
    if (drag.pan) { s.px += dx; s.py += dy; } else {
      s.yaw -= 0.01 * dx;
      s.pitch = Math.max(-1.55, Math.min(1.55, s.pitch - 0.01 * dy));
    }
    redraw();
  });
  cv.addEventListener("wheel", function (e) {
    e.preventDefault();
    s.dist = Math.max(1e-2 * R, s.dist * Math.exp(0.001 * e.deltaY));
    redraw();
  }, {passive: false});
  cv.addEventListener("contextmenu", function (e) { e.preventDefault(); });
  el("-reset").addEventListener("click", reset);
  function resize(step) { s.size = Math.max(1, Math.min(9, s.size + step)); redraw(); }
  el("-bigger").addEventListener("click", function () { resize(1); });
  el("-smaller").addEventListener("click", function () { resize(-1); });
  reset();
};
"""
