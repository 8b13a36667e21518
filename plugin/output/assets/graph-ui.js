// The page's answers: select a workload (a click, the search box, or the
// URL's #select=ID) to see who reaches it and whom it reaches, on which
// ports, and the rules that decide each half of each flow; filter by
// namespace and port; open a collapsed namespace.
(function (np) {
  'use strict';
  var details = document.getElementById('details'), nsSelect = document.getElementById('ns');

  function h(tag, cls, text, parent) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function link(id, parent, text) {
    h('a', '', text || np.label(np.byId.get(id)) || id, parent).addEventListener('click', function () { np.select(id, true, true); });
  }

  // drawnOf is the drawn element standing for a graph node: its own, its
  // group's pill or cluster, or the collapsed cluster holding it.
  function drawnOf(id) {
    var p = np.drawnBy.get(id);
    if (!p) return null;
    var c = np.collapsedIn(np.pNode.get(p));
    if (c) return np.drawn.nodes.get(c) || null;
    return np.drawn.nodes.get(p) || np.drawn.clusters.get(p) || null;
  }
  // hiddenIn is the collapsed cluster that hides a graph node, if any.
  function hiddenIn(id) {
    return np.collapsedIn(np.pNode.get(np.drawnBy.get(id)));
  }

  np.highlight = function () {
    var id = np.state.selected, f = id ? np.flows(id) : null;
    var ins = new Set(f ? f['in'] : []), outs = new Set(f ? f.out : []);
    var pills = new Set((id ? np.groupsOf.get(id) || [] : []).map(function (g) { return np.drawnBy.get(g); }));
    var own = id ? np.drawnBy.get(id) : null, ownCluster = own && np.pNode.get(own) ? np.pNode.get(own).cluster : null;
    var sn = id && np.byId.get(id), selfPill = sn && sn.kind === 'Group' ? np.drawnBy.get(id) : null;
    var nb = new Set();
    np.drawn.edges.forEach(function (d) {
      var e = d.e, dir = '';
      if (f && e.member && selfPill) {
        if (e.from === selfPill || e.to === selfPill) dir = e.to === selfPill ? 'in' : 'out';
      } else if (f && e.member) {
        var pillEnd = pills.has(e.to) ? e.to : pills.has(e.from) ? e.from : null, other = pillEnd === e.to ? e.from : e.to;
        if (pillEnd && (other === own || other === ownCluster || hiddenIn(id) === other)) dir = pillEnd === e.to ? 'out' : 'in';
      } else if (f) {
        var i = e.graph.some(function (g) { return ins.has(g); }), o = e.graph.some(function (g) { return outs.has(g); });
        dir = i && o ? 'both' : i ? 'in' : o ? 'out' : '';
      }
      ['in', 'out', 'both'].forEach(function (c) {
        d.path.classList.toggle(c, dir === c);
        if (d.label) d.label.classList.toggle(c, dir === c);
      });
      var mk = 'url(#arrow' + (dir ? '-' + dir : e.unsure ? '-unsure' : '') + ')';
      if (d.arrow) d.path.setAttribute('marker-end', mk);
      if (d.start) d.path.setAttribute('marker-start', mk);
      if (dir) {
        nb.add(e.from); nb.add(e.to);
        d.path.parentNode.appendChild(d.path);
      }
    });
    var sel = id ? drawnOf(id) : null;
    np.drawn.nodes.forEach(function (g, nid) {
      var pn = np.pNode.get(nid), hub = f && pn && (pn.hub || []).some(function (x) { return ins.has(x) || outs.has(x); });
      g.classList.toggle('sel', g === sel);
      g.classList.toggle('nb', nb.has(nid) || !!hub);
    });
    np.drawn.clusters.forEach(function (g) { g.classList.toggle('sel', g === sel); });
    if (np.svg) np.svg.classList.toggle('has-sel', !!id);
    applyFilter();
  };

  // ruleMatches tells whether a NetworkPolicy rule's peers match the
  // other end: a workload its selectors match, a group with such a
  // member, an address range for an address peer. Peers whose workloads
  // the engine did not list (all namespaces) may match any workload.
  var CIDR = /^[0-9a-f:.]+\/\d+/i;
  function ruleMatches(r, peer) {
    if (r.matchesNothing) return false;
    if (!r.peers || !r.peers.length) return true;
    var pn = np.byId.get(peer), ends = pn && pn.kind === 'Group' ? pn.members || [] : [peer];
    return r.peers.some(function (p) {
      if (p.matchesNothing) return false;
      return ends.some(function (x) {
        var xn = np.byId.get(x), ext = xn && xn.kind === 'External';
        if (p.workloads) return !ext && p.workloads.indexOf(x) >= 0;
        return ext === CIDR.test(p.description);
      });
    });
  }
  // half says what decides one half of a flow: the subject's egress (the
  // source) or ingress (the destination) against the other end.
  function half(dir, subject, peer) {
    var n = np.byId.get(subject);
    if (!n || n.kind === 'External') return [];
    if (n.kind === 'Group') return [{ cls: 'warn', text: dir + ': open, no policy judges these pods for ' + dir }];
    var w = np.rules.workloads[subject];
    if (!w) return [];
    var d = w[dir], out = [];
    (d.cluster || []).forEach(function (ri) {
      var r = np.rules.rules[ri];
      out.push({ cls: 'deny', head: dir + ': ' + r.tier + ' ' + r.policy + ' ' + r.rule + ' (' + r.action + ')', text: r.description });
    });
    if (!d.isolated) {
      if (!out.length) out.push({ cls: 'warn', text: dir + ': open, no NetworkPolicy isolates it' });
      return out;
    }
    var matched = d.rules.map(function (ri) { return np.rules.rules[ri]; }).filter(function (r) { return ruleMatches(r, peer); });
    matched.forEach(function (r) { out.push({ cls: r.deny ? 'deny' : '', head: dir + ': ' + r.policy + ' ' + r.rule, text: r.description }); });
    if (!matched.length) out.push({ cls: '', text: dir + ': isolated by ' + d.policies.join(', ') + '; kubectl netpol can names the rule' });
    return out;
  }

  function peerList(id, dir) {
    var f = np.flows(id), list = f[dir], title = dir === 'in' ? 'Reached by' : 'Reaches';
    h('h3', dir, title + ' (' + list.length + ')', details);
    var ul = h('ul', '', undefined, details);
    if (!list.length) h('li', 'none', 'nothing', ul);
    var peerOf = function (i) { return dir === 'in' ? np.edges[i].from : np.edges[i].to; };
    list.slice().sort(function (a, b) {
      return np.cmp(np.label(np.byId.get(peerOf(a))) || peerOf(a), np.label(np.byId.get(peerOf(b))) || peerOf(b));
    }).slice(0, 300).forEach(function (i) {
      var e = np.edges[i], peer = peerOf(i), li = h('li', 'peer', undefined, ul), pn = np.byId.get(peer);
      li.dataset.dir = dir;
      li.dataset.peer = peer;
      if (peer === id) h('span', '', 'itself (between its own pods)', li);
      else link(peer, li);
      if (peer !== id && pn && pn.kind !== 'External') h('span', 'meta', ' ' + (pn.kind === 'Group' ? np.plural((pn.members || []).length, 'member', 'members') : pn.kind), li);
      if ((dir === 'in' ? e.to : e.from) !== id) h('div', 'meta', 'as a member of ' + (dir === 'in' ? e.to : e.from), li);
      h('div', 'ports', np.state.port ? np.edgeText(e, np.state.port) : e.text, li);
      if (e.partial) h('div', 'tag', 'some pod pairs may use more ports', li);
      if (e.ambiguous) h('div', 'tag', 'ambiguous: cluster policies of the same tier and priority judge these ports differently', li);
      if (e.undecided) h('div', 'tag', 'undecided: the verdict on these ports depends on what the network plugin does where its profile does not say', li);
      half('egress', e.from, e.to).concat(half('ingress', e.to, e.from)).forEach(function (r) {
        var div = h('div', 'rule ' + r.cls, undefined, li);
        if (r.head) { h('b', '', r.head, div); div.appendChild(document.createTextNode(': ')); }
        div.appendChild(document.createTextNode(r.text));
      });
    });
    if (list.length > 300) h('li', 'none', 'and ' + (list.length - 300) + ' more: kubectl netpol explain ' + id, ul);
  }

  function isolation(n, dir) {
    var w = np.rules.workloads[n.id], d = w && w[dir], iso = dir === 'ingress' ? n.ingressIsolated : n.egressIsolated;
    var Dir = dir.charAt(0).toUpperCase() + dir.slice(1);
    if (!iso) return h('div', 'warn', Dir + ' open: no policy isolates it', details);
    if (d && !d.isolated) return h('div', 'deny', Dir + ' restricted by cluster policy Deny rules only', details);
    var div = h('div', 'good', Dir + ' isolated by policy', details);
    if (d && d.policies.length) div.textContent += ': ' + d.policies.join(', ');
    return div;
  }

  function help() {
    h('h2', '', 'Reachability map', details);
    h('p', 'meta', 'Click a workload to see what reaches it and what it reaches, with the rules that decide. Arrows point from the client to the server, labelled with the ports every pod pair may use.', details);
    if (np.nodes.some(function (n) { return n.kind === 'Group'; })) {
      h('p', 'meta', 'A rounded box, or a namespace marked "any pod open", stands for the workloads no policy judges in that direction: an edge from or to it holds for each of them. Select a group, or a member, to see dashed lines join them.', details);
    }
    var open = np.nodes.filter(function (n) { return n.kind !== 'External' && n.kind !== 'Group' && (!n.ingressIsolated || !n.egressIsolated); });
    h('h3', 'bad', 'Open workloads (' + open.length + ')', details);
    var ul = h('ul', '', undefined, details);
    if (!open.length) h('li', 'none', 'none: every workload is isolated in both directions', ul);
    open.sort(function (a, b) { return np.cmp(np.label(a), np.label(b)); }).slice(0, 100).forEach(function (n) {
      var li = h('li', '', undefined, ul);
      link(n.id, li);
      h('div', 'meta', (n.ingressIsolated ? '' : 'ingress open') + (!n.ingressIsolated && !n.egressIsolated ? ', ' : '') + (n.egressIsolated ? '' : 'egress open'), li);
    });
    if (open.length > 100) h('li', 'none', 'and ' + (open.length - 100) + ' more', ul);
  }

  function renderDetails() {
    details.textContent = '';
    var id = np.state.selected;
    if (np.state.cluster) clusterDetails(np.pCluster.get(np.state.cluster));
    else if (!id) help();
    else {
      var n = np.byId.get(id);
      h('h2', '', np.label(n), details);
      if (n.kind === 'Group') {
        h('div', 'meta', n.name, details);
        h('h3', '', 'Members (' + (n.members || []).length + ')', details);
        var ul = h('ul', '', undefined, details);
        (n.members || []).slice(0, 200).forEach(function (m) { link(m, h('li', '', undefined, ul)); });
      } else {
        h('div', 'meta', n.kind === 'External' ? 'address range outside the cluster' :
          n.kind + ' in namespace ' + n.namespace + (n.pods ? ', ' + np.plural(n.pods, 'pod', 'pods') : ''), details);
        if (n.kind !== 'External') { isolation(n, 'ingress'); isolation(n, 'egress'); }
        if (n.kind !== 'External' && !np.rules.workloads[id]) {
          var hint = h('div', 'meta', 'The rules are not in this page (a map of more than 1000 workloads leaves them out): ', details);
          h('code', '', 'kubectl netpol explain ' + n.kind.toLowerCase() + '/' + n.name + ' -n ' + n.namespace, hint);
        }
        (np.groupsOf.get(id) || []).forEach(function (g) {
          var div = h('div', 'meta', 'member of ', details);
          link(g, div);
        });
      }
      peerList(id, 'in');
      peerList(id, 'out');
    }
    var foot = h('footer', '', 'Laid out by elkjs 0.12.1 (Eclipse Layout Kernel, EPL-2.0), embedded in this page.', details);
    foot.title = 'https://github.com/kieler/elkjs';
  }

  function clusterDetails(c) {
    h('h2', '', c.label, details);
    h('div', 'meta', c.kind === 'outside' ? 'addresses outside the cluster that policies name' : 'namespace', details);
    var t = np.clusterTitle(c);
    if (t.open) h('div', 'warn', c.kind === 'outside' ? 'Every address outside the cluster the policies name, in one node: click it to show them' : 'Edges on its border hold for any pod of it: ' + t.open, details);
    if (t.note) h('div', 'meta', t.note, details);
    if (np.state.collapsed.has(c.id)) {
      h('button', '', 'Show its workloads', details).addEventListener('click', function () { np.openCluster(c.id); });
    } else if (np.large) {
      h('button', '', 'Collapse it', details).addEventListener('click', function () { np.state.collapsed.add(c.id); np.state.cluster = null; np.render().then(renderDetails); });
    }
    var leaves = np.leavesOf.get(c.id) || [];
    h('h3', '', (c.kind === 'outside' ? 'Ranges' : 'Workloads') + ' (' + leaves.length + ')', details);
    var ul = h('ul', '', undefined, details);
    leaves.slice(0, 300).forEach(function (id) { link(id, h('li', '', undefined, ul)); });
  }

  // The URL's fragment says what the page shows, so that a view can be
  // linked: #select=ID, and ns=NS and port=PORT for the filters, joined
  // by &.
  function replaceHash() {
    var parts = [];
    if (np.state.selected) parts.push('select=' + encodeURIComponent(np.state.selected));
    if (np.state.ns) parts.push('ns=' + encodeURIComponent(np.state.ns));
    if (np.state.port) parts.push('port=' + np.state.port.port + (np.state.port.protocol === 'TCP' ? '' : '/' + np.state.port.protocol.toLowerCase()));
    try { history.replaceState(null, '', parts.length ? '#' + parts.join('&') : location.pathname + location.search); } catch (err) { /* file: URLs may refuse */ }
  }
  function readHash() {
    var out = {};
    location.hash.replace(/^#/, '').split('&').forEach(function (kv) {
      var i = kv.indexOf('=');
      if (i < 0) return;
      try { out[kv.slice(0, i)] = decodeURIComponent(kv.slice(i + 1)); } catch (err) { /* not ours */ }
    });
    return out;
  }

  // select shows a graph node (null: nothing); a node hidden in a
  // collapsed cluster opens it first. It resolves once drawn.
  np.select = function (id, fromUser, scroll) {
    id = id && np.byId.has(id) ? id : null;
    np.state.cluster = null;
    var hidden = id && hiddenIn(id);
    if (hidden) { focusNS(hidden); np.state.collapsed.delete(hidden); }
    var ready = hidden ? np.render() : Promise.resolve();
    return ready.then(function () {
      np.state.selected = id;
      np.highlight();
      renderDetails();
      var d = id && drawnOf(id);
      if (d && scroll && d.scrollIntoView) d.scrollIntoView({ block: 'center', inline: 'center' });
      if (fromUser) replaceHash();
    });
  };
  np.selectCluster = function (cid) {
    np.state.selected = null;
    np.state.cluster = cid;
    np.highlight();
    renderDetails();
  };
  // focusNS shows a namespace of a large map with its peers, as the
  // namespace filter does.
  function focusNS(cid) {
    var c = np.pCluster.get(cid);
    if (!np.large || !c || c.kind !== 'namespace') return;
    np.state.ns = c.label;
    nsSelect.value = c.label;
  }
  np.openCluster = function (cid) {
    focusNS(cid);
    np.state.collapsed.delete(cid);
    np.state.selected = null;
    np.state.cluster = cid;
    return np.render().then(renderDetails);
  };

  var filter = document.getElementById('filter'), matches = document.getElementById('matches');
  function applyFilter() {
    var q = filter.value.trim().toLowerCase(), found = [];
    if (q) {
      np.byId.forEach(function (n, id) {
        if (id.toLowerCase().indexOf(q) >= 0 || (n.name || '').toLowerCase().indexOf(q) >= 0) found.push(id);
      });
    }
    var lit = new Set(found.map(drawnOf));
    np.drawn.nodes.forEach(function (g) { g.classList.toggle('match', lit.has(g)); });
    if (np.svg) np.svg.classList.toggle('filtering', q !== '');
    matches.textContent = q ? found.length + ' of ' + np.byId.size + ' match' : '';
    return found;
  }
  filter.addEventListener('input', applyFilter);
  filter.addEventListener('keydown', function (ev) {
    if (ev.key !== 'Enter') return;
    var found = applyFilter();
    if (found.length) np.select(found[0], true, true);
  });

  np.pic.clusters.forEach(function (c) {
    if (c.kind !== 'namespace') return;
    var o = document.createElement('option');
    o.value = c.label;
    o.textContent = c.label;
    nsSelect.appendChild(o);
  });
  nsSelect.addEventListener('change', function () {
    np.state.ns = nsSelect.value;
    if (np.state.ns) np.state.collapsed.delete('ns:' + np.state.ns);
    else if (np.large) np.pic.clusters.forEach(function (c) { np.state.collapsed.add(c.id); });
    np.render().then(renderDetails).then(replaceHash);
  });
  var portInput = document.getElementById('port');
  function applyPort() {
    var v = portInput.value.trim(), p = v ? np.parsePort(v) : null;
    portInput.style.borderColor = v && !p ? '#dc2626' : '';
    portInput.title = v && !p ? 'want a port number, e.g. 5432 or 53/udp' : '';
    if (v && !p) return;
    var same = (p && np.state.port) ? p.protocol === np.state.port.protocol && p.port === np.state.port.port : p === np.state.port;
    if (same) return;
    np.state.port = p;
    np.render().then(renderDetails).then(replaceHash);
  }
  portInput.addEventListener('change', applyPort);
  portInput.addEventListener('keydown', function (ev) { if (ev.key === 'Enter') applyPort(); });

  var workloads = np.nodes.filter(function (n) { return n.kind !== 'External' && n.kind !== 'Group'; });
  var nOpen = workloads.filter(function (n) { return !n.ingressIsolated || !n.egressIsolated; }).length;
  document.getElementById('summary').textContent = np.plural(np.byId.size, 'node', 'nodes') + ', ' + np.plural(np.edges.length, 'edge', 'edges') + ', ' + nOpen + ' open';
  if (np.large) {
    document.body.dataset.large = 'yes';
    var notice = document.getElementById('notice');
    notice.hidden = false;
    notice.textContent = '';
    notice.appendChild(document.createTextNode('This map has ' + np.plural(workloads.length, 'workload', 'workloads') + ' and ' +
      np.plural(np.edges.length, 'edge', 'edges') + ': it shows an aggregated view, its namespaces, each drawn as one box. Click a namespace (or choose it above) to show its workloads and what reaches them, or draw less: '));
    ['kubectl netpol map -n NS', '--focus TARGET', '-l SELECTOR', '--port PORT'].forEach(function (c, i) {
      if (i) notice.appendChild(document.createTextNode(i === 3 ? ' or ' : ', '));
      h('code', '', c, notice);
    });
    notice.appendChild(document.createTextNode('.'));
  }

  // fromHash sets the filters the fragment names, and then the
  // selection; drawn tells whether the page is drawn for those filters.
  function fromHash(drawn) {
    var h = readHash(), ns = h.ns && np.pCluster.has('ns:' + h.ns) ? h.ns : '', port = h.port ? np.parsePort(h.port) : null;
    var same = ns === np.state.ns && JSON.stringify(port) === JSON.stringify(np.state.port);
    np.state.ns = ns;
    nsSelect.value = ns;
    if (ns) np.state.collapsed.delete('ns:' + ns);
    np.state.port = port;
    portInput.value = port ? h.port : '';
    var ready = same && drawn ? Promise.resolve() : np.render();
    return ready.then(function () { return np.select(h.select || null, false, !!h.select); });
  }
  window.addEventListener('hashchange', function () { fromHash(true); });
  fromHash(false).then(function () {
    // openMs counts from the navigation: reading the page, its data and
    // elkjs included; renderMs from the start of this script.
    document.body.dataset.openMs = String(Math.round(performance.now()));
    document.body.dataset.renderMs = String(Math.round(performance.now() - np.t0));
    document.body.dataset.layoutMs = String(np.layoutMs);
    document.body.dataset.ready = 'yes';
  }).catch(function (err) {
    document.body.dataset.errors = (document.body.dataset.errors ? document.body.dataset.errors + ' | ' : '') + 'layout: ' + (err && (err.message || err));
    document.body.dataset.ready = 'failed';
  });
})(NP);
