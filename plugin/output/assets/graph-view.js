// What to draw: the picture narrowed by the namespace and port filters,
// with collapsed clusters drawn as one node each. A large map starts with
// every cluster collapsed (the namespaces and what joins them); a click
// opens one.
(function (np) {
  'use strict';
  // Above these the page starts with its clusters collapsed.
  np.LARGE_NODES = 300;
  np.LARGE_EDGES = 1500;

  var drawable = np.pic.nodes.filter(function (n) { return n.kind !== 'Junction'; }).length;
  np.large = drawable > np.LARGE_NODES || np.pic.edges.length > np.LARGE_EDGES;
  np.state = { collapsed: new Set(), ns: '', port: null, selected: null };
  if (np.large) np.pic.clusters.forEach(function (c) { np.state.collapsed.add(c.id); });

  // A large map draws the addresses outside the cluster as one node too,
  // until it is opened: the regions, and the sets of them.
  var OUTSIDE = 'outside:';
  function isAddress(n) {
    if (n.kind === 'External') return true;
    return n.kind === 'Group' && !n.cluster && (n.members || []).length > 0 && n.members.every(function (m) {
      var x = np.byId.get(m);
      return x && x.kind === 'External';
    });
  }
  var addresses = np.pic.nodes.filter(isAddress);
  np.pCluster.set(OUTSIDE, { id: OUTSIDE, label: 'outside the cluster', kind: 'outside', leaves: addresses.length, open: '' });
  np.leavesOf.set(OUTSIDE, addresses.map(function (n) { return n.id; }));
  if (np.large && addresses.length > 1) np.state.collapsed.add(OUTSIDE);
  np.collapsedIn = function (n) {
    if (!n) return null;
    if (n.cluster && np.state.collapsed.has(n.cluster)) return n.cluster;
    if (np.state.collapsed.has(OUTSIDE) && isAddress(n)) return OUTSIDE;
    return null;
  };

  // inNS tells whether a graph node belongs to namespace ns: a workload
  // of it, or a group with a member in it.
  var nsCache = new Map();
  function inNS(id, ns) {
    var k = ns + '\u0000' + id;
    if (nsCache.has(k)) return nsCache.get(k);
    var n = np.byId.get(id), v = false;
    if (n && n.kind === 'Group') v = n.namespace === ns || (n.members || []).some(function (m) { return inNS(m, ns); });
    else if (n) v = n.namespace === ns;
    nsCache.set(k, v);
    return v;
  }
  // keeps tells whether the filters keep a graph edge: it may use the
  // port (as map --port keeps it), and it touches the namespace.
  np.keeps = function (i) {
    var e = np.edges[i], s = np.state;
    if (s.port && !(np.contains(e.ports, s.port) || np.contains(e.ambiguous, s.port) || np.contains(e.undecided, s.port))) return false;
    if (s.ns && !inNS(e.from, s.ns) && !inNS(e.to, s.ns)) return false;
    return true;
  };
  // endInNS tells whether a picture end is of namespace ns.
  function endInNS(id, ns) {
    if (id === 'ns:' + ns) return true;
    var n = np.pNode.get(id);
    return !!n && n.cluster === 'ns:' + ns;
  }

  // collapsedEnd tells an end drawn by a collapsed cluster.
  function collapsedEnd(id) { return np.state.collapsed.has(id) || !!np.collapsedIn(np.pNode.get(id)); }
  // resolveJunctions draws the edges through a junction one by one, with
  // the label of the edge they share, where one of its ends is collapsed:
  // joined to a collapsed cluster, they merge with its other edges.
  function resolveJunctions(edges) {
    var by = new Map();
    edges.forEach(function (e) {
      [e.from, e.to].forEach(function (id) {
        var n = np.pNode.get(id);
        if (!n || n.kind !== 'Junction') return;
        if (!by.has(id)) by.set(id, []);
        by.get(id).push(e);
      });
    });
    var gone = new Set(), out = [];
    by.forEach(function (segs, j) {
      var shared = segs.filter(function (e) { return e.label; })[0] || segs[0];
      if (!segs.some(function (e) { return collapsedEnd(e.from === j ? e.to : e.from); })) return;
      var into = shared.from === j;
      segs.forEach(function (e) {
        gone.add(e);
        if (e === shared) return;
        out.push({ from: into ? e.from : shared.from, to: into ? shared.to : e.to, graph: e.graph, label: shared.label,
          both: false, partial: shared.partial, unsure: shared.unsure });
      });
    });
    return edges.filter(function (e) { return !gone.has(e); }).concat(out);
  }

  // view is what to draw: clusters (open ones, with their nodes), nodes
  // (collapsed clusters among them, kind "Cluster") and edges, each edge
  // with the graph edges it stands for.
  np.view = function () {
    var s = np.state, filtering = !!(s.port || s.ns), edges = [], touched = new Set();
    np.pic.edges.forEach(function (pe) {
      if (pe.member) return;
      var g = (pe.graph || []).filter(np.keeps);
      if (!g.length) return;
      var label = pe.label || '';
      if (label && s.port) label = np.edgeText(np.edges[g[0]], s.port);
      edges.push({ from: pe.from, to: pe.to, graph: g, label: label, both: !!pe.both, partial: !!pe.partial && !s.port, unsure: !!pe.unsure });
      touched.add(pe.from); touched.add(pe.to);
    });
    np.pic.edges.forEach(function (pe) {
      if (!pe.member) return;
      var pillFirst = np.pNode.has(pe.from) && np.pNode.get(pe.from).kind === 'Group';
      var pill = pillFirst ? pe.from : pe.to, member = pillFirst ? pe.to : pe.from;
      if (!touched.has(pill) || (s.ns && !endInNS(member, s.ns))) return;
      edges.push({ from: pe.from, to: pe.to, graph: [], label: '', member: true, both: !!pe.both });
      touched.add(member);
    });
    edges = resolveJunctions(edges);
    touched = new Set();
    edges.forEach(function (e) { touched.add(e.from); touched.add(e.to); });
    // The nodes: every one, or with a filter those the kept edges join
    // (with the leaves of the clusters they end on) and the namespace's.
    var keep = new Set();
    np.pic.nodes.forEach(function (n) {
      var leafOfEnd = n.kind !== 'Group' && n.kind !== 'Junction' && touched.has(n.cluster);
      if (n.kind === 'Junction' ? touched.has(n.id) : !filtering || touched.has(n.id) || leafOfEnd || (s.ns && n.cluster === 'ns:' + s.ns)) keep.add(n.id);
    });
    var clusters = new Map();
    np.pic.nodes.forEach(function (n) { if (keep.has(n.id) && n.cluster) clusters.set(n.cluster, np.pCluster.get(n.cluster)); });
    touched.forEach(function (id) { if (np.pCluster.has(id)) clusters.set(id, np.pCluster.get(id)); });
    // Collapsed clusters are nodes; edges are moved to them and merged.
    var end = function (id) { return np.collapsedIn(np.pNode.get(id)) || id; };
    var out = { clusters: [], nodes: [], edges: [] }, merged = new Map();
    np.pic.clusters.forEach(function (c) {
      if (!clusters.has(c.id)) return;
      if (s.collapsed.has(c.id)) out.nodes.push({ id: c.id, kind: 'Cluster', cluster: '', c: c });
      else out.clusters.push(c);
    });
    var outside = false;
    np.pic.nodes.forEach(function (n) {
      if (!keep.has(n.id)) return;
      var c = np.collapsedIn(n);
      if (!c) out.nodes.push(n);
      else if (c === OUTSIDE) outside = true;
    });
    if (outside) out.nodes.push({ id: OUTSIDE, kind: 'Cluster', cluster: '', c: np.pCluster.get(OUTSIDE) });
    edges.forEach(function (e) {
      var from = end(e.from), to = end(e.to);
      if (from === to) return;
      var k = from + '\u0000' + to + '\u0000' + (e.member ? 'm' : 'f');
      var m = merged.get(k);
      if (!m) {
        m = { from: from, to: to, graph: [], labels: new Set(), member: !!e.member, both: e.both, partial: e.partial, unsure: e.unsure };
        merged.set(k, m);
        out.edges.push(m);
      }
      m.graph = m.graph.concat(e.graph);
      if (e.label) m.labels.add(e.label);
      m.both = m.both && e.both;
      m.partial = m.partial || e.partial;
      m.unsure = m.unsure || e.unsure;
    });
    // Between two collapsed clusters of a crowded view the ports are said
    // on hover and in the details, not as labels: ELK's labels cost
    // layout time in proportion to their number.
    var crowded = out.edges.length > 150;
    out.edges.forEach(function (m) {
      m.label = m.labels.size === 1 ? m.labels.values().next().value : m.labels.size ? np.plural(m.graph.length, 'flow', 'flows') : '';
      if (crowded && collapsedEnd(m.from) && collapsedEnd(m.to)) m.label = '';
      delete m.labels;
    });
    // A large map with no namespace open is too crowded for its edges
    // between namespaces: it shows the namespaces in a grid, and a click
    // opens one with its peers.
    if (np.large && !s.ns && !out.clusters.length && crowded) {
      out.overview = true;
      out.hiddenEdges = out.edges.length;
      out.edges = [];
    }
    return out;
  };

  // The text of the nodes is measured for their boxes: names are never
  // cut short below MAX_W.
  var ctx = document.createElement('canvas').getContext('2d');
  var FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
  np.textWidth = function (text, size, weight) {
    ctx.font = (weight || 400) + ' ' + size + 'px ' + FONT;
    return Math.ceil(ctx.measureText(text).width);
  };
  np.MAX_W = 320;
  // nodeText is a drawn node's two lines.
  np.nodeText = function (n) {
    if (n.kind === 'Cluster') {
      var c = n.c, what = c.kind === 'outside' ? np.plural(c.leaves, 'range or set', 'ranges and sets') : np.plural(c.leaves, 'workload', 'workloads');
      var open = c.kind === 'outside' ? 0 : np.openCount(c);
      return { name: c.label, sub: what + (c.open ? ' · any pod open ' + (c.open === 'both' ? 'both ways' : 'for ' + c.open) : open ? ' · ' + open + ' open' : '') };
    }
    return { name: n.name, sub: n.sub || '', note: n.note || '' };
  };
  // openCount and clusterState say how open a collapsed cluster's
  // workloads are: its colour is its most open workload's.
  np.openCount = function (c) {
    return (np.leavesOf.get(c.id) || []).filter(function (id) { var n = np.pNode.get(id); return n && /^open/.test(n.state); }).length;
  };
  np.clusterState = function (c) {
    if (c.kind === 'outside') return 'external';
    var states = (np.leavesOf.get(c.id) || []).map(function (id) { return np.pNode.get(id).state; });
    if (states.indexOf('open-both') >= 0) return 'open-both';
    if (states.some(function (x) { return /^open/.test(x); })) return 'open-ingress';
    return 'isolated';
  };
  np.nodeSize = function (n) {
    if (n.kind === 'Junction') return { w: 6, h: 6 };
    var t = np.nodeText(n);
    var w = Math.max(np.textWidth(t.name, 12.5, 600), np.textWidth(t.sub, 10.5), t.note ? np.textWidth(t.note, 10.5, 600) : 0) + 22;
    return { w: Math.min(np.MAX_W, Math.max(n.kind === 'Group' ? 120 : 96, w)), h: t.note ? 56 : 42 };
  };
  np.clusterTitle = function (c) {
    var cnt = np.plural(c.leaves, 'workload', 'workloads');
    var open = c.open ? 'any pod open ' + (c.open === 'both' ? 'both ways' : 'for ' + c.open) : '';
    return { label: c.label, cnt: cnt, open: open, note: c.note || '' };
  };

  // elkGraph is the view as an ELK graph: open clusters are compound
  // nodes with room for their title, edges may end on a cluster's border.
  np.elkGraph = function (v, direction) {
    var root = {
      id: 'root', children: [], edges: [],
      layoutOptions: {
        'elk.algorithm': 'layered',
        'elk.direction': direction || 'RIGHT',
        'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
        'elk.edgeRouting': 'ORTHOGONAL',
        'elk.json.shapeCoords': 'ROOT',
        'elk.json.edgeCoords': 'ROOT',
        'elk.layered.spacing.nodeNodeBetweenLayers': '44',
        'elk.layered.spacing.edgeNodeBetweenLayers': '16',
        'elk.layered.spacing.edgeEdgeBetweenLayers': '9',
        'elk.spacing.nodeNode': '20',
        'elk.spacing.edgeNode': '14',
        'elk.spacing.edgeEdge': '9',
        'elk.spacing.edgeLabel': '3',
        'elk.spacing.labelLabel': '4',
        'elk.spacing.componentComponent': '36',
        'elk.edgeLabels.placement': 'CENTER',
        'elk.layered.mergeEdges': 'false',
        'elk.layered.thoroughness': v.edges.length > 300 ? '1' : v.edges.length > 120 ? '3' : '10',
        'elk.padding': '[top=16,left=16,bottom=16,right=16]'
      }
    };
    var containers = new Map();
    v.clusters.forEach(function (c) {
      var t = np.clusterTitle(c), lines = 1 + (t.open || t.note ? 1 : 0);
      var tw = np.textWidth(t.label, 13, 600) + np.textWidth(t.cnt, 11) + 40;
      tw = Math.max(tw, np.textWidth(t.open + (t.open && t.note ? ' · ' : '') + t.note, 11, 600) + 28);
      var el = { id: c.id, children: [], layoutOptions: {
        'elk.padding': '[top=' + (lines === 1 ? 34 : 50) + ',left=12,bottom=12,right=12]',
        'elk.nodeSize.constraints': 'MINIMUM_SIZE',
        'elk.nodeSize.minimum': '(' + Math.min(tw, 520) + ',' + (lines === 1 ? 60 : 76) + ')'
      } };
      containers.set(c.id, el);
      root.children.push(el);
    });
    v.nodes.forEach(function (n) {
      var sz = np.nodeSize(n), el = { id: n.id, width: sz.w, height: sz.h };
      (n.cluster && containers.has(n.cluster) ? containers.get(n.cluster).children : root.children).push(el);
    });
    v.edges.forEach(function (e, i) {
      var el = { id: 'e' + i, sources: [e.from], targets: [e.to] };
      // Member lines are drawn straight, after the layout: laid out, they
      // would put every member cluster a layer before its group.
      if (e.member) el.layoutOptions = { 'elk.noLayout': 'true' };
      if (e.label) el.labels = [{ id: 'l' + i, text: e.label, width: np.textWidth(e.label, 10.5) + 8, height: 15 }];
      root.edges.push(el);
    });
    return root;
  };
})(NP);
