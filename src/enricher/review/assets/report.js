// The review page: filters, sorting, paging, decisions by click and keyboard, export.
// Plain JS, no libraries, nothing fetched (remote logos open only on a click, in a new tab). Record values are untrusted: they only ever reach the page
// through textContent / attributes, never innerHTML. Only the current page of items is in the DOM, so
// 10,000 candidates cost one JSON.parse and an array filter per keystroke.
(function () {
  "use strict";

  var DATA = JSON.parse(document.getElementById("report-data").textContent);
  var R = DATA.records, ITEMS = DATA.items, TEXTS = DATA.texts, IDENTITY = DATA.identityFields;
  var STORE_KEY = "enricher-review:" + DATA.reportId;
  var FIELDS = [
    ["name", "Name"], ["displayName", "Display name"], ["tin", "Tax id"], ["tinType", "Tax id type"],
    ["tinCountry", "Tax id country"], ["vatNumber", "VAT number"], ["country", "Country"],
    ["addressStreetLine", "Street"], ["addressBuildingNumber", "Building"], ["addressLocaleNumber", "Unit"],
    ["addressPostCode", "Post code"], ["addressCity", "City"], ["addressCountry", "Address country"],
    ["addressPhoneNumber", "Phone"], ["email", "Email"], ["corporateWebsiteUrl", "Website"],
    ["type", "Type"], ["logoUrl", "Logo URL"]
  ];
  var LABEL = { approve: "approved", reject: "rejected", skip: "skipped", mixed: "decided per pair", none: "undecided" };
  // A cluster of more records than this is summarised (distinct spellings, a sample of records), and
  // lists its first PAIRS_SHOWN pairs until asked for all: a company entered hundreds of times stays readable.
  var COMPACT_AT = 7, SAMPLE_COLUMNS = 5, PAIRS_SHOWN = 10;
  var allPairs = {};

  // decisions[itemKey] = {d: "approve"|"reject"|"skip"|undefined, sv: recordIndex|undefined, p: {pairIdx: d},
  //                       x: [recordIndex...] left out of an approved cluster (split off)}
  var decisions = loadDecisions();
  var st = { band: "", min: 0, max: 1, country: "", decision: "", q: "", sort: "score-desc", size: 25, page: 0, cur: 0, pair: -1, teach: false };
  var view = [];

  // ---------- helpers ----------
  function $(id) { return document.getElementById(id); }
  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        if (!Object.prototype.hasOwnProperty.call(attrs, k) || attrs[k] == null) continue;
        if (k === "text") node.textContent = attrs[k];
        else if (k === "cls") node.className = attrs[k];
        else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), attrs[k]);
        else node.setAttribute(k, attrs[k]);
      }
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c == null) continue;
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return node;
  }
  function fold(s) {
    return String(s == null ? "" : s).normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  function norm(v) { return fold(v).replace(/\s+/g, " ").trim(); }
  // Tax ids and phone numbers are the same whatever the separators: "526-025-02-74" is "5260250274".
  var COMPACT = { tin: 1, vatNumber: 1, addressPhoneNumber: 1, addressPostCode: 1 };
  function same(f, x, y) {
    if (COMPACT[f]) return fold(x).replace(/[^a-z0-9]/g, "") === fold(y).replace(/[^a-z0-9]/g, "");
    return norm(x) === norm(y);
  }
  function shown(f, v) { return f === "logoUrl" && /^data:/i.test(v) ? "(embedded image)" : String(v); }
  function fmt(n) { return n.toLocaleString("en-US"); }
  function val(rec, f) { return rec.f ? rec.f[f] : undefined; }
  function recName(rec) { return (rec.f && (rec.f.name || rec.f.displayName)) || (rec.missing ? "(record not loaded)" : "(no name)"); }
  function toast(msg) {
    var t = $("toast"); t.textContent = msg; t.hidden = false;
    clearTimeout(toast.timer); toast.timer = setTimeout(function () { t.hidden = true; }, 2500);
  }

  function loadDecisions() {
    try { var raw = window.localStorage.getItem(STORE_KEY); return raw ? JSON.parse(raw) : {}; }
    catch (e) { return {}; }
  }
  // Saved at once on every change (a few ms even with 10,000 decisions): closing the tab loses nothing.
  function saveDecisions() {
    try { window.localStorage.setItem(STORE_KEY, JSON.stringify(decisions)); } catch (e) { /* private mode: keep in memory */ }
  }

  // ---------- precomputed per item ----------
  var HAY = new Array(ITEMS.length), NAMEKEY = new Array(ITEMS.length);
  (function () {
    var countries = {};
    for (var i = 0; i < ITEMS.length; i++) {
      var it = ITEMS[i], parts = [];
      for (var j = 0; j < it.r.length; j++) {
        var rec = R[it.r[j]], f = rec.f || {};
        parts.push(String(rec.id), f.name, f.displayName, f.tin, f.vatNumber, f.addressCity, f.addressStreetLine,
          f.addressPostCode, f.corporateWebsiteUrl, f.email, f.addressPhoneNumber);
        // tax ids and phones also without spaces, dashes and dots ("PL 123-456" finds "PL123456")
        parts.push(String((f.tin || "") + " " + (f.vatNumber || "") + " " + (f.addressPhoneNumber || "")).replace(/[\s.\-\/]/g, ""));
      }
      HAY[i] = fold(parts.filter(Boolean).join(" \u0001 "));
      NAMEKEY[i] = norm(recName(R[it.r[0]]));
      for (var c = 0; c < it.cc.length; c++) countries[it.cc[c]] = (countries[it.cc[c]] || 0) + 1;
    }
    var sel = $("f-country");
    Object.keys(countries).sort().forEach(function (cc) {
      sel.appendChild(el("option", { value: cc, text: cc + " (" + fmt(countries[cc]) + ")" }));
    });
  })();

  function status(it) {
    var d = decisions[it.key];
    if (!d) return "none";
    if (d.d) return d.d;
    if (d.p && Object.keys(d.p).length) return "mixed";
    return "none";
  }
  function survivorOf(it) {
    var d = decisions[it.key];
    return d && d.sv != null ? d.sv : it.sv;
  }
  function pairSurvivor(it, p) {
    var sv = survivorOf(it);
    return (sv === p.a || sv === p.b) ? sv : p.sv;
  }
  function approvable(it) {
    for (var i = 0; i < it.r.length; i++) if (R[it.r[i]].missing || !R[it.r[i]].fp) return false;
    return true;
  }

  // ---------- filter + sort ----------
  function applyFilters(keepPosition) {
    var q = fold(st.q).split(/\s+/).filter(Boolean);
    var out = [];
    for (var i = 0; i < ITEMS.length; i++) {
      var it = ITEMS[i];
      if (st.teach && it.q == null) continue;
      if (st.band && it.band !== st.band) continue;
      if (it.score < st.min || it.score > st.max) continue;
      if (st.country && it.cc.indexOf(st.country) < 0) continue;
      if (st.decision && status(it) !== st.decision) continue;
      if (q.length) {
        var hay = HAY[i], ok = true;
        for (var k = 0; k < q.length; k++) if (hay.indexOf(q[k]) < 0) { ok = false; break; }
        if (!ok) continue;
      }
      out.push(i);
    }
    var cmp = {
      "score-desc": function (x, y) { return ITEMS[y].score - ITEMS[x].score || ITEMS[x].rank - ITEMS[y].rank; },
      "score-asc": function (x, y) { return ITEMS[x].score - ITEMS[y].score || ITEMS[x].rank - ITEMS[y].rank; },
      "size-desc": function (x, y) { return ITEMS[y].r.length - ITEMS[x].r.length || ITEMS[x].rank - ITEMS[y].rank; },
      "name": function (x, y) { return NAMEKEY[x] < NAMEKEY[y] ? -1 : NAMEKEY[x] > NAMEKEY[y] ? 1 : ITEMS[x].rank - ITEMS[y].rank; },
      "country": function (x, y) {
        var a = ITEMS[x].cc.join(","), b = ITEMS[y].cc.join(",");
        return a < b ? -1 : a > b ? 1 : ITEMS[x].rank - ITEMS[y].rank;
      }
    }[st.sort];
    out.sort(st.teach ? function (x, y) { return ITEMS[x].q - ITEMS[y].q; } : cmp);
    view = out;
    if (!keepPosition) { st.page = 0; st.cur = 0; }
    st.pair = -1;
    clampPosition();
    render();
  }
  function pages() { return Math.max(1, Math.ceil(view.length / st.size)); }
  function clampPosition() {
    if (st.cur >= view.length) st.cur = Math.max(0, view.length - 1);
    st.page = Math.min(Math.max(0, st.page), pages() - 1);
  }

  // ---------- rendering ----------
  function render() {
    renderProgress();
    var start = st.page * st.size, end = Math.min(view.length, start + st.size);
    var shown = view.length ? fmt(start + 1) + "–" + fmt(end) + " of " + fmt(view.length) : "nothing";
    $("summary").textContent = "Showing " + shown + (view.length !== ITEMS.length ? " (filtered from " + fmt(ITEMS.length) + ")" : "") +
      " · " + fmt(DATA.stats.candidates || 0) + " candidate pairs in " + fmt(ITEMS.length) + " items";
    renderPager($("pager-top")); renderPager($("pager-bottom"));
    var list = $("list"), nodes = [];
    for (var i = start; i < end; i++) nodes.push(renderItem(view[i], i));
    if (!nodes.length) nodes.push(el("div", { cls: "empty", text: ITEMS.length ? "No item matches these filters." : "No duplicate candidates: the register looks clean." }));
    list.replaceChildren.apply(list, nodes);
    updateBulk();
  }
  function renderPager(nav) {
    nav.replaceChildren(
      el("button", { type: "button", "data-act": "prev", disabled: st.page <= 0 ? "" : null, onclick: function () { goPage(st.page - 1); } }, "← Previous"),
      el("span", { cls: "pages", text: "page " + fmt(st.page + 1) + " of " + fmt(pages()) }),
      el("button", { type: "button", "data-act": "next", disabled: st.page >= pages() - 1 ? "" : null, onclick: function () { goPage(st.page + 1); } }, "Next →")
    );
  }
  function renderProgress() {
    var c = { approve: 0, reject: 0, skip: 0, mixed: 0 }, decided = 0;
    for (var i = 0; i < ITEMS.length; i++) {
      var s = status(ITEMS[i]);
      if (s !== "none") { c[s]++; decided++; }
    }
    $("progress").replaceChildren(
      el("b", { text: fmt(decided) }), " of " + fmt(ITEMS.length) + " decided · ",
      el("b", { text: fmt(c.approve) }), " approved · ", el("b", { text: fmt(c.reject) }), " rejected · ",
      el("b", { text: fmt(c.skip) }), " skipped" + (c.mixed ? " · " + fmt(c.mixed) + " per pair" : "")
    );
  }

  function decideButtons(current, onDecide, disabledApprove, small) {
    function b(d, label, key) {
      return el("button", {
        type: "button", cls: "b-" + d, "data-decision": d, "aria-pressed": current === d ? "true" : "false",
        title: small ? null : label + " (key: " + key + ")",
        disabled: d === "approve" && disabledApprove ? "" : null,
        onclick: function (ev) { ev.stopPropagation(); onDecide(current === d ? null : d); }
      }, label);
    }
    return el("div", { cls: "decide" }, b("approve", "Approve", "a"), b("reject", "Reject", "r"), b("skip", "Skip", "s"));
  }

  function renderItem(idx, pos) {
    var it = ITEMS[idx], s = status(it), sv = survivorOf(it);
    var card = el("article", {
      cls: "item d-" + s + (pos === st.cur ? " current" : ""), "data-key": it.key, "data-pos": String(pos),
      "data-status": s, tabindex: "-1",
      onclick: function () { if (st.cur !== pos) { unfocusPair(); st.cur = pos; markCurrent(); } }
    });
    var scoreText = it.r.length > 2 && it.min !== it.score ? it.min.toFixed(2) + "–" + it.score.toFixed(2) : it.score.toFixed(2);
    card.appendChild(el("div", { cls: "item-head" },
      el("span", { cls: "rank", text: "#" + it.rank }),
      el("span", { cls: "kind", text: it.kind === "cluster" ? "Cluster of " + it.r.length : "Pair" }),
      el("span", { cls: "score", title: "match score (0–1)", text: scoreText }),
      el("span", { cls: "badge band-" + it.band, text: it.band }),
      it.cc.length ? el("span", { cls: "muted", text: it.cc.join(", ") }) : null,
      el("span", { cls: "badge status st-" + s, text: LABEL[s] }),
      decideButtons(s === "mixed" ? null : (decisions[it.key] || {}).d, function (d) { setItem(it, d); }, !approvable(it)),
      it.expl ? el("div", { cls: "expl", text: it.expl }) : null
    ));
    var big = it.r.length >= COMPACT_AT;
    card.appendChild(big ? renderSummary(it, sv) : renderRecords(it, sv, it.r));
    var pairs = el("div", { cls: "pairs" });
    var shownPairs = big && !allPairs[it.key] ? Math.min(PAIRS_SHOWN, it.pairs.length) : it.pairs.length;
    for (var i = 0; i < shownPairs; i++) pairs.appendChild(renderPair(it, i));
    if (shownPairs < it.pairs.length) {
      pairs.appendChild(el("button", { type: "button", cls: "more-pairs",
        onclick: function (ev) { ev.stopPropagation(); allPairs[it.key] = true; rerenderItem(it); } },
        "Show all " + fmt(it.pairs.length) + " pairs"));
    }
    card.appendChild(pairs);
    return card;
  }

  function excluded(it) {
    var d = decisions[it.key];
    return d && d.x ? d.x : [];
  }
  // Records grouped by their name as written, largest group first; the survivor's group leads.
  function spellings(it, sv) {
    var groups = {}, order = [];
    it.r.forEach(function (ri) {
      var name = recName(R[ri]);
      if (!groups[name]) { groups[name] = []; order.push(name); }
      groups[name].push(ri);
    });
    var svName = recName(R[sv]);
    order.sort(function (x, y) {
      return (y === svName) - (x === svName) || groups[y].length - groups[x].length || (x < y ? -1 : x > y ? 1 : 0);
    });
    return order.map(function (name) { return { name: name, r: groups[name] }; });
  }
  function renderSummary(it, sv) {
    var groups = spellings(it, sv), out = excluded(it);
    var sample = [sv];
    groups.forEach(function (g) {
      if (g.r.indexOf(sv) < 0 && sample.length < SAMPLE_COLUMNS) sample.push(g.r[0]);
    });
    var box = el("div", { cls: "summary" });
    box.appendChild(el("p", { cls: "summary-line", text: fmt(it.r.length) + " records · " + fmt(groups.length) +
      " distinct spellings · " + fmt(it.pairs.length) + " pairs listed" +
      (out.length ? " · " + fmt(out.length) + " left out (split off)" : "") }));
    var table = el("table", { cls: "spellings" },
      el("thead", null, el("tr", null, el("th", { text: "Name as written" }), el("th", { text: "Records" }),
        el("th", { text: "Ids" }), el("th"))));
    var body = el("tbody");
    groups.forEach(function (g) {
      var isOut = g.r.every(function (ri) { return out.indexOf(ri) >= 0; });
      var hasSv = g.r.indexOf(sv) >= 0;
      var ids = g.r.slice(0, 8).map(function (ri) { return R[ri].id; }).join(", ") + (g.r.length > 8 ? ", …" : "");
      body.appendChild(el("tr", { cls: isOut ? "left-out" : null, "data-spelling": g.name },
        el("td", { cls: "nm", text: g.name }),
        el("td", { cls: "n", text: fmt(g.r.length) }),
        el("td", { cls: "ids", text: ids }),
        el("td", null, hasSv ? el("span", { cls: "muted", text: "survivor's" }) :
          el("button", { type: "button", cls: "split",
            title: isOut ? "Keep these records in the merge" : "Leave these records out of the merge: they are rejected against the survivor",
            onclick: function (ev) { ev.stopPropagation(); setExcluded(it, g.r, !isOut); } },
            isOut ? "keep" : "leave out"))));
    });
    table.appendChild(body);
    box.appendChild(table);
    box.appendChild(el("p", { cls: "muted", text: "A sample: the survivor and one record of each other spelling." }));
    box.appendChild(renderRecords(it, sv, sample));
    return box;
  }

  function logoNode(rec) {
    var url = val(rec, "logoUrl"), name = recName(rec);
    var mono = el("div", { cls: "mono", "aria-hidden": "true", text: (name.replace(/[^\p{L}\p{N}]+/gu, " ").trim().split(" ").slice(0, 2).map(function (w) { return w.charAt(0); }).join("") || "?").toUpperCase() });
    var h = 0; for (var i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) | 0;
    mono.style.background = "hsl(" + (Math.abs(h) % 360) + ",45%,45%)";
    if (typeof url === "string" && /^data:image\//i.test(url)) {
      // Embedded logos show at once; the monogram stays if one cannot be decoded.
      var img = el("img", { cls: "logo", src: url, alt: "logo of " + name });
      var wrap = el("div", { cls: "logo-wrap" }, mono, img);
      img.addEventListener("load", function () { img.classList.add("loaded"); });
      img.addEventListener("error", function () { img.remove(); });
      return wrap;
    }
    if (typeof url === "string" && /^https?:\/\//i.test(url)) {
      // A remote logo is never loaded by opening the page (a tracking pixel, a GET to an internal host);
      // the reviewer may open it in a new tab, which is asking for it. The CSP allows data: images only.
      return el("a", { cls: "logo-link", href: url, target: "_blank", rel: "noopener noreferrer",
        referrerpolicy: "no-referrer", title: "Open the logo in a new tab (loads " + url + ")" }, mono,
        el("span", { cls: "logo-open", text: "logo \u2197" }));
    }
    return mono;
  }

  // Why enrichment chose a record's logo (from the last enrichment run), as a small disclosure.
  function logoWhy(rec) {
    var lr = DATA.branding && DATA.branding.logoReasons, why = lr && lr[String(rec.id)];
    if (!why || !why.reasons || !why.reasons.length) return null;
    var list = el("ol");
    why.reasons.forEach(function (r) {
      var pts = typeof r.points === "number" ? (r.points > 0 ? "+" : "") + r.points + " " : "";
      list.appendChild(el("li", { text: pts + r.why }));
    });
    return el("details", { cls: "logo-why", onclick: function (ev) { ev.stopPropagation(); } },
      el("summary", { text: "why this logo" }), list);
  }

  function renderRecords(it, sv, shownRecords) {
    var table = el("table", { cls: "records" }), head = el("tr", null, el("th", { cls: "field" }));
    shownRecords.forEach(function (ri) {
      var n = it.r.indexOf(ri);
      var rec = R[ri], isSv = ri === sv;
      head.appendChild(el("th", { cls: isSv ? "survivor" : null, "data-record": String(rec.id) },
        el("div", { cls: "rec-head" }, logoNode(rec),
          el("div", { cls: "who" },
            el("span", { cls: "nm", text: recName(rec) }),
            el("span", { cls: "rid" }, "id " + rec.id + " · key " + (n + 1) + " ",
              isSv ? el("span", { cls: "badge sv-badge", text: "survivor" })
                : el("button", { type: "button", cls: "make-sv", title: "Keep this record; merge the others into it (key: " + (n + 1) + ")",
                  onclick: function (ev) { ev.stopPropagation(); setSurvivor(it, ri); } }, "make survivor")),
            logoWhy(rec)))));
    });
    table.appendChild(el("thead", null, head));
    var body = el("tbody");
    FIELDS.forEach(function (fl) {
      var f = fl[0], vals = shownRecords.map(function (ri) { return val(R[ri], f); });
      if (vals.every(function (v) { return v == null || v === ""; })) return;
      var ref = val(R[sv], f), allEq = vals.every(function (v) { return same(f, v, vals[0]); });
      var tr = el("tr", { cls: allEq ? "alleq" : null, "data-field": f }, el("td", { cls: "field", text: fl[1] }));
      shownRecords.forEach(function (ri, n) {
        var v = vals[n], td = el("td");
        if (ri === sv) td.className = "survivor";
        if (v == null || v === "") { td.classList.add("missing"); td.textContent = "—"; }
        else if (ri !== sv && !same(f, v, ref)) { td.classList.add("diff"); appendDiff(td, shown(f, v), ref == null ? "" : shown(f, ref)); }
        else td.textContent = shown(f, v);
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    table.appendChild(body);
    return table;
  }

  // Marks the characters of `text` that are not in a longest common subsequence with `ref` (case-folded).
  function appendDiff(td, text, ref) {
    if (!ref || text.length > 160 || ref.length > 160) { td.appendChild(el("mark", { text: text })); return; }
    var a = fold(text), b = fold(ref);
    if (a.length !== text.length) { td.appendChild(el("mark", { text: text })); return; }
    var n = a.length, m = b.length, dp = [];
    for (var i = 0; i <= n; i++) { dp.push(new Uint16Array(m + 1)); }
    for (i = n - 1; i >= 0; i--) for (var j = m - 1; j >= 0; j--)
      dp[i][j] = a[i] === b[j] ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1]);
    var keep = new Array(n).fill(false); i = 0; j = 0;
    while (i < n && j < m) {
      if (a[i] === b[j]) { keep[i] = true; i++; j++; }
      else if (dp[i + 1][j] >= dp[i][j + 1]) i++; else j++;
    }
    var run = "", marked = false;
    function flush() { if (run) td.appendChild(marked ? el("mark", { text: run }) : document.createTextNode(run)); run = ""; }
    for (i = 0; i < n; i++) {
      var mk = !keep[i];
      if (mk !== marked) { flush(); marked = mk; }
      run += text[i];
    }
    flush();
  }

  function renderPair(it, pi) {
    var p = it.pairs[pi], d = decisions[it.key], pd = d && d.p ? d.p[pi] : undefined;
    var focused = it.r.length > 2 && pi === st.pair && view[st.cur] !== undefined && ITEMS[view[st.cur]] === it;
    var box = el("div", { cls: "pair" + (pd ? " d-" + pd : "") + (focused ? " current" : ""), "data-pair": String(pi),
      "data-status": pd || "none" });
    var head = el("div", { cls: "pair-head" },
      el("b", { text: "id " + R[p.a].id + " ↔ id " + R[p.b].id }),
      el("span", { cls: "score", text: p.score.toFixed(2) }),
      el("span", { cls: "badge band-" + p.band, text: p.band }));
    if (it.r.length > 2) {
      head.appendChild(el("span", { cls: "muted", text: "survivor if approved alone: id " + R[pairSurvivor(it, p)].id }));
      head.appendChild(decideButtons(pd, function (dd) { setPair(it, pi, dd); }, R[p.a].missing || R[p.b].missing, true));
    }
    box.appendChild(head);
    if (p.qn != null) head.appendChild(el("span", { cls: "badge question", title: "an answer here teaches the matcher", text: "question " + p.qn }));
    if (p.nt != null) box.appendChild(el("p", { cls: "note", text: TEXTS[p.nt] }));
    var table = el("table", { cls: "evidence" });
    var maxW = 0; p.ev.forEach(function (e) { maxW = Math.max(maxW, Math.abs(e[2])); });
    p.ev.forEach(function (e) {
      var w = e[2], bar = el("span", { cls: "wbar " + (w < 0 ? "neg" : "pos") });
      bar.style.width = (maxW ? Math.round(60 * Math.abs(w) / maxW) : 0) + "px";
      table.appendChild(el("tr", null,
        el("td", { cls: "feat", text: e[0] }),
        el("td", { cls: "res", text: e[1] }),
        el("td", { cls: "w" }, bar, el("span", { cls: w < 0 ? "w-neg" : "w-pos", text: (w >= 0 ? "+" : "") + w.toFixed(2) })),
        el("td", { cls: "expl-cell", text: TEXTS[e[3]] || "" })));
    });
    box.appendChild(table);
    return box;
  }

  function markCurrent() {
    var nodes = $("list").querySelectorAll(".item");
    for (var i = 0; i < nodes.length; i++) nodes[i].classList.toggle("current", Number(nodes[i].dataset.pos) === st.cur);
  }
  function currentNode() { return $("list").querySelector('.item[data-pos="' + st.cur + '"]'); }
  function rerenderItem(it) {
    var node = $("list").querySelector('.item[data-key="' + CSS.escape(it.key) + '"]');
    if (node) node.replaceWith(renderItem(view[Number(node.dataset.pos)], Number(node.dataset.pos)));
    renderProgress(); updateBulk();
  }

  // ---------- decisions ----------
  function entry(it) { return decisions[it.key] || (decisions[it.key] = {}); }
  function tidy(it) {
    var d = decisions[it.key];
    if (d && !d.d && d.sv == null && !d.x && (!d.p || !Object.keys(d.p).length)) delete decisions[it.key];
  }
  function setItem(it, d) {
    if (d === "approve" && !approvable(it)) { toast("A record of this item was not loaded: it cannot be approved."); return false; }
    var e = entry(it);
    if (d) { e.d = d; delete e.p; } else delete e.d;
    tidy(it); saveDecisions(); rerenderItem(it); return true;
  }
  function setPair(it, pi, d) {
    var e = entry(it);
    delete e.d;
    e.p = e.p || {};
    if (d) e.p[pi] = d; else delete e.p[pi];
    tidy(it); saveDecisions(); rerenderItem(it);
  }
  function setExcluded(it, list, leaveOut) {
    var e = entry(it), out = (e.x || []).filter(function (ri) { return list.indexOf(ri) < 0; });
    if (leaveOut) out = out.concat(list);
    if (out.length) e.x = out; else delete e.x;
    tidy(it); saveDecisions(); rerenderItem(it);
    toast(leaveOut ? "Left out " + fmt(list.length) + " record(s): approving merges the rest" : "Kept " + fmt(list.length) + " record(s)");
  }
  function setSurvivor(it, ri) {
    var e = entry(it);
    if (ri === it.sv) delete e.sv; else e.sv = ri;
    tidy(it); saveDecisions(); rerenderItem(it);
    toast("Survivor: id " + R[ri].id);
  }

  // ---------- bulk approval (two clicks: arm, confirm) ----------
  function bulkTargets() {
    return view.filter(function (i) { var it = ITEMS[i]; return it.band === "merge" && status(it) === "none" && approvable(it); });
  }
  function updateBulk() {
    var b = $("bulk"), n = bulkTargets().length;
    b.disabled = n === 0;
    b.textContent = b.classList.contains("armed") ? "Click again to approve " + fmt(n) : "Approve merge band in view (" + fmt(n) + ")";
  }
  $("bulk").addEventListener("click", function () {
    var b = $("bulk");
    if (!b.classList.contains("armed")) {
      b.classList.add("armed"); updateBulk();
      clearTimeout(b.timer); b.timer = setTimeout(function () { b.classList.remove("armed"); updateBulk(); }, 5000);
      return;
    }
    b.classList.remove("armed");
    var targets = bulkTargets();
    targets.forEach(function (i) { entry(ITEMS[i]).d = "approve"; });
    saveDecisions(); render();
    toast("Approved " + fmt(targets.length) + " merge-band items");
  });

  // ---------- clients ----------
  // Flowtly has no client merge: a decision here is recorded in the export (clientDecisions) and, once
  // approved, "enricher clients notes" leaves a note on both clients naming the other.
  var CLIENTS = DATA.clients, CLIENT_KEY = STORE_KEY + ":clients", CLIENT_ROWS = 200, clientsAll = false;
  var clientDecisions = (function () {
    try { var raw = window.localStorage.getItem(CLIENT_KEY); return raw ? JSON.parse(raw) : {}; } catch (e) { return {}; }
  })();
  function saveClientDecisions() {
    try { window.localStorage.setItem(CLIENT_KEY, JSON.stringify(clientDecisions)); } catch (e) { /* memory only */ }
  }
  function clientCell(rec) {
    var f = rec.f || {}, cell = el("td", null, el("b", { text: f.name || "(no name)" }),
      el("div", { cls: "muted", text: "client " + rec.id + [f.tin, f.vatNumber, f.addressCity, f.country].filter(Boolean).map(function (v) { return " · " + v; }).join("") }));
    (rec.contacts || []).forEach(function (c) { cell.appendChild(el("div", { cls: "contacts", text: c })); });
    return cell;
  }
  function renderClients() {
    var box = $("clients");
    if (!CLIENTS) { box.hidden = true; return; }
    box.hidden = false;
    var recs = CLIENTS.records, nodes = [];
    nodes.push(el("h2", { text: "Duplicate clients (" + fmt(CLIENTS.pairs.length) + ")" }));
    nodes.push(el("div", { cls: "muted", text: "Matched like counterparties, plus what their contacts share (a company e-mail domain, a phone, a contact person). Flowtly cannot merge clients: approve to have enricher clients notes leave a note on both." }));
    var table = el("table", { id: "client-pairs" });
    table.appendChild(el("tr", null, el("th", { text: "Client" }), el("th", { text: "Duplicate of" }), el("th", { text: "Score" }), el("th", { text: "Evidence" }), el("th", { text: "Decision" })));
    var shown = clientsAll ? CLIENTS.pairs : CLIENTS.pairs.slice(0, CLIENT_ROWS);
    shown.forEach(function (p) {
      var d = clientDecisions[p.key], ev = el("ul", { cls: "ev" });
      p.ev.forEach(function (e) { if (e[3]) ev.appendChild(el("li", { text: e[3] + " (" + (e[2] >= 0 ? "+" : "") + Number(e[2]).toFixed(2) + ")" })); });
      var buttons = el("td", null);
      [["approve", "Same company"], ["reject", "Different"], ["skip", "Skip"]].forEach(function (b) {
        buttons.appendChild(el("button", { type: "button", cls: d === b[0] ? "primary" : null, "data-decision": b[0], text: b[1],
          onclick: function () {
            if (clientDecisions[p.key] === b[0]) delete clientDecisions[p.key]; else clientDecisions[p.key] = b[0];
            saveClientDecisions(); renderClients();
          } }));
      });
      table.appendChild(el("tr", { cls: d || null, "data-key": p.key }, clientCell(recs[p.a]), clientCell(recs[p.b]),
        el("td", null, el("b", { text: Number(p.score).toFixed(3) }), el("div", { cls: "muted", text: p.band })), el("td", null, ev), buttons));
    });
    nodes.push(table);
    if (shown.length < CLIENTS.pairs.length || (!clientsAll && CLIENTS.links.length > CLIENT_ROWS)) {
      // Only the first rows are in the page until asked: thousands of rows would slow every click.
      nodes.push(el("button", { type: "button", id: "clients-all", text: "Show all " + fmt(CLIENTS.pairs.length) + " client pairs and " + fmt(CLIENTS.links.length) + " links",
        onclick: function () { clientsAll = true; renderClients(); } }));
    }
    nodes.push(el("h2", { text: "Clients that are also counterparties (" + fmt(CLIENTS.links.length) + ")" }));
    nodes.push(el("div", { cls: "muted", text: "The same company on both sides: net and reconcile them." }));
    var links = el("table", { id: "client-links" });
    links.appendChild(el("tr", null, el("th", { text: "Client" }), el("th", { text: "Counterparty" }), el("th", { text: "Why" })));
    (clientsAll ? CLIENTS.links : CLIENTS.links.slice(0, CLIENT_ROWS)).forEach(function (l) {
      links.appendChild(el("tr", null, el("td", { text: (l.clientName || "") + " (client " + l.client + ")" }),
        el("td", { text: (l.counterpartyName || "") + " (counterparty " + l.counterparty + ")" }), el("td", { text: l.reason })));
    });
    nodes.push(links);
    box.replaceChildren.apply(box, nodes);
  }

  // ---------- export ----------
  function exportObject() {
    var out = {
      format: "enricher.merge-decisions", version: 1, reportId: DATA.reportId, generatedAt: DATA.generatedAt,
      exportedAt: new Date().toISOString(), records: [], decisions: [], clientDecisions: []
    };
    if (CLIENTS) CLIENTS.pairs.forEach(function (p) {
      var d = clientDecisions[p.key];
      if (d) out.clientDecisions.push({ a: CLIENTS.records[p.a].id, b: CLIENTS.records[p.b].id, decision: d, score: p.score });
    });
    var used = {};
    function ids(list) { return list.map(function (ri) { used[ri] = true; return R[ri].id; }); }
    var order = ITEMS.map(function (_, i) { return i; });
    order.forEach(function (i) {
      var it = ITEMS[i], d = decisions[it.key];
      if (!d) return;
      if (d.d === "approve" && d.x && d.x.length) {
        // A split cluster: the kept records merge; each left-out record is rejected against the survivor.
        var sv = survivorOf(it), kept = it.r.filter(function (ri) { return d.x.indexOf(ri) < 0; });
        var gone = it.r.filter(function (ri) { return d.x.indexOf(ri) >= 0 && ri !== sv; });
        if (kept.length > 1) out.decisions.push({ kind: kept.length > 2 ? "cluster" : "pair", ids: ids(kept),
          decision: "approve", survivor: R[sv].id, score: it.score, band: it.band });
        if (gone.length) out.decisions.push({ kind: "cluster", ids: ids([sv].concat(gone)), decision: "reject",
          pairs: gone.map(function (ri) { return [R[sv].id, R[ri].id]; }), score: it.min, band: "review" });
      } else if (d.d) {
        var dec = { kind: it.kind, ids: ids(it.r), decision: d.d, score: it.score, band: it.band };
        if (d.d === "approve") dec.survivor = R[survivorOf(it)].id;
        if (d.d === "reject" && it.r.length > 2) dec.pairs = it.pairs.map(function (p) { return [R[p.a].id, R[p.b].id]; });
        out.decisions.push(dec);
      } else if (d.p) {
        Object.keys(d.p).sort(function (x, y) { return x - y; }).forEach(function (pi) {
          var p = it.pairs[pi], pd = { kind: "pair", ids: ids([p.a, p.b]), decision: d.p[pi], score: p.score, band: p.band };
          if (d.p[pi] === "approve") pd.survivor = R[pairSurvivor(it, p)].id;
          out.decisions.push(pd);
        });
      }
    });
    Object.keys(used).map(Number).sort(function (x, y) { return x - y; }).forEach(function (ri) {
      var rec = R[ri];
      if (!rec.fp) return;
      var identity = {};
      IDENTITY.forEach(function (f) { var v = val(rec, f); identity[f] = v === undefined ? null : v; });
      out.records.push({ id: rec.id, fingerprint: rec.fp, identity: identity });
    });
    return out;
  }
  function exportDecisions() {
    var out = exportObject();
    var blob = new Blob([JSON.stringify(out, null, 2) + "\n"], { type: "application/json" });
    var a = el("a", { href: URL.createObjectURL(blob), download: "decisions-" + DATA.reportId + ".json" });
    document.body.appendChild(a); a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 2000);
    toast("Exported " + fmt(out.decisions.length + out.clientDecisions.length) + " decisions");
  }
  $("export").addEventListener("click", exportDecisions);

  // ---------- navigation ----------
  function goPage(p) {
    st.pair = -1;
    st.page = Math.min(Math.max(0, p), pages() - 1);
    st.cur = Math.min(view.length - 1, st.page * st.size);
    render(); window.scrollTo(0, 0);
  }
  function unfocusPair() {
    if (st.pair < 0) return;
    st.pair = -1;
    var nodes = $("list").querySelectorAll(".pair.current");
    for (var i = 0; i < nodes.length; i++) nodes[i].classList.remove("current");
  }
  function focusPair(it, delta) {
    if (it.r.length <= 2) return;
    st.pair = Math.min(it.pairs.length - 1, Math.max(-1, st.pair + delta));
    if (st.pair >= PAIRS_SHOWN) allPairs[it.key] = true;
    rerenderItem(it);
    var node = $("list").querySelector(".pair.current");
    if (node) node.scrollIntoView({ block: "nearest" });
  }
  function move(delta) {
    unfocusPair();
    if (!view.length) return;
    var next = Math.min(view.length - 1, Math.max(0, st.cur + delta));
    var page = Math.floor(next / st.size);
    st.cur = next;
    if (page !== st.page) { st.page = page; render(); } else markCurrent();
    var node = currentNode();
    if (node) node.scrollIntoView({ block: "nearest" });
  }
  function currentItem() { return view.length ? ITEMS[view[st.cur]] : null; }

  function openHelp(open) { $("help").hidden = !open; if (open) $("help-close").focus(); }
  $("help-open").addEventListener("click", function () { openHelp(true); });
  $("help-close").addEventListener("click", function () { openHelp(false); });

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var t = ev.target, typing = t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA");
    if (typing) { if (ev.key === "Escape") t.blur(); return; }
    if (!$("help").hidden) { if (ev.key === "Escape" || ev.key === "?") { openHelp(false); ev.preventDefault(); } return; }
    var it = currentItem(), k = ev.key;
    if (k === "j" || k === "ArrowDown") move(1);
    else if (k === "k" || k === "ArrowUp") move(-1);
    else if (k === "n" || k === "ArrowRight") goPage(st.page + 1);
    else if (k === "p" || k === "ArrowLeft") goPage(st.page - 1);
    else if (k === "Home") goPage(0);
    else if (k === "End") goPage(pages() - 1);
    else if (k === "]") { if (it) focusPair(it, 1); }
    else if (k === "[") { if (it) focusPair(it, -1); }
    else if (k === "a" || k === "r" || k === "s") {
      if (!it) return;
      var d = { a: "approve", r: "reject", s: "skip" }[k];
      if (st.pair >= 0 && it.r.length > 2) {
        var p = it.pairs[st.pair];
        if (d === "approve" && (R[p.a].missing || R[p.b].missing)) { toast("A record of this pair was not loaded: it cannot be approved."); return; }
        setPair(it, st.pair, d);
        if (st.pair < it.pairs.length - 1) focusPair(it, 1);
      } else if (setItem(it, d)) move(1);
    } else if (k === "u") {
      if (it && st.pair >= 0 && it.r.length > 2) setPair(it, st.pair, null);
      else if (it) setItem(it, null);
    }
    else if (/^[1-9]$/.test(k)) { if (it && Number(k) <= it.r.length) setSurvivor(it, it.r[Number(k) - 1]); }
    else if (k === "/") { $("f-search").focus(); }
    else if (k === "e") exportDecisions();
    else if (k === "t") setTeach(!st.teach);
    else if (k === "?") openHelp(true);
    else return;
    ev.preventDefault();
  });

  // ---------- filters ----------
  function num(id, dflt) { var v = parseFloat($(id).value); return isNaN(v) ? dflt : v; }
  function readFilters() {
    st.band = $("f-band").value; st.min = num("f-min", 0); st.max = num("f-max", 1);
    st.country = $("f-country").value; st.decision = $("f-decision").value; st.sort = $("f-sort").value;
    st.size = parseInt($("f-size").value, 10) || 25; st.q = $("f-search").value;
    applyFilters(false);
  }
  ["f-band", "f-country", "f-decision", "f-sort", "f-size"].forEach(function (id) { $(id).addEventListener("change", readFilters); });
  ["f-min", "f-max"].forEach(function (id) { $(id).addEventListener("input", readFilters); });
  var searchTimer = null;
  $("f-search").addEventListener("input", function () { clearTimeout(searchTimer); searchTimer = setTimeout(readFilters, 120); });
  $("filters").addEventListener("submit", function (ev) { ev.preventDefault(); });

  // ---------- branding health ----------
  function renderHealth() {
    var b = DATA.branding, box = $("health");
    if (!b) { box.hidden = true; return; }
    function meter(label, count, total) {
      var share = total ? count / total : 0, fill = el("div", { cls: "fill" });
      fill.style.width = (100 * share).toFixed(1) + "%";
      return el("div", { cls: "meter" },
        el("div", null, el("b", { text: (100 * share).toFixed(1) + "%" }), " " + label + " ",
          el("span", { cls: "muted", text: "(" + fmt(count) + " of " + fmt(total) + ")" })),
        el("div", { cls: "track" }, fill));
    }
    var details = el("details", { open: "" }, el("summary", { text: "Branding health: " + fmt(b.total) + " counterparties" }),
      el("div", { cls: "meters" },
        meter("with a logo", b.withLogo, b.total), meter("with a display name", b.withDisplayName, b.total),
        meter("with both", b.withBoth, b.total), meter("with a website", b.withWebsite, b.total)),
      el("div", { cls: "muted", text: fmt(b.fillable) + " counterparties have a website but lack a logo or a display name: enrichment can fill them." }));
    var last = b.lastEnrichment;
    if (last) {
      var table = el("table", { id: "last-enrichment" });
      Object.keys(last).forEach(function (k) {
        var v = last[k], text;
        if (v && typeof v === "object") {
          text = Object.keys(v).filter(function (x) { return x !== "first"; }).map(function (x) {
            var inner = v[x];
            return x + ": " + (inner !== null && typeof inner === "object" ? JSON.stringify(inner) : String(inner));
          }).join(", ") || "none";
        }
        else text = String(v);
        table.appendChild(el("tr", null, el("td", { text: k }), el("td", { text: text })));
      });
      details.appendChild(el("h2", { text: "Last enrichment" }));
      details.appendChild(table);
    } else {
      details.appendChild(el("div", { cls: "muted", text: "No enrichment summary found (run enricher enrich)." }));
    }
    box.replaceChildren(details);
  }

  $("meta").textContent = "generated " + DATA.generatedAt + " · report " + DATA.reportId + " · " +
    fmt(DATA.stats.records || 0) + " records in candidates";
  (DATA.stats.notes || []).forEach(function (n) { $("meta").appendChild(el("div", { cls: "run-note", text: n })); });
  function setTeach(on) {
    st.teach = on;
    $("teach-banner").hidden = !on;
    $("teach").classList.toggle("primary", on);
    applyFilters();
    if (on && !view.length) toast("No questions in this report: the matcher has nothing to ask.");
  }
  $("teach").textContent = "Teach (" + fmt(DATA.stats.questions || 0) + ")";
  $("teach").disabled = !DATA.stats.questions;
  $("teach").addEventListener("click", function () { setTeach(!st.teach); });
  $("teach-off").addEventListener("click", function () { setTeach(false); });
  renderHealth();
  renderClients();
  applyFilters(false);
  window.enricherReview = { exportObject: exportObject, ready: true };
  document.documentElement.setAttribute("data-ready", "true");
})();
