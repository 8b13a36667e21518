// Drawing: the view laid out by ELK, as SVG. Every box a test checks for
// overlaps carries data-box="x y width height" in the SVG's units: node
// boxes, edge labels and cluster titles.
(function (np) {
  'use strict';
  var SVGNS = 'http://www.w3.org/2000/svg', M = 8;
  var canvas = document.getElementById('canvas');
  var elk = new ELK();

  function el(tag, attrs, parent, text) {
    var e = document.createElementNS(SVGNS, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function r1(v) { return Math.round(v * 10) / 10; }
  function box(x, y, w, h) { return [r1(x), r1(y), r1(w), r1(h)].join(' '); }
  // fit cuts text to a width, with an ellipsis.
  function fit(text, size, weight, w) {
    if (np.textWidth(text, size, weight) <= w) return text;
    var lo = 0, hi = text.length;
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1;
      if (np.textWidth(text.slice(0, mid) + '…', size, weight) <= w) lo = mid; else hi = mid - 1;
    }
    return text.slice(0, lo) + '…';
  }

  np.drawn = { nodes: new Map(), edges: [], clusters: new Map() };
  np.svg = null;
  np.size = { w: 0, h: 0 };
  var seq = 0;

  // render lays the view out and draws it; it resolves when drawn.
  np.render = function () {
    var v = np.view(), mine = ++seq, t = performance.now();
    var status = document.getElementById('status');
    if (status) status.textContent = 'Laying out ' + np.plural(v.nodes.length, 'node', 'nodes') + '…';
    var laidOut = v.overview ? Promise.resolve(grid(v)) : layout(v);
    return laidOut.then(function (res) {
      if (mine !== seq) return;
      np.layoutMs = Math.round(performance.now() - t);
      draw(v, res);
    });
  };

  // straight is a line between the borders of two boxes, on the line
  // between their centres.
  function straight(a, b) {
    if (!a || !b) return null;
    var ca = { x: a.x + a.width / 2, y: a.y + a.height / 2 }, cb = { x: b.x + b.width / 2, y: b.y + b.height / 2 };
    var clip = function (p, q, r) {
      var dx = q.x - p.x, dy = q.y - p.y, t = 1;
      if (dx) t = Math.min(t, (r.width / 2) / Math.abs(dx));
      if (dy) t = Math.min(t, (r.height / 2) / Math.abs(dy));
      return { x: p.x + dx * t, y: p.y + dy * t };
    };
    return [clip(ca, cb, a), clip(cb, ca, b)];
  }

  // scaleFor is the zoom at which a layout fits the canvas.
  function scaleFor(res) {
    return Math.min((canvas.clientWidth - 4) / (res.width + 2 * M), (canvas.clientHeight - 4) / (res.height + 2 * M));
  }
  // layout lays the view out left to right, clients before servers; a
  // small map that would fit the window only shrunk much is laid out top
  // to bottom too, and drawn the way that reads larger.
  function layout(v) {
    return elk.layout(np.elkGraph(v, 'RIGHT')).then(function (right) {
      if (v.nodes.length > 80 || scaleFor(right) >= 0.8) return right;
      return elk.layout(np.elkGraph(v, 'DOWN')).then(function (down) {
        return scaleFor(down) > scaleFor(right) * 1.15 ? down : right;
      });
    });
  }

  // grid places the nodes of an overview in rows, namespaces by name,
  // then the rest, as ELK's result would.
  function grid(v) {
    var order = v.nodes.slice().sort(function (a, b) {
      var ka = (a.kind === 'Cluster' && a.c.kind === 'namespace' ? '0' : '1') + np.nodeText(a).name;
      var kb = (b.kind === 'Cluster' && b.c.kind === 'namespace' ? '0' : '1') + np.nodeText(b).name;
      return np.cmp(ka, kb);
    });
    var sizes = order.map(np.nodeSize), w = Math.max.apply(null, sizes.map(function (z) { return z.w; }).concat([100]));
    var gap = 20, cols = Math.max(1, Math.min(order.length, Math.floor((canvas.clientWidth - 36) / (w + gap)))), res = { width: 0, height: 0, children: [], edges: [] };
    order.forEach(function (n, i) {
      var x = 16 + (i % cols) * (w + gap), y = 16 + Math.floor(i / cols) * (56 + gap);
      res.children.push({ id: n.id, x: x, y: y, width: sizes[i].w, height: sizes[i].h });
      res.width = Math.max(res.width, x + w + 16);
      res.height = Math.max(res.height, y + 56 + 16);
    });
    return res;
  }

  function draw(v, res) {
    var old = np.svg;
    var svg = el('svg', { id: 'graph', viewBox: (-M) + ' ' + (-M) + ' ' + r1(res.width + 2 * M) + ' ' + r1(res.height + 2 * M) });
    np.size = { w: res.width + 2 * M, h: res.height + 2 * M };
    var defs = el('defs', {}, svg);
    [['arrow', '#8b95a5'], ['arrow-in', '#2563eb'], ['arrow-out', '#059669'], ['arrow-both', '#7c3aed'], ['arrow-unsure', '#d97706']].forEach(function (m) {
      var mk = el('marker', { id: m[0], viewBox: '0 0 10 10', refX: 9.5, refY: 5, markerWidth: 8, markerHeight: 8,
        markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse' }, defs);
      el('path', { d: 'M0,0 L10,5 L0,10 z', fill: m[1] }, mk);
    });
    var gClusters = el('g', {}, svg), gEdges = el('g', {}, svg), gNodes = el('g', {}, svg), gLabels = el('g', {}, svg);
    var pos = new Map();
    (function walk(n) {
      (n.children || []).forEach(function (c) { pos.set(c.id, c); walk(c); });
    })(res);
    np.drawn = { nodes: new Map(), edges: [], clusters: new Map() };
    v.clusters.forEach(function (c) {
      var p = pos.get(c.id);
      if (!p) return;
      var t = np.clusterTitle(c), openCls = c.open === 'both' ? ' open-both' : c.open ? ' open-one' : '';
      var g = el('g', { 'class': 'cluster ' + c.kind + openCls, 'data-id': c.id }, gClusters);
      el('title', {}, g, c.label + (t.open ? ': ' + t.open : ''));
      el('rect', { x: r1(p.x), y: r1(p.y), width: r1(p.width), height: r1(p.height), rx: 8 }, g);
      var tw = np.textWidth(t.label, 13, 600) + 8 + np.textWidth(t.cnt, 11);
      var title = el('text', { 'class': 'ctitle', x: r1(p.x + 12), y: r1(p.y + 21), 'data-box': box(p.x + 12, p.y + 8, tw, 17) }, g, t.label);
      el('tspan', { 'class': 'cnt', dx: 8 }, title, t.cnt);
      var second = t.open + (t.open && t.note ? ' · ' : '') + t.note;
      if (second) {
        var line = el('text', { 'class': 'ctitle copen', x: r1(p.x + 12), y: r1(p.y + 38),
          'data-box': box(p.x + 12, p.y + 27, Math.min(np.textWidth(second, 11, 600), p.width - 24), 14) }, g, fit(second, 11, 600, p.width - 24));
        if (!t.open) line.setAttribute('class', 'ctitle cnote');
      }
      title.addEventListener('click', function (ev) { ev.stopPropagation(); np.selectCluster(c.id); });
      np.drawn.clusters.set(c.id, g);
    });
    v.nodes.forEach(function (n) {
      var p = pos.get(n.id);
      if (!p) return;
      if (n.kind === 'Junction') {
        var j = el('circle', { 'class': 'junction', 'data-id': n.id, cx: r1(p.x + p.width / 2), cy: r1(p.y + p.height / 2), r: 3 }, gNodes);
        np.drawn.nodes.set(n.id, j);
        return;
      }
      var t = np.nodeText(n), cls = n.kind === 'Cluster' ? 'node collapsed ' + np.clusterState(n.c) : 'node ' + n.state + (n.clusterDeny ? ' cdeny' : '');
      var g = el('g', { 'class': cls, 'data-id': n.id, transform: 'translate(' + r1(p.x) + ',' + r1(p.y) + ')', 'data-box': box(p.x, p.y, p.width, p.height) }, gNodes);
      el('title', {}, g, n.kind === 'Cluster' ? n.c.label + ': click to show its workloads' : n.id);
      el('rect', { width: r1(p.width), height: r1(p.height), rx: n.kind === 'Group' || n.kind === 'Cluster' ? 16 : 6 }, g);
      el('text', { 'class': 'nm', x: 11, y: 17 }, g, fit(t.name, 12.5, 600, p.width - 20));
      el('text', { 'class': 'sub', x: 11, y: 33 }, g, fit(t.sub, 10.5, 400, p.width - 20));
      if (t.note) el('text', { 'class': 'note', x: 11, y: 48 }, g, fit(t.note, 10.5, 600, p.width - 20));
      g.addEventListener('click', function (ev) {
        ev.stopPropagation();
        if (n.kind === 'Cluster') np.openCluster(n.id);
        else np.select(n.kind === 'Group' ? (n.stands || [n.id])[0] : n.id, true);
      });
      np.drawn.nodes.set(n.id, g);
    });
    (res.edges || []).forEach(function (re) {
      var i = Number(re.id.slice(1)), e = v.edges[i], sec = re.sections && re.sections[0];
      var pts = sec ? [sec.startPoint].concat(sec.bendPoints || [], [sec.endPoint]) : e.member ? straight(pos.get(e.from), pos.get(e.to)) : null;
      if (!pts) return;
      var d = 'M' + pts.map(function (q) { return r1(q.x) + ',' + r1(q.y); }).join(' L');
      var cls = 'edge' + (e.member ? ' member' : '') + (e.partial ? ' partial' : '') + (e.unsure ? ' unsure' : '');
      var path = el('path', { 'class': cls, d: d, 'data-from': e.from, 'data-to': e.to, 'data-graph': e.graph.join(' ') }, gEdges);
      var toJunction = np.pNode.has(e.to) && np.pNode.get(e.to).kind === 'Junction';
      var drawnEdge = { e: e, path: path, label: null, arrow: !e.member && !toJunction, start: e.both && !e.member };
      if (e.graph.length) {
        el('title', {}, path, e.graph.slice(0, 8).map(function (gi) {
          var ge = np.edges[gi];
          return ge.from + ' → ' + ge.to + ': ' + (np.state.port ? np.edgeText(ge, np.state.port) : ge.text);
        }).join('\n') + (e.graph.length > 8 ? '\n… and ' + (e.graph.length - 8) + ' more' : ''));
      }
      (re.labels || []).forEach(function (l) {
        var lg = el('g', { 'class': 'elabel', 'data-box': box(l.x, l.y, l.width, l.height) }, gLabels);
        el('rect', { x: r1(l.x), y: r1(l.y), width: r1(l.width), height: r1(l.height), rx: 3 }, lg);
        el('text', { x: r1(l.x + l.width / 2), y: r1(l.y + l.height / 2) }, lg, l.text);
        drawnEdge.label = lg;
      });
      np.drawn.edges.push(drawnEdge);
    });
    svg.addEventListener('click', function () { np.select(null, true); });
    var status = document.getElementById('status');
    if (status) status.remove();
    if (old) old.replaceWith(svg); else canvas.appendChild(svg);
    np.svg = svg;
    if (!v.nodes.length && !v.clusters.length) {
      var empty = document.getElementById('empty') || document.createElement('div');
      empty.id = 'empty';
      empty.textContent = np.nodes.length ? 'Nothing matches the filters.' : 'No workloads to show.';
      canvas.appendChild(empty);
    } else {
      var gone = document.getElementById('empty');
      if (gone) gone.remove();
    }
    np.zoom(np.fitScale());
    np.highlight();
  }

  var scale = 1, zl = document.getElementById('zoom-level');
  np.zoom = function (s) {
    scale = Math.max(0.05, Math.min(3, s));
    if (!np.svg) return;
    np.svg.setAttribute('width', Math.round(np.size.w * scale));
    np.svg.setAttribute('height', Math.round(np.size.h * scale));
    zl.textContent = Math.round(scale * 100) + '%';
  };
  // fitScale shows the whole map, never larger than its natural size.
  np.fitScale = function () {
    if (!np.size.w) return 1;
    return Math.min(1, (canvas.clientWidth - 4) / np.size.w, (canvas.clientHeight - 4) / np.size.h);
  };
  document.getElementById('zoom-in').addEventListener('click', function () { np.zoom(scale * 1.25); });
  document.getElementById('zoom-out').addEventListener('click', function () { np.zoom(scale / 1.25); });
  document.getElementById('zoom-fit').addEventListener('click', function () { np.zoom(np.fitScale()); });
  canvas.addEventListener('wheel', function (ev) {
    if (!ev.ctrlKey) return;
    ev.preventDefault();
    np.zoom(scale * (ev.deltaY < 0 ? 1.1 : 1 / 1.1));
  }, { passive: false });
})(NP);
