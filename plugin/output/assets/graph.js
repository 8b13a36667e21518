// The page of "kubectl netpol map -o html": reads the graph, its picture
// (plugin/output/picture.go) and the workloads' rules from the page's JSON
// scripts, lays the picture out with elkjs (layered, orthogonal edges,
// labels placed by ELK) and draws it as SVG. graph-view.js computes what
// to draw, graph-draw.js draws it, graph-ui.js answers the clicks; they
// share the NP object.
var NP = (function () {
  'use strict';
  var PROTOS = ['TCP', 'UDP', 'SCTP'];
  function read(id) {
    var el = document.getElementById(id);
    return JSON.parse((el && el.textContent) || '{}');
  }
  var graph = read('graph-data'), pic = read('picture-data'), rules = read('rules-data');
  var np = {
    t0: performance.now(),
    graph: graph, nodes: graph.nodes || [], edges: graph.edges || [],
    pic: { clusters: pic.clusters || [], nodes: pic.nodes || [], edges: pic.edges || [] },
    rules: { rules: (rules && rules.rules) || [], workloads: (rules && rules.workloads) || {} }
  };

  np.cmp = function (a, b) { return a < b ? -1 : a > b ? 1 : 0; };
  // plural counts in words, as the text output does: "1 range", "2 ranges".
  np.plural = function (n, one, many) { return n + ' ' + (n === 1 ? one : many); };
  function full(rs) { return rs && rs.length === 1 && rs[0].from === 1 && rs[0].to === 65535; }
  // portsText renders ports like the text output: "TCP 80,8000-8080; UDP 53".
  np.portsText = function (ps) {
    var by = {};
    (ps || []).forEach(function (p) { if (p.ranges && p.ranges.length) by[p.protocol] = p.ranges; });
    if (!PROTOS.some(function (p) { return by[p]; })) return 'no ports';
    if (PROTOS.every(function (p) { return full(by[p]); })) return 'all ports';
    return PROTOS.filter(function (p) { return by[p]; }).map(function (p) {
      return p + ' ' + (full(by[p]) ? 'all ports' : by[p].map(function (r) {
        return r.from === r.to ? String(r.from) : r.from + '-' + r.to;
      }).join(','));
    }).join('; ');
  };
  // subtract is the port sets ps without the ports of minus.
  np.subtract = function (ps, minus) {
    var out = [];
    (ps || []).forEach(function (p) {
      var cut = [], rs = [];
      (minus || []).forEach(function (m) { if (m.protocol === p.protocol) cut = m.ranges || []; });
      (p.ranges || []).forEach(function (r) {
        var from = r.from;
        cut.forEach(function (c) {
          if (c.to < from || c.from > r.to) return;
          if (c.from > from) rs.push({ from: from, to: c.from - 1 });
          from = Math.max(from, c.to + 1);
        });
        if (from <= r.to) rs.push({ from: from, to: r.to });
      });
      if (rs.length) out.push({ protocol: p.protocol, ranges: rs });
    });
    return out;
  };
  // contains tells whether the port sets hold proto/port.
  np.contains = function (ps, want) {
    return (ps || []).some(function (p) {
      return p.protocol === want.protocol && (p.ranges || []).some(function (r) { return r.from <= want.port && want.port <= r.to; });
    });
  };
  // only is the port sets narrowed to proto/port: it, or nothing.
  np.only = function (ps, want) {
    return np.contains(ps, want) ? [{ protocol: want.protocol, ranges: [{ from: want.port, to: want.port }] }] : [];
  };
  // edgeText is an edge's ports as the text output says them: undecided
  // ports only as such, ambiguous ones named. With want, only that port.
  np.edgeText = function (e, want) {
    var narrow = function (ps) { return want && ps ? np.only(ps, want) : ps; };
    var amb = narrow(e.ambiguous), und = narrow(e.undecided);
    if (want) {
      amb = amb && amb.length ? amb : null;
      und = und && und.length ? und : null;
    }
    var text = np.portsText(und ? np.subtract(narrow(e.ports), und) : narrow(e.ports));
    if (amb || und) {
      var said = text === 'no ports' ? [] : [text];
      if (amb) said.push('AMBIGUOUS ' + np.portsText(amb));
      if (und) said.push('UNDECIDED ' + np.portsText(und));
      text = said.join('; ');
    }
    return text;
  };
  // parsePort reads a port as --port does: 5432, 53/udp.
  np.parsePort = function (s) {
    var m = /^\s*(\d+)\s*(?:\/\s*(tcp|udp|sctp))?\s*$/i.exec(s || '');
    if (!m) return null;
    var n = Number(m[1]);
    if (n < 1 || n > 65535) return null;
    return { protocol: (m[2] || 'tcp').toUpperCase(), port: n };
  };

  // Indexes of the graph: nodes by ID, the groups each node is a member
  // of, and the edges at each node.
  np.byId = new Map();
  np.groupsOf = new Map();
  np.at = new Map();
  np.nodes.forEach(function (n) {
    if (np.byId.has(n.id)) return;
    np.byId.set(n.id, n);
    (n.members || []).forEach(function (m) {
      if (!np.groupsOf.has(m)) np.groupsOf.set(m, []);
      np.groupsOf.get(m).push(n.id);
    });
  });
  function at(id) {
    if (!np.at.has(id)) np.at.set(id, { 'in': [], out: [] });
    return np.at.get(id);
  }
  np.edges.forEach(function (e, i) {
    e.text = np.edgeText(e);
    at(e.from).out.push(i);
    at(e.to)['in'].push(i);
  });
  // flows are the graph edges that hold for a node: its own and those of
  // the groups it is a member of, by direction.
  np.flows = function (id) {
    var out = { 'in': [], out: [] }, seen = { 'in': new Set(), out: new Set() };
    [id].concat(np.groupsOf.get(id) || []).forEach(function (x) {
      var a = np.at.get(x);
      if (!a) return;
      ['in', 'out'].forEach(function (d) {
        a[d].forEach(function (i) { if (!seen[d].has(i)) { seen[d].add(i); out[d].push(i); } });
      });
    });
    return out;
  };
  np.isLeaf = function (n) { return n && n.kind !== 'Group'; };
  np.label = function (n) {
    if (!n) return '';
    return n.kind === 'External' || n.kind === 'Group' ? n.id : (n.namespace ? n.namespace + '/' : '') + n.name;
  };

  // Indexes of the picture: its nodes and clusters by ID, and which of
  // them draws each graph node.
  np.pNode = new Map();
  np.pCluster = new Map();
  np.drawnBy = new Map();
  np.pic.clusters.forEach(function (c) {
    np.pCluster.set(c.id, c);
    (c.stands || []).forEach(function (s) { np.drawnBy.set(s, c.id); });
  });
  np.pic.nodes.forEach(function (n) {
    np.pNode.set(n.id, n);
    if (n.kind === 'Group') (n.stands || []).forEach(function (s) { np.drawnBy.set(s, n.id); });
    else if (n.kind !== 'Junction') np.drawnBy.set(n.id, n.id);
  });
  // Regions the picture leaves to the sets that name them are drawn by
  // the set.
  np.pic.nodes.forEach(function (n) {
    if (n.kind !== 'Group') return;
    (n.members || []).forEach(function (m) { if (!np.drawnBy.has(m)) np.drawnBy.set(m, n.id); });
  });
  np.leavesOf = new Map();
  np.pic.nodes.forEach(function (n) {
    if (!n.cluster || n.kind === 'Group' || n.kind === 'Junction') return;
    if (!np.leavesOf.has(n.cluster)) np.leavesOf.set(n.cluster, []);
    np.leavesOf.get(n.cluster).push(n.id);
  });
  return np;
})();
